#include "RobustnessSweep.h"

#include "scoring/ImageScorer.h"

#include "image/EvidenceImage.h"

#include "image/ImageDecoder.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace rine {

SweepPlan robustnessPreset(const std::string &name)
{
    using K = PerturbationKind;
    if (name == "paper")
        return {"paper",
                {{K::Jpeg, {75, 60, 45, 30, 20, 10}},
                 {K::Blur, {3, 5, 7, 9}},
                 {K::Crop, {0.05, 0.10, 0.15, 0.20}},
                 {K::Noise, {5, 10, 15, 20}}},
                true};
    if (name == "fine")
        return {"fine",
                {{K::Jpeg, {95, 90, 85, 80, 75, 70, 65, 60, 55, 50, 45, 40, 35, 30, 25, 20, 15, 10}},
                 {K::Blur, {3, 5, 7, 9, 11, 13, 15}},
                 {K::Crop, {0.025, 0.05, 0.075, 0.10, 0.125, 0.15, 0.175, 0.20, 0.25, 0.30}},
                 {K::Noise, {2, 4, 6, 8, 10, 12, 15, 20, 25}},
                 {K::Resize, {0.9, 0.75, 0.6, 0.5, 0.4, 0.33, 0.25}}},
                false};
    return {};
}

std::string checkPlan(const SweepPlan &plan)
{
    int points = 0;
    for (const SweepPlan::Series &series : plan.series) {
        for (double strength : series.strengths) {
            const std::string range = checkStrength(series.kind, strength);
            if (!range.empty()) {
                char got[48];
                std::snprintf(got, sizeof got, " (got %g)", strength);
                return std::string(perturbationName(series.kind)) + ": " + range + got;
            }
            ++points;
        }
    }
    return points ? "" : "no perturbation strengths to test";
}

namespace {

// "JPEG quality <= 45": the perturbation at this strength or stronger. Severity grows as JPEG
// quality and resize factors fall, and as the others rise.
std::string severityFrom(PerturbationKind kind, double strength)
{
    char text[64];
    switch (kind) {
    case PerturbationKind::Jpeg: std::snprintf(text, sizeof text, "JPEG quality <= %.0f", strength); break;
    case PerturbationKind::Blur: std::snprintf(text, sizeof text, "blur kernel >= %.0f", strength); break;
    case PerturbationKind::Crop: std::snprintf(text, sizeof text, "crop >= %g%%", 100 * strength); break;
    case PerturbationKind::Noise: std::snprintf(text, sizeof text, "noise sigma >= %g", strength); break;
    case PerturbationKind::Resize: std::snprintf(text, sizeof text, "resize factor <= %g", strength); break;
    }
    return text;
}

} // namespace

int firstFlip(bool baselineFake, const std::vector<SweepPoint> &points)
{
    for (std::size_t i = 0; i < points.size(); ++i)
        if (points[i].fake != baselineFake)
            return int(i);
    return -1;
}

void applyThreshold(SweepResult &result, double threshold)
{
    result.threshold = threshold;
    result.baselineFake = result.baselineProbability >= threshold;
    std::vector<std::string> flips;
    for (SweepSeries &series : result.series) {
        for (SweepPoint &point : series.points)
            point.fake = point.probability >= threshold;
        series.flipIndex = firstFlip(result.baselineFake, series.points);
        series.flip.clear();
        if (series.flipIndex >= 0) {
            const SweepPoint &at = series.points[std::size_t(series.flipIndex)];
            series.flip = std::string("flips to ") + (result.baselineFake ? "real" : "fake") + " at "
                        + severityFrom(series.kind, at.strength);
            flips.push_back(series.flip);
        }
    }
    result.summary.clear();
    if (flips.empty()) {
        result.summary = "stable under all tested perturbations";
    } else {
        for (std::size_t i = 0; i < flips.size(); ++i)
            result.summary += (i ? "; " : "") + flips[i];
    }
}

RobustnessSweep::RobustnessSweep(Detector &detector, Options options) : m_detector(&detector), m_options(options)
{
    m_options.batchSize = std::max(1, m_options.batchSize);
}

RobustnessSweep::RobustnessSweep(const SpaiDetector &spai, Options options) : m_spai(&spai), m_options(options) {}

