#include "SpaiModules.h"

#include <torch/fft.h>

#include <cmath>

namespace rine {

namespace {

torch::Tensor zerosParam(at::IntArrayRef sizes) { return torch::zeros(sizes, torch::kFloat); }

torch::Tensor layerNorm(const torch::Tensor &x, const LayerNormParams &ln, double eps)
{
    return at::layer_norm(x, {x.size(-1)}, ln.weight, ln.bias, eps);
}

torch::Tensor linear(const torch::Tensor &x, const LinearParams &l) { return at::linear(x, l.weight, l.bias); }

// BEiT's LayerNorm (timm partial(nn.LayerNorm, eps=1e-6)); the projectors' and the attention
// head's are nn.LayerNorm's default, 1e-5.
constexpr double kVitEps = 1e-6;
constexpr double kHeadEps = 1e-5;

} // namespace

ConvBiasParams::ConvBiasParams(std::int64_t out, std::int64_t in, std::int64_t kernel)
{
    weight = register_parameter("weight", zerosParam({out, in, kernel, kernel}), false);
    bias = register_parameter("bias", zerosParam({out}), false);
}

LinearNoBias::LinearNoBias(std::int64_t in, std::int64_t out)
{
    weight = register_parameter("weight", zerosParam({out, in}), false);
}

SpaiPatchEmbed::SpaiPatchEmbed(std::int64_t width, std::int64_t patch)
{
    proj = register_module("proj", std::make_shared<ConvBiasParams>(width, 3, patch));
}

SpaiAttention::SpaiAttention(std::int64_t width)
{
    qkv = register_module("qkv", std::make_shared<LinearNoBias>(width, 3 * width));
    q_bias = register_parameter("q_bias", zerosParam({width}), false);
    v_bias = register_parameter("v_bias", zerosParam({width}), false);
    proj = register_module("proj", std::make_shared<LinearParams>(width, width));
}

SpaiMlp::SpaiMlp(std::int64_t width, std::int64_t hidden)
{
    fc1 = register_module("fc1", std::make_shared<LinearParams>(width, hidden));
    fc2 = register_module("fc2", std::make_shared<LinearParams>(hidden, width));
}

SpaiBlock::SpaiBlock(std::int64_t width, std::int64_t hidden)
{
    norm1 = register_module("norm1", std::make_shared<LayerNormParams>(width));
    attn = register_module("attn", std::make_shared<SpaiAttention>(width));
    norm2 = register_module("norm2", std::make_shared<LayerNormParams>(width));
    mlp = register_module("mlp", std::make_shared<SpaiMlp>(width, hidden));
}

SpaiVit::SpaiVit(const SpaiConfig &c) : config(c)
{
    patch_embed = register_module("patch_embed", std::make_shared<SpaiPatchEmbed>(c.width, c.patch));
    cls_token = register_parameter("cls_token", zerosParam({1, 1, c.width}), false);
    pos_embed = register_parameter("pos_embed", zerosParam({1, c.grid() * c.grid() + 1, c.width}), false);
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < c.depth; ++i) {
        m_blocks.push_back(std::make_shared<SpaiBlock>(c.width, c.width * c.mlpRatio));
        blocks->push_back(m_blocks.back());
    }
}

void SpaiVit::setComputeDtype(torch::ScalarType dtype)
{
    m_reduced.clear();
    m_computeDtype = dtype;
    if (dtype == torch::kFloat)
        return;
    torch::NoGradGuard noGrad;
    for (const auto &block : m_blocks) {
        Reduced r;
        // BEiT's qkv bias is (q_bias, 0, v_bias).
        r.qkvBias = torch::cat({block->attn->q_bias, torch::zeros_like(block->attn->v_bias), block->attn->v_bias}).to(dtype);
        r.qkvT = block->attn->qkv->weight.to(dtype).t();
        r.projBias = block->attn->proj->bias.to(dtype);
        r.projT = block->attn->proj->weight.to(dtype).t();
        r.fc1Bias = block->mlp->fc1->bias.to(dtype);
        r.fc1T = block->mlp->fc1->weight.to(dtype).t();
        r.fc2Bias = block->mlp->fc2->bias.to(dtype);
        r.fc2T = block->mlp->fc2->weight.to(dtype).t();
        m_reduced.push_back(std::move(r));
    }
}

