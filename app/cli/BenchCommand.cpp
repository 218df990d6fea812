#include "Commands.h"

#include "model/Benchmark.h"
#include "model/Detector.h"
#include "model/SpaiDetector.h"
#include "catalog/ModelLocator.h"
#include "util/BlasKernels.h"
#include "util/QtStrings.h"
#include "util/Sha256.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTextStream>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace rine::cli {

namespace {

QString benchRowJson(const BenchReport &r)
{
    QJsonArray batches, gemms;
    for (const BenchBatch &b : r.batches)
        batches.append(QJsonObject{{QStringLiteral("batch"), b.batch},
                                   {QStringLiteral("passes"), b.passes},
                                   {QStringLiteral("seconds_per_pass"), b.secondsPerPass},
                                   {QStringLiteral("images_per_second"), b.imagesPerSecond}});
    for (const GemmRate &g : r.otherGemms)
        gemms.append(QJsonObject{{QStringLiteral("kernels"), q(g.kernels)},
                                 {QStringLiteral("dtype"), q(g.dtype)},
                                 {QStringLiteral("gflops"), g.gflops}});
    return QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("precision"), q(r.precision)},
                                                       {QStringLiteral("threads"), r.threads},
                                                       {QStringLiteral("blas_core"), q(r.blasCore)},
                                                       {QStringLiteral("blas_kernels"), q(r.blasKernels)},
                                                       {QStringLiteral("gemm_gflops"), r.gemmGflops},
                                                       {QStringLiteral("other_gemms"), gemms},
                                                       {QStringLiteral("batches"), batches},
                                                       {QStringLiteral("peak_rss_mib"), r.peakRssMiB},
                                                       {QStringLiteral("warning"), q(r.blasWarning)}})
                                 .toJson(QJsonDocument::Compact));
}

// One row of the comparison, measured in a child process: OpenBLAS picks its kernels when it
// loads, so each kernel set needs a process of its own. blas: "keep" (OpenBLAS as it loads,
// without RINE Studio's choice), "" (what the program does with no environment variable set)
// or a core type to force.
struct ChildRow {
    QString label;
    QJsonObject json;
    QString error;
};

ChildRow runChild(const QString &label, const QString &blas, Precision precision, const BenchOptions &options,
                  int threads, bool gemmOnly)
{
    ChildRow row;
    row.label = label;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("OPENBLAS_CORETYPE"));
    env.remove(QStringLiteral("RINE_BLAS_CORETYPE"));
    if (blas == QLatin1String("keep")) {
        env.insert(QStringLiteral("RINE_BLAS_CORETYPE"), QStringLiteral("keep"));
    } else if (!blas.isEmpty()) {
        env.insert(QStringLiteral("RINE_BLAS_CORETYPE"), QStringLiteral("keep"));
        env.insert(QStringLiteral("OPENBLAS_CORETYPE"), blas);
    }
    QStringList batchList;
    for (int b : options.batches)
        batchList << QString::number(b);
    QStringList args{QStringLiteral("bench"), QStringLiteral("--row"), QStringLiteral("--precision"),
                     QString::fromLatin1(precisionName(precision)), QStringLiteral("--batches"), batchList.join(QLatin1Char(',')),
                     QStringLiteral("--seconds"), QString::number(options.minSeconds)};
    if (threads > 0)
        args << QStringLiteral("--threads") << QString::number(threads);
    if (gemmOnly)
        args << QStringLiteral("--gemm-only");
    QProcess child;
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    std::fprintf(stderr, "rine-cli bench: measuring %s%s\n", qPrintable(label), gemmOnly ? " (GEMM only)" : "");
    child.start(QCoreApplication::applicationFilePath(), args);
    if (!child.waitForFinished(-1) || child.exitStatus() != QProcess::NormalExit || child.exitCode() != 0) {
        row.error = QStringLiteral("the measurement failed (exit code %1)").arg(child.exitCode());
        return row;
    }
    const QList<QByteArray> lines = child.readAllStandardOutput().trimmed().split('\n');
    row.json = QJsonDocument::fromJson(lines.isEmpty() ? QByteArray() : lines.last()).object();
    if (row.json.isEmpty())
        row.error = QStringLiteral("the measurement printed no result");
    return row;
}

