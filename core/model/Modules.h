#pragma once

// LibTorch modules of the CLIP vision tower and the RINE head. Submodules and parameters are
// named exactly like the published checkpoints' keys, so loading is a name-for-name copy.
// Only code inside core/model sees these types.

#include "Detector.h"
#include "TensorArchive.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <string>

namespace rine {

struct VitConfig {
    std::int64_t width = 0;
    std::int64_t layers = 0;
    std::int64_t patch = 0;
    std::int64_t grid = 0;
    std::int64_t heads() const { return width / 64; } // CLIP: head width 64
    std::int64_t inputSize() const { return patch * grid; }
    std::int64_t tokens() const { return grid * grid + 1; }
};

struct HeadConfig {
    std::int64_t width = 0; // backbone width it expects
    std::int64_t blocks = 0; // backbone blocks it expects
    std::int64_t nproj = 0;
    std::int64_t projDim = 0; // P
};

struct LinearParams : torch::nn::Module {
    LinearParams(std::int64_t in, std::int64_t out);
    torch::Tensor weight, bias;
};

struct ConvParams : torch::nn::Module {
    explicit ConvParams(at::IntArrayRef shape);
    torch::Tensor weight;
};

struct LayerNormParams : torch::nn::Module {
    explicit LayerNormParams(std::int64_t width);
    torch::Tensor weight, bias;
};

struct AttentionParams : torch::nn::Module {
    explicit AttentionParams(std::int64_t width);
    torch::Tensor in_proj_weight, in_proj_bias;
    std::shared_ptr<LinearParams> out_proj;
};

struct MlpParams : torch::nn::Module {
    explicit MlpParams(std::int64_t width);
    std::shared_ptr<LinearParams> c_fc, c_proj;
};

struct ResidualBlock : torch::nn::Module {
    // The last block's MLP is never evaluated (features are taken at ln_2), so it is not held.
    ResidualBlock(std::int64_t width, bool withMlp);
    std::shared_ptr<LayerNormParams> ln_1, ln_2;
    std::shared_ptr<AttentionParams> attn;
    std::shared_ptr<MlpParams> mlp;
};

struct Transformer : torch::nn::Module {
    explicit Transformer(const VitConfig &config);
    torch::nn::ModuleList resblocks;
};

class VisionTransformer : public torch::nn::Module {
public:
    explicit VisionTransformer(const VitConfig &config);

    const VitConfig &config() const { return m_config; }

    // images: [B, 3, S, S], normalised, on this module's device, in its compute dtype.
    // Returns [B, layers, width]: the CLS token of every block's ln_2 output.
    // On the CPU this runs the workspace path below unless batchedPath is set; the batched
    // path (whole-batch tensors, fused attention from LibTorch 2.0) is what CUDA runs.
    torch::Tensor blockFeatures(const torch::Tensor &images, bool batchedPath = false) const;

    // Moves to a device; matrices to computeDtype, LayerNorms stay fp32 (what CLIP does in fp16).
    // bf16 on the CPU: the class and positional embeddings stay fp32 too, since that path
    // keeps the residual stream in fp32 (see workspaceFeatures).
    void prepare(const torch::Device &device, torch::ScalarType computeDtype);
    torch::ScalarType computeDtype() const { return m_computeDtype; }

    // The FLOPs blockFeatures spends per image (multiply-add = 2).
    double flopsPerImage() const;

    // CPU groups hold at most this many token rows (ViT-L/14: 7 images).
    static constexpr std::int64_t kCpuRowsPerGroup = 2048;

private:
    torch::Tensor patchTokens(const torch::Tensor &images) const; // [B, G*G, width]
    torch::Tensor batchedFeatures(const torch::Tensor &images) const;
    void workspaceFeatures(const torch::Tensor &images, torch::Tensor &features) const;

    // Buffers reused from call to call by the CPU path (see blockFeatures in the .cpp).
    struct Workspace {
        std::int64_t rows = 0;
        torch::ScalarType dtype = torch::kFloat;
        // x, h, mean, rstd, probs: fp32 always, and gate in a reduced precision. The others
        // hold the compute dtype; in fp32, hc and probsC are h and probs themselves, and
        // scoresF, out and headsOut are not used. Reduced: attention buffers hold all heads.
        torch::Tensor x, h, mean, rstd, qkv, scores, probs, merged, u, gate;
        torch::Tensor hc, scoresF, probsC, out, headsOut;
    };
    Workspace &workspace(std::int64_t rows) const;
    mutable Workspace m_workspace;

