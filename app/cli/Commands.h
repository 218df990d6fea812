#pragma once

#include <QStringList>

namespace rine::cli {

// Exit codes shared by every subcommand.
enum ExitCode { Success = 0, SomeFailed = 1, UsageOrSetup = 2 };

// arguments: the subcommand's own arguments, starting with the program name.
int runScore(const QStringList &arguments);
int runBench(const QStringList &arguments);

} // namespace rine::cli