void SpaiVit::forEachLayer(const torch::Tensor &images,
                           const std::function<void(std::size_t, const torch::Tensor &)> &visit) const
{
    // As RINE's CPU path (VisionTransformer::workspaceFeatures) learnt: a fresh intermediate
    // larger than glibc's mmap threshold pays a page fault per 4 KB every time it is made, and
    // at::matmul's batched attention runs far below the BLAS rate. So every intermediate is
    // allocated once per pass and written in place, block after block, and attention is two
    // plain matrix products per image and head on strided views of the qkv rows.
    //
    // In bf16 (as RINE's) the matrix products read and write bf16 while the residual stream,
    // the LayerNorms (so the tokens the projectors read), the softmax and GELU stay fp32: the
    // products are where the time goes, the rest is where rounding would accumulate.
    const std::int64_t batch = images.size(0), width = config.width, heads = config.heads, d = width / heads;
    torch::Tensor x = at::conv2d(images, patch_embed->proj->weight, patch_embed->proj->bias, {config.patch, config.patch});
    x = x.flatten(2).transpose(1, 2); // [B, G*G, W]
    x = (torch::cat({cls_token.expand({batch, -1, -1}), x}, 1) + pos_embed).contiguous();
    const std::int64_t tokens = x.size(1), rows = batch * tokens;
    const std::int64_t hidden = m_blocks.front()->mlp->fc1->weight.size(0);
    const bool reduced = !m_reduced.empty();
    const auto options = x.options(), compute = options.dtype(m_computeDtype);
    torch::Tensor residual = x.view({rows, width});
    torch::Tensor h = torch::empty({rows, width}, options), mean = torch::empty({rows, 1}, options),
                  rstd = torch::empty({rows, 1}, options), qkv = torch::empty({rows, 3 * width}, compute),
                  merged = torch::empty({rows, width}, compute), u = torch::empty({rows, hidden}, compute),
                  scores = torch::empty({tokens, tokens}, options), probs = torch::empty({tokens, tokens}, options);
    // bf16 only: the LayerNorm's output, the MLP's GELU in fp32, a product's output before it is
    // added to the residual stream, and the attention of all heads of one image.
    torch::Tensor hc, gate, out, scoresC, scoresF, probsF, probsC, headsOut;
    if (reduced) {
        hc = torch::empty({rows, width}, compute);
        gate = torch::empty({rows, hidden}, options);
        out = torch::empty({rows, width}, compute);
        scoresC = torch::empty({heads, tokens, tokens}, compute);
        scoresF = torch::empty({heads, tokens, tokens}, options);
        probsF = torch::empty({heads, tokens, tokens}, options);
        probsC = torch::empty({heads, tokens, tokens}, compute);
        headsOut = torch::empty({heads, tokens, d}, compute);
    }
    const double scale = 1.0 / std::sqrt(double(d));
    std::size_t kept = 0;
    std::int64_t deepest = 0;
    for (std::int64_t layer : config.layers)
        deepest = std::max(deepest, layer);
    for (std::int64_t i = 0; i <= deepest; ++i) {
        const SpaiBlock &block = *m_blocks[std::size_t(i)];
        // x = x + attn(norm1(x)); BEiT's qkv bias is (q_bias, 0, v_bias).
        at::native_layer_norm_out(h, mean, rstd, residual, {width}, block.norm1->weight, block.norm1->bias, kVitEps);
        if (reduced) {
            const Reduced &r = m_reduced[std::size_t(i)];
            hc.copy_(h);
            at::addmm_out(qkv, r.qkvBias, hc, r.qkvT);
            qkv.narrow(1, 0, width).mul_(scale);
            for (std::int64_t image = 0; image < batch; ++image) {
                // All heads of one image in two batched products, the softmax in fp32.
                const torch::Tensor split = qkv.narrow(0, image * tokens, tokens).view({tokens, 3, heads, d}).permute({1, 2, 0, 3});
                at::bmm_out(scoresC, split[0], split[1].transpose(1, 2));
                scoresF.copy_(scoresC);
                at::_softmax_out(probsF, scoresF, 2, false);
                probsC.copy_(probsF);
                at::bmm_out(headsOut, probsC, split[2]);
                merged.narrow(0, image * tokens, tokens).view({tokens, heads, d}).copy_(headsOut.permute({1, 0, 2}));
            }
            at::addmm_out(out, r.projBias, merged, r.projT);
            residual.add_(out);
            // x = x + mlp(norm2(x)), GELU exact (erf) in fp32.
            at::native_layer_norm_out(h, mean, rstd, residual, {width}, block.norm2->weight, block.norm2->bias, kVitEps);
            hc.copy_(h);
            at::addmm_out(u, r.fc1Bias, hc, r.fc1T);
            gate.copy_(u);
            at::gelu_(gate);
            u.copy_(gate);
            at::addmm_out(out, r.fc2Bias, u, r.fc2T);
            residual.add_(out);
        } else {
            const torch::Tensor bias =
                torch::cat({block.attn->q_bias, torch::zeros_like(block.attn->v_bias), block.attn->v_bias});
            at::addmm_out(qkv, bias, h, block.attn->qkv->weight.t());
            qkv.narrow(1, 0, width).mul_(scale);
            for (std::int64_t image = 0; image < batch; ++image) {
                const torch::Tensor sample = qkv.narrow(0, image * tokens, tokens);
                torch::Tensor attended = merged.narrow(0, image * tokens, tokens);
                for (std::int64_t head = 0; head < heads; ++head) {
                    at::mm_out(scores, sample.narrow(1, head * d, d), sample.narrow(1, width + head * d, d).t());
                    at::_softmax_out(probs, scores, 1, false);
                    torch::Tensor target = attended.narrow(1, head * d, d);
                    at::mm_out(target, probs, sample.narrow(1, 2 * width + head * d, d));
                }
            }
            residual.addmm_(merged, block.attn->proj->weight.t()).add_(block.attn->proj->bias);
            // x = x + mlp(norm2(x)), GELU exact (erf).
            at::native_layer_norm_out(h, mean, rstd, residual, {width}, block.norm2->weight, block.norm2->bias, kVitEps);
            at::addmm_out(u, block.mlp->fc1->bias, h, block.mlp->fc1->weight.t());
            at::gelu_(u);
            residual.addmm_(u, block.mlp->fc2->weight.t()).add_(block.mlp->fc2->bias);
        }
        for (std::int64_t layer : config.layers)
            if (layer == i)
                visit(kept++, x.slice(1, 1));
    }
}

