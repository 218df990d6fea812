#include "Commands.h"
#include "ModelOptions.h"
#include "RecordWriter.h"

#include "report/SweepExport.h"
#include "scoring/RobustnessSweep.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

namespace rine::cli {

namespace {

void err(const QString &text) { QTextStream(stderr) << "rine-cli robustness: " << text << Qt::endl; }

} // namespace

int runRobustness(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Checks whether each image's verdict survives ordinary degradations: JPEG re-encoding, Gaussian blur, "
        "crop-and-resize, Gaussian noise (and, in the fine preset, downscaling). Every strength of every "
        "perturbation is scored in batches; the output gives the probability at each strength and where the "
        "verdict flips.\n"
        "Presets: paper (the RINE paper's ranges: JPEG quality 75..10, blur kernel 3..9 with sigma from the kernel, "
        "crop 5..20%, noise sigma 5..20; each image, the baseline too, resized to 256x256 then center-cropped to "
        "224, as the published protocol); fine (finer steps, wider ranges, downscaling; scored at the image's own "
        "scale).\n"
        "--crop: center (default) or texture (each point scored on the TextureCrop windows of the perturbed image, "
        "the mean of their logits); ten-crop is not offered here.\n"
        "--detector spai sweeps with SPAI: each perturbed image scored whole at its own resolution (after the resize "
        "to 256x256 when the preset has it: use fine to keep the image's resolution); twice, both detectors sweep "
        "the same perturbed images, one record per image and detector.\n"
        "Exit status: 0 every image swept, 1 some images failed, 2 bad usage or unloadable weights."));
    parser.addHelpOption();
    ModelOptions model(ModelOptions::Heads::One);
    model.withDetectors().addTo(parser);
    const QCommandLineOption preset(QStringLiteral("preset"), QStringLiteral("Which strengths (default paper)."),
                                    QStringLiteral("paper|fine"), QStringLiteral("paper"));
    const QCommandLineOption threshold(QStringLiteral("threshold"),
                                       QStringLiteral("Probability at or above which the verdict is fake (default 0.5)."),
                                       QStringLiteral("P"), QStringLiteral("0.5"));
    const QCommandLineOption seed(QStringLiteral("seed"),
                                  QStringLiteral("Seed of the random parts (crop position, noise; default 0)."),
                                  QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption json(QStringLiteral("json"),
                                  QStringLiteral("Write the JSON to FILE (atomically) instead of standard output."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("No per-image summary on standard error."));
    parser.addOptions({preset, threshold, seed, json, quiet});
    parser.addPositionalArgument(QStringLiteral("IMAGE"), QStringLiteral("Images to sweep."), QStringLiteral("IMAGE..."));
    if (!parser.parse(arguments)) {
        err(parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli robustness [options] IMAGE..."));
        return Success;
    }
    if (parser.positionalArguments().isEmpty()) {
        err(QStringLiteral("no images given; see rine-cli robustness --help"));
        return UsageOrSetup;
    }
    const SweepPlan plan = robustnessPreset(parser.value(preset).toStdString());
    if (plan.name.empty()) {
        err(QStringLiteral("--preset must be paper or fine, not '%1'").arg(parser.value(preset)));
        return UsageOrSetup;
    }
    RobustnessSweep::Options options;
    bool ok = false;
    options.threshold = parser.value(threshold).toDouble(&ok);
    if (!ok || options.threshold <= 0 || options.threshold >= 1) {
        err(QStringLiteral("--threshold must be a number between 0 and 1"));
        return UsageOrSetup;
    }
    options.seed = parser.value(seed).toULongLong(&ok);
    if (!ok) {
        err(QStringLiteral("--seed must be a whole number"));
        return UsageOrSetup;
    }
    QString error;
    ModelOptions::Loaded detectors;
    if (!model.read(parser, error) || !model.loadDetectors(detectors, error)) {
        err(error);
        return UsageOrSetup;
    }
    options.batchSize = model.batchSize();
    options.crop = model.crop();
    if (options.crop == CropMode::Ten) {
        err(QStringLiteral("robustness sweeps score the center crop (the published protocol) or TextureCrop's windows: "
                           "--crop center or texture"));
        return UsageOrSetup;
    }

    std::vector<RobustnessSweep> sweeps;
    if (detectors.rine)
        sweeps.emplace_back(*detectors.rine, options);
    if (detectors.spai)
        sweeps.emplace_back(*detectors.spai, options);
    QJsonArray records;
    int failed = 0;
    for (const QString &image : parser.positionalArguments()) {
        bool imageFailed = false;
        for (std::size_t d = 0; d < sweeps.size(); ++d) {
            auto result = sweeps[d].run(image.toStdString(), plan);
            if (!result) {
                imageFailed = true;
                err(QString::fromStdString(result.error()));
                records.append(QJsonObject{
                    {QStringLiteral("detector"), d == 0 && detectors.rine ? QStringLiteral("rine") : QStringLiteral("spai")},
                    {QStringLiteral("path"), image},
                    {QStringLiteral("status"), QStringLiteral("error")},
                    {QStringLiteral("error"), QString::fromStdString(result.error())}});
                continue;
            }
            if (!parser.isSet(quiet))
                QTextStream(stderr) << "rine-cli robustness: " << image << ": " << QString::fromStdString(result->detector)
                                    << ": " << (result->baselineFake ? "fake" : "real") << " at "
                                    << QString::number(result->baselineProbability, 'f', 3) << ", "
                                    << QString::fromStdString(result->summary) << " (" << result->crops
                                    << (result->detector == "spai" ? " patches in " : " crops in ")
                                    << result->forwardPasses << " passes, " << QString::number(result->seconds, 'f', 1)
                                    << " s)" << Qt::endl;
            records.append(sweepToJson(result.value()));
        }
        failed += imageFailed ? 1 : 0;
    }
    const ModelInfo *rine = detectors.rine ? &detectors.rine->info() : nullptr;
    if (!writeText(parser.value(json),
                   robustnessDocument(plan, options.threshold, options.seed, rine, detectors.spai.get(), records, options.crop),
                   error)) {
        err(error);
        return UsageOrSetup;
    }
    return failed ? SomeFailed : Success;
}

} // namespace rine::cli
