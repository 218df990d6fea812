#include "SpaiDetector.h"

#include "SpaiModules.h"
#include "TensorArchive.h"


#include <algorithm>
#include <cmath>

namespace rine {

namespace {

// Python's round() of d / 2 for a whole d: halves to even.
int halfToEven(int d)
{
    const int floor = d / 2;
    if (d % 2 == 0)
        return floor;
    return floor % 2 == 0 ? floor : floor + 1;
}

// OpenCV's BORDER_REFLECT_101 of an index into [0, n): ... 2 1 | 0 1 2 ... n-1 | n-2 ...,
// repeated for pads wider than the image.
std::int64_t reflect101(std::int64_t i, std::int64_t n)
{
    if (n == 1)
        return 0;
    const std::int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

torch::Tensor reflectIndex(std::int64_t before, std::int64_t size, std::int64_t after)
{
    std::vector<std::int64_t> index;
    index.reserve(std::size_t(before + size + after));
    for (std::int64_t i = -before; i < size + after; ++i)
        index.push_back(reflect101(i, size));
    return torch::tensor(index, torch::kLong);
}

} // namespace

SpaiConfig SpaiConfig::published()
{
    SpaiConfig config;
    for (std::int64_t i = 0; i < 12; ++i)
        config.layers.push_back(i);
    return config;
}

SpaiLayout spaiLayout(int width, int height, const SpaiConfig &config)
{
    SpaiLayout layout;
    const int size = int(config.imageSize), stride = int(config.stride);
    if (height < size) {
        layout.padTop = (size - height) / 2;
        layout.padBottom = size - height - layout.padTop;
    }
    if (width < size) {
        layout.padLeft = (size - width) / 2;
        layout.padRight = size - width - layout.padLeft;
    }
    layout.width = width + layout.padLeft + layout.padRight;
    layout.height = height + layout.padTop + layout.padBottom;
    const int rows = (layout.height - size) / stride + 1, cols = (layout.width - size) / stride + 1;
    if (std::int64_t(rows) * cols < config.minimumPatches) {
        layout.fiveCrop = true;
        const int bottom = layout.height - size, right = layout.width - size;
        layout.patches = {{0, 0}, {0, right}, {bottom, 0}, {bottom, right}, {halfToEven(bottom), halfToEven(right)}};
        return layout;
    }
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            layout.patches.push_back({r * stride, c * stride});
    return layout;
}

SpaiDetector::~SpaiDetector() = default;

Result<std::unique_ptr<SpaiDetector>> SpaiDetector::load(const SpaiOptions &options)
{
    using R = Result<std::unique_ptr<SpaiDetector>>;
    auto archive = readTrustedArchive(options.path, options.sha256);
    if (!archive)
        return R::failure(archive.error());
    auto config = spaiConfigFromArchive(archive.value(), "", options.config);
    if (!config)
        return R::failure(config.error());
    std::unique_ptr<SpaiDetector> detector(new SpaiDetector());
    detector->m_config = config.value();
    detector->m_sha256 = archive->sha256;
    detector->m_patchBatch = std::max(1, options.patchBatch);
    try {
        detector->m_model = std::make_unique<SpaiModel>(config.value());
        if (auto loaded = detector->m_model->load(archive.value(), ""); !loaded)
            return R::failure(loaded.error());
    } catch (const c10::Error &error) {
        return R::failure(options.path + ": cannot build the SPAI model: " + error.what_without_backtrace());
    }
    detector->m_model->eval();
    return detector;
}

SpaiScore SpaiDetector::score(const std::uint8_t *rgb, int width, int height, std::size_t stride) const
{
    c10::InferenceMode inference;
    SpaiScore result;
    result.layout = spaiLayout(width, height, m_config);
    const SpaiLayout &layout = result.layout;
    // The image as bytes [3, H, W], padded by reflection; patches become floats batch by batch.
    torch::Tensor image = torch::from_blob(const_cast<std::uint8_t *>(rgb), {height, width, 3},
                                           {std::int64_t(stride), 3, 1}, torch::kUInt8)
                              .permute({2, 0, 1});
    if (layout.padTop || layout.padBottom)
        image = image.index_select(1, reflectIndex(layout.padTop, height, layout.padBottom));
    if (layout.padLeft || layout.padRight)
        image = image.index_select(2, reflectIndex(layout.padLeft, width, layout.padRight));
    const std::int64_t size = m_config.imageSize;
    const float scale = 1.0f / 255.0f; // x * float32(1/255), as upstream's ToTensor
    std::vector<torch::Tensor> features;
    for (std::size_t start = 0; start < layout.patches.size(); start += std::size_t(m_patchBatch)) {
        std::vector<torch::Tensor> batch;
        for (std::size_t i = start; i < std::min(layout.patches.size(), start + std::size_t(m_patchBatch)); ++i)
            batch.push_back(image.slice(1, layout.patches[i].top, layout.patches[i].top + size)
                                .slice(2, layout.patches[i].left, layout.patches[i].left + size));
        const torch::Tensor patches = torch::stack(batch).to(torch::kFloat) * scale;
        features.push_back(m_model->patchFeatures(patches));
    }
    const torch::Tensor all = torch::cat(features, 0);
    const SpaiAggregate aggregate = m_model->aggregate(all);
    result.logit = aggregate.logit.item<double>();
    result.probability = 1.0 / (1.0 + std::exp(-result.logit));
    const torch::Tensor attention = aggregate.attention.to(torch::kDouble).contiguous();
    for (std::size_t i = 0; i < layout.patches.size(); ++i) {
        SpaiPatchScore patch;
        patch.top = layout.patches[i].top;
        patch.left = layout.patches[i].left;
        for (std::int64_t h = 0; h < attention.size(0); ++h)
            patch.attention.push_back(attention[h][std::int64_t(i)].item<double>());
        patch.attentionMean = attention.select(1, std::int64_t(i)).mean().item<double>();
        patch.soloLogit = m_model->aggregate(all.slice(0, std::int64_t(i), std::int64_t(i) + 1)).logit.item<double>();
        result.patches.push_back(std::move(patch));
    }
    return result;
}

} // namespace rine