SpaiProjector::SpaiProjector(std::int64_t in, std::int64_t out, bool withInputNorm, bool gelu)
    : inputNorm(withInputNorm), geluAfterLast(gelu)
{
    if (inputNorm)
        norm1 = register_module("norm1", std::make_shared<LayerNormParams>(in));
    projector = register_module("projector", std::make_shared<torch::nn::Module>());
    first = projector->register_module("1", std::make_shared<LinearParams>(in, out));
    second = projector->register_module("4", std::make_shared<LinearParams>(out, out));
    norm2 = register_module("norm2", std::make_shared<LayerNormParams>(out));
}

torch::Tensor SpaiProjector::forward(const torch::Tensor &input) const
{
    torch::Tensor x = inputNorm ? layerNorm(input, *norm1, kHeadEps) : input;
    x = linear(at::gelu(linear(x, *first)), *second);
    if (geluAfterLast)
        x = at::gelu(x);
    return layerNorm(x, *norm2, kHeadEps);
}

SpaiPatchProjectors::SpaiPatchProjectors(const SpaiConfig &config)
{
    projectors = register_module("projectors", torch::nn::ModuleList());
    for (std::size_t i = 0; i < config.layers.size(); ++i) {
        // configs/spai.yaml: PROJECTOR_LAST_LAYER_ACTIVATION_TYPE None.
        m_projectors.push_back(std::make_shared<SpaiProjector>(config.width, config.projDim, true, false));
        projectors->push_back(m_projectors.back());
    }
}

