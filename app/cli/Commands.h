#pragma once

#include <QCommandLineParser>
#include <QStringList>

#include <vector>

#include "model/Detector.h"

namespace rine::cli {

// Exit codes shared by every subcommand.
// Interrupted: stopped by Ctrl-C or SIGTERM after committing the batch in flight.
enum ExitCode { Success = 0, SomeFailed = 1, UsageOrSetup = 2, Interrupted = 130 };

// QCommandLineParser's help with its first line naming the subcommand ("rine-cli score ...")
// instead of the executable's path.
QString helpText(const QCommandLineParser &parser, const QString &usage);

// rine-cli bench --end-to-end: a scan's images/s next to the backbone's alone.
struct EndToEndOptions {
    QString folder; // empty: synthetic JPEGs in a temporary folder
    int images = 24;
    int batch = 8;
    double minSeconds = 3.0;
    QString backbone; // empty: ViT-L/14 with random weights
    QString head; // empty: the bundled head
    DeviceChoice device = DeviceChoice::Cpu;
    Precision precision = Precision::Standard;
};
int runEndToEndBench(const EndToEndOptions &options);

// arguments: the subcommand's own arguments, starting with the program name.
int runScore(const QStringList &arguments);
int runBench(const QStringList &arguments);
int runScan(const QStringList &arguments);
// rine-cli scan --check, for rine-cli slurm: the options, folders and models checked (models
// loaded and hashed), nothing scanned or written.
struct ScanCheck {
    struct Model {
        QString role, sha256, path;
    };
    std::vector<Model> models;
    QString preprocessing, precision;
    QStringList roots; // absolute
};
// checked: set, the command runs as with --check and fills it.
int runScanCommand(const QStringList &arguments, ScanCheck *checked);
int runResults(const QStringList &arguments);
int runMerge(const QStringList &arguments);
int runSlurm(const QStringList &arguments);
int runRobustness(const QStringList &arguments);
int runModels(const QStringList &arguments);
int runEvaluate(const QStringList &arguments);
int runTrain(const QStringList &arguments);
int runReport(const QStringList &arguments);
int runAudit(const QStringList &arguments);

} // namespace rine::cli
