#pragma once

#include <QCommandLineParser>
#include <QStringList>

namespace rine::cli {

// Exit codes shared by every subcommand.
// Interrupted: stopped by Ctrl-C or SIGTERM after committing the batch in flight.
enum ExitCode { Success = 0, SomeFailed = 1, UsageOrSetup = 2, Interrupted = 130 };

// QCommandLineParser's help with its first line naming the subcommand ("rine-cli score ...")
// instead of the executable's path.
QString helpText(const QCommandLineParser &parser, const QString &usage);

// arguments: the subcommand's own arguments, starting with the program name.
int runScore(const QStringList &arguments);
int runBench(const QStringList &arguments);
int runScan(const QStringList &arguments);
int runResults(const QStringList &arguments);

} // namespace rine::cli