SpaiImportanceProjector::SpaiImportanceProjector(const SpaiConfig &config)
{
    alpha = register_parameter("alpha", zerosParam({1, std::int64_t(config.layers.size()), config.projDim}), false);
    // FeatureImportanceProjector's Projectors keep the class default: GELU after the last layer.
    proj1 = register_module("proj1", std::make_shared<SpaiProjector>(2 * config.projDim, config.projDim, false, true));
    proj2 = register_module("proj2", std::make_shared<SpaiProjector>(config.projDim, config.projDim, false, true));
}

SpaiFeatureProcessor::SpaiFeatureProcessor(const SpaiConfig &config)
{
    patch_projector = register_module("patch_projector", std::make_shared<SpaiPatchProjectors>(config));
    original_features_processor =
        register_module("original_features_processor", std::make_shared<SpaiImportanceProjector>(config));
}

SpaiMfVit::SpaiMfVit(const SpaiConfig &config)
{
    vit = register_module("vit", std::make_shared<SpaiVit>(config));
    features_processor = register_module("features_processor", std::make_shared<SpaiFeatureProcessor>(config));
}

SpaiClsHead::SpaiClsHead(std::int64_t dim, std::int64_t ratio)
{
    head = register_module("head", std::make_shared<torch::nn::Module>());
    l0 = head->register_module("0", std::make_shared<LinearParams>(dim, dim * ratio));
    l3 = head->register_module("3", std::make_shared<LinearParams>(dim * ratio, dim * ratio));
    l6 = head->register_module("6", std::make_shared<LinearParams>(dim * ratio, 1));
}

SpaiModel::SpaiModel(const SpaiConfig &config) : m_config(config)
{
    mfvit = register_module("mfvit", std::make_shared<SpaiMfVit>(config));
    const std::int64_t dim = config.featureDim();
    to_kv = register_module("to_kv", std::make_shared<LinearNoBias>(dim, 2 * config.scaDim));
    patch_aggregator =
        register_parameter("patch_aggregator", zerosParam({config.scaHeads, 1, config.scaDim / config.scaHeads}), false);
    to_out = register_module("to_out", std::make_shared<torch::nn::Module>());
    to_out0 = to_out->register_module("0", std::make_shared<LinearNoBias>(config.scaDim, dim));
    norm = register_module("norm", std::make_shared<LayerNormParams>(dim));
    cls_head = register_module("cls_head", std::make_shared<SpaiClsHead>(dim, config.headMlpRatio));

    // upstream generate_circular_mask: the coordinates [S/2-1 .. 0, 0 .. S/2-1] on both axes
    // (the band's centre one pixel off the shifted spectrum's DC term), radius < r.
    const std::int64_t size = config.imageSize;
    torch::Tensor half = torch::arange(0, size / 2, torch::kFloat);
    torch::Tensor coordinates = torch::cat({half.flip({0}), half});
    torch::Tensor x = coordinates.unsqueeze(0).expand({size, size}), y = x.t();
    m_mask = (torch::sqrt(x * x + y * y) < double(config.maskRadius)).to(torch::kFloat);
}

