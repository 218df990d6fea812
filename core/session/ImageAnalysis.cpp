#include "ImageAnalysis.h"

#include "scoring/ImageScorer.h"

namespace rine {

ImageAnalysis analyseImage(Detector *detector, const std::string &path, CropMode crop, const DecodeLimits &limits,
                           const std::string &expectedSha256)
{
    ImageAnalysis out;
    out.image = readEvidence(path, limits, expectedSha256);
    out.preprocessing.crop = crop;
    if (detector)
        out.preprocessing.inputSize = detector->info().inputSize;
    if (!out.image.decoded)
        return out;
    const DecodedImage &decoded = *out.image.decoded;
    CropPlan plan = out.preprocessing.plan(decoded.rgb);
    out.cropWarnings = plan.warnings;
    for (std::size_t w = 0; w < plan.entropies.size(); ++w)
        out.windows.push_back({plan.regions[w], plan.entropies[w], 0.0});
    if (out.windows.empty()) {
        out.regions = out.preprocessing.regions(decoded.width, decoded.height);
        if (out.regions.empty()) // texture under 224 px: its center crop
            out.regions = plan.regions;
    } else {
        for (const KeptWindow &k : distinctWindows(out.windows))
            out.regions.push_back(k.region);
    }
    if (!detector)
        return out;
    std::vector<const std::uint8_t *> pointers;
    for (const auto &c : plan.crops)
        pointers.push_back(c.data());
    auto features = detector->features(pointers);
    if (!features) {
        out.scoreError = features.error();
        return out;
    }
    auto scores = detector->scoreFeatures(features.value());
    if (!scores) {
        out.scoreError = scores.error();
        return out;
    }
    for (const std::vector<CropScore> &head : scores.value())
        out.headScores.push_back(combineCrops(head, 0, head.size()));
    if (!out.windows.empty() && !scores->empty()) {
        out.windowScores = scores->front();
        for (std::size_t w = 0; w < out.windows.size() && w < out.windowScores.size(); ++w)
            out.windows[w].logit = out.windowScores[w].logit;
    }
    return out;
}

Result<TileScores> tileMap(Detector &detector, const std::string &path, const std::string &expectedSha256,
                           int batchSize, const std::atomic<bool> &cancel,
                           const std::function<void(const TileScores &)> &progress)
{
    const EvidenceImage image = readEvidence(path, {}, expectedSha256);
    if (!image.decoded)
        return Result<TileScores>::failure(image.error);
    return scoreTiles(detector, image.decoded->rgb, batchSize, cancel, progress);
}

Result<SweepResult> robustnessSweep(Detector &detector, const RobustnessSweep::Options &options,
                                    const std::string &path, const SweepPlan &plan, const std::string &expectedSha256)
{
    RobustnessSweep::Options checked = options;
    checked.expectedSha256 = expectedSha256;
    return RobustnessSweep(detector, checked).run(path, plan);
}

} // namespace rine