    VitConfig m_config;
    torch::ScalarType m_computeDtype = torch::kFloat;
    bool m_geluFolded = false; // c_fc holds 1.702 x its weights, c_proj 1 / 1.702 x (see prepare)
    std::shared_ptr<ConvParams> conv1;
    torch::Tensor class_embedding, positional_embedding;
    std::shared_ptr<LayerNormParams> ln_pre;
    std::shared_ptr<Transformer> transformer;
    std::vector<std::shared_ptr<ResidualBlock>> m_blocks;
};

// The Linear layers of an nn.Sequential whose other members (ReLU, Dropout) hold no weights,
// registered under their Sequential indices ("1", "4", ...) so the checkpoint keys match.
// Evaluation: ReLU after every layer but the last unless reluAfterLast (Dropout is identity
// at inference).
struct LinearStack : torch::nn::Module {
    LinearStack(const std::vector<std::int64_t> &dims, const std::vector<int> &indices);
    torch::Tensor forward(torch::Tensor x, bool reluAfterLast) const;
    std::vector<std::shared_ptr<LinearParams>> layers;
};

struct HeadOutput {
    torch::Tensor logits; // [B]
    torch::Tensor contributions; // [B, blocks], rows sum to 1
};

class RineHead : public torch::nn::Module {
public:
    explicit RineHead(const HeadConfig &config);

    const HeadConfig &config() const { return m_config; }

    // features: [B, blocks, width] fp32.
    HeadOutput forward(const torch::Tensor &features) const;

    // softmax(alpha) over blocks, averaged over P: one value per block, summing to 1.
    std::vector<double> blockImportance() const;

    // Training (issue 8). Fresh weights as PyTorch initialises the published model: alpha
    // ~ N(0, 1), each Linear's weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)) (nn.Linear's
    // default), from the global generator (seed it first); then every parameter requires
    // gradients.
    void initialiseForTraining();
    // The published Model.forward's head part with its Dropouts (p 0.5, active when
    // dropout): proj1 = Dropout, then [Linear, ReLU, Dropout] x nproj; proj2 the same; head =
    // Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear. Returns the logits [B] and the
    // proj2 output [B, P] that the contrastive loss sees.
    std::pair<torch::Tensor, torch::Tensor> trainingForward(const torch::Tensor &features, bool dropout) const;
    // The parameters by checkpoint name, in the published order (alpha, proj1, proj2, head).
    std::vector<std::pair<std::string, torch::Tensor>> checkpointTensors() const;

private:
    HeadConfig m_config;
    std::shared_ptr<LinearStack> proj1, proj2, head;
    torch::Tensor alpha;
};

// Hugging Face's CLIP (transformers' CLIPVisionModel / CLIPModel: "vision_model.encoder.
// layers.N.self_attn.q_proj.weight", ...) holds the same vision tower under other names, with
// q, k and v as separate matrices. Renames such an archive's vision tensors to OpenAI's names
// (joining q, k, v into in_proj) and returns true; returns false for any other archive.
bool convertHuggingFaceClip(TensorArchive &archive);

// OpenAI CLIP ViT-L/14's visual tower: width 1024, 24 blocks, patch 14, 16 x 16 grid.
VitConfig vitL14Config();
// Weights drawn from N(0, 0.02), LayerNorms left as initialised: for benchmarks, where the
// speed is that of the real model and the scores mean nothing.
void randomiseWeights(torch::nn::Module &module);

// Whether the device can run an explicit precision (fp16: CUDA; bf16: a CPU with bf16
// instructions, or emulated for tests); "" when it can, else the sentence that says which to
// choose. Standard and Auto are always runnable.
std::string precisionRefusal(Precision precision, bool cuda, bool emulatedBf16);
// The backbone's compute dtype for a resolved precision (fp32, bf16 or fp16).
torch::ScalarType computeDtypeOf(Precision precision);

// count photo-like crops (smooth shading, texture, noise) of size x size RGB bytes, [count,
// size, size, 3] uint8, the same for the same seed: inputs for benchmarks and for measuring
// a reduced precision against fp32, where no evidence is at hand.
torch::Tensor syntheticCrops(std::int64_t count, std::int64_t size, unsigned seed);

// Architecture from the shapes of a CLIP checkpoint (prefix "visual." or none).
Result<VitConfig> vitConfigFromArchive(const TensorArchive &archive, std::string &prefix);
Result<HeadConfig> headConfigFromArchive(const TensorArchive &archive);

// Copies every parameter of module from archive[prefix + name], checking presence and shape.
// Fails with a message naming the file, the tensor, the expected and the actual shape.
Result<bool> loadParameters(torch::nn::Module &module, const TensorArchive &archive, const std::string &prefix);

} // namespace rine