std::vector<torch::Tensor> SpaiModel::bands(const torch::Tensor &patches) const
{
    // upstream filter_image_frequencies: fftshift(fft2(x)) times the mask (and 1 - mask),
    // ifftshift, ifft2, real part; then clamped to [0, 1].
    const torch::Tensor spectrum = torch::fft::fftshift(torch::fft::fft2(patches), std::vector<std::int64_t>{-2, -1});
    const torch::Tensor mask = m_mask.to(patches.device());
    torch::Tensor low = torch::real(torch::fft::ifft2(torch::fft::ifftshift(spectrum * mask, std::vector<std::int64_t>{-2, -1})));
    torch::Tensor high =
        torch::real(torch::fft::ifft2(torch::fft::ifftshift(spectrum * (1 - mask), std::vector<std::int64_t>{-2, -1})));
    low = low.clamp(0.0, 1.0);
    high = high.clamp(0.0, 1.0);
    // torchvision Normalize with ImageNet's mean and std: (x - mean) / std.
    const torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}, patches.options()).view({1, 3, 1, 1});
    const torch::Tensor std = torch::tensor({0.229f, 0.224f, 0.225f}, patches.options()).view({1, 3, 1, 1});
    return {(patches - mean) / std, (low - mean) / std, (high - mean) / std};
}

torch::Tensor SpaiModel::patchFeatures(const torch::Tensor &patches) const
{
    const std::int64_t batch = patches.size(0);
    const std::vector<torch::Tensor> three = bands(patches);
    const SpaiPatchProjectors &projectors = *mfvit->features_processor->patch_projector;
    // Per listed block, as soon as the ViT has run it (patch, low and high versions in one
    // pass): its tokens projected, the three cosine similarities per token [B, L], and the
    // patch version's mean and standard deviation over the tokens [B, P]. What is kept is
    // small; the tokens of a block go when the next one runs.
    const std::size_t layers = projectors.m_projectors.size();
    std::vector<torch::Tensor> origLow(layers), origHigh(layers), lowHigh(layers), origMean(layers), origStd(layers);
    mfvit->vit->forEachLayer(torch::cat(three, 0), [&](std::size_t i, const torch::Tensor &tokens) {
        const torch::Tensor projected = projectors.m_projectors[i]->forward(tokens); // [3B, L, P]
        const torch::Tensor orig = projected.slice(0, 0, batch), low = projected.slice(0, batch, 2 * batch),
                            high = projected.slice(0, 2 * batch, 3 * batch);
        origLow[i] = torch::cosine_similarity(orig, low, -1, 1e-8);
        origHigh[i] = torch::cosine_similarity(orig, high, -1, 1e-8);
        lowHigh[i] = torch::cosine_similarity(low, high, -1, 1e-8);
        origMean[i] = orig.mean(1);
        origStd[i] = orig.std(1, /*unbiased=*/true);
    });
    std::vector<torch::Tensor> parts;
    for (const std::vector<torch::Tensor> *similarity : {&origLow, &origHigh, &lowHigh}) {
        const torch::Tensor s = torch::stack(*similarity, 1); // [B, N, L]
        parts.push_back(s.mean(-1));
        parts.push_back(s.std(-1, /*unbiased=*/true));
    }
    // The patch branch.
    const SpaiImportanceProjector &importance = *mfvit->features_processor->original_features_processor;
    torch::Tensor branch = torch::cat({torch::stack(origMean, 1), torch::stack(origStd, 1)}, -1); // [B, N, 2P]
    branch = importance.proj1->forward(branch);
    branch = (torch::softmax(importance.alpha, 1) * branch).sum(1);
    branch = importance.proj2->forward(branch);
    parts.push_back(branch);
    return torch::cat(parts, 1); // [B, 6N + P]
}

