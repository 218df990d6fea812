#include "TextureCrop.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace rine {

std::vector<std::uint8_t> pilLuma(const RgbImage &image)
{
    const std::size_t pixels = std::size_t(image.width) * std::size_t(image.height);
    std::vector<std::uint8_t> grey(pixels);
    const std::uint8_t *rgb = image.pixels.data();
    for (std::size_t i = 0; i < pixels; ++i, rgb += 3)
        grey[i] = std::uint8_t((std::uint32_t(rgb[0]) * 19595u + std::uint32_t(rgb[1]) * 38470u
                                + std::uint32_t(rgb[2]) * 7471u + 0x8000u)
                               >> 16);
    return grey;
}

std::vector<CropRegion> textureCandidates(int width, int height, int window, int stride)
{
    std::vector<CropRegion> out;
    if (window < 1 || stride < 1 || width < window || height < window)
        return out;
    for (int y = 0; y + window <= height; y += stride)
        for (int x = 0; x + window <= width; x += stride)
            out.push_back({x, y, window});
    // The right-hand column: upstream adds it whenever the grid's next column would not fit,
    // which is always once its loop has ended.
    for (int y = 0; y + window <= height; y += stride)
        out.push_back({width - window, y, window});
    return out;
}

double histogramEntropy(const std::uint32_t (&histogram)[256], std::uint64_t pixels)
{
    if (pixels == 0)
        return 0;
    std::array<std::uint32_t, 256> counts;
    std::copy(std::begin(histogram), std::end(histogram), counts.begin());
    std::sort(counts.begin(), counts.end());
    const double total = 1.0 + 256 * 1e-7;
    double sum = 0;
    for (std::uint32_t count : counts) {
        const double q = (double(count) / double(pixels) + 1e-7) / total;
        sum -= q * std::log(q);
    }
    return sum / std::log(2.0);
}

std::vector<TextureWindow> rankTextureCandidates(const RgbImage &image, int window, int stride)
{
    const std::vector<CropRegion> candidates = textureCandidates(image.width, image.height, window, stride);
    std::vector<TextureWindow> out;
    if (candidates.empty())
        return out;
    const std::vector<std::uint8_t> grey = pilLuma(image);
    std::vector<std::array<std::uint32_t, 256>> histograms(candidates.size());
    for (auto &h : histograms)
        h.fill(0);
    // For each row, the candidates that cover it, and for each column within them, which:
    // candidates of one row band are disjoint along x except the right-hand column, so each
    // pixel goes into at most two (its grid window and the right-hand one).
    std::vector<std::size_t> rowCandidates;
    for (int y = 0; y < image.height; ++y) {
        rowCandidates.clear();
        for (std::size_t c = 0; c < candidates.size(); ++c)
            if (y >= candidates[c].top && y < candidates[c].top + window)
                rowCandidates.push_back(c);
        if (rowCandidates.empty())
            continue;
        const std::uint8_t *line = grey.data() + std::size_t(y) * std::size_t(image.width);
        for (std::size_t c : rowCandidates) {
            std::uint32_t *h = histograms[c].data();
            const std::uint8_t *from = line + candidates[c].left;
            for (int x = 0; x < window; ++x)
                ++h[from[x]];
        }
    }
    const std::uint64_t pixels = std::uint64_t(window) * std::uint64_t(window);
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        std::uint32_t histogram[256];
        std::copy(histograms[c].begin(), histograms[c].end(), histogram);
        out.push_back({candidates[c], histogramEntropy(histogram, pixels)});
    }
    return out;
}

std::vector<TextureWindow> selectTextureWindows(const RgbImage &image, int window, int stride, int count)
{
    std::vector<TextureWindow> ranked = rankTextureCandidates(image, window, stride);
    if (ranked.empty() || count < 1)
        return {};
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const TextureWindow &a, const TextureWindow &b) { return a.entropy > b.entropy; });
    if (ranked.size() > std::size_t(count))
        ranked.resize(std::size_t(count));
    const std::size_t distinct = ranked.size();
    for (std::size_t i = distinct; i < std::size_t(count); ++i)
        ranked.push_back(ranked[i % distinct]);
    return ranked;
}

} // namespace rine
