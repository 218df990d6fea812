#pragma once

#include "util/FileBytes.h"
#include "util/Result.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rine {

enum class DeviceChoice { Auto, Cpu, Cuda };

// The precision of the backbone's matrix products. LayerNorms, the softmax, the head and the
// logit are fp32 in every precision. fp16 runs on CUDA (what the published results used),
// bf16 on CPUs with AVX512-BF16 or AMX (oneDNN's kernels).
// Standard (the default): fp16 on CUDA, fp32 on the CPU, the precisions of the published
// results and of every case made before precisions were a choice.
// Auto: fp16 on CUDA; on the CPU bf16 when the processor has it and the loaded model's scores
// in bf16 agree with its fp32 scores within kPrecisionBound on synthetic crops (measured at
// load, remembered per model and processor), else fp32.
enum class Precision { Standard, Auto, Fp32, Bf16, Fp16 };
constexpr double kPrecisionBound = 1e-2; // |dprobability| against fp32, as CUDA fp16 is held to
const char *precisionName(Precision precision); // "standard", "auto", "fp32", "bf16", "fp16"
bool precisionFromName(const std::string &name, Precision &out);
// Whether this CPU multiplies bf16 matrices in hardware (AVX512-BF16 or AMX-BF16).
bool cpuHasBf16();

struct DetectorOptions {
    std::string backbonePath;
    // One or more RINE heads; the backbone runs once per image and every head scores it.
    // None: the backbone alone (features() only), for training a new head.
    std::vector<std::string> headPaths;
    // The SHA-256 each file had when its trust was decided (ModelSession): the bytes parsed
    // are read once, and refused unparsed if they are not those (the file was swapped in
    // between). Empty: not checked (tests, tools that decided nothing).
    std::string backboneSha256;
    std::vector<std::string> headSha256s; // parallel to headPaths
    DeviceChoice device = DeviceChoice::Auto;
    Precision precision = Precision::Standard;
    // Auto: a file where the agreement measured for a model on this processor is remembered
    // (one line per model), so that it is measured once; "" measures at every load.
    std::string agreementCachePath;
    // Testing aid: allow bf16 on a CPU without bf16 instructions (emulated, slower than fp32),
    // so that its golden test runs on every machine.
    bool emulatedBf16 = false;
    // Testing aid: run on the CPU the batched implementation that CUDA runs, so that the
    // golden tests cover it on machines without a GPU.
    bool batchedPath = false;
    // Benchmarks only: a ViT-L/14 backbone with random weights instead of backbonePath (the
    // speed of the real model; the scores mean nothing).
    bool randomBackbone = false;
    unsigned randomSeed = 1; // randomBackbone: the same seed gives the same weights
};

// One loaded RINE head.
struct HeadInfo {
    std::string path, sha256;
    int nproj = 0;
    int projDim = 0;
    std::vector<double> blockImportance; // softmax(alpha) over blocks, mean over P; sums to 1
};

// What was loaded, for display and for the reproducibility record.
struct ModelInfo {
    int blocks = 0;
    int width = 0;
    int attentionHeads = 0;
    int patch = 0;
    int grid = 0;
    int inputSize = 0; // crop side in pixels: patch * grid
    std::string backbonePath, backboneSha256, backboneFormat;
    std::vector<HeadInfo> heads; // in the order of DetectorOptions::headPaths
    std::string device; // "cpu (2 threads)", "cuda:0 (NVIDIA H100 ...)"
    std::string precision; // "fp32", "bf16" or "fp16": part of every result's identity
    std::string precisionNote; // how it was chosen ("asked for", "auto: ...")
    std::string backboneDtype; // "float32", "bfloat16 (...)", "float16 (LayerNorm float32)"
    std::string libtorchVersion;
    std::vector<double> mean, std; // CLIP normalisation
};

// The score of one crop.
struct CropScore {
    double logit = 0;
    double probability = 0; // sigmoid(logit): probability that the image is synthetic
    std::vector<double> contributions; // per block, sums to 1
};

// The backbone's per-block features of some crops: the CLS token of every block's ln_2
// output, [count][blocks][width] floats. What a head needs, and what a scan may cache.
struct BlockFeatures {
    int count = 0;
    int blocks = 0;
    int width = 0;
    std::vector<float> values;
};

// The RINE detector: CLIP ViT backbone + RINE head. No torch types cross this interface.
// Thread-safe: forward passes from several threads take turns (one runs at a time).
class Detector {
public:
    ~Detector();
    Detector(const Detector &) = delete;
    Detector &operator=(const Detector &) = delete;

    static Result<std::unique_ptr<Detector>> load(const DetectorOptions &options);

    const ModelInfo &info() const;

    // crops: each inputSize x inputSize x 3 RGB bytes (row-major, HWC), unnormalised.
    // Runs the backbone on them in one forward pass; callers choose the batch size.
    Result<BlockFeatures> features(const std::vector<const std::uint8_t *> &crops);

    // Every head's scores of the features: result[head][crop].
    Result<std::vector<std::vector<CropScore>>> scoreFeatures(const BlockFeatures &features);

    // features() then the first head's scores.
    Result<std::vector<CropScore>> score(const std::vector<const std::uint8_t *> &crops);

private:
    struct Impl;
    explicit Detector(std::unique_ptr<Impl> impl);
    // Precision::Auto on a CPU with bf16: switches the fp32-loaded backbone to bf16 when its
    // scores agree with fp32's within kPrecisionBound; else says why not (still fp32).
    Result<bool> chooseBf16(const std::string &cachePath);
    std::unique_ptr<Impl> m_impl;
};

// A RINE head file's architecture and block importance, read without a backbone.
struct HeadSummary {
    int blocks = 0;
    int width = 0;
    int nproj = 0;
    int projDim = 0;
    std::vector<double> blockImportance;
    std::string sha256;
};
Result<HeadSummary> inspectHead(const std::string &path);
// The same, from bytes already read (and hashed, and trusted): what is parsed is what was hashed.
Result<HeadSummary> inspectHead(const FileBytes &file);

// A head file's logits for features computed by a backbone (on the CPU, whatever head the
// detector that computed them holds): evaluating a freshly trained head without loading the
// backbone again. The head must fit the features' blocks and width.
Result<std::vector<double>> headLogits(const std::string &headPath, const BlockFeatures &features);

// A CLIP backbone file's architecture, every tensor loaded and shape-checked.
struct BackboneSummary {
    int blocks = 0;
    int width = 0;
    int patch = 0;
    int inputSize = 0;
    std::string format;
    std::string sha256;
};
Result<BackboneSummary> inspectBackbone(const std::string &path);

// Sets the CPU thread count once (one per core unless told); called at program start-up.
void configureCpuThreads(int threads = 0);
int cpuThreads();
// The BLAS libraries this process has mapped, and a warning (empty when none is due) when
// LibTorch's libblas.so.3 is the reference BLAS, ~30x slower than OpenBLAS.
std::string mappedBlasLibraries();
std::string slowBlasWarning();
bool cudaAvailable();
std::string libtorchVersion();

} // namespace rine