SpaiAggregate SpaiModel::aggregate(const torch::Tensor &features) const
{
    const std::int64_t count = features.size(0), heads = m_config.scaHeads, dim = m_config.scaDim / heads;
    const torch::Tensor kv = at::linear(features.unsqueeze(0), to_kv->weight); // [1, L, 2A]
    const std::vector<torch::Tensor> halves = kv.chunk(2, -1);
    const torch::Tensor k = halves[0].reshape({1, count, heads, dim}).permute({0, 2, 1, 3}); // [1, h, L, d]
    const torch::Tensor v = halves[1].reshape({1, count, heads, dim}).permute({0, 2, 1, 3});
    const torch::Tensor query = patch_aggregator.unsqueeze(0); // [1, h, 1, d]
    const torch::Tensor attention =
        (torch::matmul(query, k.transpose(-1, -2)) * (1.0 / std::sqrt(double(dim)))).softmax(-1); // [1, h, 1, L]
    torch::Tensor x = torch::matmul(attention, v).permute({0, 2, 1, 3}).reshape({1, 1, heads * dim});
    x = at::linear(x, to_out0->weight).squeeze(1); // [1, D]
    x = layerNorm(x, *norm, kHeadEps);
    x = at::relu(linear(x, *cls_head->l0));
    x = at::relu(linear(x, *cls_head->l3));
    x = linear(x, *cls_head->l6);
    return {x.reshape({}), attention.reshape({heads, count})};
}

torch::Tensor SpaiModel::soloLogits(const torch::Tensor &features) const
{
    // Alone, a patch's attention is a softmax over one score, exactly 1: the pooled vector is
    // the patch's own value. Every patch's at once: [L, A] values through the same layers.
    const std::int64_t attentionWidth = m_config.scaDim;
    torch::Tensor x = at::linear(features, to_kv->weight).slice(-1, attentionWidth, 2 * attentionWidth); // v: [L, A]
    x = at::linear(x, to_out0->weight);
    x = layerNorm(x, *norm, kHeadEps);
    x = at::relu(linear(x, *cls_head->l0));
    x = at::relu(linear(x, *cls_head->l3));
    x = linear(x, *cls_head->l6);
    return x.reshape({features.size(0)});
}

void SpaiModel::setComputeDtype(torch::ScalarType dtype) { mfvit->vit->setComputeDtype(dtype); }

Result<bool> SpaiModel::load(const TensorArchive &archive, const std::string &prefix)
{
    return loadParameters(*this, archive, prefix);
}