int runBenchComparison(const BenchOptions &options, int threads)
{
    const CpuFeatures cpu = cpuFeatures();
    const QString best = QString::fromStdString(bestOpenBlasCore(cpu));
    // What OpenBLAS takes alone, then what the program runs with no environment variable set.
    ChildRow loadedProbe = runChild(QStringLiteral("fp32, OpenBLAS's own choice"), QStringLiteral("keep"),
                                    Precision::Fp32, options, threads, true);
    ChildRow fast = runChild(QStringLiteral("fp32, RINE Studio's choice"), {}, Precision::Fp32, options, threads, false);
    std::vector<ChildRow> rows;
    const bool sameKernels = !loadedProbe.error.isEmpty() || !fast.error.isEmpty()
                          || loadedProbe.json.value(QStringLiteral("blas_core")) == fast.json.value(QStringLiteral("blas_core"));
    if (!sameKernels)
        rows.push_back(runChild(QStringLiteral("fp32, OpenBLAS's own choice"), QStringLiteral("keep"), Precision::Fp32,
                                options, threads, false));
    rows.push_back(fast);
    if (cpuHasBf16())
        rows.push_back(runChild(QStringLiteral("bf16 (oneDNN)"), {}, Precision::Bf16, options, threads, false));

    // The GEMM of every candidate: each OpenBLAS kernel set this processor can run, and oneDNN.
    struct Gemm {
        QString kernels, dtype;
        double gflops;
    };
    std::vector<Gemm> gemms;
    QStringList measuredCores;
    auto addGemms = [&](const QJsonObject &json) {
        const QString core = json.value(QStringLiteral("blas_core")).toString();
        const QString precision = json.value(QStringLiteral("precision")).toString();
        const QString kernels = precision == QLatin1String("fp32")
                                  ? (core.isEmpty() ? QStringLiteral("LibTorch BLAS") : QStringLiteral("OpenBLAS ") + core)
                                  : QStringLiteral("oneDNN");
        if (precision == QLatin1String("fp32") && measuredCores.contains(core))
            return;
        if (precision == QLatin1String("fp32"))
            measuredCores << core;
        gemms.push_back({kernels, precision, json.value(QStringLiteral("gemm_gflops")).toDouble()});
        for (const QJsonValue &other : json.value(QStringLiteral("other_gemms")).toArray()) {
            const QString name = other[QStringLiteral("kernels")].toString();
            if (std::none_of(gemms.begin(), gemms.end(), [&](const Gemm &g) { return g.kernels == name && g.dtype == other[QStringLiteral("dtype")].toString(); }))
                gemms.push_back({name, other[QStringLiteral("dtype")].toString(), other[QStringLiteral("gflops")].toDouble()});
        }
    };
    for (const ChildRow *r : {&loadedProbe, &fast})
        if (r->error.isEmpty())
            addGemms(r->json);
    for (const ChildRow &r : rows)
        if (r.error.isEmpty())
            addGemms(r.json);
    for (const char *core : {"Haswell", "Zen", "SkylakeX", "Cooperlake"}) {
        VectorLevel level;
        if (!openBlasCoreLevel(core, level) || level > vectorLevel(cpu) || measuredCores.contains(QLatin1String(core)))
            continue;
        ChildRow probe = runChild(QStringLiteral("fp32, OpenBLAS %1").arg(QLatin1String(core)), QLatin1String(core),
                                  Precision::Fp32, options, threads, true);
        if (probe.error.isEmpty())
            addGemms(probe.json);
    }
    double bestFp32 = 0, bestBf16 = 0;
    for (const Gemm &g : gemms)
        (g.dtype == QLatin1String("fp32") ? bestFp32 : bestBf16) =
            std::max(g.dtype == QLatin1String("fp32") ? bestFp32 : bestBf16, g.gflops);

    std::printf("CPU             %s, %d threads, LibTorch %s\n", describeCpu(cpu).c_str(), cpuThreads(),
                libtorchVersion().c_str());
    std::printf("BLAS            %s (this process); with no environment variable set: %s\n",
                blasKernels().describe().c_str(),
                fast.error.isEmpty() ? qPrintable(fast.json.value(QStringLiteral("blas_kernels")).toString()) : "?");
    std::printf("GEMM            2056x1024 by 1024x4096 (the MLP product at batch 8)\n");
    for (const Gemm &g : gemms)
        std::printf("  %-24s %-5s %8.1f GFLOP/s%s\n", qPrintable(g.kernels), qPrintable(g.dtype), g.gflops,
                    g.dtype == QLatin1String("fp32") && g.gflops == bestFp32 ? "  (best fp32)" : "");
    std::printf("model cost      162 GFLOP/image nominal (ViT-L/14)\n");
    std::printf("%-42s %6s %10s %10s %11s %10s %10s\n", "row", "batch", "images/s", "GFLOP/s", "efficiency", "speed-up",
                "peak MiB");
    double baseline = 0;
    for (const ChildRow &r : rows) {
        if (!r.error.isEmpty()) {
            std::printf("%-42s %s\n", qPrintable(r.label), qPrintable(r.error));
            continue;
        }
        const QString precision = r.json.value(QStringLiteral("precision")).toString();
        const QString core = r.json.value(QStringLiteral("blas_core")).toString();
        const QString label = precision == QLatin1String("fp32") ? r.label + QStringLiteral(" (") + core + QLatin1Char(')') : r.label;
        const double reference = precision == QLatin1String("fp32") ? bestFp32 : bestBf16;
        for (const QJsonValue &b : r.json.value(QStringLiteral("batches")).toArray()) {
            const double rate = b[QStringLiteral("images_per_second")].toDouble();
            if (baseline == 0)
                baseline = rate;
            const double gflops = rate * 162.0;
            std::printf("%-42s %6d %10.3f %10.1f %10.1f%% %9.2fx %10.0f\n", qPrintable(label), b[QStringLiteral("batch")].toInt(),
                        rate, gflops, 100.0 * gflops / reference, rate / baseline,
                        r.json.value(QStringLiteral("peak_rss_mib")).toDouble());
        }
    }
    if (sameKernels && loadedProbe.error.isEmpty())
        std::printf("(OpenBLAS's own choice is RINE Studio's: %s kernels; the fp32 row stands for both)\n",
                    qPrintable(loadedProbe.json.value(QStringLiteral("blas_core")).toString()));
    if (!cpuHasBf16())
        std::printf("bf16            not measured: this processor has no AVX512-BF16 or AMX\n");
    std::printf("efficiency      fp32 rows against the best fp32 GEMM above, bf16 against oneDNN's bf16 GEMM\n");
    if (!best.isEmpty())
        std::printf("choice          RINE Studio asks OpenBLAS for %s kernels on this processor when OpenBLAS "
                    "picks narrower ones\n", qPrintable(best));
    if (const std::string warning = slowBlasWarning(); !warning.empty())
        std::printf("WARNING         %s\n", warning.c_str());
    return Success;
}

} // namespace

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
    const QCommandLineOption spai(QStringLiteral("spai"),
                                  QStringLiteral("Instead: SPAI at full size (ViT-B/16, random weights) on the CPU: "
                                                 "patches/s at --batch patches per pass (default 4) and the seconds "
                                                 "one 1-megapixel image takes, beside RINE's images/s (ViT-L/14, "
                                                 "random weights, batch 8) and the best fp32 matrix product here. "
                                                 "--precision bf16 measures both in bf16."));
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
    const QCommandLineOption precision(
        QStringLiteral("precision"),
        QStringLiteral("Measure one precision only, in this process (fp32, bf16 on CPUs with AVX512-BF16 or AMX, "
                       "fp16 on CUDA). Default on the CPU: fp32 with OpenBLAS's kernels as it loads, fp32 with the "
                       "kernels RINE Studio chooses, and bf16 where the processor has it, side by side, each in a "
                       "process of its own, with the GEMM rate of every candidate kernel set."),
        QStringLiteral("fp32|bf16|fp16"));
    const QCommandLineOption agreement(
        QStringLiteral("agreement"),
        QStringLiteral("Measure instead how far a reduced precision's scores are from fp32's: ViT-L/14 with random "
                       "weights and the head (--head, default the bundled 2-class head) on --images synthetic "
                       "crops (default 16): max and mean |dlogit| and |dprobability|, verdicts flipped at 0.5."));
    QCommandLineOption row(QStringLiteral("row"), QStringLiteral("Internal: one row of the comparison, as JSON."));
    row.setFlags(QCommandLineOption::HiddenFromHelp);
    QCommandLineOption gemmOnly(QStringLiteral("gemm-only"), QStringLiteral("Internal: the GEMM rate only."));
    gemmOnly.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({batches, seconds, device, threads, precision, endToEnd, spai, folder, images, batch, backbone, head,
                       agreement, training, samples, epochs, row, gemmOnly});
    if (!parser.parse(arguments)) {
        QTextStream(stderr) << "rine-cli bench: " << parser.errorText() << Qt::endl;
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli bench [options]"));
        return Success;
    }
    configureCpuThreads(parser.isSet(threads) ? parser.value(threads).toInt() : 0);
    Precision chosen = Precision::Auto;
    if (parser.isSet(precision)
        && (!precisionFromName(parser.value(precision).toStdString(), chosen) || chosen == Precision::Auto
            || chosen == Precision::Standard)) {
        QTextStream(stderr) << "rine-cli bench: --precision must be fp32, bf16 or fp16, not '"
                            << parser.value(precision) << "'" << Qt::endl;
        return UsageOrSetup;
    }
    if (parser.isSet(spai)) {
        bool okBatch = true, okSeconds = true;
        const int patchBatch = parser.isSet(batch) ? parser.value(batch).toInt(&okBatch) : 4;
        const double minSeconds = parser.value(seconds).toDouble(&okSeconds);
        if (!okBatch || !okSeconds || patchBatch < 1 || patchBatch > 256 || minSeconds <= 0) {
            QTextStream(stderr) << "rine-cli bench: --batch (1 to 256) and --seconds must be positive numbers" << Qt::endl;
            return UsageOrSetup;
        }
        // fp32 (default) or bf16, for SPAI and RINE beside it; bf16 only where the processor has it.
        const Precision spaiPrecision = parser.isSet(precision) ? chosen : Precision::Fp32;
        if (spaiPrecision != Precision::Fp32 && spaiPrecision != Precision::Bf16) {
            QTextStream(stderr) << "rine-cli bench: --spai measures fp32 or bf16: SPAI runs on the CPU" << Qt::endl;
            return UsageOrSetup;
        }
        const char *precisionText = spaiPrecision == Precision::Bf16 ? "bf16" : "fp32";
        auto report = runSpaiBenchmark(patchBatch, minSeconds);
        if (!report) {
            QTextStream(stderr) << "rine-cli bench: " << QString::fromStdString(report.error()) << Qt::endl;
            return UsageOrSetup;
        }
        // RINE beside it, in this process, with the same kernels: one 224 px crop per image
        // whatever its size, so its images/s is also its rate on 1-megapixel images.
        BenchOptions rineOptions;
        rineOptions.batches = {8};
        rineOptions.minSeconds = minSeconds;
        rineOptions.precision = spaiPrecision;
        auto rine = runBenchmark(rineOptions, {});
        if (!rine) {
            QTextStream(stderr) << "rine-cli bench: " << QString::fromStdString(rine.error()) << Qt::endl;
            return UsageOrSetup;
        }
        const SpaiBenchReport &r = report.value();
        double bestGemm = rine->gemmGflops;
        QString bestKernels = QString::fromStdString(rine->blasKernels);
        for (const GemmRate &other : rine->otherGemms)
            if (other.gflops > bestGemm) {
                bestGemm = other.gflops;
                bestKernels = QString::fromStdString(other.kernels);
            }
        const double spaiGflops = r.patchesPerSecond * r.gflopPerPatch;
        const double rineImagesPerSecond = rine->batches.front().imagesPerSecond;
        const double rineGflops = rineImagesPerSecond * rine->computedGflopPerImage; // what its forward spends
        QTextStream out(stdout);
        out << "SPAI (" << QString::fromStdString(r.configuration) << ", random weights, " << precisionText << ", CPU, " << r.threads
            << " threads for the matrix products)\n"
            << "  " << QString::number(r.patchesPerSecond, 'f', 3) << " patches/s at " << r.patchBatch
            << " patches per pass (" << QString::number(r.gflopPerPatch, 'f', 1) << " GFLOP per patch, "
            << QString::number(spaiGflops, 'f', 1) << " GFLOP/s)\n"
            << "  a 1000 x 1000 image (" << r.megapixelPatches << " patches) in "
            << QString::number(r.megapixelSeconds, 'f', 2) << " s\n"
            << "RINE (ViT-L/14, random weights, " << precisionText << ", CPU, " << QString::fromStdString(rine->blasKernels) << ")\n"
            << "  " << QString::number(rineImagesPerSecond, 'f', 3) << " images/s at batch 8 ("
            << QString::number(rineGflops, 'f', 1) << " GFLOP/s at "
            << QString::number(rine->computedGflopPerImage, 'f', 1) << " GFLOP per image)\n"
            << "  a 1000 x 1000 image (one 224 px crop) in " << QString::number(1.0 / rineImagesPerSecond, 'f', 2)
            << " s\n"
            << "best fp32 matrix product here: " << QString::number(bestGemm, 'f', 1) << " GFLOP/s (" << bestKernels
            << "); SPAI runs at " << QString::number(100.0 * spaiGflops / bestGemm, 'f', 0) << "% of it, RINE at "
            << QString::number(100.0 * rineGflops / bestGemm, 'f', 0) << "%"
            << (spaiPrecision == Precision::Bf16 ? " (in bf16 both can pass it)" : "") << "\n"
            << "peak memory " << QString::number(rine->peakRssMiB, 'f', 0) << " MiB (resident)\n";
        if (!rine->blasWarning.empty())
            out << "WARNING: " << QString::fromStdString(rine->blasWarning) << "\n";
        return Success;
    }
    if (parser.isSet(agreement)) {
        AgreementOptions a;
        a.headPath = parser.isSet(head) ? parser.value(head).toStdString() : ModelLocator::defaultHead().toStdString();
        bool okImages = true;
        a.images = parser.isSet(images) ? parser.value(images).toInt(&okImages) : 16;
        a.precision = chosen == Precision::Auto ? (parser.value(device) == QLatin1String("cuda") ? Precision::Fp16
                                                                                                : Precision::Bf16)
                                                : chosen;
        a.cuda = parser.value(device) == QLatin1String("cuda");
        if (!okImages || a.images < 1 || a.precision == Precision::Fp32) {
            QTextStream(stderr) << "rine-cli bench: --agreement needs --images of 1 or more and a reduced precision"
                                << Qt::endl;
            return UsageOrSetup;
        }
        std::fprintf(stderr, "rine-cli bench: scoring %d synthetic crops in fp32 and %s (ViT-L/14, random weights; "
                             "head %s)\n", a.images, precisionName(a.precision), a.headPath.c_str());
        auto r = runAgreementBenchmark(a);
        if (!r) {
            QTextStream(stderr) << "rine-cli bench: " << QString::fromStdString(r.error()) << Qt::endl;
            return UsageOrSetup;
        }
        std::printf("agreement of %s with fp32: ViT-L/14 (random weights, seed 11), head %s, %d synthetic crops\n",
                    r->precision.c_str(), a.headPath.c_str(), r->images);
        std::printf("|dlogit|        max %.3g, mean %.3g\n", r->maxLogit, r->meanLogit);
        std::printf("|dprobability|  max %.3g, mean %.3g (bound 1e-2: %s)\n", r->maxProbability, r->meanProbability,
                    r->maxProbability <= 1e-2 ? "met" : "NOT met");
        std::printf("verdict flips   %d of %d at threshold 0.5\n", r->flips, r->images);
        std::printf("time            fp32 %.1f s, %s %.1f s (%.1f images/s against %.1f)\n", r->fp32Seconds,
                    r->precision.c_str(), r->reducedSeconds, r->images / r->reducedSeconds, r->images / r->fp32Seconds);
        return Success;
    }
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
        if (parser.isSet(precision))
            e2e.precision = chosen;
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
    options.precision = chosen;
    options.gemmOnly = parser.isSet(gemmOnly);
    if (parser.isSet(row)) {
        auto report = runBenchmark(options, {});
        if (!report) {
            QTextStream(stderr) << "rine-cli bench: " << QString::fromStdString(report.error()) << Qt::endl;
            return UsageOrSetup;
        }
        QTextStream(stdout) << benchRowJson(report.value()) << Qt::endl;
        return Success;
    }
    if (!options.cuda && chosen == Precision::Auto)
        return runBenchComparison(options, parser.isSet(threads) ? parser.value(threads).toInt() : 0);

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
    std::printf("CPU             %s\n", describeCpu(cpuFeatures()).c_str());
    std::printf("BLAS            %s; %s\n", r.blasKernels.c_str(), r.blasLibraries.c_str());
    std::printf("GEMM            %.1f GFLOP/s (%s 2056x1024 by 1024x4096)\n", r.gemmGflops, r.precision.c_str());
    for (const GemmRate &g : r.otherGemms)
        std::printf("                %.1f GFLOP/s with %s %s\n", g.gflops, g.kernels.c_str(), g.dtype.c_str());
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
