#include "Modules.h"

#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <set>

namespace rine {

namespace {

torch::Tensor emptyParam(at::IntArrayRef sizes)
{
    return torch::zeros(sizes, torch::kFloat);
}

// CLIP's LayerNorm subclass computes in fp32 and casts back to the input dtype.
torch::Tensor layerNorm(const torch::Tensor &x, const LayerNormParams &ln)
{
    if (x.scalar_type() == ln.weight.scalar_type())
        return at::layer_norm(x, {x.size(-1)}, ln.weight, ln.bias, 1e-5);
    return at::layer_norm(x.to(ln.weight.scalar_type()), {x.size(-1)}, ln.weight, ln.bias, 1e-5)
        .to(x.scalar_type());
}

} // namespace

LinearParams::LinearParams(std::int64_t in, std::int64_t out)
{
    weight = register_parameter("weight", emptyParam({out, in}), false);
    bias = register_parameter("bias", emptyParam({out}), false);
}

ConvParams::ConvParams(at::IntArrayRef shape)
{
    weight = register_parameter("weight", emptyParam(shape), false);
}

LayerNormParams::LayerNormParams(std::int64_t width)
{
    weight = register_parameter("weight", torch::ones({width}), false);
    bias = register_parameter("bias", emptyParam({width}), false);
}

AttentionParams::AttentionParams(std::int64_t width)
{
    in_proj_weight = register_parameter("in_proj_weight", emptyParam({3 * width, width}), false);
    in_proj_bias = register_parameter("in_proj_bias", emptyParam({3 * width}), false);
    out_proj = register_module("out_proj", std::make_shared<LinearParams>(width, width));
}

MlpParams::MlpParams(std::int64_t width)
{
    c_fc = register_module("c_fc", std::make_shared<LinearParams>(width, 4 * width));
    c_proj = register_module("c_proj", std::make_shared<LinearParams>(4 * width, width));
}

ResidualBlock::ResidualBlock(std::int64_t width, bool withMlp)
{
    ln_1 = register_module("ln_1", std::make_shared<LayerNormParams>(width));
    attn = register_module("attn", std::make_shared<AttentionParams>(width));
    ln_2 = register_module("ln_2", std::make_shared<LayerNormParams>(width));
    if (withMlp)
        mlp = register_module("mlp", std::make_shared<MlpParams>(width));
}

Transformer::Transformer(const VitConfig &config)
{
    resblocks = register_module("resblocks", torch::nn::ModuleList());
    for (std::int64_t l = 0; l < config.layers; ++l)
        resblocks->push_back(std::make_shared<ResidualBlock>(config.width, l + 1 < config.layers));
}

VisionTransformer::VisionTransformer(const VitConfig &config) : m_config(config)
{
    // conv1 has no bias; its weight [width, 3, patch, patch] is applied as a matrix product
    // over non-overlapping patches, which is what a stride-patch convolution computes.
    conv1 = register_module("conv1", std::make_shared<ConvParams>(
                                         std::vector<std::int64_t>{config.width, 3, config.patch, config.patch}));
    class_embedding = register_parameter("class_embedding", emptyParam({config.width}), false);
    positional_embedding = register_parameter("positional_embedding",
                                              emptyParam({config.tokens(), config.width}), false);
    ln_pre = register_module("ln_pre", std::make_shared<LayerNormParams>(config.width));
    transformer = register_module("transformer", std::make_shared<Transformer>(config));
    for (const auto &block : *transformer->resblocks)
        m_blocks.push_back(std::dynamic_pointer_cast<ResidualBlock>(block));
}

void VisionTransformer::prepare(const torch::Device &device, torch::ScalarType computeDtype)
{
    torch::NoGradGuard noGrad;
    const bool fp32Residual = device.is_cpu() && computeDtype != torch::kFloat;
    if (fp32Residual != m_geluFolded) {
        // The CPU's reduced-precision path takes QuickGELU's 1.702 into the MLP's matrices
        // (see workspaceFeatures), before they are rounded to the compute dtype.
        const double factor = fp32Residual ? 1.702 : 1.0 / 1.702;
        for (const auto &block : m_blocks)
            if (block->mlp) {
                block->mlp->c_fc->weight.set_data(block->mlp->c_fc->weight.to(torch::kFloat).mul_(factor));
                block->mlp->c_fc->bias.set_data(block->mlp->c_fc->bias.to(torch::kFloat).mul_(factor));
                block->mlp->c_proj->weight.set_data(block->mlp->c_proj->weight.to(torch::kFloat).div_(factor));
            }
        m_geluFolded = fp32Residual;
    }
    for (auto &item : named_parameters()) {
        const bool isLayerNorm = item.key().find("ln_") != std::string::npos;
        const bool isEmbedding = item.key() == "class_embedding" || item.key() == "positional_embedding";
        const bool keepFp32 = isLayerNorm || (fp32Residual && isEmbedding);
        item.value().set_data(item.value().to(device, keepFp32 ? torch::kFloat : computeDtype));
    }
    m_computeDtype = computeDtype;
    m_workspace = Workspace{};
}

double VisionTransformer::flopsPerImage() const
{
    const double n = double(m_config.tokens()), w = double(m_config.width);
    const double patchEmbed = 2.0 * (n - 1) * w * 3 * double(m_config.patch * m_config.patch);
    const double attention = 2.0 * n * w * 3 * w + 2.0 * 2 * n * n * w + 2.0 * n * w * w;
    const double mlp = 2.0 * 2 * n * w * 4 * w;
    return patchEmbed + double(m_config.layers) * attention + double(m_config.layers - 1) * mlp;
}

torch::Tensor VisionTransformer::patchTokens(const torch::Tensor &images) const
{
    // The stride-patch convolution as one matrix product: [B*G*G, 3*P*P] x [3*P*P, W].
    const std::int64_t b = images.size(0), w = m_config.width, g = m_config.grid, p = m_config.patch;
    auto patches = images.reshape({b, 3, g, p, g, p}).permute({0, 2, 4, 1, 3, 5}).reshape({b * g * g, 3 * p * p});
    return at::mm(patches, conv1->weight.reshape({w, 3 * p * p}).t()).view({b, g * g, w});
}

torch::Tensor VisionTransformer::blockFeatures(const torch::Tensor &images, bool batchedPath) const
{
    // The batched path computes QuickGELU as published, so not with the CPU's reduced precision.
    if (images.is_cuda() || (batchedPath && !m_geluFolded))
        return batchedFeatures(images);
    // The CPU path. Two things decide its speed on the machines we measured (2-core VMs,
    // OpenBLAS at ~190 GFLOP/s): fresh memory is expensive (a page fault costs ~10 us, so a
    // new 34 MB intermediate costs ~90 ms, more than the matrix product that fills it), and
    // small batched products (attention) run far below the BLAS rate through at::bmm. So the
    // batch runs in groups of at most kCpuRowsPerGroup token rows through buffers that are
    // allocated once and reused, attention runs as two plain GEMMs per head on strided views
    // of the qkv buffer (no copies), and element-wise steps write into existing buffers.
    const std::int64_t b = images.size(0), n = m_config.tokens();
    const std::int64_t groups = (b * n + kCpuRowsPerGroup - 1) / kCpuRowsPerGroup;
    const std::int64_t perGroup = std::max<std::int64_t>(1, (b + groups - 1) / groups);
    // fp32 whatever the compute dtype: they come from the fp32 LayerNorm.
    auto features = torch::empty({b, m_config.layers, m_config.width}, images.options().dtype(torch::kFloat));
    for (std::int64_t start = 0; start < b; start += perGroup) {
        const std::int64_t count = std::min(b, start + perGroup) - start;
        auto part = features.narrow(0, start, count);
        workspaceFeatures(images.narrow(0, start, count), part);
    }
    return features;
}

VisionTransformer::Workspace &VisionTransformer::workspace(std::int64_t rows) const
{
    Workspace &ws = m_workspace;
    if (ws.rows >= rows && ws.dtype == m_computeDtype)
        return ws;
    const std::int64_t w = m_config.width, n = m_config.tokens(), heads = m_config.heads();
    const auto fp32 = torch::TensorOptions().dtype(torch::kFloat);
    const auto compute = torch::TensorOptions().dtype(m_computeDtype);
    const bool reduced = m_computeDtype != torch::kFloat;
    ws = Workspace{};
    ws.rows = rows;
    ws.dtype = m_computeDtype;
    ws.x = torch::empty({rows, w}, fp32);
    ws.h = torch::empty({rows, w}, fp32);
    ws.mean = torch::empty({rows, 1}, fp32);
    ws.rstd = torch::empty({rows, 1}, fp32);
    ws.probs = reduced ? torch::empty({heads, n, n}, fp32) : torch::empty({n, n}, fp32);
    ws.qkv = torch::empty({rows, 3 * w}, compute);
    ws.scores = reduced ? torch::empty({heads, n, n}, compute) : torch::empty({n, n}, compute);
    ws.merged = torch::empty({rows, w}, compute);
    ws.u = torch::empty({rows, 4 * w}, compute);
    ws.gate = torch::empty({rows, 4 * w}, reduced ? fp32 : compute);
    ws.hc = reduced ? torch::empty({rows, w}, compute) : ws.h;
    ws.probsC = reduced ? torch::empty({heads, n, n}, compute) : ws.probs;
    if (reduced) {
        ws.scoresF = torch::empty({heads, n, n}, fp32);
        ws.headsOut = torch::empty({heads, n, w / heads}, compute);
        ws.out = torch::empty({rows, w}, compute);
    }
    return ws;
}

void VisionTransformer::workspaceFeatures(const torch::Tensor &images, torch::Tensor &features) const
{
    // In fp32 every step reads and writes fp32. In a reduced precision (bf16) the matrix
    // products read and write it (oneDNN's bf16 kernels), while the residual stream x, the
    // LayerNorms (so the features RINE reads) and the softmax stay fp32: the products are
    // where the time goes, the rest is where rounding would accumulate over 24 blocks.
    const std::int64_t b = images.size(0), w = m_config.width;
    const std::int64_t n = m_config.tokens(), heads = m_config.heads(), d = w / heads, rows = b * n;
    const bool reduced = m_computeDtype != torch::kFloat;
    Workspace &all = workspace(rows);
    auto x = all.x.narrow(0, 0, rows), h = all.h.narrow(0, 0, rows), mean = all.mean.narrow(0, 0, rows);
    auto rstd = all.rstd.narrow(0, 0, rows), qkv = all.qkv.narrow(0, 0, rows), merged = all.merged.narrow(0, 0, rows);
    auto u = all.u.narrow(0, 0, rows), gate = all.gate.narrow(0, 0, rows), hc = all.hc.narrow(0, 0, rows);
    auto out = reduced ? all.out.narrow(0, 0, rows) : torch::Tensor();

    // Class token, then the patch tokens.
    auto x3 = x.view({b, n, w});
    x3.select(1, 0).copy_(class_embedding.view({1, w}).expand({b, w}));
    x3.narrow(1, 1, n - 1).copy_(patchTokens(images));
    x3.add_(positional_embedding);
    at::native_layer_norm_out(h, mean, rstd, x, {w}, ln_pre->weight, ln_pre->bias, 1e-5);
    x.copy_(h);

    const double scale = 1.0 / std::sqrt(double(d)); // nn.MultiheadAttention scales q first
    for (std::size_t l = 0; l < m_blocks.size(); ++l) {
        const ResidualBlock &block = *m_blocks[l];
        // x = x + attn(ln_1(x))
        at::native_layer_norm_out(h, mean, rstd, x, {w}, block.ln_1->weight, block.ln_1->bias, 1e-5);
        if (reduced)
            hc.copy_(h);
        at::addmm_out(qkv, block.attn->in_proj_bias, hc, block.attn->in_proj_weight.t());
        qkv.narrow(1, 0, w).mul_(scale);
        for (std::int64_t i = 0; i < b; ++i) {
            auto sample = qkv.narrow(0, i * n, n);
            auto attended = merged.narrow(0, i * n, n);
            if (reduced) {
                // All heads of one image in two batched products (oneDNN's per-call cost is
                // high next to a 257 x 64 x 257 product), the softmax in fp32.
                auto heads4 = sample.view({n, 3, heads, d}).permute({1, 2, 0, 3}); // [3, H, N, D]
                at::bmm_out(all.scores, heads4[0], heads4[1].transpose(1, 2));
                all.scoresF.copy_(all.scores);
                at::_softmax_out(all.probs, all.scoresF, 2, false);
                all.probsC.copy_(all.probs);
                at::bmm_out(all.headsOut, all.probsC, heads4[2]);
                attended.view({n, heads, d}).copy_(all.headsOut.permute({1, 0, 2}));
                continue;
            }
            for (std::int64_t k = 0; k < heads; ++k) {
                at::mm_out(all.scores, sample.narrow(1, k * d, d), sample.narrow(1, w + k * d, d).t());
                at::_softmax_out(all.probs, all.scores, 1, false);
                auto target = attended.narrow(1, k * d, d);
                at::mm_out(target, all.probs, sample.narrow(1, 2 * w + k * d, d));
            }
        }
        if (reduced) {
            at::addmm_out(out, block.attn->out_proj->bias, merged, block.attn->out_proj->weight.t());
            x.add_(out);
        } else {
            x.addmm_(merged, block.attn->out_proj->weight.t()).add_(block.attn->out_proj->bias);
        }

        // The feature RINE reads: the CLS token of ln_2's output (the upstream code hooks ln_2).
        at::native_layer_norm_out(h, mean, rstd, x, {w}, block.ln_2->weight, block.ln_2->bias, 1e-5);
        features.select(1, std::int64_t(l)).copy_(h.view({b, n, w}).select(1, 0));
        if (!block.mlp)
            break; // last block: nothing after its ln_2 is needed

        // x = x + mlp(ln_2(x)) with QuickGELU: u * sigmoid(1.702 u).
        if (reduced) {
            // prepare() scaled c_fc by 1.702 and c_proj by 1 / 1.702, so the product gives
            // 1.702 u and QuickGELU is silu(1.702 u) / 1.702: one element-wise pass, in fp32
            // (LibTorch 1.13's bf16 sigmoid is not vectorised, 3x slower than fp32's).
            hc.copy_(h);
            at::addmm_out(u, block.mlp->c_fc->bias, hc, block.mlp->c_fc->weight.t());
            gate.copy_(u);
            at::silu_(gate);
            u.copy_(gate);
            at::addmm_out(out, block.mlp->c_proj->bias, u, block.mlp->c_proj->weight.t());
            x.add_(out);
        } else {
            at::addmm_out(u, block.mlp->c_fc->bias, h, block.mlp->c_fc->weight.t());
            at::mul_out(gate, u, at::scalar_tensor(1.702, u.options()));
            at::sigmoid_out(gate, gate);
            u.mul_(gate);
            x.addmm_(u, block.mlp->c_proj->weight.t()).add_(block.mlp->c_proj->bias);
        }
    }
}

torch::Tensor VisionTransformer::batchedFeatures(const torch::Tensor &images) const
{
    const std::int64_t b = images.size(0), w = m_config.width;
    const std::int64_t n = m_config.tokens(), heads = m_config.heads(), d = w / heads;

    auto x = at::cat({class_embedding.view({1, 1, w}).expand({b, 1, w}), patchTokens(images)}, 1);
    x.add_(positional_embedding);
    x = layerNorm(x, *ln_pre);

    std::vector<torch::Tensor> features;
    features.reserve(m_blocks.size());
    for (const auto &block : m_blocks) {
        // x = x + attn(ln_1(x)), as nn.MultiheadAttention computes it.
        auto h = layerNorm(x, *block->ln_1).view({b * n, w});
        auto qkv = at::addmm(block->attn->in_proj_bias, h, block->attn->in_proj_weight.t())
                       .view({b, n, 3, heads, d})
                       .permute({2, 0, 3, 1, 4}); // [3, B, H, N, D]
#if TORCH_VERSION_MAJOR >= 2
        auto attended = at::scaled_dot_product_attention(qkv[0], qkv[1], qkv[2]); // [B, H, N, D]
#else
        const double scale = 1.0 / std::sqrt(double(d)); // nn.MultiheadAttention scales q first
        auto q = (qkv[0] * scale).reshape({b * heads, n, d});
        auto k = qkv[1].reshape({b * heads, n, d});
        auto v = qkv[2].reshape({b * heads, n, d});
        auto weights = at::bmm(q, k.transpose(1, 2));
        weights = at::softmax(weights, -1);
        auto attended = at::bmm(weights, v).view({b, heads, n, d});
#endif
        auto merged = attended.permute({0, 2, 1, 3}).reshape({b * n, w});
        auto residual = x.view({b * n, w});
        residual.addmm_(merged, block->attn->out_proj->weight.t()).add_(block->attn->out_proj->bias);

        // The feature RINE reads: the CLS token of ln_2's output (the upstream code hooks ln_2).
        auto y = layerNorm(x, *block->ln_2);
        features.push_back(y.select(1, 0));
        if (!block->mlp)
            break; // last block: nothing after its ln_2 is needed

        // x = x + mlp(ln_2(x)) with QuickGELU: u * sigmoid(1.702 u).
        auto u = at::addmm(block->mlp->c_fc->bias, y.view({b * n, w}), block->mlp->c_fc->weight.t());
        u.mul_(at::sigmoid(u * 1.702));
        residual.addmm_(u, block->mlp->c_proj->weight.t()).add_(block->mlp->c_proj->bias);
    }
    return at::stack(features, 1);
}

LinearStack::LinearStack(const std::vector<std::int64_t> &dims, const std::vector<int> &indices)
{
    for (std::size_t i = 0; i < indices.size(); ++i)
        layers.push_back(register_module(std::to_string(indices[i]),
                                         std::make_shared<LinearParams>(dims[i], dims[i + 1])));
}

torch::Tensor LinearStack::forward(torch::Tensor x, bool reluAfterLast) const
{
    for (std::size_t i = 0; i < layers.size(); ++i) {
        x = at::linear(x, layers[i]->weight, layers[i]->bias);
        if (i + 1 < layers.size() || reluAfterLast)
            x = at::relu(x);
    }
    return x;
}

namespace {

std::vector<int> projectionIndices(std::int64_t nproj)
{
    std::vector<int> indices;
    for (std::int64_t i = 0; i < nproj; ++i)
        indices.push_back(int(1 + 3 * i));
    return indices;
}

} // namespace

RineHead::RineHead(const HeadConfig &config) : m_config(config)
{
    const std::int64_t p = config.projDim;
    std::vector<std::int64_t> dims1{config.width}, dims2{p};
    for (std::int64_t i = 0; i < config.nproj; ++i) {
        dims1.push_back(p);
        dims2.push_back(p);
    }
    proj1 = register_module("proj1", std::make_shared<LinearStack>(dims1, projectionIndices(config.nproj)));
    alpha = register_parameter("alpha", emptyParam({1, config.blocks, p}), false);
    proj2 = register_module("proj2", std::make_shared<LinearStack>(dims2, projectionIndices(config.nproj)));
    head = register_module("head", std::make_shared<LinearStack>(std::vector<std::int64_t>{p, p, p, 1},
                                                                 std::vector<int>{0, 3, 6}));
}

HeadOutput RineHead::forward(const torch::Tensor &features) const
{
    auto g = proj1->forward(features, true); // [B, L, P]
    auto weighted = at::softmax(alpha, 1) * g; // Trainable Importance Estimator
    auto z = weighted.sum(1); // [B, P]
    z = proj2->forward(z, true);
    auto logits = head->forward(z, false).squeeze(-1);
    // Per-image block contribution: the norm of block l's term in z, normalised over blocks.
    auto norms = weighted.norm(2, {-1}); // [B, L]
    auto contributions = norms / norms.sum(-1, true).clamp_min(1e-30);
    return {logits, contributions};
}

void RineHead::initialiseForTraining()
{
    torch::NoGradGuard noGrad;
    alpha.normal_(0.0, 1.0);
    for (const std::shared_ptr<LinearStack> &stack : {proj1, proj2, head}) {
        for (const std::shared_ptr<LinearParams> &layer : stack->layers) {
            const double bound = 1.0 / std::sqrt(double(layer->weight.size(1)));
            layer->weight.uniform_(-bound, bound);
            layer->bias.uniform_(-bound, bound);
        }
    }
    for (auto &parameter : parameters())
        parameter.set_requires_grad(true);
}

std::pair<torch::Tensor, torch::Tensor> RineHead::trainingForward(const torch::Tensor &features, bool dropout) const
{
    auto projection = [dropout](const LinearStack &stack, torch::Tensor x) {
        x = at::dropout(x, 0.5, dropout);
        for (const std::shared_ptr<LinearParams> &layer : stack.layers)
            x = at::dropout(at::relu(at::linear(x, layer->weight, layer->bias)), 0.5, dropout);
        return x;
    };
    auto g = projection(*proj1, features);
    auto z = (at::softmax(alpha, 1) * g).sum(1);
    z = projection(*proj2, z);
    auto p = z;
    for (std::size_t i = 0; i < head->layers.size(); ++i) {
        p = at::linear(p, head->layers[i]->weight, head->layers[i]->bias);
        if (i + 1 < head->layers.size())
            p = at::dropout(at::relu(p), 0.5, dropout);
    }
    return {p.squeeze(-1), z};
}

std::vector<std::pair<std::string, torch::Tensor>> RineHead::checkpointTensors() const
{
    std::vector<std::pair<std::string, torch::Tensor>> out{{"alpha", alpha}};
    for (const auto &parameter : named_parameters())
        if (parameter.key() != "alpha")
            out.emplace_back(parameter.key(), parameter.value());
    return out;
}

std::vector<double> RineHead::blockImportance() const
{
    auto importance = at::softmax(alpha.to(torch::kDouble), 1).mean(2).squeeze(0).to(torch::kCPU).contiguous();
    const double *data = importance.data_ptr<double>();
    return {data, data + importance.numel()};
}

VitConfig vitL14Config() { return VitConfig{1024, 24, 14, 16}; }

void randomiseWeights(torch::nn::Module &module)
{
    torch::NoGradGuard noGrad;
    for (auto &p : module.named_parameters())
        if (p.key().find("ln_") == std::string::npos)
            p.value().normal_(0.0, 0.02);
}

torch::Tensor syntheticCrops(std::int64_t count, std::int64_t size, unsigned seed)
{
    std::mt19937 random(seed);
    std::normal_distribution<float> noise(0.0f, 8.0f);
    std::uniform_real_distribution<float> phase(0.0f, 6.28f), frequency(0.05f, 0.6f);
    auto crops = torch::empty({count, size, size, 3}, torch::kUInt8);
    std::uint8_t *out = crops.data_ptr<std::uint8_t>();
    for (std::int64_t i = 0; i < count; ++i) {
        const float p0 = phase(random), p1 = phase(random), p2 = phase(random);
        const float fx = frequency(random), fy = frequency(random);
        for (std::int64_t y = 0; y < size; ++y)
            for (std::int64_t x = 0; x < size; ++x) {
                const float u = float(x) / float(size), v = float(y) / float(size);
                const float base[3] = {120 + 80 * std::sin(6 * u + p0) * std::cos(4 * v + p1),
                                       110 + 70 * std::sin(5 * v + p1 + 3 * u), 100 + 60 * std::cos(7 * u * v + p2)};
                const float texture = 25 * std::sin(fx * float(x) + p2) * std::sin(fy * float(y) + p0);
                for (int c = 0; c < 3; ++c)
                    *out++ = std::uint8_t(std::clamp(base[c] + texture + noise(random), 0.0f, 255.0f));
            }
    }
    return crops;
}

bool convertHuggingFaceClip(TensorArchive &archive)
{
    const std::string marker = "vision_model.embeddings.patch_embedding.weight";
    std::string prefix;
    bool found = false;
    for (const auto &entry : archive.tensors) {
        const std::string &name = entry.first;
        if (name.size() >= marker.size() && name.compare(name.size() - marker.size(), marker.size(), marker) == 0) {
            prefix = name.substr(0, name.size() - marker.size()) + "vision_model.";
            found = true;
            break;
        }
    }
    if (!found)
        return false;
    std::vector<std::pair<std::string, at::Tensor>> out;
    auto take = [&](const std::string &from, const std::string &to) {
        if (const at::Tensor *t = archive.find(prefix + from))
            out.emplace_back("visual." + to, *t);
    };
    take("embeddings.patch_embedding.weight", "conv1.weight");
    take("embeddings.class_embedding", "class_embedding");
    take("embeddings.position_embedding.weight", "positional_embedding");
    take("pre_layrnorm.weight", "ln_pre.weight"); // sic: transformers' spelling
    take("pre_layrnorm.bias", "ln_pre.bias");
    for (int l = 0;; ++l) {
        const std::string from = "encoder.layers." + std::to_string(l) + ".";
        const std::string to = "transformer.resblocks." + std::to_string(l) + ".";
        if (!archive.find(prefix + from + "layer_norm1.weight"))
            break;
        for (const char *part : {"weight", "bias"}) {
            const std::string p = part;
            take(from + "layer_norm1." + p, to + "ln_1." + p);
            take(from + "layer_norm2." + p, to + "ln_2." + p);
            take(from + "self_attn.out_proj." + p, to + "attn.out_proj." + p);
            take(from + "mlp.fc1." + p, to + "mlp.c_fc." + p);
            take(from + "mlp.fc2." + p, to + "mlp.c_proj." + p);
            const at::Tensor *q = archive.find(prefix + from + "self_attn.q_proj." + p);
            const at::Tensor *k = archive.find(prefix + from + "self_attn.k_proj." + p);
            const at::Tensor *v = archive.find(prefix + from + "self_attn.v_proj." + p);
            // nn.MultiheadAttention's in_proj stacks q, k, v; transformers scales q by
            // head_dim^-0.5 after the projection, as MultiheadAttention does.
            if (q && k && v && q->sizes() == k->sizes() && q->sizes() == v->sizes())
                out.emplace_back("visual." + to + "attn.in_proj_" + p, at::cat({*q, *k, *v}, 0));
        }
    }
    archive.tensors = std::move(out);
    return true;
}

namespace {

// The floating-point numbers the file holds: a model read from it has at most as many
// parameters, which bounds what building its modules may allocate before their shapes are
// compared with the file's (a 1.4 kB file must not make us build a model of 5 GB).
long double floatingElements(const TensorArchive &archive)
{
    long double total = 0;
    for (const auto &entry : archive.tensors)
        if (at::isFloatingType(entry.second.scalar_type()))
            total += static_cast<long double>(entry.second.numel());
    return total;
}

std::string tooLarge(const TensorArchive &archive, long double needed)
{
    return archive.path + ": its tensors describe a model of at least " + std::to_string(std::uint64_t(needed))
         + " parameters, but the file holds only " + std::to_string(std::uint64_t(floatingElements(archive)))
         + " numbers (damaged or forged); refusing to build it";
}

} // namespace

Result<VitConfig> vitConfigFromArchive(const TensorArchive &archive, std::string &prefix)
{
    using R = Result<VitConfig>;
    prefix = archive.find("visual.conv1.weight") ? "visual." : "";
    const at::Tensor *conv = archive.find(prefix + "conv1.weight");
    if (!conv)
        return R::failure(archive.path + ": no CLIP vision tower found (no tensor 'visual.conv1.weight'); "
                                         "expected OpenAI's CLIP ViT file such as ViT-L-14.pt");
    if (conv->dim() != 4 || conv->size(1) != 3 || conv->size(2) != conv->size(3))
        return R::failure(archive.path + ": tensor '" + prefix + "conv1.weight' has shape "
                          + shapeString(conv->sizes()) + ", expected [width, 3, patch, patch]");
    VitConfig config;
    config.width = conv->size(0);
    config.patch = conv->size(2);
    if (config.width % 64 != 0)
        return R::failure(archive.path + ": width " + std::to_string(config.width)
                          + " is not a multiple of 64 (CLIP heads are 64 wide)");
    const at::Tensor *pos = archive.find(prefix + "positional_embedding");
    if (!pos || pos->dim() != 2)
        return R::failure(archive.path + ": tensor '" + prefix + "positional_embedding' is missing or not 2-D");
    const auto grid = std::int64_t(std::llround(std::sqrt(double(pos->size(0) - 1))));
    if (grid * grid + 1 != pos->size(0))
        return R::failure(archive.path + ": tensor '" + prefix + "positional_embedding' has "
                          + std::to_string(pos->size(0)) + " positions, not a square grid plus one class token");
    config.grid = grid;
    while (archive.find(prefix + "transformer.resblocks." + std::to_string(config.layers) + ".ln_1.weight"))
        ++config.layers;
    if (config.layers == 0)
        return R::failure(archive.path + ": no transformer blocks ('" + prefix
                          + "transformer.resblocks.0.ln_1.weight' missing)");
    // Each block holds at least 12 width^2 weights (attention in and out, the MLP's two).
    const long double width = static_cast<long double>(config.width);
    const long double needed = static_cast<long double>(config.layers) * 12 * width * width
                             + width * 3 * static_cast<long double>(config.patch) * config.patch
                             + (static_cast<long double>(config.grid) * config.grid + 1) * width;
    if (needed > floatingElements(archive))
        return R::failure(tooLarge(archive, needed));
    return config;
}

Result<HeadConfig> headConfigFromArchive(const TensorArchive &archive)
{
    using R = Result<HeadConfig>;
    const at::Tensor *first = archive.find("proj1.1.weight");
    const at::Tensor *alpha = archive.find("alpha");
    if (!first || !alpha)
        return R::failure(archive.path + ": not a RINE head (tensors 'proj1.1.weight' and 'alpha' expected)");
    if (first->dim() != 2 || alpha->dim() != 3 || alpha->size(0) != 1)
        return R::failure(archive.path + ": tensor 'alpha' has shape " + shapeString(alpha->sizes())
                          + ", expected [1, blocks, P]");
    HeadConfig config;
    config.projDim = first->size(0);
    config.width = first->size(1);
    config.blocks = alpha->size(1);
    while (archive.find("proj1." + std::to_string(1 + 3 * config.nproj) + ".weight"))
        ++config.nproj;
    const long double needed = static_cast<long double>(config.projDim) * config.width + config.blocks;
    if (needed > floatingElements(archive))
        return R::failure(tooLarge(archive, needed));
    return config;
}

Result<bool> loadParameters(torch::nn::Module &module, const TensorArchive &archive, const std::string &prefix)
{
    torch::NoGradGuard noGrad;
    for (auto &item : module.named_parameters()) {
        const std::string name = prefix + item.key();
        const at::Tensor *source = archive.find(name);
        if (!source)
            return Result<bool>::failure(archive.path + ": tensor '" + name + "' is missing (expected shape "
                                         + shapeString(item.value().sizes()) + ")");
        if (source->sizes() != item.value().sizes())
            return Result<bool>::failure(archive.path + ": tensor '" + name + "' has shape "
                                         + shapeString(source->sizes()) + ", expected "
                                         + shapeString(item.value().sizes()));
        if (!at::isFloatingType(source->scalar_type()))
            return Result<bool>::failure(archive.path + ": tensor '" + name + "' is not floating point");
        item.value().copy_(*source);
    }
    return true;
}

} // namespace rine
