#include "Commands.h"
#include "ModelOptions.h"
#include "RecordWriter.h"

#include "model/Detector.h"
#include "scoring/ImageScorer.h"

#include <QCommandLineParser>
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
        QStringLiteral("Scores images with RINE, SPAI or both (--detector): the probability that each was made by a "
                       "generative model.\n"
                       "Writes one record per image, in argument order, with each detector's logit and probability. Exit status: 0 every image scored, "
                       "1 some images failed (each has an error record), 2 bad usage or unloadable weights."));
    parser.addHelpOption();
    ModelOptions model(ModelOptions::Heads::One);
    model.withDetectors().addTo(parser);
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("Output format (default json)."),
                                    QStringLiteral("json|csv"), QStringLiteral("json"));
    const QCommandLineOption output(QStringLiteral("output"),
                                    QStringLiteral("Write to FILE (atomically) instead of standard output."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("No progress on standard error."));
    parser.addOptions({format, output, quiet});
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
    const QString formatValue = parser.value(format);
    if (formatValue != QLatin1String("json") && formatValue != QLatin1String("csv")) {
        err(QStringLiteral("--format must be json or csv, not '%1'").arg(formatValue));
        return UsageOrSetup;
    }
    QString error;
    ModelOptions::Loaded detectors;
    if (!model.read(parser, error) || !model.loadDetectors(detectors, error)) {
        err(error);
        return UsageOrSetup;
    }

    if (const std::string warning = slowBlasWarning(); !warning.empty() && !cudaAvailable())
        err(QStringLiteral("warning: ") + QString::fromStdString(warning));

    ScoreOptions scoreOptions;
    scoreOptions.crop = model.crop();
    scoreOptions.batchSize = model.batchSize();
    ImageScorer scorer(detectors.set(), scoreOptions);
    std::vector<std::string> paths;
    for (const QString &image : images)
        paths.push_back(image.toStdString());
    const bool showProgress = !parser.isSet(quiet);
    auto progress = [&](std::size_t done, std::size_t total) {
        if (showProgress)
            std::fprintf(stderr, "rine-cli score: %zu/%zu images\n", done, total);
    };

    RunRecord run;
    run.rine = detectors.rine != nullptr;
    run.spai = detectors.spai.get();
    if (detectors.rine)
        run.model = detectors.rine->info();
    run.crop = scoreOptions.crop;
    run.records = scorer.scoreFiles(paths, progress);
    const QByteArray text = formatValue == QLatin1String("csv") ? toCsv(run) : toJson(run);

    if (!writeText(parser.value(output), text, error)) {
        err(error);
        return UsageOrSetup;
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
