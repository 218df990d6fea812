#pragma once

#include "model/Detector.h"
#include "util/Result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rine {

// Training a RINE head on a frozen backbone's per-block features, as the published code
// trains it (issue 8): the objective of TrainingLosses (summed BCE + xi SupCon on the
// normalised proj2 output), Adam, the learning rate divided by 10 at the start of the given
// epochs, Dropout 0.5 while training. No torch types cross this interface.
struct HeadTrainingConfig {
    int nproj = 4;
    int projDim = 128; // P
    double xi = 0.2; // weight of the contrastive loss
    double temperature = 0.07;
    double learningRate = 1e-3;
    std::vector<int> learningRateDrops{6, 11}; // 1-based epochs at whose start lr /= 10
    int epochs = 15;
    int batchSize = 128;
    std::uint64_t seed = 0;
    int patience = 0; // > 0: stop when validation accuracy has not improved for this many epochs
};

// The published best configurations: "1-class" (xi 0.1, nproj 4, P 1024), "2-class" (0.2, 4,
// 128), "4-class" (0.2, 2, 1024). False for another name.
bool headTrainingPreset(const std::string &name, HeadTrainingConfig &config);

struct LabeledFeatures {
    BlockFeatures features; // [count][blocks][width]
    std::vector<int> labels; // 0 real, 1 fake; one per crop
};

struct EpochReport {
    int epoch = 0; // 1-based
    double learningRate = 0;
    double trainLoss = 0; // mean over batches of the batch objective
    double validationLoss = 0; // the same, on the validation set without Dropout
    double validationAccuracy = 0; // at probability 0.5
    double validationAveragePrecision = 0;
    double seconds = 0;
    bool best = false; // the best so far (highest accuracy; lower loss on a tie)
};

struct HeadTrainingOutcome {
    std::vector<EpochReport> epochs;
    int bestEpoch = 0;
    std::vector<double> bestValidationScores; // the best epoch's probabilities, in validation order
    bool cancelled = false; // stopped on request: the best epoch so far was written
    bool stoppedEarly = false; // patience ran out
    std::string checkpointSha256;
};

// The training set as the trainer asks for it: every sample's label up front, the features
// of a batch when it is needed. Fast mode hands out rows of features computed once; training
// with augmentation puts freshly augmented images through the backbone for every batch.
struct TrainingSamples {
    std::vector<int> labels; // 0 real, 1 fake
    // The features of these samples (indices into labels) for this (1-based) epoch, in order.
    // A failure while the cancel flag is set counts as the cancel (the best epoch is kept).
    std::function<Result<BlockFeatures>(const std::vector<std::int64_t> &indices, int epoch)> features;
};

struct HeadTrainingEvents {
    std::function<void(const EpochReport &)> epoch; // after each epoch's validation
    std::function<void(int epoch, int batchesDone, int batches)> batch; // after each training batch
};

// Trains a fresh head on the samples and writes the best epoch's weights to checkpointPath in
// the published format (writeTensorArchive). cancel is checked between batches.
Result<HeadTrainingOutcome> trainHead(const TrainingSamples &train, const LabeledFeatures &validation,
                                      const HeadTrainingConfig &config, const std::string &checkpointPath,
                                      const std::atomic<bool> *cancel = nullptr, const HeadTrainingEvents &events = {});

// Rows of features (a training batch out of a cached set).
BlockFeatures selectFeatures(const BlockFeatures &features, const std::vector<std::int64_t> &indices);

// Trains a fresh head on cached features (fast mode) and writes the best epoch's weights to checkpointPath in the published
// format (writeTensorArchive). cancel is checked between batches; progress gets each epoch.
Result<HeadTrainingOutcome> trainHeadOnFeatures(const LabeledFeatures &train, const LabeledFeatures &validation,
                                                const HeadTrainingConfig &config, const std::string &checkpointPath,
                                                const std::atomic<bool> *cancel = nullptr,
                                                const std::function<void(const EpochReport &)> &progress = {});

} // namespace rine
