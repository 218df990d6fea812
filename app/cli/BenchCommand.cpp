#include "Commands.h"

#include "model/Benchmark.h"
#include "model/Detector.h"
#include "util/Sha256.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QTextStream>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace rine::cli {

int runBench(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Measures inference speed on a ViT-L/14-sized backbone with random weights: images/s "
                       "per batch size, the machine's GEMM rate, and the efficiency (images/s x 162 GFLOP "
                       "over the GEMM rate), the SHA-256 rate and peak memory. Needs no model files. "
                       "Warns when the BLAS in use is slow."));
    parser.addHelpOption();
    const QCommandLineOption batches(QStringLiteral("batches"), QStringLiteral("Comma-separated batch sizes (default 1,8,32)."),
                                     QStringLiteral("LIST"), QStringLiteral("1,8,32"));
    const QCommandLineOption seconds(QStringLiteral("seconds"),
                                     QStringLiteral("Minimum timed seconds per batch size (default 3)."), QStringLiteral("S"),
                                     QStringLiteral("3"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("Where to run (default cpu)."),
                                    QStringLiteral("cpu|cuda"), QStringLiteral("cpu"));
    const QCommandLineOption threads(QStringLiteral("threads"),
                                     QStringLiteral("CPU threads (default: one per core)."), QStringLiteral("N"));
    const QCommandLineOption endToEnd(QStringLiteral("end-to-end"),
                                      QStringLiteral("Instead: scan a folder into a temporary case database and "
                                                     "compare its images/s (reading, hashing, decoding included) "
                                                     "with the backbone's alone at the same batch size."));
    const QCommandLineOption folder(QStringLiteral("folder"),
                                    QStringLiteral("--end-to-end: the folder to scan (default: synthetic 1024x768 "
                                                   "JPEG photos, quality 90, in a temporary folder)."),
                                    QStringLiteral("DIR"));
    const QCommandLineOption images(QStringLiteral("images"),
                                    QStringLiteral("--end-to-end: how many synthetic JPEGs (default 24)."),
                                    QStringLiteral("N"), QStringLiteral("24"));
    const QCommandLineOption batch(QStringLiteral("batch"), QStringLiteral("--end-to-end: batch size (default 8)."),
                                   QStringLiteral("N"), QStringLiteral("8"));
    const QCommandLineOption backbone(QStringLiteral("backbone"),
                                      QStringLiteral("--end-to-end: a real backbone file (default: ViT-L/14 with "
                                                     "random weights, which runs at the same speed)."),
                                      QStringLiteral("FILE"));
    const QCommandLineOption head(QStringLiteral("head"),
                                  QStringLiteral("--end-to-end: head file (default: the bundled 2-class head)."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption training(QStringLiteral("training"),
                                      QStringLiteral("Measure head training in fast mode instead: each published "
                                                     "preset on random ViT-L/14-shaped features, batch 128."));
    const QCommandLineOption samples(QStringLiteral("samples"),
                                     QStringLiteral("--training: training samples (default 4096; validation a "
                                                    "quarter as many)."),
                                     QStringLiteral("N"), QStringLiteral("4096"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("--training: epochs (default 2)."),
                                    QStringLiteral("N"), QStringLiteral("2"));
    parser.addOptions(
        {batches, seconds, device, threads, endToEnd, folder, images, batch, backbone, head, training, samples, epochs});
    if (!parser.parse(arguments)) {
        QTextStream(stderr) << "rine-cli bench: " << parser.errorText() << Qt::endl;
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli bench [options]"));
        return Success;
    }
    configureCpuThreads(parser.isSet(threads) ? parser.value(threads).toInt() : 0);
    if (parser.isSet(training)) {
        bool okSamples = false, okEpochs = false;
        const int n = parser.value(samples).toInt(&okSamples), e = parser.value(epochs).toInt(&okEpochs);
        if (!okSamples || !okEpochs || n < 8 || e < 1) {
            QTextStream(stderr) << "rine-cli bench: --samples (8 or more) and --epochs (1 or more) must be whole numbers"
                                << Qt::endl;
            return UsageOrSetup;
        }
        const QString scratch = QDir::temp().filePath(QStringLiteral("rine-bench-head-%1.pth").arg(QCoreApplication::applicationPid()));
        auto report = runTrainingBenchmark(n, e, scratch.toStdString());
        if (!report) {
            QTextStream(stderr) << "rine-cli bench: " << QString::fromStdString(report.error()) << Qt::endl;
            return UsageOrSetup;
        }
        std::printf("head training, fast mode: %d samples (ViT-L/14 features, 24 x 1024) + %d validation, "
                    "%d epochs, batch 128, LibTorch %s\n",
                    n, std::max(4, n / 4), e, libtorchVersion().c_str());
        std::printf("%-8s %12s %12s %26s\n", "preset", "s/epoch", "samples/s", "epoch of 36,000 (1 class)");
        for (const TrainingBenchRow &row : report->rows)
            std::printf("%-8s %12.2f %12.0f %24.0f s\n", row.preset.c_str(), row.secondsPerEpoch, row.samplesPerSecond,
                        36000.0 * 1.25 / row.samplesPerSecond);
        std::printf("features        %.0f MiB in memory\n", report->featureMiB);
        std::printf("peak memory     %.0f MiB (resident)\n", report->peakRssMiB);
        return Success;
    }
    if (parser.isSet(endToEnd)) {
        EndToEndOptions e2e;
        e2e.folder = parser.value(folder);
        bool okImages = false, okBatch = false, okSeconds = false;
        e2e.images = parser.value(images).toInt(&okImages);
        e2e.batch = parser.value(batch).toInt(&okBatch);
        e2e.minSeconds = parser.value(seconds).toDouble(&okSeconds);
        if (!okImages || !okBatch || !okSeconds || e2e.images < 1 || e2e.batch < 1 || e2e.batch > 1024
            || e2e.minSeconds <= 0) {
            QTextStream(stderr) << "rine-cli bench: --images, --batch and --seconds must be positive numbers" << Qt::endl;
            return UsageOrSetup;
        }
        e2e.backbone = parser.value(backbone);
        e2e.head = parser.value(head);
        e2e.device = parser.value(device) == QLatin1String("cuda") ? DeviceChoice::Cuda : DeviceChoice::Cpu;
        return runEndToEndBench(e2e);
    }
    BenchOptions options;
    options.batches.clear();
    for (const QString &item : parser.value(batches).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int b = item.trimmed().toInt(&ok);
        if (!ok || b < 1 || b > 1024) {
            QTextStream(stderr) << "rine-cli bench: bad batch size '" << item << "'" << Qt::endl;
            return UsageOrSetup;
        }
        options.batches.push_back(b);
    }
    bool ok = false;
    options.minSeconds = parser.value(seconds).toDouble(&ok);
    if (!ok || options.minSeconds <= 0) {
        QTextStream(stderr) << "rine-cli bench: --seconds must be a positive number" << Qt::endl;
        return UsageOrSetup;
    }
    options.cuda = parser.value(device) == QLatin1String("cuda");

    auto report = runBenchmark(options, [](const std::string &line) { std::fprintf(stderr, "rine-cli bench: %s\n", line.c_str()); });
    if (!report) {
        QTextStream(stderr) << "rine-cli bench: " << QString::fromStdString(report.error()) << Qt::endl;
        return UsageOrSetup;
    }
    const BenchReport &r = report.value();

    // Hashing speed: every weight file and every evidence file is hashed once when read.
    std::vector<std::uint8_t> bytes(std::size_t(256) << 20, 0x5a);
    const auto hashStart = std::chrono::steady_clock::now();
    Sha256::hex(bytes.data(), bytes.size());
    const double hashSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - hashStart).count();

    std::printf("device          %s, %d threads, LibTorch %s\n", r.device.c_str(), r.threads, libtorchVersion().c_str());
    std::printf("BLAS            %s\n", r.blasLibraries.c_str());
    std::printf("GEMM            %.1f GFLOP/s (fp32 2056x1024 by 1024x4096)\n", r.gemmGflops);
    std::printf("model cost      %.0f GFLOP/image nominal (ViT-L/14); %.1f GFLOP/image computed "
                "(features stop at the last ln_2)\n", r.nominalGflopPerImage, r.computedGflopPerImage);
    std::printf("%6s %8s %12s %12s %14s %11s\n", "batch", "passes", "s/pass", "images/s", "GFLOP/s", "efficiency");
    for (const BenchBatch &b : r.batches)
        std::printf("%6d %8d %12.3f %12.3f %14.1f %10.1f%%\n", b.batch, b.passes, b.secondsPerPass, b.imagesPerSecond,
                    b.nominalGflops, 100.0 * b.efficiency);
    std::printf("SHA-256         %.0f MB/s (%s)\n", 256.0 * 1.048576 / hashSeconds,
                Sha256::hardwareAvailable() ? "x86 SHA extensions" : "portable code");
    std::printf("peak memory     %.0f MiB (resident)\n", r.peakRssMiB);
    if (!r.blasWarning.empty())
        std::printf("WARNING         %s\n", r.blasWarning.c_str());
    return Success;
}

} // namespace rine::cli
