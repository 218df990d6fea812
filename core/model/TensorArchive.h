#pragma once

#include "util/FileBytes.h"
#include "util/Result.h"

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

namespace rine {

// The tensors of a PyTorch weight file, by dotted name, as stored (dtype kept).
//
// Reads the formats users actually have: `torch.save` zip archives (state dicts, RINE heads,
// possibly saved from CUDA tensors), TorchScript zip archives (OpenAI's CLIP files), and
// safetensors files (Hugging Face).
// Both keep their object graph in a pickle (`data.pkl`); this reader interprets it with a
// restricted unpickler that knows only the handful of Python names a weight file needs, so
// no code in the file is ever run and LibTorch's own unpickler (which in 1.13 rejects an
// OrderedDict carrying `_metadata`) is not involved. Tensors are mapped to CPU.
struct TensorArchive {
    enum class Format { StateDict, TorchScript, SafeTensors };

    std::string path;
    std::string sha256;
    Format format = Format::StateDict;
    std::vector<std::pair<std::string, at::Tensor>> tensors;

    // A training checkpoint (a dict holding "model" beside optimizer state and more, as SPAI's
    // training code saves it): `tensors` are those under "model", named without it, and
    // nothing else in the file is read (the optimizer's tensors stay on disk). "" otherwise.
    std::string root;
    // A plain value of the checkpoint's "config" (a dict, or a yacs CfgNode taken as one).
    struct Value {
        enum class Kind { None, Bool, Int, Float, String, List };
        Kind kind = Kind::None;
        std::int64_t i = 0; // Bool, Int
        double f = 0; // Float
        std::string s; // String
        std::vector<Value> items; // List (a list or tuple of plain values)
    };
    // Its leaves by dotted key ("MODEL.VIT.NUM_HEADS"); empty when there is none.
    std::vector<std::pair<std::string, Value>> config;
    const Value *configValue(const std::string &key) const;

    const at::Tensor *find(const std::string &name) const;
};

Result<TensorArchive> readTensorArchive(const FileBytes &file);
// A weight file read once; refused before parsing when its bytes are not the SHA-256 given
// (the one its trust was decided on). Empty: not checked.
Result<TensorArchive> readTrustedArchive(const std::string &path, const std::string &expectedSha256);
Result<TensorArchive> readTensorArchive(const std::string &path);

// "[3, 224, 224]"
std::string shapeString(at::IntArrayRef sizes);

} // namespace rine
