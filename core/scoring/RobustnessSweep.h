#pragma once

#include "image/Perturbations.h"
#include "image/Preprocessing.h"
#include "model/Detector.h"
#include "model/SpaiDetector.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace rine {

// Which perturbations at which strengths, in order of increasing severity.
struct SweepPlan {
    std::string name;
    struct Series {
        PerturbationKind kind;
        std::vector<double> strengths;
    };
    std::vector<Series> series;
    // The published robustness protocol: every image (the baseline too) is resized to
    // 256 x 256 after its perturbation, then center-cropped to 224.
    bool resizeTo256 = true;
};

// "paper": the ranges of the RINE paper's robustness study (JPEG quality 75..10, blur kernel
// 3..9, crop 5..20%, noise sigma 5..20), with the resize to 256. "fine": finer steps, wider
// ranges and downscaling, scored at the image's own scale (center crop 224, as a scan does).
// Empty name when unknown.
SweepPlan robustnessPreset(const std::string &name);

// Empty when every strength of the plan is in range and there is at least one, else what is
// wrong ("blur: blur kernel size must be odd, 1 to 99 (got 4)").
std::string checkPlan(const SweepPlan &plan);

struct SweepPoint {
    double strength = 0;
    std::string label; // Perturbation::describe()
    double logit = 0, probability = 0;
    bool fake = false; // probability >= threshold
    std::vector<std::uint8_t> crop; // what was scored (RGB, inputSize^2), when Options::keepCrops
};

struct SweepSeries {
    PerturbationKind kind;
    std::vector<SweepPoint> points;
    int flipIndex = -1; // the first point whose verdict differs from the baseline's; -1: none
    std::string flip; // "flips to real at JPEG quality <= 45", or empty
};

struct SweepResult {
    std::string detector = "rine"; // "rine" or "spai": who scored every point
    std::string path, sha256;
    std::string plan;
    double threshold = 0.5;
    double baselineLogit = 0, baselineProbability = 0;
    bool baselineFake = false;
    std::vector<SweepSeries> series;
    std::string summary; // "stable under all tested perturbations", or the flips
    int crops = 0; // crops scored, baseline included (SPAI: patches)
    int forwardPasses = 0;
    double seconds = 0;
    bool resizedTo256 = false; // the plan's protocol step
    CropMode crop = CropMode::Center; // what each point was scored on (Options::crop)
    int cropSize = 0; // the side of the crops scored (and kept)
    std::vector<std::uint8_t> baselineCrop; // when Options::keepCrops
    bool cancelled = false; // stopped on request: nothing was scored, series hold no scores
};

// The index of the first point whose verdict differs from the baseline's, or -1.
int firstFlip(bool baselineFake, const std::vector<SweepPoint> &points);

// Sets the verdicts, flips and summary of a scored sweep for a threshold (the probabilities
// stay): what a sweep says when the analyst moves the threshold afterwards.
void applyThreshold(SweepResult &result, double threshold);

// Scores an image under every perturbation of a plan, all crops batched through the detector
// (the first head); or with SPAI, each perturbed image (resized to 256 x 256 when the plan's
// protocol says so) scored whole, at its own resolution, one point after another so that one
// perturbed copy is held at a time. Deterministic for a seed.
class RobustnessSweep {
public:
    struct Options {
        double threshold = 0.5;
        int batchSize = 16;
        std::uint64_t seed = 0;
        bool keepCrops = false; // keep each scored crop in the result (previews; TextureCrop: its first window;
                                // SPAI: the centre 224 px of each image it scored whole)
        // Center (the published protocol) or TextureCrop: the ten windows of each perturbed image,
        // the mean of their logits. Ten-crop is not offered here.
        CropMode crop = CropMode::Center;
        const std::atomic<bool> *cancel = nullptr; // checked between perturbations and batches (SPAI: passes)
        // Called after each perturbation is prepared and each batch is scored; done counts
        // both, of total = points + crops.
        std::function<void(int done, int total)> progress;
        // Not empty: bytes with another SHA-256 (the file changed since it was shown) are
        // refused as soon as they are read, before anything is scored.
        std::string expectedSha256;
    };
    RobustnessSweep(Detector &detector, Options options);
    // options.crop and batchSize do not apply: SPAI scores the whole image.
    RobustnessSweep(const SpaiDetector &spai, Options options);

    Result<SweepResult> run(const std::string &path, const SweepPlan &plan);

private:
    Result<SweepResult> runSpai(const std::string &path, const std::string &sha256, const RgbImage &image,
                                const SweepPlan &plan, std::chrono::steady_clock::time_point started);
    Detector *m_detector = nullptr;
    const SpaiDetector *m_spai = nullptr;
    Options m_options;
};

} // namespace rine
