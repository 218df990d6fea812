#include "Commands.h"

#include "image/ImageDecoder.h"
#include "model/Detector.h"
#include "store/CaseSigning.h"
#include "util/BlasKernels.h"
#include "util/Version.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QGuiApplication>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <QTextStream>

namespace {

const char kUsage[] =
    "Usage: rine-cli <command> [options]\n"
    "\n"
    "RINE Studio's command line: synthetic-image detection with RINE (ECCV 2024).\n"
    "\n"
    "Commands:\n"
    "  score   Score image files; JSON or CSV records with the model's identity.\n"
    "  scan    Scan folders into a case database (resumable; each content scored once).\n"
    "  merge   Merge the shard cases of one scan (scan --shard I/N) into one verifiable case.\n"
    "  slurm   Run a scan on a Slurm cluster: an array of shard tasks and a merge job; 'slurm status'.\n"
    "  results Write a scan's results from a case database as JSON or CSV.\n"
    "  robustness  Check whether verdicts survive JPEG, blur, crop, noise (per-image sweeps).\n"
    "  evaluate  Accuracy and AP of a model on a labelled dataset, per generator.\n"
    "  train   Train a RINE head on a labelled dataset (fast mode: cached features).\n"
    "  models  List, fetch (verified, resumable), verify, import and remove model files.\n"
    "  report  Write a case's PDF report and CSV/JSON exports (recorded in its audit log).\n"
    "  audit   Print a case's audit log and verify the case against it (chain, signatures, rows).\n"
    "  bench   Measure speed per kernel set and precision (images/s, GEMM GFLOP/s).\n"
    "\n"
    "Run 'rine-cli <command> --help' for a command's options.\n"
    "Options: --help, --version\n";

} // namespace

QString rine::cli::helpText(const QCommandLineParser &parser, const QString &usage)
{
    QString text = parser.helpText();
    const qsizetype end = text.indexOf(QLatin1Char('\n'));
    return QStringLiteral("Usage: ") + usage + text.mid(end);
}

namespace {

int runCli(int argc, char *argv[])
{
    // The PDF report lays out text, so it needs Qt's font machinery: a GUI application,
    // headless (offscreen) unless told otherwise, so that it works over SSH and in scripts.
    std::unique_ptr<QCoreApplication> app;
    if (argc > 1 && QByteArray(argv[1]) == "report") {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        app = std::make_unique<QGuiApplication>(argc, argv);
    } else {
        app = std::make_unique<QCoreApplication>(argc, argv);
    }
    QCoreApplication::setApplicationName(QStringLiteral("rine-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RINE_VERSION));
    QStringList args = QCoreApplication::arguments();

    if (args.size() < 2 || args[1] == QLatin1String("--help") || args[1] == QLatin1String("-h")
        || args[1] == QLatin1String("help")) {
        QTextStream(args.size() < 2 ? stderr : stdout) << kUsage;
        return args.size() < 2 ? rine::cli::UsageOrSetup : rine::cli::Success;
    }
    if (args[1] == QLatin1String("--version")) {
        QTextStream(stdout) << "rine-cli " RINE_VERSION " (" RINE_GIT_DESCRIBE ")\n"
                            << "LibTorch " << QString::fromStdString(rine::libtorchVersion()) << ", OpenCV "
                            << QString::fromStdString(rine::opencvVersion()) << ", Qt " << qVersion() << "\n"
                            << "CPU: " << QString::fromStdString(rine::describeCpu(rine::cpuFeatures())) << "\n"
                            << "BLAS: " << QString::fromStdString(rine::blasKernels().describe()) << "\n";
        // The key that signs this installation's case audit logs (made with the first case).
        if (!QFileInfo::exists(rine::CaseSigner::keyPath()))
            QTextStream(stdout) << "Case signing key: none yet (made when this installation first writes a case)\n";
        else if (auto signer = rine::CaseSigner::installation(); signer)
            QTextStream(stdout) << "Case signing key: " << signer.value()->fingerprint() << " (" << rine::CaseSigner::keyPath() << ")\n";
        else
            QTextStream(stdout) << "Case signing key: " << QString::fromStdString(signer.error()) << "\n";
        if (const std::string warning = rine::slowBlasWarning(); !warning.empty())
            QTextStream(stdout) << "WARNING: " << QString::fromStdString(warning) << "\n";
        return rine::cli::Success;
    }
    const QString command = args[1];
    args.removeAt(1);
    args[0] = QStringLiteral("rine-cli ") + command;
    if (command == QLatin1String("score"))
        return rine::cli::runScore(args);
    if (command == QLatin1String("scan"))
        return rine::cli::runScan(args);
    if (command == QLatin1String("merge"))
        return rine::cli::runMerge(args);
    if (command == QLatin1String("slurm"))
        return rine::cli::runSlurm(args);
    if (command == QLatin1String("results"))
        return rine::cli::runResults(args);
    if (command == QLatin1String("robustness"))
        return rine::cli::runRobustness(args);
    if (command == QLatin1String("evaluate"))
        return rine::cli::runEvaluate(args);
    if (command == QLatin1String("train"))
        return rine::cli::runTrain(args);
    if (command == QLatin1String("models"))
        return rine::cli::runModels(args);
    if (command == QLatin1String("bench"))
        return rine::cli::runBench(args);
    if (command == QLatin1String("report"))
        return rine::cli::runReport(args);
    if (command == QLatin1String("audit"))
        return rine::cli::runAudit(args);
    QTextStream(stderr) << "rine-cli: unknown command '" << command << "'\n\n" << kUsage;
    return rine::cli::UsageOrSetup;
}

} // namespace

int main(int argc, char *argv[])
{
    // Before anything else: OpenBLAS has chosen its kernels already, and may need a restart
    // to choose the fast ones (core/util/BlasKernels.h).
    rine::ensureFastBlasKernels(argv);
    const int code = runCli(argc, argv);
    // A decode that overran its time limit may still be running on a thread of its own: leave
    // without running static destructors under it (the results are all written by now).
    if (rine::stuckDecodes() > 0) {
        std::fflush(nullptr);
        std::_Exit(code);
    }
    return code;
}
