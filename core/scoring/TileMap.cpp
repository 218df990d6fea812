#include "TileMap.h"

#include <algorithm>

namespace rine {

namespace {

std::vector<int> starts(int length, int size, int maxCount, bool &covered)
{
    const CropRegion centre = centerCropRegion(length, length, size);
    if (length <= size)
        return {centre.left};
    int count = (length + size - 1) / size;
    if (count > maxCount) {
        count = maxCount;
        covered = false;
    }
    std::vector<int> out;
    const long long span = length - size;
    for (int i = 0; i < count; ++i)
        out.push_back(count == 1 ? int(span / 2) : int((i * span + (count - 1) / 2) / (count - 1)));
    return out;
}

} // namespace

TileGrid tileGrid(int width, int height, int size, int maxPerSide)
{
    TileGrid grid;
    grid.width = width;
    grid.height = height;
    grid.size = size;
    if (width < 1 || height < 1 || size < 1)
        return grid;
    maxPerSide = std::max(2, maxPerSide);
    const std::vector<int> xs = starts(width, size, maxPerSide, grid.coversImage);
    const std::vector<int> ys = starts(height, size, maxPerSide, grid.coversImage);
    grid.columns = int(xs.size());
    grid.rows = int(ys.size());
    for (int y : ys)
        for (int x : xs)
            grid.tiles.push_back({x, y, size});
    return grid;
}

CropRegion tileCell(const TileGrid &grid, std::size_t index, int &cellWidth, int &cellHeight)
{
    const int columns = std::max(1, grid.columns);
    const int column = int(index) % columns, row = int(index) / columns;
    const CropRegion &tile = grid.tiles[index];
    auto span = [&](int start, int previousStart, int nextStart, bool first, bool last, int length, int &from, int &to) {
        from = first ? start : std::max(start, (previousStart + grid.size + start) / 2);
        to = last ? start + grid.size : std::min(start + grid.size, (start + grid.size + nextStart) / 2);
        from = std::max(from, 0);
        to = std::min(to, length);
    };
    int x0, x1, y0, y1;
    span(tile.left, column > 0 ? grid.tiles[index - 1].left : 0, column + 1 < columns ? grid.tiles[index + 1].left : 0,
         column == 0, column + 1 == columns, grid.width, x0, x1);
    span(tile.top, row > 0 ? grid.tiles[index - std::size_t(columns)].top : 0,
         row + 1 < grid.rows ? grid.tiles[index + std::size_t(columns)].top : 0, row == 0, row + 1 == grid.rows, grid.height,
         y0, y1);
    cellWidth = std::max(0, x1 - x0);
    cellHeight = std::max(0, y1 - y0);
    return {x0, y0, grid.size};
}

Result<TileScores> scoreTiles(Detector &detector, const RgbImage &image, int batchSize, const std::atomic<bool> &cancel,
                              const std::function<void(const TileScores &)> &progress)
{
    TileScores scores;
    scores.grid = tileGrid(image.width, image.height, detector.info().inputSize);
    if (scores.grid.tiles.empty())
        return Result<TileScores>::failure("the image has no pixels to tile");
    batchSize = std::max(1, batchSize);
    const std::size_t total = scores.grid.tiles.size();
    while (scores.done < total) {
        if (cancel.load()) {
            scores.cancelled = true;
            break;
        }
        const std::size_t count = std::min<std::size_t>(std::size_t(batchSize), total - scores.done);
        std::vector<std::vector<std::uint8_t>> crops;
        std::vector<const std::uint8_t *> pointers;
        for (std::size_t i = 0; i < count; ++i)
            crops.push_back(cropWindow(image, scores.grid.tiles[scores.done + i]));
        for (const auto &crop : crops)
            pointers.push_back(crop.data());
        auto batch = detector.score(pointers);
        if (!batch)
            return Result<TileScores>::failure(batch.error());
        for (const CropScore &score : batch.value()) {
            scores.logits.push_back(score.logit);
            scores.probabilities.push_back(score.probability);
        }
        scores.done += count;
        if (progress)
            progress(scores);
    }
    return scores;
}

} // namespace rine