Result<SpaiConfig> spaiConfigFromArchive(const TensorArchive &archive, const std::string &prefix, const SpaiConfig &base)
{
    using R = Result<SpaiConfig>;
    auto shapeOf = [&](const std::string &name, std::size_t dims) -> std::vector<std::int64_t> {
        const at::Tensor *tensor = archive.find(prefix + name);
        if (!tensor || std::size_t(tensor->dim()) != dims)
            return {};
        return tensor->sizes().vec();
    };
    auto missing = [&](const std::string &name) {
        return R::failure(archive.path + ": not a SPAI model: tensor '" + prefix + name
                          + "' is missing or has the wrong number of dimensions");
    };
    SpaiConfig config = base;
    const auto cls = shapeOf("mfvit.vit.cls_token", 3);
    if (cls.empty())
        return missing("mfvit.vit.cls_token");
    config.width = cls[2];
    const auto embed = shapeOf("mfvit.vit.patch_embed.proj.weight", 4);
    if (embed.empty() || embed[0] != config.width || embed[1] != 3 || embed[2] != embed[3] || embed[2] < 1)
        return missing("mfvit.vit.patch_embed.proj.weight");
    config.patch = embed[2];
    const auto pos = shapeOf("mfvit.vit.pos_embed", 3);
    if (pos.empty())
        return missing("mfvit.vit.pos_embed");
    const std::int64_t grid = config.imageSize / config.patch;
    if (config.imageSize % config.patch != 0 || pos[1] != grid * grid + 1 || pos[2] != config.width)
        return R::failure(archive.path + ": mfvit.vit.pos_embed has shape " + shapeString(pos) + ", not that of "
                          + std::to_string(config.imageSize) + " px patches of " + std::to_string(config.patch)
                          + " px (SPAI scores 224 px patches)");
    config.depth = 0;
    while (archive.find(prefix + "mfvit.vit.blocks." + std::to_string(config.depth) + ".norm1.weight"))
        ++config.depth;
    if (config.depth == 0 || config.depth > 64)
        return R::failure(archive.path + ": not a SPAI model: " + std::to_string(config.depth) + " ViT blocks");
    const auto fc1 = shapeOf("mfvit.vit.blocks.0.mlp.fc1.weight", 2);
    if (fc1.empty() || fc1[1] != config.width || fc1[0] % config.width != 0)
        return missing("mfvit.vit.blocks.0.mlp.fc1.weight");
    config.mlpRatio = fc1[0] / config.width;
    std::int64_t listed = 0;
    while (archive.find(prefix + "mfvit.features_processor.patch_projector.projectors." + std::to_string(listed)
                        + ".norm1.weight"))
        ++listed;
    if (listed == 0 || listed > config.depth)
        return R::failure(archive.path + ": " + std::to_string(listed) + " patch projectors for a ViT of "
                          + std::to_string(config.depth) + " blocks");
    if (std::int64_t(base.layers.size()) != listed) {
        // Which blocks are listed is not in the weights: all of them when they are as many.
        if (listed != config.depth)
            return R::failure(archive.path + ": the weights project " + std::to_string(listed)
                              + " blocks but the configuration lists " + std::to_string(base.layers.size())
                              + "; give the model's configuration (its checkpoint's stored config)");
        config.layers.clear();
        for (std::int64_t i = 0; i < listed; ++i)
            config.layers.push_back(i);
    }
    for (std::int64_t layer : config.layers)
        if (layer < 0 || layer >= config.depth)
            return R::failure(archive.path + ": the configuration lists block " + std::to_string(layer) + " of "
                              + std::to_string(config.depth));
    const auto proj = shapeOf("mfvit.features_processor.patch_projector.projectors.0.projector.1.weight", 2);
    if (proj.empty() || proj[1] != config.width)
        return missing("mfvit.features_processor.patch_projector.projectors.0.projector.1.weight");
    config.projDim = proj[0];
    const auto aggregator = shapeOf("patch_aggregator", 3);
    if (aggregator.empty() || aggregator[1] != 1 || aggregator[0] < 1)
        return missing("patch_aggregator");
    config.scaHeads = aggregator[0];
    config.scaDim = aggregator[0] * aggregator[2];
    const auto kv = shapeOf("to_kv.weight", 2);
    if (kv.empty() || kv[0] != 2 * config.scaDim || kv[1] != config.featureDim())
        return R::failure(archive.path + ": to_kv.weight has shape " + (kv.empty() ? std::string("?") : shapeString(kv))
                          + ", expected [" + std::to_string(2 * config.scaDim) + ", "
                          + std::to_string(config.featureDim()) + "] (6 x " + std::to_string(listed) + " + "
                          + std::to_string(config.projDim) + ")");
    const auto head = shapeOf("cls_head.head.0.weight", 2);
    if (head.empty() || head[1] != config.featureDim() || head[0] % config.featureDim() != 0)
        return missing("cls_head.head.0.weight");
    config.headMlpRatio = head[0] / config.featureDim();
    if (config.heads < 1 || config.width % config.heads != 0)
        return R::failure(archive.path + ": a ViT of width " + std::to_string(config.width) + " cannot have "
                          + std::to_string(config.heads) + " heads");
    // Bound what a crafted file can make us allocate: the modules hold what the file holds.
    long double elements = 0;
    for (const auto &entry : archive.tensors)
        elements += static_cast<long double>(entry.second.numel());
    const long double needed = static_cast<long double>(config.depth) * 12 * config.width * config.width;
    if (needed > 2 * elements + 1e6)
        return R::failure(archive.path + ": the shapes declare a model larger than the file's tensors");
    return config;
}

} // namespace rine
