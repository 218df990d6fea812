#pragma once

#include "image/ImageDecoder.h"

#include <cstdint>
#include <vector>

namespace rine {

// TextureCrop (Konstantinidou, Koutlis, Papadopoulos et al.; code mever-team/texture-crop):
// score a large image on its most textured windows instead of its center. As the published
// code computes it:
// - candidates: the window x window grid at `stride`, row by row; then the column of windows
//   flush with the right edge, top to bottom (added even when the grid already ends there, a
//   duplicate then). The upstream loop reuses its row variable, so the row flush with the
//   bottom edge and the bottom-right corner are never candidates; the published figures
//   were measured with exactly this set, and it is reproduced as such.
// - texture: the entropy, in bits, of the window's 256-bin grey-level histogram (PIL's
//   convert("L") luma; numpy's bins over [0, 1] hold one grey level each), with 1e-7 added to
//   each normalised bin and the sum normalised again, as scipy.stats.entropy does.
// - kept: the `count` windows of highest entropy, ties in candidate order (a stable sort);
//   fewer candidates than `count` are repeated cyclically up to it.

struct TextureWindow {
    CropRegion region;
    double entropy = 0;
};

// PIL's Image.convert("L") of an RGB image: (19595 R + 38470 G + 7471 B + 2^15) >> 16.
std::vector<std::uint8_t> pilLuma(const RgbImage &image);

// The candidate windows of a width x height image, in the upstream order; empty when the
// image is smaller than the window on a side.
std::vector<CropRegion> textureCandidates(int width, int height, int window, int stride);

// The entropy of a grey-level histogram of `pixels` values, as above. The sum runs over the
// bins in order of their counts, so windows whose histograms are permutations of each other
// tie exactly (and keep their candidate order), as they do upstream.
double histogramEntropy(const std::uint32_t (&histogram)[256], std::uint64_t pixels);

// Every candidate with its entropy, in candidate order. One pass over the grey image: each
// pixel is counted into the histogram of each candidate that holds it.
std::vector<TextureWindow> rankTextureCandidates(const RgbImage &image, int window, int stride);

// The `count` windows kept (cyclic repeats included), in rank order; empty when the image is
// smaller than the window on a side.
std::vector<TextureWindow> selectTextureWindows(const RgbImage &image, int window, int stride, int count);

} // namespace rine
