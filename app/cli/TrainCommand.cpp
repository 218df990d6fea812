#include "Commands.h"
#include "ModelOptions.h"
#include "RecordWriter.h"

#include "image/ImageDecoder.h"
#include "model/HeadTraining.h"
#include "scoring/ImageScorer.h"
#include "scoring/ModelStore.h"
#include "train/Dataset.h"
#include "util/Version.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <map>

namespace rine::cli {

namespace {

void err(const QString &text) { QTextStream(stderr) << "rine-cli train: " << text << Qt::endl; }

std::atomic<bool> s_cancel{false};
extern "C" void onTrainInterrupt(int) { s_cancel = true; }

QString q(const std::string &s) { return QString::fromStdString(s); }

// The images of one split as features: each decoded, center-cropped (no augmentation: fast
// mode) and put through the backbone once. Images that cannot be read are left out and said.
struct Extracted {
    LabeledFeatures set;
    std::map<std::string, std::array<int, 2>> counts; // per class: real, fake
    int failed = 0;
    std::vector<std::string> formats;
    std::vector<double> pixels;
};

Result<Extracted> extract(Detector &detector, const std::vector<LabeledImage> &images, int batchSize, const char *split,
                          bool quiet)
{
    Extracted out;
    const int size = detector.info().inputSize;
    out.set.features.blocks = detector.info().blocks;
    out.set.features.width = detector.info().width;
    std::vector<std::vector<std::uint8_t>> crops;
    std::vector<int> labels;
    auto flush = [&]() -> Result<bool> {
        if (crops.empty())
            return true;
        std::vector<const std::uint8_t *> batch;
        for (const auto &crop : crops)
            batch.push_back(crop.data());
        auto features = detector.features(batch);
        if (!features)
            return Result<bool>::failure(features.error());
        out.set.features.values.insert(out.set.features.values.end(), features->values.begin(), features->values.end());
        out.set.features.count += features->count;
        out.set.labels.insert(out.set.labels.end(), labels.begin(), labels.end());
        crops.clear();
        labels.clear();
        return true;
    };
    for (std::size_t i = 0; i < images.size(); ++i) {
        if (s_cancel.load())
            return Result<Extracted>::failure("interrupted while computing features; nothing was written");
        FileBytes bytes;
        auto decoded = readImage(images[i].path, bytes);
        if (!decoded) {
            ++out.failed;
            err(q(decoded.error()) + QStringLiteral(" (left out)"));
            continue;
        }
        crops.push_back(centerCrop(decoded->rgb, size));
        labels.push_back(images[i].label);
        ++out.counts[images[i].category.empty() ? std::string("(all)") : images[i].category][std::size_t(images[i].label)];
        out.formats.push_back(decoded->format);
        out.pixels.push_back(double(decoded->width) * decoded->height);
        if (int(crops.size()) >= batchSize)
            if (auto done = flush(); !done)
                return Result<Extracted>::failure(done.error());
        if (!quiet && ((i + 1) % 64 == 0 || i + 1 == images.size()))
            std::fprintf(stderr, "rine-cli train: %s features %zu/%zu\n", split, i + 1, images.size());
    }
    if (auto done = flush(); !done)
        return Result<Extracted>::failure(done.error());
    return out;
}

QJsonObject countsJson(const Extracted &e)
{
    QJsonObject out;
    for (const auto &[name, count] : e.counts)
        out.insert(q(name), QJsonObject{{QStringLiteral("real"), count[0]}, {QStringLiteral("fake"), count[1]}});
    return out;
}

} // namespace

int runTrain(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Trains a RINE head on a labelled dataset with the backbone frozen, as the published code does (summed "
        "binary cross-entropy plus xi times the supervised contrastive loss, Adam, learning rate divided by 10 at "
        "epochs 6 and 11), in fast mode: each image's per-block features are computed once from its center crop, "
        "without the published augmentation (blur, JPEG, random crop, flip), so epochs take seconds; a model "
        "trained this way is less robust to those degradations than one trained with augmentation. Layout: "
        "<root>/train and <root>/val, each <class>/{0_real,1_fake} (ProGAN) or {0_real,1_fake}. The best epoch "
        "(validation accuracy, then loss) is written in the published checkpoint format, with a model card "
        "beside it (<output>.card.json), and recorded as trained here, so it loads without --trust.\n"
        "The --head given (default: the bundled one) is only loaded with the backbone; it is not used.\n"
        "Exit status: 0 trained; 1 some images were left out; 2 bad usage, unusable data or weights; 130 "
        "interrupted (the best epoch so far is written)."));
    parser.addHelpOption();
    ModelOptions model(false);
    model.addTo(parser);
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("The dataset's root (train/ and val/ in it)."),
                                  QStringLiteral("DIR"));
    const QCommandLineOption output(QStringLiteral("output"), QStringLiteral("Where to write the trained head (.pth)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption classes(QStringLiteral("classes"),
                                     QStringLiteral("Only these classes (comma-separated; the paper: horse; chair,horse; "
                                                    "car,cat,chair,horse)."),
                                     QStringLiteral("LIST"));
    const QCommandLineOption preset(QStringLiteral("preset"),
                                    QStringLiteral("The published configuration: 1-class (xi 0.1, nproj 4, P 1024), "
                                                   "2-class (0.2, 4, 128, the default), 4-class (0.2, 2, 1024)."),
                                    QStringLiteral("NAME"), QStringLiteral("2-class"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Epochs (default 15)."), QStringLiteral("N"),
                                    QStringLiteral("15"));
    const QCommandLineOption trainBatch(QStringLiteral("train-batch"), QStringLiteral("Training batch (default 128)."),
                                        QStringLiteral("N"), QStringLiteral("128"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Seed (default 0)."), QStringLiteral("N"),
                                  QStringLiteral("0"));
    const QCommandLineOption patience(QStringLiteral("patience"),
                                      QStringLiteral("Stop when validation accuracy has not improved for N epochs "
                                                     "(default: never)."),
                                      QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("No progress on standard error."));
    parser.addOptions({data, output, classes, preset, epochs, trainBatch, seed, patience, quiet});
    if (!parser.parse(arguments)) {
        err(parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli train [options] --data DIR --output HEAD.pth"));
        return Success;
    }
    if (!parser.isSet(data) || !parser.isSet(output)) {
        err(QStringLiteral("--data DIR and --output HEAD.pth are required"));
        return UsageOrSetup;
    }
    HeadTrainingConfig config;
    if (!headTrainingPreset(parser.value(preset).toStdString(), config)) {
        err(QStringLiteral("--preset must be 1-class, 2-class or 4-class"));
        return UsageOrSetup;
    }
    bool ok1 = false, ok2 = false, ok3 = false, ok4 = false;
    config.epochs = parser.value(epochs).toInt(&ok1);
    config.batchSize = parser.value(trainBatch).toInt(&ok2);
    config.seed = parser.value(seed).toULongLong(&ok3);
    config.patience = parser.value(patience).toInt(&ok4);
    if (!ok1 || !ok2 || !ok3 || !ok4 || config.epochs < 1 || config.epochs > 1000 || config.batchSize < 2
        || config.patience < 0) {
        err(QStringLiteral("--epochs (1-1000), --train-batch (2 or more), --seed and --patience must be whole numbers"));
        return UsageOrSetup;
    }
    const QString out = QFileInfo(parser.value(output)).absoluteFilePath();
    if (!QFileInfo(QFileInfo(out).path()).isDir()) {
        err(QStringLiteral("%1: its folder does not exist").arg(out));
        return UsageOrSetup;
    }
    std::vector<std::string> wanted;
    for (const QString &c : parser.value(classes).split(QLatin1Char(','), Qt::SkipEmptyParts))
        wanted.push_back(c.trimmed().toStdString());
    const QString root = parser.value(data);
    auto trainImages = findLabeledImages(QDir(root).filePath(QStringLiteral("train")).toStdString(), wanted);
    auto valImages = findLabeledImages(QDir(root).filePath(QStringLiteral("val")).toStdString(), wanted);
    if (!trainImages || !valImages) {
        err(q(!trainImages ? trainImages.error() : valImages.error()));
        return UsageOrSetup;
    }
    QString error;
    const std::unique_ptr<Detector> detector = model.readAndLoad(parser, error);
    if (!detector) {
        err(error);
        return UsageOrSetup;
    }
    std::signal(SIGINT, onTrainInterrupt);
    std::signal(SIGTERM, onTrainInterrupt);
    const bool silent = parser.isSet(quiet);
    auto train = extract(*detector, trainImages.value(), model.batchSize(), "train", silent);
    auto validation = train ? extract(*detector, valImages.value(), model.batchSize(), "val", silent)
                            : Result<Extracted>::failure(train.error());
    if (!train || !validation) {
        err(q(!train ? train.error() : validation.error()));
        return s_cancel.load() ? Interrupted : UsageOrSetup;
    }
    QStringList warnings;
    for (const std::string &w : datasetWarnings(train->set.labels, train->formats, train->pixels)) {
        warnings << q(w);
        err(QStringLiteral("warning: ") + q(w));
    }
    for (int label : {0, 1}) {
        if (std::count(train->set.labels.begin(), train->set.labels.end(), label) == 0
            || std::count(validation->set.labels.begin(), validation->set.labels.end(), label) == 0) {
            err(QStringLiteral("the training and validation sets need real (0_real) and fake (1_fake) images"));
            return UsageOrSetup;
        }
    }

    auto outcome = trainHeadOnFeatures(train->set, validation->set, config, out.toStdString(), &s_cancel,
                                       [&](const EpochReport &r) {
                                           if (!silent)
                                               std::fprintf(stderr,
                                                            "rine-cli train: epoch %d/%d lr %g: train loss %.4f, val "
                                                            "loss %.4f, val acc %.1f%%, val AP %.1f%%%s (%.1f s)\n",
                                                            r.epoch, config.epochs, r.learningRate, r.trainLoss,
                                                            r.validationLoss, 100 * r.validationAccuracy,
                                                            100 * r.validationAveragePrecision, r.best ? " best" : "",
                                                            r.seconds);
                                       });
    if (!outcome) {
        err(q(outcome.error()));
        return s_cancel.load() ? Interrupted : UsageOrSetup;
    }
    // Ours: loads without --trust from now on.
    if (auto trusted = ModelStore().trustTrained(out); !trusted)
        err(QStringLiteral("warning: could not record the head as trained here: ") + q(trusted.error()));

    QJsonArray epochsJson;
    for (const EpochReport &r : outcome->epochs)
        epochsJson.append(QJsonObject{{QStringLiteral("epoch"), r.epoch},
                                      {QStringLiteral("learning_rate"), r.learningRate},
                                      {QStringLiteral("train_loss"), r.trainLoss},
                                      {QStringLiteral("val_loss"), r.validationLoss},
                                      {QStringLiteral("val_accuracy"), r.validationAccuracy},
                                      {QStringLiteral("val_average_precision"), r.validationAveragePrecision},
                                      {QStringLiteral("seconds"), r.seconds}});
    const ModelInfo &info = detector->info();
    QJsonArray drops;
    for (int e : config.learningRateDrops)
        drops.append(e);
    const QJsonObject card{
        {QStringLiteral("model_card"), 1},
        {QStringLiteral("head"), out},
        {QStringLiteral("head_sha256"), q(outcome->checkpointSha256)},
        {QStringLiteral("trained_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
        {QStringLiteral("app_version"), QStringLiteral(RINE_VERSION " (" RINE_GIT_DESCRIBE ")")},
        {QStringLiteral("backbone_path"), q(info.backbonePath)},
        {QStringLiteral("backbone_sha256"), q(info.backboneSha256)},
        {QStringLiteral("architecture"),
         QJsonObject{{QStringLiteral("blocks"), info.blocks}, {QStringLiteral("width"), info.width},
                     {QStringLiteral("nproj"), config.nproj}, {QStringLiteral("proj_dim"), config.projDim}}},
        {QStringLiteral("mode"), QStringLiteral("fast: per-block features of each image's center crop, computed once; "
                                                "no augmentation")},
        {QStringLiteral("configuration"),
         QJsonObject{{QStringLiteral("preset"), parser.value(preset)}, {QStringLiteral("xi"), config.xi},
                     {QStringLiteral("temperature"), config.temperature},
                     {QStringLiteral("learning_rate"), config.learningRate},
                     {QStringLiteral("learning_rate_drops"), drops}, {QStringLiteral("epochs"), config.epochs},
                     {QStringLiteral("batch"), config.batchSize}, {QStringLiteral("seed"), QString::number(config.seed)},
                     {QStringLiteral("patience"), config.patience}}},
        {QStringLiteral("data"),
         QJsonObject{{QStringLiteral("root"), QFileInfo(root).absoluteFilePath()},
                     {QStringLiteral("classes"), parser.value(classes)},
                     {QStringLiteral("train"), countsJson(train.value())},
                     {QStringLiteral("val"), countsJson(validation.value())},
                     {QStringLiteral("left_out"), train->failed + validation->failed},
                     {QStringLiteral("warnings"), QJsonArray::fromStringList(warnings)}}},
        {QStringLiteral("epochs"), epochsJson},
        {QStringLiteral("best_epoch"), outcome->bestEpoch},
        {QStringLiteral("cancelled"), outcome->cancelled},
        {QStringLiteral("stopped_early"), outcome->stoppedEarly},
    };
    const QString cardPath = out + QStringLiteral(".card.json");
    if (!writeText(cardPath, QJsonDocument(card).toJson(QJsonDocument::Indented), error)) {
        err(error);
        return UsageOrSetup;
    }
    const EpochReport &best = outcome->epochs[std::size_t(outcome->bestEpoch - 1)];
    QTextStream(stdout) << q(outcome->checkpointSha256) << "  " << out << "\n";
    err(QStringLiteral("best epoch %1: val accuracy %2%, AP %3%; model card %4%5")
            .arg(outcome->bestEpoch)
            .arg(100 * best.validationAccuracy, 0, 'f', 1)
            .arg(100 * best.validationAveragePrecision, 0, 'f', 1)
            .arg(cardPath, outcome->cancelled ? QStringLiteral(" (interrupted: the best epoch so far)") : QString()));
    if (outcome->cancelled)
        return Interrupted;
    return train->failed + validation->failed ? SomeFailed : Success;
}

} // namespace rine::cli
