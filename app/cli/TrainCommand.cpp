#include "Commands.h"
#include "Interrupt.h"
#include "ModelOptions.h"

#include "model/Detector.h"
#include "train/TrainingRun.h"
#include "util/QtStrings.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QTextStream>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace rine::cli {

namespace {

void err(const QString &text) { QTextStream(stderr) << "rine-cli train: " << text << Qt::endl; }

std::atomic<bool> s_cancel{false};


} // namespace

int runTrain(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Trains a RINE head on a labelled dataset with the backbone frozen, as the published code does (summed "
        "binary cross-entropy plus xi times the supervised contrastive loss, Adam, learning rate divided by 10 at "
        "epochs 6 and 11). By default in fast mode: each image's per-block features are computed once from its "
        "center crop, without the published augmentation, so epochs take seconds; a model trained this way is less "
        "robust to blur, JPEG and cropping than one trained with --augment, where every epoch puts each training "
        "image, freshly augmented as published (blur, JPEG, random crop, flip), through the backbone: one backbone "
        "pass per image per epoch, hours for ViT-L/14 on a CPU. Validation always uses center crops. Layout: "
        "<root>/train and <root>/val, each <class>/{0_real,1_fake} (ProGAN) or {0_real,1_fake}. The best epoch "
        "(validation accuracy, then loss) is written in the published checkpoint format, with a model card "
        "beside it (<output>.card.json), and recorded as trained here, so it loads without --trust.\n"
        "The --head given (default: the bundled one) is only loaded with the backbone; it is not used.\n"
        "Exit status: 0 trained; 1 some images were left out; 2 bad usage, unusable data or weights; 130 "
        "interrupted (the best epoch so far is written)."));
    parser.addHelpOption();
    ModelOptions model(ModelOptions::Heads::None);
    model.addTo(parser);
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("The dataset's root (train/ and val/ in it)."),
                                  QStringLiteral("DIR"));
    const QCommandLineOption output(QStringLiteral("output"), QStringLiteral("Where to write the trained head (.pth)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption classes(
        QStringLiteral("classes"),
        QStringLiteral("Only these classes: a comma-separated list, or the paper's sets 1-class (horse), 2-class "
                       "(chair,horse) or 4-class (car,cat,chair,horse). Default: every class."),
        QStringLiteral("LIST"));
    const QCommandLineOption preset(QStringLiteral("preset"),
                                    QStringLiteral("The published configuration: 1-class (xi 0.1, nproj 4, P 1024), "
                                                   "2-class (0.2, 4, 128), 4-class (0.2, 2, 1024). Default: the one "
                                                   "of the class set named by --classes, else 2-class."),
                                    QStringLiteral("NAME"));
    const QCommandLineOption augment(QStringLiteral("augment"),
                                     QStringLiteral("Train with the published augmentation (a backbone pass per "
                                                    "image per epoch) instead of fast mode."));
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
    parser.addOptions({data, output, classes, preset, augment, epochs, trainBatch, seed, patience, quiet});
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
    std::vector<std::string> wanted;
    const std::string classesText = parser.value(classes).trimmed().toStdString();
    const bool classSet = paperClassSet(classesText, wanted);
    if (!classSet)
        for (const QString &c : parser.value(classes).split(QLatin1Char(','), Qt::SkipEmptyParts))
            wanted.push_back(c.trimmed().toStdString());
    const std::string presetName = parser.isSet(preset) ? parser.value(preset).toStdString()
                                   : classSet           ? classesText
                                                        : std::string("2-class");
    HeadTrainingConfig config;
    if (!headTrainingPreset(presetName, config)) {
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
    const QString root = parser.value(data);
    auto dataset = findTrainingData(root.toStdString(), wanted);
    if (!dataset) {
        err(q(dataset.error()));
        return UsageOrSetup;
    }
    QString error;
    const std::unique_ptr<Detector> detector = model.readAndLoad(parser, error);
    if (!detector) {
        err(error);
        return UsageOrSetup;
    }
    stopOnInterrupt(s_cancel, "\nrine-cli train: interrupted; stopping after this step (press Ctrl-C again to stop "
                              "at once)\n");
    const bool silent = parser.isSet(quiet);
    TrainingRequest request;
    request.data = std::move(dataset.value());
    request.classesText = parser.value(classes).toStdString();
    request.preset = presetName;
    request.config = config;
    request.augment = parser.isSet(augment);
    request.output = out.toStdString();
    request.featureBatch = model.batchSize();
    TrainingEvents events;
    events.note = [](const std::string &message) { err(q(message)); };
    if (!silent) {
        events.step = [](TrainingStage stage, std::size_t done, std::size_t total) {
            if (stage != TrainingStage::Training && (done % 64 == 0 || done == total))
                std::fprintf(stderr, "rine-cli train: %s %zu/%zu\n", trainingStageName(stage), done, total);
        };
        events.epoch = [&config](const EpochReport &r) {
            std::fprintf(stderr,
                         "rine-cli train: epoch %d/%d lr %g: train loss %.4f, val loss %.4f, val acc %.1f%%, val AP "
                         "%.1f%%%s (%.1f s)\n",
                         r.epoch, config.epochs, r.learningRate, r.trainLoss, r.validationLoss,
                         100 * r.validationAccuracy, 100 * r.validationAveragePrecision, r.best ? " best" : "",
                         r.seconds);
        };
    }
    auto outcome = runTraining(*detector, request, &s_cancel, events);
    if (!outcome) {
        err(q(outcome.error()));
        return s_cancel.load() ? Interrupted : UsageOrSetup;
    }
    const HeadTrainingOutcome &trained = outcome->training;
    const EpochReport &best = trained.epochs[std::size_t(trained.bestEpoch - 1)];
    QTextStream(stdout) << q(trained.checkpointSha256) << "  " << out << "\n";
    if (!silent && outcome->validationByClass.size() > 1)
        for (const ClassResult &r : outcome->validationByClass)
            std::fprintf(stderr, "rine-cli train: val %-12s acc %5.1f%%  AP %5.1f%%\n", r.name.c_str(),
                         100 * r.accuracy, 100 * r.averagePrecision);
    err(QStringLiteral("best epoch %1: val accuracy %2%, AP %3%; model card %4%5")
            .arg(trained.bestEpoch)
            .arg(100 * best.validationAccuracy, 0, 'f', 1)
            .arg(100 * best.validationAveragePrecision, 0, 'f', 1)
            .arg(q(outcome->cardPath), trained.cancelled ? QStringLiteral(" (interrupted: the best epoch so far)") : QString()));
    if (trained.cancelled)
        return Interrupted;
    return outcome->leftOut ? SomeFailed : Success;
}

} // namespace rine::cli
