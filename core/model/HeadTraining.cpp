#include "HeadTraining.h"

#include "HeadCheckpoint.h"
#include "Modules.h"
#include "TrainingLosses.h"
#include "util/Metrics.h"

#include <torch/optim/adam.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

namespace rine {

bool headTrainingPreset(const std::string &name, HeadTrainingConfig &config)
{
    if (name == "1-class") {
        config.xi = 0.1, config.nproj = 4, config.projDim = 1024;
    } else if (name == "2-class") {
        config.xi = 0.2, config.nproj = 4, config.projDim = 128;
    } else if (name == "4-class") {
        config.xi = 0.2, config.nproj = 2, config.projDim = 1024;
    } else {
        return false;
    }
    return true;
}

namespace {

std::string checkLabels(const std::vector<int> &labels, const char *what)
{
    if (labels.empty())
        return std::string("the ") + what + " set is empty";
    for (int label : labels)
        if (label != 0 && label != 1)
            return std::string("the ") + what + " set has a label other than 0 (real) and 1 (fake)";
    return {};
}

std::string check(const LabeledFeatures &set, const char *what)
{
    const BlockFeatures &f = set.features;
    if (f.values.size() != std::size_t(f.count) * std::size_t(f.blocks) * std::size_t(f.width)
        || set.labels.size() != std::size_t(f.count))
        return std::string("the ") + what + " set's features and labels do not match in size";
    return checkLabels(set.labels, what);
}

torch::Tensor featureTensor(const BlockFeatures &f)
{
    return torch::from_blob(const_cast<float *>(f.values.data()), {f.count, f.blocks, f.width}, torch::kFloat).clone();
}

} // namespace

BlockFeatures selectFeatures(const BlockFeatures &features, const std::vector<std::int64_t> &indices)
{
    BlockFeatures out;
    out.count = int(indices.size());
    out.blocks = features.blocks;
    out.width = features.width;
    const std::size_t row = std::size_t(features.blocks) * std::size_t(features.width);
    out.values.resize(indices.size() * row);
    for (std::size_t i = 0; i < indices.size(); ++i)
        std::copy_n(features.values.begin() + std::ptrdiff_t(std::size_t(indices[i]) * row), row,
                    out.values.begin() + std::ptrdiff_t(i * row));
    return out;
}

Result<HeadTrainingOutcome> trainHeadOnFeatures(const LabeledFeatures &train, const LabeledFeatures &validation,
                                                const HeadTrainingConfig &config, const std::string &checkpointPath,
                                                const std::atomic<bool> *cancel,
                                                const std::function<void(const EpochReport &)> &progress)
{
    if (std::string wrong = check(train, "training"); !wrong.empty())
        return Result<HeadTrainingOutcome>::failure(wrong);
    TrainingSamples samples;
    samples.labels = train.labels;
    samples.features = [&train](const std::vector<std::int64_t> &indices, int) -> Result<BlockFeatures> {
        return selectFeatures(train.features, indices);
    };
    HeadTrainingEvents events;
    events.epoch = progress;
    return trainHead(samples, validation, config, checkpointPath, cancel, events);
}

Result<HeadTrainingOutcome> trainHead(const TrainingSamples &train, const LabeledFeatures &validation,
                                      const HeadTrainingConfig &config, const std::string &checkpointPath,
                                      const std::atomic<bool> *cancel, const HeadTrainingEvents &events)
{
    using R = Result<HeadTrainingOutcome>;
    if (std::string wrong = checkLabels(train.labels, "training"); !wrong.empty())
        return R::failure(wrong);
    if (std::string wrong = check(validation, "validation"); !wrong.empty())
        return R::failure(wrong);
    if (!train.features)
        return R::failure("no source of training features");
    if (config.nproj < 1 || config.projDim < 1 || config.epochs < 1 || config.batchSize < 1 || config.learningRate <= 0
        || config.xi < 0 || config.temperature <= 0)
        return R::failure("the training configuration is out of range");
    try {
        torch::NoGradGuard outside; // gradients only where asked for below
        torch::manual_seed(config.seed);
        const int blocks = validation.features.blocks, width = validation.features.width;
        RineHead head(HeadConfig{width, blocks, config.nproj, config.projDim});
        head.initialiseForTraining();
        const torch::Tensor validX = featureTensor(validation.features);
        const torch::Tensor trainY = torch::tensor(std::vector<std::int64_t>(train.labels.begin(), train.labels.end()));
        const torch::Tensor validY =
            torch::tensor(std::vector<std::int64_t>(validation.labels.begin(), validation.labels.end()));
        torch::optim::Adam optimiser(head.parameters(), torch::optim::AdamOptions(config.learningRate));
        std::mt19937_64 shuffle(config.seed ^ 0x9E3779B97F4A7C15ull);
        std::vector<std::int64_t> order(train.labels.size());
        const int batchesPerEpoch = int((order.size() + std::size_t(config.batchSize) - 1) / std::size_t(config.batchSize));

        HeadTrainingOutcome outcome;
        std::vector<std::pair<std::string, torch::Tensor>> best;
        double learningRate = config.learningRate;
        int sinceBest = 0;
        for (int epoch = 1; epoch <= config.epochs; ++epoch) {
            const auto started = std::chrono::steady_clock::now();
            if (std::find(config.learningRateDrops.begin(), config.learningRateDrops.end(), epoch)
                != config.learningRateDrops.end()) {
                learningRate /= 10;
                for (auto &group : optimiser.param_groups())
                    static_cast<torch::optim::AdamOptions &>(group.options()).lr(learningRate);
            }
            // Training: a fresh order each epoch (Fisher-Yates on our generator).
            std::iota(order.begin(), order.end(), 0);
            for (std::size_t i = order.size(); i > 1; --i)
                std::swap(order[i - 1], order[std::size_t(shuffle() % i)]);
            double trainLoss = 0;
            int batches = 0;
            for (std::size_t first = 0; first < order.size(); first += std::size_t(config.batchSize)) {
                if (cancel && cancel->load()) {
                    outcome.cancelled = true;
                    break;
                }
                const std::size_t count = std::min(order.size() - first, std::size_t(config.batchSize));
                const std::vector<std::int64_t> indices(order.begin() + std::ptrdiff_t(first),
                                                        order.begin() + std::ptrdiff_t(first + count));
                auto features = train.features(indices, epoch);
                if (!features && cancel && cancel->load()) { // the source saw the cancel first
                    outcome.cancelled = true;
                    break;
                }
                if (!features)
                    return R::failure(features.error());
                if (features->count != int(count) || features->blocks != blocks || features->width != width
                    || features->values.size() != count * std::size_t(blocks) * std::size_t(width))
                    return R::failure("the training and validation features come from different backbones");
                const torch::Tensor index = torch::from_blob(const_cast<std::int64_t *>(indices.data()),
                                                             {std::int64_t(count)}, torch::kLong)
                                                .clone();
                torch::AutoGradMode enable(true);
                auto [logits, embedding] = head.trainingForward(featureTensor(features.value()), true);
                torch::Tensor loss = rineLoss(logits, embedding, trainY.index_select(0, index), config.xi,
                                              config.temperature);
                optimiser.zero_grad();
                loss.backward();
                optimiser.step();
                trainLoss += loss.item<double>();
                ++batches;
                if (events.batch)
                    events.batch(epoch, batches, batchesPerEpoch);
            }
            if (outcome.cancelled)
                break;

            // Validation, without Dropout.
            double validLoss = 0;
            int validBatches = 0;
            std::vector<double> scores;
            for (std::int64_t first = 0; first < validation.features.count; first += config.batchSize) {
                const std::int64_t count = std::min<std::int64_t>(validation.features.count - first, config.batchSize);
                auto [logits, embedding] = head.trainingForward(validX.narrow(0, first, count), false);
                validLoss += rineLoss(logits, embedding, validY.narrow(0, first, count), config.xi, config.temperature)
                                 .item<double>();
                ++validBatches;
                const torch::Tensor p = torch::sigmoid(logits).to(torch::kDouble).contiguous();
                scores.insert(scores.end(), p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
            }
            EpochReport report;
            report.epoch = epoch;
            report.learningRate = learningRate;
            report.trainLoss = batches ? trainLoss / batches : 0;
            report.validationLoss = validLoss / std::max(1, validBatches);
            report.validationAccuracy = accuracyAt(scores, validation.labels, 0.5).overall;
            report.validationAveragePrecision = averagePrecision(scores, validation.labels);
            report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            const EpochReport *previousBest = outcome.bestEpoch ? &outcome.epochs[std::size_t(outcome.bestEpoch - 1)] : nullptr;
            report.best = !previousBest || report.validationAccuracy > previousBest->validationAccuracy
                       || (report.validationAccuracy == previousBest->validationAccuracy
                           && report.validationLoss < previousBest->validationLoss);
            if (report.best) {
                outcome.bestEpoch = epoch;
                outcome.bestValidationScores = scores;
                best.clear();
                for (const auto &[name, tensor] : head.checkpointTensors())
                    best.emplace_back(name, tensor.detach().clone());
                sinceBest = 0;
            } else {
                ++sinceBest;
            }
            outcome.epochs.push_back(report);
            if (events.epoch)
                events.epoch(report);
            if (config.patience > 0 && sinceBest >= config.patience) {
                outcome.stoppedEarly = true;
                break;
            }
        }
        if (best.empty())
            return R::failure("training was cancelled before the first epoch ended; nothing was written");
        auto written = writeTensorArchive(checkpointPath, best);
        if (!written)
            return R::failure(written.error());
        outcome.checkpointSha256 = written.value();
        return outcome;
    } catch (const std::exception &e) {
        return R::failure(std::string("training failed: ") + e.what());
    }
}

} // namespace rine
