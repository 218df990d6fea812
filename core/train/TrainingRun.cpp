#include "TrainingRun.h"

#include "image/Perturbations.h"
#include "model/Detector.h"
#include "util/AtomicFile.h"
#include "catalog/ModelStore.h"
#include "util/Metrics.h"
#include "util/Version.h"
#include "util/QtStrings.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <set>

namespace rine {

const char *trainingStageName(TrainingStage stage)
{
    switch (stage) {
    case TrainingStage::TrainFeatures: return "train features";
    case TrainingStage::ValFeatures: return "val features";
    case TrainingStage::Training: return "training";
    case TrainingStage::TestImages: return "test images";
    }
    return "training";
}

bool paperClassSet(const std::string &name, std::vector<std::string> &classes)
{
    if (name == "1-class")
        classes = {"horse"};
    else if (name == "2-class")
        classes = {"chair", "horse"};
    else if (name == "4-class")
        classes = {"car", "cat", "chair", "horse"};
    else
        return false;
    return true;
}

ClassCounts countByClass(const std::vector<LabeledImage> &images)
{
    ClassCounts counts;
    for (const LabeledImage &image : images)
        ++counts[image.category.empty() ? std::string("(all)") : image.category][std::size_t(image.label ? 1 : 0)];
    return counts;
}

namespace {

bool hasBothLabels(const std::vector<LabeledImage> &images)
{
    bool seen[2] = {false, false};
    for (const LabeledImage &image : images)
        seen[image.label ? 1 : 0] = true;
    return seen[0] && seen[1];
}

// One image's draws in one epoch: its own seed, so that an epoch can be replayed and
// batches do not depend on each other (splitmix64 of the three).
std::uint64_t augmentationSeed(std::uint64_t seed, int epoch, std::int64_t index)
{
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (std::uint64_t(epoch) * 0x100000001B3ull + std::uint64_t(index) + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

const char *const kCancelled = "cancelled";

// The features of 224 crops, featureBatch at a time; a cancel is seen between passes.
Result<BlockFeatures> featuresOf(Detector &detector, const std::vector<std::vector<std::uint8_t>> &crops, int batch,
                                 const std::atomic<bool> *cancel = nullptr)
{
    BlockFeatures out;
    out.blocks = detector.info().blocks;
    out.width = detector.info().width;
    for (std::size_t first = 0; first < crops.size(); first += std::size_t(std::max(1, batch))) {
        if (cancel && cancel->load())
            return Result<BlockFeatures>::failure(kCancelled);
        std::vector<const std::uint8_t *> pointers;
        for (std::size_t i = first; i < std::min(crops.size(), first + std::size_t(std::max(1, batch))); ++i)
            pointers.push_back(crops[i].data());
        auto features = detector.features(pointers);
        if (!features)
            return features;
        out.values.insert(out.values.end(), features->values.begin(), features->values.end());
        out.count += features->count;
    }
    return out;
}

// One split read once: the images that decode (the others are left out and said), their
// center-crop features when asked for, and what the data check needs.
struct Prepared {
    std::vector<LabeledImage> images; // those that decoded
    LabeledFeatures set; // center-crop features (when computed) and labels
    std::vector<std::string> formats;
    std::vector<double> pixels;
    std::vector<int> jpegQualities;
    int failed = 0;
};

Result<Prepared> prepare(Detector &detector, const std::vector<LabeledImage> &images, bool computeFeatures,
                         const TrainingRequest &request, TrainingStage stage, const std::atomic<bool> *cancel,
                         const TrainingEvents &events)
{
    using R = Result<Prepared>;
    Prepared out;
    out.set.features.blocks = detector.info().blocks;
    out.set.features.width = detector.info().width;
    const int size = detector.info().inputSize;
    std::vector<std::vector<std::uint8_t>> crops;
    auto flush = [&]() -> Result<bool> {
        if (crops.empty())
            return true;
        auto features = featuresOf(detector, crops, request.featureBatch);
        if (!features)
            return Result<bool>::failure(features.error());
        out.set.features.values.insert(out.set.features.values.end(), features->values.begin(),
                                       features->values.end());
        out.set.features.count += features->count;
        crops.clear();
        return true;
    };
    for (std::size_t i = 0; i < images.size(); ++i) {
        if (cancel && cancel->load())
            return R::failure("cancelled while reading the images; nothing was written");
        FileBytes bytes;
        auto decoded = readImage(images[i].path, bytes, request.limits);
        if (!decoded) {
            ++out.failed;
            if (events.note)
                events.note(decoded.error() + " (left out)");
        } else {
            out.images.push_back(images[i]);
            out.set.labels.push_back(images[i].label);
            out.formats.push_back(decoded->format);
            out.pixels.push_back(double(decoded->width) * decoded->height);
            out.jpegQualities.push_back(decoded->jpegQuality);
            if (computeFeatures) {
                crops.push_back(centerCrop(decoded->rgb, size));
                if (int(crops.size()) >= std::max(1, request.featureBatch))
                    if (auto done = flush(); !done)
                        return R::failure(done.error());
            }
        }
        if (events.step)
            events.step(stage, i + 1, images.size());
    }
    if (auto done = flush(); !done)
        return R::failure(done.error());
    return out;
}


QJsonObject countsJson(const ClassCounts &counts)
{
    QJsonObject out;
    for (const auto &[name, count] : counts)
        out.insert(q(name), QJsonObject{{QStringLiteral("real"), count[0]}, {QStringLiteral("fake"), count[1]}});
    return out;
}

// Accuracy at 0.5 and AP per class, then their mean when there are several.
std::vector<ClassResult> resultsByClass(const std::vector<LabeledImage> &images, const std::vector<double> &scores)
{
    std::map<std::string, std::pair<std::vector<double>, std::vector<int>>> groups;
    for (std::size_t i = 0; i < images.size() && i < scores.size(); ++i) {
        const std::string &key = images[i].category;
        auto &group = groups[key.empty() ? std::string("(all)") : key];
        group.first.push_back(scores[i]);
        group.second.push_back(images[i].label);
    }
    std::vector<ClassResult> out;
    for (const auto &[name, group] : groups) {
        ClassResult r;
        r.name = name;
        const Accuracy accuracy = accuracyAt(group.first, group.second, 0.5);
        r.real = accuracy.reals;
        r.fake = accuracy.fakes;
        r.accuracy = accuracy.overall;
        r.averagePrecision = averagePrecision(group.first, group.second);
        out.push_back(r);
    }
    if (out.size() > 1) { // the paper's tables: the mean over the rows
        ClassResult mean;
        mean.name = "mean";
        for (const ClassResult &r : out) {
            mean.real += r.real;
            mean.fake += r.fake;
            mean.accuracy += r.accuracy / double(out.size());
            mean.averagePrecision += r.averagePrecision / double(out.size());
        }
        out.push_back(mean);
    }
    return out;
}

std::string needsBothLabels(const std::string &root)
{
    return root + ": the training and validation sets each need real (0_real) and fake (1_fake) images";
}

// The rows of a model card's per-class or per-generator results.
QJsonArray resultsJson(const std::vector<ClassResult> &results, const QString &key)
{
    QJsonArray rows;
    for (const ClassResult &r : results)
        rows.append(QJsonObject{{key, q(r.name)},
                                {QStringLiteral("real"), r.real},
                                {QStringLiteral("fake"), r.fake},
                                {QStringLiteral("accuracy"), r.accuracy},
                                {QStringLiteral("average_precision"), r.averagePrecision}});
    return rows;
}

} // namespace

Result<TrainingData> findTrainingData(const std::string &root, const std::vector<std::string> &classes)
{
    using R = Result<TrainingData>;
    TrainingData data;
    data.root = root;
    const QDir dir(q(root));
    if (!dir.exists())
        return R::failure(root + ": not a folder; give the dataset's root, with train/ and val/ in it");
    for (const char *split : {"train", "val"})
        if (!QFileInfo(dir.filePath(QLatin1String(split))).isDir())
            return R::failure(root + ": no " + split + "/ folder in it; the dataset needs train/ and val/, each "
                              "<class>/{0_real,1_fake} (ProGAN) or {0_real,1_fake}");
    auto train = findLabeledImages(dir.filePath(QStringLiteral("train")).toStdString(), classes);
    if (!train)
        return R::failure(train.error());
    auto validation = findLabeledImages(dir.filePath(QStringLiteral("val")).toStdString(), classes);
    if (!validation)
        return R::failure(validation.error());
    data.train = std::move(train.value());
    data.validation = std::move(validation.value());
    if (!hasBothLabels(data.train) || !hasBothLabels(data.validation))
        return R::failure(needsBothLabels(root));
    return data;
}

Result<TrainingData> selectClasses(const TrainingData &all, const std::vector<std::string> &classes)
{
    using R = Result<TrainingData>;
    if (classes.empty())
        return all;
    TrainingData data;
    data.root = all.root;
    auto keep = [&classes](const std::vector<LabeledImage> &from, std::vector<LabeledImage> &to) {
        for (const LabeledImage &image : from)
            if (std::find(classes.begin(), classes.end(), image.category) != classes.end())
                to.push_back(image);
    };
    keep(all.train, data.train);
    keep(all.validation, data.validation);
    for (const auto *split : {&data.train, &data.validation})
        if (split->empty())
            return R::failure(QDir(q(all.root)).filePath(split == &data.train ? QStringLiteral("train")
                                                                               : QStringLiteral("val"))
                                  .toStdString()
                              + ": no image under a 0_real or 1_fake folder of the chosen classes");
    if (!hasBothLabels(data.train) || !hasBothLabels(data.validation))
        return R::failure(needsBothLabels(all.root));
    return data;
}

std::vector<std::string> trainingClasses(const TrainingData &data)
{
    std::set<std::string> names;
    for (const LabeledImage &image : data.train)
        names.insert(image.category);
    return {names.begin(), names.end()};
}

Result<TrainingRunOutcome> runTraining(Detector &detector, const TrainingRequest &request,
                                       const std::atomic<bool> *cancel, const TrainingEvents &events)
{
    using R = Result<TrainingRunOutcome>;
    const QString output = QFileInfo(q(request.output)).absoluteFilePath();
    if (request.output.empty() || !QFileInfo(QFileInfo(output).path()).isDir())
        return R::failure(request.output + ": its folder does not exist; choose where to write the trained head");
    auto train = prepare(detector, request.data.train, !request.augment, request, TrainingStage::TrainFeatures, cancel, events);
    if (!train)
        return R::failure(train.error());
    auto validation = prepare(detector, request.data.validation, true, request, TrainingStage::ValFeatures, cancel, events);
    if (!validation)
        return R::failure(validation.error());
    if (!hasBothLabels(train->images) || !hasBothLabels(validation->images))
        return R::failure("after leaving out the images that cannot be read, the training and validation sets "
                          "each need real and fake images");

    TrainingRunOutcome outcome;
    outcome.trainCounts = countByClass(train->images);
    outcome.validationCounts = countByClass(validation->images);
    outcome.leftOut = train->failed + validation->failed;
    outcome.warnings = datasetWarnings(train->set.labels, train->formats, train->pixels, train->jpegQualities);
    for (const std::string &warning : outcome.warnings)
        if (events.note)
            events.note("warning: " + warning);

    TrainingSamples samples;
    samples.labels = train->set.labels;
    const std::vector<LabeledImage> &trainImages = train->images;
    // Training progress counts the samples of every epoch.
    const std::size_t perEpoch = samples.labels.size();
    const std::size_t totalSamples = perEpoch * std::size_t(std::max(1, request.config.epochs));
    std::size_t passedInEpoch = 0; // with augmentation: images through the backbone this epoch
    int passedEpoch = 0;
    if (request.augment) {
        samples.features = [&](const std::vector<std::int64_t> &indices, int epoch) -> Result<BlockFeatures> {
            // A batch of 128 takes minutes on a CPU: a cancel is seen between images and
            // between backbone passes (the trainer then keeps its best epoch), and progress is
            // told after every pass.
            if (epoch != passedEpoch)
                passedEpoch = epoch, passedInEpoch = 0;
            BlockFeatures out;
            out.blocks = detector.info().blocks;
            out.width = detector.info().width;
            std::vector<std::vector<std::uint8_t>> crops;
            auto pass = [&]() -> Result<bool> {
                auto features = featuresOf(detector, crops, request.featureBatch, cancel);
                if (!features)
                    return Result<bool>::failure(features.error());
                out.values.insert(out.values.end(), features->values.begin(), features->values.end());
                out.count += features->count;
                passedInEpoch += crops.size();
                crops.clear();
                if (events.step && passedInEpoch < perEpoch)
                    events.step(TrainingStage::Training, std::size_t(epoch - 1) * perEpoch + passedInEpoch, totalSamples);
                return true;
            };
            for (std::int64_t index : indices) {
                if (cancel && cancel->load())
                    return Result<BlockFeatures>::failure(kCancelled);
                const std::string &path = trainImages[std::size_t(index)].path;
                FileBytes bytes;
                auto decoded = readImage(path, bytes, request.limits);
                if (!decoded)
                    return Result<BlockFeatures>::failure(decoded.error() + " (it was read at the start of training: "
                                                          "was it changed or removed since?)");
                auto crop = augmentForTraining(decoded->rgb, request.augmentation,
                                               augmentationSeed(request.config.seed, epoch, index));
                if (!crop)
                    return Result<BlockFeatures>::failure(path + ": " + crop.error());
                crops.push_back(std::move(crop.value()));
                if (int(crops.size()) >= std::max(1, request.featureBatch))
                    if (auto done = pass(); !done)
                        return Result<BlockFeatures>::failure(done.error());
            }
            if (!crops.empty())
                if (auto done = pass(); !done)
                    return Result<BlockFeatures>::failure(done.error());
            return out;
        };
    } else {
        const BlockFeatures &cached = train->set.features;
        samples.features = [&cached](const std::vector<std::int64_t> &indices, int) -> Result<BlockFeatures> {
            return selectFeatures(cached, indices);
        };
    }
    HeadTrainingEvents trainingEvents;
    trainingEvents.epoch = events.epoch;
    if (events.step)
        trainingEvents.batch = [&](int epoch, int done, int) {
            const std::size_t inEpoch = std::min(perEpoch, std::size_t(done) * std::size_t(request.config.batchSize));
            events.step(TrainingStage::Training, std::size_t(epoch - 1) * perEpoch + inEpoch, totalSamples);
        };
    auto trained = trainHead(samples, validation->set, request.config, output.toStdString(), cancel, trainingEvents);
    if (!trained)
        return R::failure(trained.error());
    outcome.training = std::move(trained.value());
    outcome.validationByClass = resultsByClass(validation->images, outcome.training.bestValidationScores);

    // Ours: loads without --trust from now on.
    if (auto trusted = ModelStore().trustTrained(output); !trusted && events.note)
        events.note("warning: could not record the head as trained here: " + trusted.error());

    QJsonArray epochsJson;
    for (const EpochReport &r : outcome.training.epochs)
        epochsJson.append(QJsonObject{{QStringLiteral("epoch"), r.epoch},
                                      {QStringLiteral("learning_rate"), r.learningRate},
                                      {QStringLiteral("train_loss"), r.trainLoss},
                                      {QStringLiteral("val_loss"), r.validationLoss},
                                      {QStringLiteral("val_accuracy"), r.validationAccuracy},
                                      {QStringLiteral("val_average_precision"), r.validationAveragePrecision},
                                      {QStringLiteral("seconds"), r.seconds}});
    const QJsonArray byClass = resultsJson(outcome.validationByClass, QStringLiteral("class"));
    const HeadTrainingConfig &config = request.config;
    QJsonArray drops;
    for (int e : config.learningRateDrops)
        drops.append(e);
    QJsonArray qualities;
    for (int quality : request.augmentation.jpegQualities)
        qualities.append(quality);
    QStringList warnings;
    for (const std::string &w : outcome.warnings)
        warnings << q(w);
    const ModelInfo &info = detector.info();
    const QJsonObject mode =
        request.augment
            ? QJsonObject{{QStringLiteral("name"), QStringLiteral("augmented")},
                          {QStringLiteral("description"),
                           QStringLiteral("every epoch, each training image freshly augmented and put through the "
                                          "backbone, as the published code trains; validation on center crops")},
                          {QStringLiteral("blur_probability"), request.augmentation.blurProbability},
                          {QStringLiteral("max_blur_sigma"), request.augmentation.maxBlurSigma},
                          {QStringLiteral("jpeg_probability"), request.augmentation.jpegProbability},
                          {QStringLiteral("jpeg_qualities"), qualities},
                          {QStringLiteral("crop"), request.augmentation.cropSize},
                          {QStringLiteral("flip_probability"), request.augmentation.flipProbability}}
            : QJsonObject{{QStringLiteral("name"), QStringLiteral("fast")},
                          {QStringLiteral("description"),
                           QStringLiteral("per-block features of each image's center crop, computed once; no "
                                          "augmentation, so less robust to blur, JPEG and cropping")}};
    outcome.card = QJsonObject{
        {QStringLiteral("model_card"), 1},
        {QStringLiteral("head"), output},
        {QStringLiteral("head_sha256"), q(outcome.training.checkpointSha256)},
        {QStringLiteral("trained_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
        {QStringLiteral("app_version"), QStringLiteral(RINE_VERSION " (" RINE_GIT_DESCRIBE ")")},
        {QStringLiteral("backbone_path"), q(info.backbonePath)},
        {QStringLiteral("backbone_sha256"), q(info.backboneSha256)},
        {QStringLiteral("backbone_precision"), q(info.precision)},
        {QStringLiteral("backbone_dtype"), q(info.backboneDtype)},
        {QStringLiteral("architecture"),
         QJsonObject{{QStringLiteral("blocks"), info.blocks}, {QStringLiteral("width"), info.width},
                     {QStringLiteral("nproj"), config.nproj}, {QStringLiteral("proj_dim"), config.projDim}}},
        {QStringLiteral("mode"), mode},
        {QStringLiteral("configuration"),
         QJsonObject{{QStringLiteral("preset"), q(request.preset)}, {QStringLiteral("xi"), config.xi},
                     {QStringLiteral("temperature"), config.temperature},
                     {QStringLiteral("learning_rate"), config.learningRate},
                     {QStringLiteral("learning_rate_drops"), drops}, {QStringLiteral("epochs"), config.epochs},
                     {QStringLiteral("batch"), config.batchSize}, {QStringLiteral("seed"), QString::number(config.seed)},
                     {QStringLiteral("patience"), config.patience}}},
        {QStringLiteral("data"),
         QJsonObject{{QStringLiteral("root"), QFileInfo(q(request.data.root)).absoluteFilePath()},
                     {QStringLiteral("classes"), q(request.classesText)},
                     {QStringLiteral("train"), countsJson(outcome.trainCounts)},
                     {QStringLiteral("val"), countsJson(outcome.validationCounts)},
                     {QStringLiteral("left_out"), outcome.leftOut},
                     {QStringLiteral("warnings"), QJsonArray::fromStringList(warnings)}}},
        {QStringLiteral("epochs"), epochsJson},
        {QStringLiteral("best_epoch"), outcome.training.bestEpoch},
        {QStringLiteral("val_by_class"), byClass},
        {QStringLiteral("cancelled"), outcome.training.cancelled},
        {QStringLiteral("stopped_early"), outcome.training.stoppedEarly},
    };
    outcome.cardPath = output.toStdString() + ".card.json";
    if (auto written = writeFileAtomically(q(outcome.cardPath), QJsonDocument(outcome.card).toJson());
        !written)
        return R::failure(written.error());
    return outcome;
}

Result<bool> recordTestEvaluation(const std::string &cardPath, const TestEvaluation &evaluation)
{
    QFile file(q(cardPath));
    if (!file.open(QIODevice::ReadOnly))
        return Result<bool>::failure(cardPath + ": cannot read the model card");
    QJsonObject card = QJsonDocument::fromJson(file.readAll()).object();
    file.close();
    if (card.isEmpty())
        return Result<bool>::failure(cardPath + ": not a model card");
    const QJsonArray rows = resultsJson(evaluation.byGenerator, QStringLiteral("generator"));
    QJsonArray tests = card.value(QStringLiteral("test_sets")).toArray();
    tests.append(QJsonObject{{QStringLiteral("root"), QFileInfo(q(evaluation.root)).absoluteFilePath()},
                             {QStringLiteral("evaluated_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                             {QStringLiteral("preprocessing"), q(evaluation.preprocessing)},
                             {QStringLiteral("threshold"), evaluation.threshold},
                             {QStringLiteral("left_out"), evaluation.leftOut},
                             {QStringLiteral("by_generator"), rows}});
    card.insert(QStringLiteral("test_sets"), tests);
    if (auto written = writeFileAtomically(q(cardPath), QJsonDocument(card).toJson()); !written)
        return Result<bool>::failure(written.error());
    return true;
}

} // namespace rine
