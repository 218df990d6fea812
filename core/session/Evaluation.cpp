#include "Evaluation.h"

#include "model/Detector.h"

#include <cmath>
#include <functional>
#include <map>

namespace rine {

namespace {

// A detector's score of one record: its probability, or nothing when it did not score it.
using Pick = std::function<const double *(const ImageRecord &)>;

EvaluationResult summarise(const std::vector<ImageRecord> &records, const EvaluationRequest &request, const Pick &pick)
{
    EvaluationResult out;
    out.preprocessing = request.preprocessing;
    out.threshold = request.threshold;
    struct Group {
        std::vector<double> scores;
        std::vector<int> labels;
        int failed = 0;
    };
    std::map<std::string, Group> groups;
    std::vector<int> okLabels, qualities;
    std::vector<std::string> formats;
    std::vector<double> pixels;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const LabeledImage &image = request.images[i];
        Group &group = groups[image.generator.empty() ? std::string("(all)") : image.generator];
        const double *probability = pick(records[i]);
        if (!probability) {
            ++group.failed;
            ++out.failed;
            out.errors.push_back(records[i].error.empty() ? records[i].path + ": not scored" : records[i].error);
            continue;
        }
        group.scores.push_back(*probability);
        group.labels.push_back(image.label);
        out.scores.push_back(*probability);
        out.labels.push_back(image.label);
        okLabels.push_back(image.label);
        formats.push_back(records[i].format);
        pixels.push_back(double(records[i].width) * records[i].height);
        qualities.push_back(records[i].jpegQuality);
    }
    for (const auto &[name, group] : groups) {
        GeneratorResult r;
        r.name = name;
        r.accuracy = accuracyAt(group.scores, group.labels, request.threshold);
        r.averagePrecision = averagePrecision(group.scores, group.labels);
        r.failed = group.failed;
        out.meanAccuracy += r.accuracy.overall / double(groups.size());
        out.meanAveragePrecision += r.averagePrecision / double(groups.size());
        out.byGenerator.push_back(r);
    }
    out.warnings = datasetWarnings(okLabels, formats, pixels, qualities);
    return out;
}

ScoreOptions scoreOptions(const EvaluationRequest &request, const std::atomic<bool> *cancel)
{
    ScoreOptions options;
    options.crop = request.preprocessing.crop;
    options.batchSize = request.batchSize;
    options.limits = request.limits;
    options.cancel = cancel;
    return options;
}

std::vector<std::string> pathsOf(const EvaluationRequest &request)
{
    std::vector<std::string> paths;
    for (const LabeledImage &image : request.images)
        paths.push_back(image.path);
    return paths;
}

const double *rineProbability(const ImageRecord &record) { return record.rineScored ? &record.probability : nullptr; }

} // namespace

Result<EvaluationResult> evaluate(const CropScorer &scorer, const EvaluationRequest &request,
                                  const std::atomic<bool> *cancel, const EvaluationProgress &progress)
{
    ImageScorer imageScorer(scorer, request.preprocessing.inputSize, scoreOptions(request, cancel));
    const std::vector<ImageRecord> records = imageScorer.scoreFiles(pathsOf(request), progress);
    if (imageScorer.cancelled())
        return Result<EvaluationResult>::failure("cancelled");
    return summarise(records, request, rineProbability);
}

Result<std::vector<EvaluationResult>> evaluate(DetectorSet detectors, const EvaluationRequest &request,
                                               const std::atomic<bool> *cancel, const EvaluationProgress &progress)
{
    using R = Result<std::vector<EvaluationResult>>;
    ImageScorer imageScorer(detectors, scoreOptions(request, cancel));
    const std::vector<ImageRecord> records = imageScorer.scoreFiles(pathsOf(request), progress);
    if (imageScorer.cancelled())
        return R::failure("cancelled");
    std::vector<EvaluationResult> out;
    if (detectors.rine)
        out.push_back(summarise(records, request, rineProbability));
    if (detectors.spai) {
        out.push_back(summarise(records, request, [](const ImageRecord &record) {
            return record.spai ? &record.spai->probability : nullptr;
        }));
        out.back().detector = "spai";
    }
    return out;
}

Result<EvaluationResult> evaluate(Detector &detector, const EvaluationRequest &request,
                                  const std::atomic<bool> *cancel, const EvaluationProgress &progress)
{
    return evaluate([&detector](const std::vector<const std::uint8_t *> &crops) { return detector.score(crops); },
                    request, cancel, progress);
}

Result<TestEvaluation> evaluateTrainedHead(Detector &backbone, const std::string &headPath,
                                           const std::string &testRoot, const Preprocessing &preprocessing,
                                           double threshold, int batchSize, const std::atomic<bool> *cancel,
                                           const TrainingEvents &events)
{
    using R = Result<TestEvaluation>;
    auto images = findLabeledImages(testRoot);
    if (!images)
        return R::failure(images.error());
    auto headScores = [&](const std::vector<const std::uint8_t *> &crops) -> Result<std::vector<CropScore>> {
        using S = Result<std::vector<CropScore>>;
        auto features = backbone.features(crops);
        if (!features)
            return S::failure(features.error());
        auto logits = headLogits(headPath, features.value());
        if (!logits)
            return S::failure(logits.error());
        std::vector<CropScore> scores;
        for (double logit : logits.value())
            scores.push_back({logit, 1.0 / (1.0 + std::exp(-logit)), {}});
        return scores;
    };
    EvaluationRequest request;
    request.images = std::move(images.value());
    request.preprocessing = preprocessing;
    request.threshold = threshold;
    request.batchSize = batchSize;
    auto result = evaluate(headScores, request, cancel, [&](std::size_t done, std::size_t total) {
        if (events.step)
            events.step(TrainingStage::TestImages, done, total);
    });
    if (!result)
        return R::failure(result.error());
    if (events.note)
        for (const std::string &error : result->errors)
            events.note(error + " (left out)");
    if (result->scores.empty())
        return R::failure(testRoot + ": none of the images could be scored"
                          + (result->errors.empty() ? std::string() : " (" + result->errors.front() + ")"));
    TestEvaluation out;
    out.root = testRoot;
    out.preprocessing = preprocessing.name();
    out.threshold = threshold;
    out.leftOut = result->failed;
    for (const GeneratorResult &g : result->byGenerator)
        out.byGenerator.push_back(
            {g.name, g.accuracy.reals, g.accuracy.fakes, g.accuracy.overall, g.averagePrecision});
    if (out.byGenerator.size() > 1) { // the paper's tables: the mean over the rows
        ClassResult mean;
        mean.name = "mean";
        for (const GeneratorResult &g : result->byGenerator) {
            mean.real += g.accuracy.reals;
            mean.fake += g.accuracy.fakes;
        }
        mean.accuracy = result->meanAccuracy;
        mean.averagePrecision = result->meanAveragePrecision;
        out.byGenerator.push_back(mean);
    }
    return out;
}

} // namespace rine
