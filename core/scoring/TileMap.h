#pragma once

#include "image/ImageDecoder.h"
#include "model/Detector.h"
#include "util/Result.h"

#include <atomic>
#include <cstddef>
#include <functional>
#include <vector>

namespace rine {

// Where in an image the verdict comes from: the image covered by model-sized tiles, each
// scored on its own exactly as a center crop is (no resizing).
//
// Along a side of length L, n = ceil(L / size) tiles start at round(i * (L - size) / (n - 1)),
// so they cover the side and overlap a little where L is not a multiple of size; a side
// shorter than size gets one tile placed as the center crop places it (zero-padded). At most
// maxPerSide tiles per side are placed: a side longer than that is sampled, not covered.
struct TileGrid {
    int width = 0, height = 0; // of the image
    int size = 0;
    int columns = 0, rows = 0;
    bool coversImage = true; // false when a side was sampled
    std::vector<CropRegion> tiles; // row-major
};
TileGrid tileGrid(int width, int height, int size, int maxPerSide = 32);

// The part of the image a tile stands for in a heat map, so that every pixel is drawn once:
// where neighbouring tiles overlap, the boundary is the middle of the overlap; nothing
// outside the tile or the image.
CropRegion tileCell(const TileGrid &grid, std::size_t index, int &cellWidth, int &cellHeight);

struct TileScores {
    TileGrid grid;
    std::vector<double> logits, probabilities; // per tile, first head; filled as far as `done`
    std::size_t done = 0;
    bool cancelled = false;
};

// Scores every tile of the grid in batches. progress(scores) is called after each batch with
// the tiles scored so far; setting cancel stops after the batch in flight.
Result<TileScores> scoreTiles(Detector &detector, const RgbImage &image, int batchSize, const std::atomic<bool> &cancel,
                              const std::function<void(const TileScores &)> &progress = {});

} // namespace rine
