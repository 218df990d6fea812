#pragma once

#include "image/Preprocessing.h"
#include "scoring/ImageScorer.h"
#include "train/Dataset.h"
#include "train/TrainingRun.h"
#include "util/Metrics.h"
#include "util/Result.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace rine {

class Detector;

// A model measured on a labelled dataset, as the RINE paper's tables do: accuracy at the
// threshold (overall, real, fake) and average precision per generator folder, and their mean.
// The one implementation behind `rine-cli evaluate` and the training wizard's test sets.
struct EvaluationRequest {
    std::vector<LabeledImage> images;
    Preprocessing preprocessing;
    double threshold = 0.5;
    int batchSize = 8; // images per forward pass
    DecodeLimits limits;
};

struct GeneratorResult {
    std::string name; // the generator folder; "(all)" for the flat layout
    Accuracy accuracy;
    double averagePrecision = 0;
    int failed = 0; // images that could not be scored
};

struct EvaluationResult {
    std::string detector = "rine"; // "rine" or "spai"
    Preprocessing preprocessing; // RINE's (SPAI scores every image at its own resolution)
    double threshold = 0.5;
    std::vector<GeneratorResult> byGenerator; // in name order
    double meanAccuracy = 0, meanAveragePrecision = 0; // over the generators
    std::vector<double> scores; // every scored image's probability, with its label (calibration)
    std::vector<int> labels;
    int failed = 0;
    std::vector<std::string> errors; // one per image that could not be scored
    std::vector<std::string> warnings; // real and fake differ in format, size or JPEG quality
};

using EvaluationProgress = std::function<void(std::size_t done, std::size_t total)>;

// Scores every image with `scorer` (crops of the request's preprocessing, sigmoid of the mean
// logit over them) and groups the results. Fails only when cancelled.
Result<EvaluationResult> evaluate(const CropScorer &scorer, const EvaluationRequest &request,
                                  const std::atomic<bool> *cancel = nullptr, const EvaluationProgress &progress = {});

// The detector's first head.
Result<EvaluationResult> evaluate(Detector &detector, const EvaluationRequest &request,
                                  const std::atomic<bool> *cancel = nullptr, const EvaluationProgress &progress = {});

// Every detector of the set on the same images, each image read and decoded once: one result
// per detector, RINE's first when it is in the set. An image one detector could not score is
// left out of that detector's result only.
Result<std::vector<EvaluationResult>> evaluate(DetectorSet detectors, const EvaluationRequest &request,
                                               const std::atomic<bool> *cancel = nullptr,
                                               const EvaluationProgress &progress = {});

// A trained head file measured on test sets (<testRoot>/<generator>/[<class>/]{0_real,1_fake})
// on the detector's backbone features, without loading the backbone again: what the wizard
// records in the head's model card. Fails when no image could be scored.
Result<TestEvaluation> evaluateTrainedHead(Detector &backbone, const std::string &headPath,
                                           const std::string &testRoot, const Preprocessing &preprocessing,
                                           double threshold, int batchSize, const std::atomic<bool> *cancel = nullptr,
                                           const TrainingEvents &events = {});

} // namespace rine
