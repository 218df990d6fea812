#include "Commands.h"
#include "ModelOptions.h"
#include "RecordWriter.h"

#include "catalog/ModelStore.h"
#include "session/Evaluation.h"
#include "train/Calibration.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cstdio>

namespace rine::cli {

namespace {

void err(const QString &text) { QTextStream(stderr) << "rine-cli evaluate: " << text << Qt::endl; }

} // namespace

int runEvaluate(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Measures a model on a labelled dataset: accuracy at the threshold (overall, on real and on fake images) "
        "and average precision, per generator folder and their mean, like the RINE paper's tables. Layouts: "
        "<root>/<generator>/[<class>/]{0_real,1_fake} (test sets) or <root>/{0_real,1_fake}.\n"
        "--detector spai measures SPAI; twice, both detectors on the same images (each read and decoded once), "
        "one table each.\n"
        "Exit status: 0 done, 1 some images could not be scored (left out, and counted), 2 bad usage or "
        "unloadable weights."));
    parser.addHelpOption();
    ModelOptions model(ModelOptions::Heads::One);
    model.withDetectors().addTo(parser);
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("The dataset's root folder."), QStringLiteral("DIR"));
    const QCommandLineOption classes(QStringLiteral("classes"),
                                     QStringLiteral("Only these classes (comma-separated folder names holding "
                                                    "0_real/1_fake)."),
                                     QStringLiteral("LIST"));
    const QCommandLineOption threshold(QStringLiteral("threshold"),
                                       QStringLiteral("Probability at or above which an image counts as fake "
                                                      "(default 0.5)."),
                                       QStringLiteral("P"), QStringLiteral("0.5"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Also write the results as JSON to FILE."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption targetFpr(QStringLiteral("target-fpr"),
                                       QStringLiteral("Calibrate: the threshold at which at most this fraction of the "
                                                      "real images is called fake (e.g. 0.05), with the false- and "
                                                      "true-positive rates it gives here and their 95% intervals."),
                                       QStringLiteral("F"));
    const QCommandLineOption save(QStringLiteral("save-calibration"),
                                  QStringLiteral("With --target-fpr: record the calibration for this head in the model "
                                                 "folder's calibrations.json."));
    const QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("No progress on standard error."));
    parser.addOptions({data, classes, threshold, targetFpr, save, json, quiet});
    if (!parser.parse(arguments)) {
        err(parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli evaluate [options] --data DIR"));
        return Success;
    }
    if (!parser.isSet(data)) {
        err(QStringLiteral("--data DIR is required"));
        return UsageOrSetup;
    }
    bool ok = false;
    const double cut = parser.value(threshold).toDouble(&ok);
    if (!ok || cut <= 0 || cut >= 1) {
        err(QStringLiteral("--threshold must be a number between 0 and 1"));
        return UsageOrSetup;
    }
    double fprTarget = -1;
    if (parser.isSet(targetFpr)) {
        fprTarget = parser.value(targetFpr).toDouble(&ok);
        if (!ok || fprTarget < 0 || fprTarget >= 1) {
            err(QStringLiteral("--target-fpr must be a fraction from 0 to below 1 (e.g. 0.05)"));
            return UsageOrSetup;
        }
    } else if (parser.isSet(save)) {
        err(QStringLiteral("--save-calibration needs --target-fpr"));
        return UsageOrSetup;
    }
    std::vector<std::string> wanted;
    for (const QString &c : parser.value(classes).split(QLatin1Char(','), Qt::SkipEmptyParts))
        wanted.push_back(c.trimmed().toStdString());
    auto images = findLabeledImages(parser.value(data).toStdString(), wanted);
    if (!images) {
        err(QString::fromStdString(images.error()));
        return UsageOrSetup;
    }
    QString error;
    ModelOptions::Loaded detectors;
    if (!model.read(parser, error) || !model.loadDetectors(detectors, error)) {
        err(error);
        return UsageOrSetup;
    }

    EvaluationRequest request;
    request.images = std::move(images.value());
    request.preprocessing = Preprocessing{model.crop(), detectors.rine ? detectors.rine->info().inputSize : 224};
    request.threshold = cut;
    request.batchSize = model.batchSize();
    const bool showProgress = !parser.isSet(quiet);
    auto evaluated = evaluate(detectors.set(), request, nullptr, [&](std::size_t done, std::size_t total) {
        if (showProgress && (done % 64 == 0 || done == total))
            std::fprintf(stderr, "rine-cli evaluate: %zu/%zu images\n", done, total);
    });
    if (!evaluated) {
        err(QString::fromStdString(evaluated.error()));
        return UsageOrSetup;
    }
    QTextStream out(stdout);
    QJsonArray evaluations;
    int failed = 0;
    for (const EvaluationResult &result : evaluated.value()) {
        const bool spai = result.detector == "spai";
        const QString name = QString::fromStdString(result.detector);
        for (const std::string &e : result.errors)
            err(QString::fromStdString(e));
        failed = std::max(failed, result.failed);
        if (evaluated->size() > 1)
            out << (spai ? "SPAI\n" : "RINE\n");
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                   .arg(QStringLiteral("generator"), -24)
                   .arg(QStringLiteral("real"), 6)
                   .arg(QStringLiteral("fake"), 6)
                   .arg(QStringLiteral("acc"), 7)
                   .arg(QStringLiteral("r_acc"), 7)
                   .arg(QStringLiteral("f_acc"), 7)
                   .arg(QStringLiteral("AP"), 7);
        QJsonArray rows;
        for (const GeneratorResult &g : result.byGenerator) {
            const Accuracy &a = g.accuracy;
            out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                       .arg(QString::fromStdString(g.name), -24)
                       .arg(a.reals, 6)
                       .arg(a.fakes, 6)
                       .arg(100 * a.overall, 7, 'f', 1)
                       .arg(100 * a.real, 7, 'f', 1)
                       .arg(100 * a.fake, 7, 'f', 1)
                       .arg(100 * g.averagePrecision, 7, 'f', 1);
            rows.append(QJsonObject{{QStringLiteral("generator"), QString::fromStdString(g.name)},
                                    {QStringLiteral("real"), a.reals},
                                    {QStringLiteral("fake"), a.fakes},
                                    {QStringLiteral("failed"), g.failed},
                                    {QStringLiteral("accuracy"), a.overall},
                                    {QStringLiteral("real_accuracy"), a.real},
                                    {QStringLiteral("fake_accuracy"), a.fake},
                                    {QStringLiteral("average_precision"), g.averagePrecision}});
        }
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                   .arg(QStringLiteral("mean over generators"), -24)
                   .arg(QString(), 6)
                   .arg(QString(), 6)
                   .arg(100 * result.meanAccuracy, 7, 'f', 1)
                   .arg(QString(), 7)
                   .arg(QString(), 7)
                   .arg(100 * result.meanAveragePrecision, 7, 'f', 1);
        out.flush();
        QJsonObject calibrationJson;
        if (fprTarget >= 0) {
            const Calibration c = calibrate(result.scores, result.labels, fprTarget);
            if (c.reals == 0 || c.fakes == 0) {
                err(QStringLiteral("calibration needs real and fake images"));
                return UsageOrSetup;
            }
            out << QStringLiteral("%11calibration: threshold %1 for a false-positive rate of at most %2%; on these %3 "
                                  "real and %4 fake images: FPR %5% [95% CI %6-%7], TPR %8% [95% CI %9-%10]\n")
                       .arg(c.threshold, 0, 'g', 6)
                       .arg(100 * fprTarget, 0, 'g', 4)
                       .arg(c.reals)
                       .arg(c.fakes)
                       .arg(100 * c.fpr, 0, 'f', 1)
                       .arg(100 * c.fprLow, 0, 'f', 1)
                       .arg(100 * c.fprHigh, 0, 'f', 1)
                       .arg(100 * c.tpr, 0, 'f', 1)
                       .arg(100 * c.tprLow, 0, 'f', 1)
                       .arg(100 * c.tprHigh, 0, 'f', 1)
                       .arg(evaluated->size() > 1 ? name + QStringLiteral(" ") : QString());
            out.flush();
            // Keyed by the weight file that scores: RINE's head (on its backbone), SPAI's file.
            calibrationJson = QJsonObject{
                {QStringLiteral("detector"), name},
                {QStringLiteral("head_sha256"), QString::fromStdString(spai ? detectors.spai->sha256()
                                                                            : detectors.rine->info().heads.front().sha256)},
                {QStringLiteral("backbone_sha256"), spai ? QString() : QString::fromStdString(detectors.rine->info().backboneSha256)},
                {QStringLiteral("preprocessing"), spai ? QStringLiteral("spai") : QString::fromStdString(result.preprocessing.name())},
                {QStringLiteral("target_fpr"), fprTarget},
                {QStringLiteral("threshold"), c.threshold},
                {QStringLiteral("reals"), c.reals},
                {QStringLiteral("fakes"), c.fakes},
                {QStringLiteral("fpr"), QJsonArray{c.fpr, c.fprLow, c.fprHigh}},
                {QStringLiteral("tpr"), QJsonArray{c.tpr, c.tprLow, c.tprHigh}},
                {QStringLiteral("interval"), QStringLiteral("95% Wilson score")},
                {QStringLiteral("data"), parser.value(data)},
                {QStringLiteral("date"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
            };
            if (parser.isSet(save)) {
                ModelStore store;
                if (auto saved = store.saveCalibration(calibrationJson); !saved) {
                    err(QString::fromStdString(saved.error()));
                    return UsageOrSetup;
                }
                err(QStringLiteral("%1 calibration recorded in %2/calibrations.json").arg(name, store.dir()));
            }
        }
        QStringList warnings;
        for (const std::string &w : result.warnings)
            warnings << QString::fromStdString(w);
        if (&result == &evaluated->front()) // the images' own warnings: once
            for (const QString &w : warnings)
                err(QStringLiteral("warning: ") + w);
        evaluations.append(QJsonObject{{QStringLiteral("detector"), name},
                                       {QStringLiteral("generators"), rows},
                                       {QStringLiteral("mean_accuracy"), result.meanAccuracy},
                                       {QStringLiteral("mean_average_precision"), result.meanAveragePrecision},
                                       {QStringLiteral("failed"), result.failed},
                                       {QStringLiteral("warnings"), QJsonArray::fromStringList(warnings)},
                                       {QStringLiteral("calibration"),
                                        calibrationJson.isEmpty() ? QJsonValue() : QJsonValue(calibrationJson)}});
    }

    if (parser.isSet(json)) {
        // The first detector's evaluation at the root, as documents had it before SPAI; each
        // detector's under "evaluations".
        QJsonObject root = evaluations.first().toObject();
        root.remove(QStringLiteral("detector"));
        root.insert(QStringLiteral("data"), parser.value(data));
        root.insert(QStringLiteral("threshold"), cut);
        root.insert(QStringLiteral("evaluations"), evaluations);
        QJsonArray names;
        for (const QJsonValue &e : evaluations)
            names.append(e.toObject().value(QStringLiteral("detector")));
        root.insert(QStringLiteral("detectors"), names);
        if (detectors.rine) {
            root.insert(QStringLiteral("model"), modelJson(detectors.rine->info()));
            const QJsonObject provenance = provenanceJson(detectors.rine->info(), model.crop());
            for (auto it = provenance.begin(); it != provenance.end(); ++it)
                root.insert(it.key(), it.value());
        }
        if (detectors.spai)
            root.insert(QStringLiteral("spai"), spaiJson(*detectors.spai));
        if (!writeText(parser.value(json), QJsonDocument(root).toJson(QJsonDocument::Indented), error)) {
            err(error);
            return UsageOrSetup;
        }
    }
    return failed ? SomeFailed : Success;

}

} // namespace rine::cli
