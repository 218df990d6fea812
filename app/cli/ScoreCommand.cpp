#include "Commands.h"
#include "RecordWriter.h"

#include "model/Detector.h"
#include "scoring/ImageScorer.h"
#include "scoring/ModelLocator.h"

#include <QCommandLineParser>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QTextStream>

#include <cstdio>

namespace rine::cli {

namespace {

void err(const QString &text)
{
    QTextStream(stderr) << "rine-cli score: " << text << Qt::endl;
}

} // namespace

int runScore(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Scores images with RINE: the probability that each was made by a generative model.\n"
                       "Writes one record per image, in argument order. Exit status: 0 every image scored, "
                       "1 some images failed (each has an error record), 2 bad usage or unloadable weights."));
    parser.addHelpOption();
    const QCommandLineOption backbone(QStringLiteral("backbone"),
                                      QStringLiteral("CLIP ViT backbone file: OpenAI's TorchScript ViT-L-14.pt, a "
                                                     "state dict with the same names, or Hugging Face's "
                                                     "model.safetensors / pytorch_model.bin. Default: "
                                                     "$RINE_BACKBONE, else ~/.cache/clip/ViT-L-14.pt."),
                                      QStringLiteral("FILE"));
    const QCommandLineOption head(QStringLiteral("head"),
                                  QStringLiteral("RINE head checkpoint. Default: the bundled 2-class head."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption crop(QStringLiteral("crop"),
                                  QStringLiteral("center: one center crop (the published evaluation); ten: "
                                                 "ten-crop, sigmoid of the mean logit (for large images). "
                                                 "Default center."),
                                  QStringLiteral("center|ten"), QStringLiteral("center"));
    const QCommandLineOption device(QStringLiteral("device"),
                                    QStringLiteral("auto (default): CUDA when available, else CPU."),
                                    QStringLiteral("auto|cpu|cuda"), QStringLiteral("auto"));
    const QCommandLineOption batch(QStringLiteral("batch"), QStringLiteral("Images per forward pass (default 8)."),
                                   QStringLiteral("N"), QStringLiteral("8"));
    const QCommandLineOption threads(QStringLiteral("threads"),
                                     QStringLiteral("CPU threads (default: one per core)."), QStringLiteral("N"));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("Output format (default json)."),
                                    QStringLiteral("json|csv"), QStringLiteral("json"));
    const QCommandLineOption output(QStringLiteral("output"),
                                    QStringLiteral("Write to FILE (atomically) instead of standard output."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("No progress on standard error."));
    parser.addOptions({backbone, head, crop, device, batch, threads, format, output, quiet});
    parser.addPositionalArgument(QStringLiteral("IMAGE"), QStringLiteral("Image files to score."),
                                 QStringLiteral("IMAGE..."));

    if (!parser.parse(arguments)) {
        err(parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli score [options] IMAGE..."));
        return Success;
    }
    const QStringList images = parser.positionalArguments();
    if (images.isEmpty()) {
        err(QStringLiteral("no images given; see rine-cli score --help"));
        return UsageOrSetup;
    }
    const QString cropValue = parser.value(crop), deviceValue = parser.value(device), formatValue = parser.value(format);
    if (cropValue != QLatin1String("center") && cropValue != QLatin1String("ten")) {
        err(QStringLiteral("--crop must be center or ten, not '%1'").arg(cropValue));
        return UsageOrSetup;
    }
    if (deviceValue != QLatin1String("auto") && deviceValue != QLatin1String("cpu") && deviceValue != QLatin1String("cuda")) {
        err(QStringLiteral("--device must be auto, cpu or cuda, not '%1'").arg(deviceValue));
        return UsageOrSetup;
    }
    if (formatValue != QLatin1String("json") && formatValue != QLatin1String("csv")) {
        err(QStringLiteral("--format must be json or csv, not '%1'").arg(formatValue));
        return UsageOrSetup;
    }
    bool batchOk = false;
    const int batchSize = parser.value(batch).toInt(&batchOk);
    if (!batchOk || batchSize < 1 || batchSize > 4096) {
        err(QStringLiteral("--batch must be a whole number from 1 to 4096"));
        return UsageOrSetup;
    }
    int threadCount = 0;
    if (parser.isSet(threads)) {
        bool ok = false;
        threadCount = parser.value(threads).toInt(&ok);
        if (!ok || threadCount < 1) {
            err(QStringLiteral("--threads must be a positive whole number"));
            return UsageOrSetup;
        }
    }

    DetectorOptions options;
    const QString backbonePath = parser.isSet(backbone) ? parser.value(backbone) : ModelLocator::defaultBackbone();
    if (!QFileInfo::exists(backbonePath)) {
        err(ModelLocator::missingBackboneMessage(backbonePath));
        return UsageOrSetup;
    }
    const QString headPath = parser.isSet(head) ? parser.value(head) : ModelLocator::defaultHead();
    if (headPath.isEmpty()) {
        err(QStringLiteral("the bundled 2-class head was not found (installation damaged?); pass --head FILE"));
        return UsageOrSetup;
    }
    options.backbonePath = backbonePath.toStdString();
    options.headPaths = {headPath.toStdString()};
    options.device = deviceValue == QLatin1String("cpu")    ? DeviceChoice::Cpu
                   : deviceValue == QLatin1String("cuda") ? DeviceChoice::Cuda
                                                          : DeviceChoice::Auto;
    configureCpuThreads(threadCount);

    auto detector = Detector::load(options);
    if (!detector) {
        err(QString::fromStdString(detector.error()));
        return UsageOrSetup;
    }

    if (const std::string warning = slowBlasWarning(); !warning.empty() && !cudaAvailable())
        err(QStringLiteral("warning: ") + QString::fromStdString(warning));

    ScoreOptions scoreOptions;
    scoreOptions.crop = cropValue == QLatin1String("ten") ? CropMode::Ten : CropMode::Center;
    scoreOptions.batchSize = batchSize;
    ImageScorer scorer(*detector.value(), scoreOptions);
    std::vector<std::string> paths;
    for (const QString &image : images)
        paths.push_back(image.toStdString());
    const bool showProgress = !parser.isSet(quiet);
    auto progress = [&](std::size_t done, std::size_t total) {
        if (showProgress)
            std::fprintf(stderr, "rine-cli score: %zu/%zu images\n", done, total);
    };

    RunRecord run;
    run.model = detector.value()->info();
    run.crop = scoreOptions.crop;
    run.records = scorer.scoreFiles(paths, progress);
    const QByteArray text = formatValue == QLatin1String("csv") ? toCsv(run) : toJson(run);

    if (parser.isSet(output)) {
        QSaveFile file(parser.value(output));
        if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit()) {
            err(QStringLiteral("cannot write %1: %2").arg(parser.value(output), file.errorString()));
            return UsageOrSetup;
        }
    } else {
        QFile out;
        if (!out.open(stdout, QIODevice::WriteOnly) || out.write(text) != text.size()) {
            err(QStringLiteral("cannot write to standard output"));
            return UsageOrSetup;
        }
    }

    int failed = 0;
    for (const ImageRecord &r : run.records) {
        if (!r.ok) {
            ++failed;
            err(QString::fromStdString(r.error));
        }
    }
    if (showProgress || failed)
        std::fprintf(stderr, "rine-cli score: %zu scored, %d failed\n", run.records.size() - std::size_t(failed), failed);
    return failed ? SomeFailed : Success;
}

} // namespace rine::cli
