#pragma once

#include "image/EvidenceImage.h"
#include "image/Preprocessing.h"
#include "model/Detector.h"
#include "scoring/RobustnessSweep.h"
#include "scoring/TileMap.h"
#include "util/Result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rine {

// One image analysed for a preprocessing: what Inspect shows and a report's detail page
// draws: the regions scored and, with a detector, every head's score of them (sigmoid of the
// mean logit over the crops, mean block contributions).
struct ImageAnalysis {
    EvidenceImage image;
    Preprocessing preprocessing;
    std::vector<CropRegion> regions; // in stored (unrotated) pixel coordinates (texture: each kept window once)
    std::vector<CropScore> headScores; // per head, in the detector's order; empty when not scored
    // TextureCrop: the kept windows in rank order with the first head's logit of each, and that
    // head's score of each (contributions included); empty for the other preprocessings.
    std::vector<WindowScore> windows;
    std::vector<CropScore> windowScores;
    std::vector<std::string> cropWarnings; // e.g. under 224 px: the center crop instead
    std::string scoreError; // decoded, but the model failed on it
};
ImageAnalysis analyseImage(Detector *detector, const std::string &path, CropMode crop, const DecodeLimits &limits = {},
                           const std::string &expectedSha256 = {});

// The tile map of an image whose bytes must still be those that were shown (expectedSha256).
Result<TileScores> tileMap(Detector &detector, const std::string &path, const std::string &expectedSha256,
                           int batchSize, const std::atomic<bool> &cancel,
                           const std::function<void(const TileScores &)> &progress = {});

// A robustness sweep of an image whose bytes must still be those that were shown.
Result<SweepResult> robustnessSweep(Detector &detector, const RobustnessSweep::Options &options,
                                    const std::string &path, const SweepPlan &plan,
                                    const std::string &expectedSha256 = {});

} // namespace rine
