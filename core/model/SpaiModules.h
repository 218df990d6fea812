#pragma once

// LibTorch modules of SPAI (Karageorgiou et al., CVPR 2025; mever-team/spai), named exactly
// like the published checkpoint's keys under "model", so loading is a name-for-name copy with
// shape checks. Only code inside core/model and its tests see these types.
//
// What is computed, in the upstream code's order (tests/data/spai-tiny/README.md has it step
// by step, with what each mistake costs):
//   patches (224 x 224, pixels in [0, 1]) -> FFT band split (low: radius < 16 around a centre
//   one pixel off DC, high: the rest; real part, clamped to [0, 1]) -> the three ImageNet-
//   normalised -> one BEiT-style ViT on all three -> per listed block a projector -> cosine
//   similarities patch/low, patch/high, low/high, mean and std over tokens -> with the patch
//   branch's importance-weighted projection, one feature per patch -> spectral context
//   attention over the patches -> LayerNorm -> MLP -> one logit.

#include "Modules.h"
#include "SpaiDetector.h"
#include "TensorArchive.h"
#include "util/Result.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <cstdint>
#include <string>
#include <vector>

namespace rine {

struct ConvBiasParams : torch::nn::Module {
    ConvBiasParams(std::int64_t out, std::int64_t in, std::int64_t kernel);
    torch::Tensor weight, bias;
};

struct LinearNoBias : torch::nn::Module {
    LinearNoBias(std::int64_t in, std::int64_t out);
    torch::Tensor weight;
};

struct SpaiPatchEmbed : torch::nn::Module {
    SpaiPatchEmbed(std::int64_t width, std::int64_t patch);
    std::shared_ptr<ConvBiasParams> proj;
};

// BEiT attention: qkv without its own bias; the bias is (q_bias, 0, v_bias).
struct SpaiAttention : torch::nn::Module {
    explicit SpaiAttention(std::int64_t width);
    std::shared_ptr<LinearNoBias> qkv;
    torch::Tensor q_bias, v_bias;
    std::shared_ptr<LinearParams> proj;
};

struct SpaiMlp : torch::nn::Module {
    SpaiMlp(std::int64_t width, std::int64_t hidden);
    std::shared_ptr<LinearParams> fc1, fc2;
};

struct SpaiBlock : torch::nn::Module {
    SpaiBlock(std::int64_t width, std::int64_t hidden);
    std::shared_ptr<LayerNormParams> norm1, norm2;
    std::shared_ptr<SpaiAttention> attn;
    std::shared_ptr<SpaiMlp> mlp;
};

struct SpaiVit : torch::nn::Module {
    explicit SpaiVit(const SpaiConfig &config);
    // images: [B, 3, S, S] normalised. Calls visit(i, tokens) for the i-th listed block, in
    // block order, as soon as it has run: tokens [B, grid^2, width] are that block's output's
    // patch tokens (no CLS, no final norm), a view of the pass's buffer that the next block
    // overwrites, so copy what outlives the call. One block's tokens at a time: the listed
    // blocks' outputs are never all held.
    void forEachLayer(const torch::Tensor &images,
                      const std::function<void(std::size_t, const torch::Tensor &)> &visit) const;
    // The dtype of the blocks' matrix products: fp32 (the published computation), or bf16
    // (oneDNN's kernels on CPUs with AVX512-BF16 or AMX) with the residual stream, the
    // LayerNorms, the softmax and GELU in fp32. bf16 keeps its own copies of the weights.
    void setComputeDtype(torch::ScalarType dtype);
    torch::ScalarType computeDtype() const { return m_computeDtype; }

