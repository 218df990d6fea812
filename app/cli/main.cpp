#include "Commands.h"

#include "image/ImageDecoder.h"
#include "model/Detector.h"
#include "util/Version.h"

#include <QCoreApplication>
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
    "  results Write a scan's results from a case database as JSON or CSV.\n"
    "  robustness  Check whether verdicts survive JPEG, blur, crop, noise (per-image sweeps).\n"
    "  evaluate  Accuracy and AP of a model on a labelled dataset, per generator.\n"
    "  models  List, fetch (verified, resumable), verify, import and remove model files.\n"
    "  bench   Measure inference speed (images/s, GEMM GFLOP/s, efficiency).\n"
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

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
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
                            << QString::fromStdString(rine::opencvVersion()) << ", Qt " << qVersion() << "\n";
        return rine::cli::Success;
    }
    const QString command = args[1];
    args.removeAt(1);
    args[0] = QStringLiteral("rine-cli ") + command;
    if (command == QLatin1String("score"))
        return rine::cli::runScore(args);
    if (command == QLatin1String("scan"))
        return rine::cli::runScan(args);
    if (command == QLatin1String("results"))
        return rine::cli::runResults(args);
    if (command == QLatin1String("robustness"))
        return rine::cli::runRobustness(args);
    if (command == QLatin1String("evaluate"))
        return rine::cli::runEvaluate(args);
    if (command == QLatin1String("models"))
        return rine::cli::runModels(args);
    if (command == QLatin1String("bench"))
        return rine::cli::runBench(args);
    QTextStream(stderr) << "rine-cli: unknown command '" << command << "'\n\n" << kUsage;
    return rine::cli::UsageOrSetup;
}