namespace {

// SPAI scores whole images of any size: what a preview keeps of one is its centre square,
// 224 px at 1:1 where the image is that large (JPEG blocks, blur and noise show as they are),
// else the largest centre square resized to 224.
std::vector<std::uint8_t> spaiPreview(const RgbImage &image)
{
    constexpr int kSide = 224;
    const int side = std::min({kSide, image.width, image.height});
    if (side < 1)
        return {};
    RgbImage square;
    square.width = square.height = side;
    square.pixels.resize(std::size_t(side) * std::size_t(side) * 3);
    const int left = (image.width - side) / 2, top = (image.height - side) / 2;
    for (int y = 0; y < side; ++y)
        std::copy_n(image.pixels.data() + (std::size_t(top + y) * std::size_t(image.width) + std::size_t(left)) * 3,
                    std::size_t(side) * 3, square.pixels.data() + std::size_t(y) * std::size_t(side) * 3);
    return side == kSide ? std::move(square.pixels) : resizeTo(square, kSide, kSide).pixels;
}

} // namespace

Result<SweepResult> RobustnessSweep::runSpai(const std::string &path, const std::string &sha256, const RgbImage &image,
                                             const SweepPlan &plan, std::chrono::steady_clock::time_point started)
{
    using R = Result<SweepResult>;
    SweepResult result;
    result.detector = "spai";
    result.path = path;
    result.sha256 = sha256;
    result.plan = plan.name;
    result.threshold = m_options.threshold;
    result.resizedTo256 = plan.resizeTo256;
    int total = 1;
    for (const SweepPlan::Series &series : plan.series)
        total += int(series.strengths.size());
    int done = 0;
    auto cancelled = [&] { return m_options.cancel && m_options.cancel->load(); };
    std::vector<std::uint8_t> preview; // of the last image scored, when keepCrops
    if (m_options.keepCrops)
        result.cropSize = 224;
    bool stoppedInImage = false; // the cancel came between two of an image's passes
    auto score = [&](const RgbImage &picture) -> Result<SpaiScore> {
        try {
            const RgbImage resized = plan.resizeTo256 ? resizeTo(picture, 256, 256) : RgbImage{};
            const RgbImage &scored = plan.resizeTo256 ? resized : picture;
            if (m_options.keepCrops)
                preview = spaiPreview(scored);
            SpaiWatch watch; // a large image at `fine` is minutes of passes: a cancel stops it between two
            watch.cancel = m_options.cancel;
            std::optional<SpaiScore> out = m_spai->score(scored.pixels.data(), scored.width, scored.height,
                                                         std::size_t(scored.width) * 3, watch);
            if (!out) {
                stoppedInImage = true;
                return Result<SpaiScore>::failure(path + ": cancelled");
            }
            result.crops += int(out->patches.size());
            ++result.forwardPasses;
            if (m_options.progress)
                m_options.progress(++done, total);
            return std::move(*out);
        } catch (const std::exception &e) {
            return Result<SpaiScore>::failure(path + ": SPAI could not score it: " + e.what());
        }
    };
    auto stop = [&] {
        result.cancelled = true;
        for (SweepSeries &series : result.series)
            series.points.clear();
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return result;
    };
    auto baseline = score(image);
    if (stoppedInImage)
        return stop();
    if (!baseline)
        return R::failure(baseline.error());
    result.baselineLogit = baseline->logit;
    result.baselineProbability = baseline->probability;
    result.baselineCrop = std::move(preview);
    std::uint64_t step = 0;
    for (const SweepPlan::Series &series : plan.series) {
        SweepSeries out{series.kind, {}, -1, {}};
        for (double strength : series.strengths) {
            if (cancelled())
                return stop();
            const Perturbation perturbation{series.kind, strength};
            // The same seed per point as RINE's sweep: both detectors see the same perturbed images.
            auto perturbed = applyPerturbation(image, perturbation, m_options.seed * 1000003u + step++);
            if (!perturbed)
                return R::failure(path + ": " + perturbation.describe() + ": " + perturbed.error());
            auto scored = score(perturbed.value());
            if (stoppedInImage)
                return stop();
            if (!scored)
                return R::failure(scored.error());
            out.points.push_back({strength, perturbation.describe(), scored->logit, scored->probability, false,
                                  std::move(preview)});
        }
        result.series.push_back(std::move(out));
    }
    applyThreshold(result, m_options.threshold);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

Result<SweepResult> RobustnessSweep::run(const std::string &path, const SweepPlan &plan)
{
    using R = Result<SweepResult>;
    const auto started = std::chrono::steady_clock::now();
    if (const std::string wrong = checkPlan(plan); !wrong.empty())
        return R::failure(path + ": " + wrong);
    auto cancelled = [&] { return m_options.cancel && m_options.cancel->load(); };
    FileBytes bytes;
    auto image = readImage(path, bytes);
    if (!m_options.expectedSha256.empty() && !bytes.sha256.empty() && bytes.sha256 != m_options.expectedSha256)
        return R::failure(changedSince(path, bytes.sha256, m_options.expectedSha256));
    if (!image)
        return R::failure(image.error());
    if (m_spai)
        return runSpai(path, bytes.sha256, image->rgb, plan, started);
    const int size = m_detector->info().inputSize;
    const Preprocessing preprocessing{m_options.crop == CropMode::Texture ? CropMode::Texture : CropMode::Center, size};
    // The crops of each point (one; TextureCrop: its windows), all in one list; each point's first.
    std::vector<std::vector<std::uint8_t>> crops;
    std::vector<std::size_t> firsts;
    auto prepare = [&](const RgbImage &picture) {
        CropPlan cut = preprocessing.plan(plan.resizeTo256 ? resizeTo(picture, 256, 256) : picture);
        firsts.push_back(crops.size());
        for (auto &crop : cut.crops)
            crops.push_back(std::move(crop));
    };

    SweepResult result;
    result.path = path;
    result.sha256 = bytes.sha256;
    result.plan = plan.name;
    result.threshold = m_options.threshold;
    result.resizedTo256 = plan.resizeTo256;
    result.crop = preprocessing.crop;
    result.cropSize = size;
    int points = 1;
    for (const SweepPlan::Series &series : plan.series)
        points += int(series.strengths.size());
    int total = points * (preprocessing.crop == CropMode::Texture ? 1 + preprocessing.windows : 2);
    int done = 0;
    auto advance = [&](int by) {
        done += by;
        if (m_options.progress)
            m_options.progress(done, total);
    };
    auto stop = [&] {
        result.cancelled = true;
        for (SweepSeries &series : result.series)
            series.points.clear();
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return result;
    };
    // Every crop first, then one batched pass over all of them.
    prepare(image->rgb);
    advance(1);
    std::uint64_t step = 0;
    for (const SweepPlan::Series &series : plan.series) {
        SweepSeries out{series.kind, {}, -1, {}};
        for (double strength : series.strengths) {
            if (cancelled())
                return stop();
            const Perturbation perturbation{series.kind, strength};
            auto perturbed = applyPerturbation(image->rgb, perturbation, m_options.seed * 1000003u + step++);
            if (!perturbed)
                return R::failure(path + ": " + perturbation.describe() + ": " + perturbed.error());
            prepare(perturbed.value());
            out.points.push_back({strength, perturbation.describe(), 0, 0, false, {}});
            advance(1);
        }
        result.series.push_back(std::move(out));
    }
    std::vector<CropScore> scores;
    for (std::size_t first = 0; first < crops.size(); first += std::size_t(m_options.batchSize)) {
        if (cancelled())
            return stop();
        std::vector<const std::uint8_t *> batch;
        for (std::size_t i = first; i < std::min(crops.size(), first + std::size_t(m_options.batchSize)); ++i)
            batch.push_back(crops[i].data());
        auto scored = m_detector->score(batch);
        if (!scored)
            return R::failure(path + ": " + scored.error());
        scores.insert(scores.end(), scored->begin(), scored->end());
        ++result.forwardPasses;
        advance(int(batch.size()));
    }
    result.crops = int(crops.size());
    firsts.push_back(crops.size());
    // A point's score: its crop's, or the sigmoid of the mean logit of its windows.
    auto scoreOf = [&](std::size_t point) {
        return combineCrops(scores, firsts[point], firsts[point + 1] - firsts[point]);
    };

    const CropScore baseline = scoreOf(0);
    result.baselineLogit = baseline.logit;
    result.baselineProbability = baseline.probability;
    if (m_options.keepCrops)
        result.baselineCrop = std::move(crops[firsts[0]]);
    std::size_t next = 1;
    for (SweepSeries &series : result.series) {
        for (SweepPoint &point : series.points) {
            const CropScore score = scoreOf(next);
            point.logit = score.logit;
            point.probability = score.probability;
            if (m_options.keepCrops)
                point.crop = std::move(crops[firsts[next]]);
            ++next;
        }
    }
    applyThreshold(result, m_options.threshold);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

} // namespace rine
