#pragma once

// Runs rine-cli (RINE_CLI, the built executable) as scripts do, for the CLI suites.

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>

#include "TestFiles.h"

namespace rine::test {

struct Run {
    int exitCode = -1; // -1: killed by a signal or did not finish
    QByteArray out, err;
};

struct RunOptions {
    QString workingDir;
    QProcessEnvironment env; // empty: inherited
    bool withoutPermissionOverride = false; // as root: drop CAP_DAC_OVERRIDE in the child
};

// Prepares a QProcess for rine-cli with the given options (without starting it).
inline void prepare(QProcess &process, const RunOptions &options)
{
    if (!options.env.isEmpty())
        process.setProcessEnvironment(options.env);
    if (!options.workingDir.isEmpty())
        process.setWorkingDirectory(options.workingDir);
    if (options.withoutPermissionOverride)
        process.setChildProcessModifier([] { dropPermissionOverrideInChild(); });
}

inline Run rineCli(const QStringList &arguments, const RunOptions &options = {})
{
    QProcess process;
    prepare(process, options);
    process.start(QStringLiteral(RINE_CLI), arguments);
    process.waitForFinished(300000);
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1, process.readAllStandardOutput(),
            process.readAllStandardError()};
}

} // namespace rine::test