    SpaiConfig config;
    std::shared_ptr<SpaiPatchEmbed> patch_embed;
    torch::Tensor cls_token, pos_embed;
    torch::nn::ModuleList blocks;
    std::vector<std::shared_ptr<SpaiBlock>> m_blocks;

private:
    struct Reduced { // one block's matrix weights (transposed views) and biases in the compute dtype
        torch::Tensor qkvBias, qkvT, projBias, projT, fc1Bias, fc1T, fc2Bias, fc2T;
    };
    torch::ScalarType m_computeDtype = torch::kFloat;
    std::vector<Reduced> m_reduced; // empty in fp32
};

// upstream Projector: [LayerNorm] -> Linear -> GELU -> Linear -> [GELU] -> LayerNorm (the
// Dropouts between them are identity at inference; the Linears sit at Sequential indices 1, 4).
struct SpaiProjector : torch::nn::Module {
    SpaiProjector(std::int64_t in, std::int64_t out, bool inputNorm, bool geluAfterLast);
    torch::Tensor forward(const torch::Tensor &x) const;
    bool inputNorm, geluAfterLast;
    std::shared_ptr<LayerNormParams> norm1, norm2;
    std::shared_ptr<torch::nn::Module> projector;
    std::shared_ptr<LinearParams> first, second;
};

struct SpaiPatchProjectors : torch::nn::Module {
    SpaiPatchProjectors(const SpaiConfig &config);
    torch::nn::ModuleList projectors;
    std::vector<std::shared_ptr<SpaiProjector>> m_projectors;
};

// The patch branch: mean and std over tokens, a projector, softmax(alpha) over blocks, a
// second projector.
struct SpaiImportanceProjector : torch::nn::Module {
    explicit SpaiImportanceProjector(const SpaiConfig &config);
    torch::Tensor alpha;
    std::shared_ptr<SpaiProjector> proj1, proj2;
};

struct SpaiFeatureProcessor : torch::nn::Module {
    explicit SpaiFeatureProcessor(const SpaiConfig &config);
    std::shared_ptr<SpaiPatchProjectors> patch_projector;
    std::shared_ptr<SpaiImportanceProjector> original_features_processor;
};

struct SpaiMfVit : torch::nn::Module {
    explicit SpaiMfVit(const SpaiConfig &config);
    std::shared_ptr<SpaiVit> vit;
    std::shared_ptr<SpaiFeatureProcessor> features_processor;
};

struct SpaiClsHead : torch::nn::Module {
    SpaiClsHead(std::int64_t dim, std::int64_t ratio);
    std::shared_ptr<torch::nn::Module> head;
    std::shared_ptr<LinearParams> l0, l3, l6;
};

// What the spectral context attention made of one image's patches.
struct SpaiAggregate {
    torch::Tensor logit; // [] fp32
    torch::Tensor attention; // [heads, patches]
};

class SpaiModel : public torch::nn::Module {
public:
    explicit SpaiModel(const SpaiConfig &config);
    const SpaiConfig &config() const { return m_config; }

    // Band split and normalisation of patches [B, 3, S, S] in [0, 1]: {patch, low, high},
    // each [B, 3, S, S] ImageNet-normalised; low and high clamped to [0, 1] before that.
    std::vector<torch::Tensor> bands(const torch::Tensor &patches) const;
    // patches [B, 3, S, S] in [0, 1] -> features [B, featureDim].
    torch::Tensor patchFeatures(const torch::Tensor &patches) const;
    // One image's patch features [L, featureDim] -> its logit and attention.
    SpaiAggregate aggregate(const torch::Tensor &features) const;
    // The logit each patch would get alone (the aggregate of that patch only), all at once: [L].
    torch::Tensor soloLogits(const torch::Tensor &features) const;

    // Copies the weights (prefix "" for a state dict, as the checkpoint's "model" holds them).
    Result<bool> load(const TensorArchive &archive, const std::string &prefix);
    // The ViT's matrix products in fp32 or bf16 (SpaiVit::setComputeDtype); the band split,
    // the projectors and the aggregation stay fp32.
    void setComputeDtype(torch::ScalarType dtype);

private:
    SpaiConfig m_config;
    torch::Tensor m_mask; // [S, S] 1 inside the low band, fp32
    std::shared_ptr<SpaiMfVit> mfvit;
    std::shared_ptr<LinearNoBias> to_kv;
    torch::Tensor patch_aggregator;
    std::shared_ptr<torch::nn::Module> to_out;
    std::shared_ptr<LinearNoBias> to_out0;
    std::shared_ptr<LayerNormParams> norm;
    std::shared_ptr<SpaiClsHead> cls_head;
};

// The architecture the tensors of an archive imply, where they carry it (widths, depth, the
// number of listed blocks, P, the attention's heads and width), checked against `base` for
// what they do not (the ViT's heads, which blocks are listed): every shape is validated before
// a module is built. prefix: "" for a state dict.
Result<SpaiConfig> spaiConfigFromArchive(const TensorArchive &archive, const std::string &prefix,
                                         const SpaiConfig &base);

} // namespace rine
