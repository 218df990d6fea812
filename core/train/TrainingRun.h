#pragma once

#include "image/ImageDecoder.h"
#include "image/Perturbations.h"
#include "model/HeadTraining.h"
#include "train/Dataset.h"
#include "util/Result.h"

#include <QJsonObject>

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace rine {

class Detector;

// A whole training run as `rine-cli train` and the training wizard do it (issue 8): the
// dataset's train/ and val/ folders, their images put through the frozen backbone, the head
// trained, the best epoch written in the published format with a model card beside it, and the
// head recorded as trained here.

// The paper's class selections: "1-class" horse; "2-class" chair, horse; "4-class" car, cat,
// chair, horse. False for another name.
bool paperClassSet(const std::string &name, std::vector<std::string> &classes);

// Images per class (the folder holding 0_real/1_fake; "(all)" for the flat layout): real, fake.
using ClassCounts = std::map<std::string, std::array<int, 2>>;
ClassCounts countByClass(const std::vector<LabeledImage> &images);

struct TrainingData {
    std::string root;
    std::vector<LabeledImage> train, validation;
};

// <root>/train and <root>/val, each <class>/{0_real,1_fake} (ProGAN) or {0_real,1_fake}
// (flat); classes: keep only these (empty: all). Both splits need real and fake images.
Result<TrainingData> findTrainingData(const std::string &root, const std::vector<std::string> &classes = {});

// The chosen classes of a dataset already found (empty: all), with findTrainingData's checks:
// what the wizard's data page counts without walking the folders again.
Result<TrainingData> selectClasses(const TrainingData &all, const std::vector<std::string> &classes);

// Every class folder under <root>/train, for a picker.
std::vector<std::string> trainingClasses(const TrainingData &data);

struct TrainingRequest {
    TrainingData data;
    std::string classesText; // as the user chose them, for the model card
    std::string preset; // the HeadTrainingConfig's preset name, for the model card
    HeadTrainingConfig config;
    // false (fast mode): each image's features are computed once from its center crop and the
    // head trains on them. true: every epoch puts each training image, freshly augmented
    // (augmentForTraining), through the backbone, as the published code trains.
    bool augment = false;
    TrainingAugmentation augmentation;
    std::string output; // the head's .pth; the card goes to output + ".card.json"
    int featureBatch = 8; // crops per backbone pass
    DecodeLimits limits;
};

// What a training run (or a test-set evaluation) is doing: the features of the training or the
// validation images (done/total images), the training itself (done/total samples over all
// epochs: after every batch, and with augmentation after every backbone pass), or the test
// images of an evaluation (done/total images).
enum class TrainingStage { TrainFeatures, ValFeatures, Training, TestImages };
// "train features", "val features", "training", "test images": for logs and progress lines.
const char *trainingStageName(TrainingStage stage);

struct TrainingEvents {
    std::function<void(TrainingStage stage, std::size_t done, std::size_t total)> step;
    std::function<void(const EpochReport &)> epoch;
    std::function<void(const std::string &message)> note; // a file left out, a data warning
};

// The best epoch's validation results for one class.
struct ClassResult {
    std::string name;
    int real = 0, fake = 0;
    double accuracy = 0, averagePrecision = 0;
};

struct TrainingRunOutcome {
    HeadTrainingOutcome training;
    std::string cardPath;
    QJsonObject card;
    ClassCounts trainCounts, validationCounts; // of the images used
    int leftOut = 0; // images that could not be read
    std::vector<std::string> warnings; // datasetWarnings of the training set
    std::vector<ClassResult> validationByClass; // best epoch; one per class, then "mean" when several
};

Result<TrainingRunOutcome> runTraining(Detector &detector, const TrainingRequest &request,
                                       const std::atomic<bool> *cancel = nullptr, const TrainingEvents &events = {});

// A trained head measured on test sets (session/Evaluation.h, evaluateTrainedHead): accuracy
// at the threshold and AP per generator, then their mean ("mean") when several.
struct TestEvaluation {
    std::string root;
    std::string preprocessing; // Preprocessing::name() of what was scored
    double threshold = 0.5;
    std::vector<ClassResult> byGenerator;
    int leftOut = 0;
};

// Adds a test evaluation to a model card (atomically): "test_sets", one entry per evaluation.
Result<bool> recordTestEvaluation(const std::string &cardPath, const TestEvaluation &evaluation);

} // namespace rine
