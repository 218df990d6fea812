// rine-cli slurm: a scan as a Slurm job array of shards (rine-cli scan --shard I/N) and a
// merge job that depends on them; rine-cli slurm status: how far it is.

#include "Commands.h"

#include "scan/ShardMerge.h"
#include "store/CaseDatabase.h"
#include "util/AtomicFile.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTextStream>

#include <map>

namespace rine::cli {

namespace {

const char *const kJobFile = "job/job.json";

void err(const QString &text) { QTextStream(stderr) << "rine-cli slurm: " << text << Qt::endl; }

// One word for a POSIX shell, whatever it holds: single quotes, each ' written as '\''.
QString shellWord(const QString &text)
{
    if (!text.isEmpty() && QRegularExpression(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$")).match(text).hasMatch())
        return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

QString shellWords(const QStringList &words)
{
    QStringList quoted;
    for (const QString &word : words)
        quoted << shellWord(word);
    return quoted.join(QLatin1Char(' '));
}

// #SBATCH lines are not parsed as a shell would: paths in them must be plain. '%' would be
// taken as a file-name pattern (%a, %j) in --output.
bool plainForSbatch(const QString &path)
{
    return QRegularExpression(QStringLiteral("^[A-Za-z0-9_@+=:,./-]+$")).match(path).hasMatch();
}

QString shardFileName(int index, int count) { return QStringLiteral("shard-%1-of-%2.sqlite").arg(index).arg(count); }

// Whether the scan arguments set an option (as "--name", "--name=...").
bool hasOption(const QStringList &arguments, const QString &name)
{
    for (const QString &argument : arguments) {
        if (argument == QLatin1String("--"))
            break;
        if (argument == QLatin1String("--") + name || argument.startsWith(QLatin1String("--") + name + QLatin1Char('=')))
            return true;
    }
    return false;
}

struct JobPlan {
    QString output; // absolute
    QString workingDir; // where the tasks run (relative paths in the scan's arguments)
    QString rineCli; // absolute
    int shards = 0;
    QStringList scanArguments; // as given, after "--" (plus what the plan adds)
    QString scratch; // empty: $RINE_SCRATCH, else $TMPDIR, else /tmp on the node
    QStringList sbatchLines; // "--cpus-per-task=2", ...
    QStringList mergeSbatchLines;
    QString arraySpec;
    ScanCheck check;
};

QString header(const JobPlan &plan, const QString &what)
{
    QString text = QStringLiteral("#!/bin/bash\n# RINE Studio: %1, written by rine-cli slurm on %2.\n")
                       .arg(what, QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
    text += QStringLiteral("# Models, checked and hashed at submission (the shards' cases record what each task "
                           "loaded;\n# rine-cli merge refuses shards whose models differ):\n");
    for (const ScanCheck::Model &model : plan.check.models)
        text += QStringLiteral("#   %1 %2 %3\n").arg(model.role, model.sha256, model.path.simplified());
    text += QStringLiteral("#   preprocessing %1, precision %2\n").arg(plan.check.preprocessing, plan.check.precision);
    return text;
}

QString shardScript(const JobPlan &plan)
{
    QString text = header(plan, QStringLiteral("the shard tasks of a scan"));
    text += QStringLiteral("#SBATCH --job-name=rine-scan\n#SBATCH --array=%1\n#SBATCH --requeue\n").arg(plan.arraySpec);
    for (const QString &line : plan.sbatchLines)
        text += QStringLiteral("#SBATCH ") + line + QLatin1Char('\n');
    text += QStringLiteral("#SBATCH --chdir=%1\n#SBATCH --output=%2/logs/shard-%a.log\n#SBATCH --open-mode=append\n")
                .arg(plan.workingDir, plan.output);
    const QString scratch = plan.scratch.isEmpty() ? QStringLiteral("${RINE_SCRATCH:-${TMPDIR:-/tmp}}")
                                                   : shellWord(plan.scratch);
    text += QStringLiteral(
                "set -u\n"
                "shard=\"$SLURM_ARRAY_TASK_ID\"\n"
                "# The case is written on node-local scratch (SQLite's write-ahead log needs a local file\n"
                "# system) and moved into the shared folder when the scan returns, also on SIGTERM\n"
                "# (scancel, requeue, pre-emption) once the batch in flight is committed.\n"
                "scratch=%1/rine-studio-\"$SLURM_ARRAY_JOB_ID-$shard\"\n"
                "mkdir -p \"$scratch\" || exit 2\n"
                "echo \"rine-cli slurm: shard $shard of %2 on $(hostname), start $(( ${SLURM_RESTART_COUNT:-0} + 1 )), "
                "$(date -Is)\"\n")
                .arg(scratch)
                .arg(plan.shards);
    text += shellWord(plan.rineCli) + QStringLiteral(" scan --quiet --shard \"$shard/%1\" --db %2/shards/shard-\"$shard\"-of-%1.sqlite "
                                                     "--scratch \"$scratch\" --progress %2/progress/shard-\"$shard\".json")
                                          .arg(plan.shards)
                                          .arg(shellWord(plan.output));
    if (!hasOption(plan.scanArguments, QStringLiteral("threads")))
        text += QStringLiteral(" --threads \"${SLURM_CPUS_PER_TASK:-1}\"");
    text += QLatin1Char(' ') + shellWords(plan.scanArguments) + QStringLiteral(" &\n");
    text += QStringLiteral(
        "pid=$!\n"
        "# Slurm signals rine-cli itself; the shell only waits for it to finish the batch and move the case.\n"
        "trap 'echo \"rine-cli slurm: shard $shard: SIGTERM; committing the batch in flight\"' TERM\n"
        "status=0\n"
        "wait \"$pid\" || status=$?\n"
        "while kill -0 \"$pid\" 2>/dev/null; do status=0; wait \"$pid\" || status=$?; done\n"
        "echo \"rine-cli slurm: shard $shard: rine-cli scan exited with $status, $(date -Is)\"\n"
        "# 1: the scan finished, with files that failed (recorded in the case): the task succeeded.\n"
        "rmdir \"$scratch\" 2>/dev/null\n"
        "if [ \"$status\" -eq 1 ]; then exit 0; fi\n"
        "exit \"$status\"\n");
    return text;
}

QString mergeScript(const JobPlan &plan)
{
    QString text = header(plan, QStringLiteral("the merge of a scan's shards"));
    text += QStringLiteral("#SBATCH --job-name=rine-merge\n");
    for (const QString &line : plan.mergeSbatchLines)
        text += QStringLiteral("#SBATCH ") + line + QLatin1Char('\n');
    text += QStringLiteral("#SBATCH --chdir=%1\n#SBATCH --output=%2/logs/merge.log\n#SBATCH --open-mode=append\n")
                .arg(plan.workingDir, plan.output);
    text += QStringLiteral("set -u\nshards=()\nfor ((i = 0; i < %1; i++)); do shards+=(%2/shards/shard-\"$i\"-of-%1.sqlite); "
                           "done\n")
                .arg(plan.shards)
                .arg(shellWord(plan.output));
    text += QStringLiteral("exec ") + shellWord(plan.rineCli) + QStringLiteral(" merge --db ")
            + shellWord(plan.output + QStringLiteral("/case.sqlite")) + QStringLiteral(" \"${shards[@]}\"\n");
    return text;
}

// sbatch --parsable: "JOBID" or "JOBID;CLUSTER".
QString submit(const QString &sbatch, const QStringList &arguments, QString &error)
{
    QProcess process;
    process.start(sbatch, QStringList{QStringLiteral("--parsable")} + arguments);
    if (!process.waitForStarted(30000)) {
        error = QStringLiteral("cannot run %1 (%2): is this a Slurm login node? (--sbatch names another)")
                    .arg(sbatch, process.errorString());
        return {};
    }
    process.waitForFinished(300000);
    const QString out = QString::fromLocal8Bit(process.readAllStandardOutput()).trimmed();
    const QString id = out.section(QLatin1Char(';'), 0, 0);
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0
        || !QRegularExpression(QStringLiteral("^[0-9]+$")).match(id).hasMatch()) {
        error = QStringLiteral("%1 %2 failed: %3%4")
                    .arg(sbatch, arguments.join(QLatin1Char(' ')),
                         QString::fromLocal8Bit(process.readAllStandardError()).trimmed(), out);
        return {};
    }
    return id;
}

int runSubmit(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs a scan on a Slurm cluster: a job array of N tasks, each scanning one shard of the files (rine-cli scan "
        "--shard I/N) into OUTPUT/shards/, and a merge job that starts when every task has succeeded "
        "(--dependency=afterok) and writes OUTPUT/case.sqlite (rine-cli merge). Tasks are requeueable: a task "
        "requeued after a node failure or pre-emption resumes from what its shard committed. Each task writes its "
        "case on node-local scratch and moves it to OUTPUT/shards/ when its scan returns (also on SIGTERM, after the "
        "batch in flight). Logs: OUTPUT/logs/. Progress: rine-cli slurm status --output OUTPUT.\n"
        "The scan's own options and folders follow '--'. They are checked here first, and the models loaded and "
        "hashed once: the scripts record each model's SHA-256.\n"
        "OUTPUT must be on a file system every node sees (and so must the folders, the models and rine-cli)."));
    parser.addHelpOption();
    const QCommandLineOption output(QStringLiteral("output"),
                                    QStringLiteral("Shared folder for the shards, logs, scripts and merged case."),
                                    QStringLiteral("DIR"));
    const QCommandLineOption shards(QStringLiteral("shards"), QStringLiteral("Number of tasks (shards), 1 to 10000."),
                                    QStringLiteral("N"));
    const QCommandLineOption cpus(QStringLiteral("cpus-per-task"),
                                  QStringLiteral("CPUs per task (default 2); rine-cli's threads follow it."),
                                  QStringLiteral("N"), QStringLiteral("2"));
    const QCommandLineOption mem(QStringLiteral("mem-per-task"),
                                 QStringLiteral("Memory per task, as sbatch --mem takes it (e.g. 8G)."),
                                 QStringLiteral("SIZE"));
    const QCommandLineOption gpus(QStringLiteral("gpus-per-task"),
                                  QStringLiteral("GPUs per task (--gres=gpu:N); 0 (default): none."),
                                  QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption time(QStringLiteral("time"), QStringLiteral("Time limit per task (sbatch --time)."),
                                  QStringLiteral("LIMIT"));
    const QCommandLineOption partition(QStringLiteral("partition"), QStringLiteral("Slurm partition."),
                                       QStringLiteral("NAME"));
    const QCommandLineOption account(QStringLiteral("account"), QStringLiteral("Slurm account."), QStringLiteral("NAME"));
    const QCommandLineOption parallel(QStringLiteral("max-parallel"),
                                      QStringLiteral("At most this many tasks at once (--array=...%K)."),
                                      QStringLiteral("K"));
    const QCommandLineOption extra(QStringLiteral("sbatch-option"),
                                   QStringLiteral("Another #SBATCH line for the tasks, verbatim (repeatable), e.g. "
                                                  "--sbatch-option=--qos=long."),
                                   QStringLiteral("OPTION"));
    const QCommandLineOption scratch(QStringLiteral("scratch"),
                                     QStringLiteral("Node-local folder for the cases being written (default: "
                                                    "$RINE_SCRATCH, else $TMPDIR, else /tmp, on each node)."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption sbatch(QStringLiteral("sbatch"), QStringLiteral("The sbatch to run (default: sbatch)."),
                                    QStringLiteral("PROGRAM"), QStringLiteral("sbatch"));
    const QCommandLineOption dryRun(QStringLiteral("dry-run"),
                                    QStringLiteral("Print the two job scripts; write and submit nothing."));
    parser.addOptions({output, shards, cpus, mem, gpus, time, partition, account, parallel, extra, scratch, sbatch, dryRun});
    parser.addPositionalArgument(QStringLiteral("--"), QStringLiteral("Then rine-cli scan's options and folders."),
                                 QStringLiteral("-- [scan options] PATH..."));
    if (!parser.parse(arguments)) {
        err(parser.errorText() + QStringLiteral(" (rine-cli scan's options go after '--')"));
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli slurm [options] --output DIR --shards N -- "
                                                               "[scan options] PATH...\n       rine-cli slurm status "
                                                               "--output DIR"));
        return Success;
    }
    JobPlan plan;
    if (!parser.isSet(output) || !parser.isSet(shards)) {
        err(QStringLiteral("--output DIR and --shards N are required; see rine-cli slurm --help"));
        return UsageOrSetup;
    }
    bool ok = false;
    plan.shards = parser.value(shards).toInt(&ok);
    if (!ok || plan.shards < 1 || plan.shards > 10000) {
        err(QStringLiteral("--shards must be a whole number from 1 to 10000"));
        return UsageOrSetup;
    }
    auto positive = [&](const QCommandLineOption &option, int min, int &value) {
        bool good = false;
        value = parser.value(option).toInt(&good);
        if (!good || value < min || value > 4096) {
            err(QStringLiteral("--%1 must be a whole number from %2 to 4096").arg(option.names().first()).arg(min));
            return false;
        }
        return true;
    };
    int cpuCount = 0, gpuCount = 0, maxParallel = 0;
    if (!positive(cpus, 1, cpuCount) || !positive(gpus, 0, gpuCount)
        || (parser.isSet(parallel) && !positive(parallel, 1, maxParallel)))
        return UsageOrSetup;
    plan.output = QFileInfo(parser.value(output)).absoluteFilePath();
    plan.workingDir = QDir::currentPath();
    for (const QString &path : {plan.output, plan.workingDir})
        if (!plainForSbatch(path)) {
            err(QStringLiteral("%1: #SBATCH lines take plain paths (letters, digits, _ @ + = : , . / -); use a "
                               "folder without spaces, quotes or %")
                    .arg(path));
            return UsageOrSetup;
        }
    if (QFileInfo::exists(plan.output + QStringLiteral("/case.sqlite"))) {
        err(QStringLiteral("%1/case.sqlite exists: this job was merged already; give another --output").arg(plan.output));
        return UsageOrSetup;
    }
    plan.scanArguments = parser.positionalArguments();
    for (const char *own : {"db", "shard", "scratch", "progress", "check", "csv", "json", "case"})
        if (hasOption(plan.scanArguments, QLatin1String(own))) {
            err(QStringLiteral("--%1 is set by rine-cli slurm for each task; leave it out of the scan's options")
                    .arg(QLatin1String(own)));
            return UsageOrSetup;
        }
    // Checked here, once: the options, the folders, and the models loaded and hashed.
    if (const int checked = runScanCommand(QStringList{QStringLiteral("rine-cli scan")} + plan.scanArguments, &plan.check);
        checked != Success)
        return checked;
    // The tasks load the backbone this check found, and SPAI's file when the scan runs SPAI (their
    // defaults are looked up per machine). A scan with SPAI alone has no backbone.
    for (const ScanCheck::Model &model : plan.check.models) {
        if (model.role == QLatin1String("backbone") && !hasOption(plan.scanArguments, QStringLiteral("backbone")))
            plan.scanArguments = QStringList{QStringLiteral("--backbone"), model.path} + plan.scanArguments;
        if (model.role == QLatin1String("spai") && !hasOption(plan.scanArguments, QStringLiteral("spai-weights")))
            plan.scanArguments = QStringList{QStringLiteral("--spai-weights"), model.path} + plan.scanArguments;
    }
    plan.rineCli = QCoreApplication::applicationFilePath();
    plan.scratch = parser.value(scratch);

    plan.arraySpec = QStringLiteral("0-%1").arg(plan.shards - 1);
    if (maxParallel > 0)
        plan.arraySpec += QStringLiteral("%%1").arg(maxParallel);
    QStringList common;
    if (parser.isSet(time))
        common << QStringLiteral("--time=") + parser.value(time);
    if (parser.isSet(partition))
        common << QStringLiteral("--partition=") + parser.value(partition);
    if (parser.isSet(account))
        common << QStringLiteral("--account=") + parser.value(account);
    plan.sbatchLines = common;
    plan.sbatchLines << QStringLiteral("--cpus-per-task=%1").arg(cpuCount);
    if (parser.isSet(mem))
        plan.sbatchLines << QStringLiteral("--mem=") + parser.value(mem);
    if (gpuCount > 0)
        plan.sbatchLines << QStringLiteral("--gres=gpu:%1").arg(gpuCount);
    plan.sbatchLines << parser.values(extra);
    plan.mergeSbatchLines = common;
    plan.mergeSbatchLines << QStringLiteral("--cpus-per-task=1");
    for (const QString &line : plan.sbatchLines + plan.mergeSbatchLines)
        if (line.contains(QLatin1Char('\n')) || line.contains(QLatin1Char('\r'))) {
            err(QStringLiteral("an #SBATCH option holds a line break"));
            return UsageOrSetup;
        }

    const QString shardText = shardScript(plan), mergeText = mergeScript(plan);
    if (parser.isSet(dryRun)) {
        QTextStream(stdout) << "# ---- " << plan.output << "/job/shard.sbatch\n"
                            << shardText << "# ---- " << plan.output << "/job/merge.sbatch\n"
                            << mergeText;
        return Success;
    }
    for (const char *folder : {"shards", "logs", "job", "progress"})
        if (!QDir().mkpath(plan.output + QLatin1Char('/') + QLatin1String(folder))) {
            err(QStringLiteral("cannot create %1/%2").arg(plan.output, QLatin1String(folder)));
            return UsageOrSetup;
        }
    const QString shardPath = plan.output + QStringLiteral("/job/shard.sbatch"),
                  mergePath = plan.output + QStringLiteral("/job/merge.sbatch");
    for (const auto &[path, text] : {std::pair{shardPath, shardText}, std::pair{mergePath, mergeText}})
        if (auto written = writeFileAtomically(path, text.toUtf8()); !written) {
            err(QString::fromStdString(written.error()));
            return UsageOrSetup;
        }
    QString error;
    const QString arrayJob = submit(parser.value(sbatch), {shardPath}, error);
    if (arrayJob.isEmpty()) {
        err(error);
        return UsageOrSetup;
    }
    const QString mergeJob = submit(parser.value(sbatch),
                                    {QStringLiteral("--dependency=afterok:") + arrayJob,
                                     QStringLiteral("--kill-on-invalid-dep=yes"), mergePath},
                                    error);
    QJsonArray models;
    for (const ScanCheck::Model &model : plan.check.models)
        models.append(QJsonObject{{QStringLiteral("role"), model.role},
                                  {QStringLiteral("sha256"), model.sha256},
                                  {QStringLiteral("path"), model.path}});
    const QJsonObject job{{QStringLiteral("shards"), plan.shards},
                          {QStringLiteral("array_job"), arrayJob},
                          {QStringLiteral("merge_job"), mergeJob},
                          {QStringLiteral("submitted_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                          {QStringLiteral("roots"), QJsonArray::fromStringList(plan.check.roots)},
                          {QStringLiteral("models"), models},
                          {QStringLiteral("preprocessing"), plan.check.preprocessing},
                          {QStringLiteral("precision"), plan.check.precision},
                          {QStringLiteral("scan_arguments"), QJsonArray::fromStringList(plan.scanArguments)}};
    if (auto written = writeFileAtomically(plan.output + QLatin1Char('/') + QLatin1String(kJobFile),
                                           QJsonDocument(job).toJson());
        !written)
        err(QStringLiteral("warning: ") + QString::fromStdString(written.error()));
    if (mergeJob.isEmpty()) {
        err(error + QStringLiteral("; the shard tasks (job %1) run; merge them when done with rine-cli merge")
                        .arg(arrayJob));
        return UsageOrSetup;
    }
    QTextStream(stdout) << "submitted job " << arrayJob << " (" << plan.shards << " shard tasks) and merge job "
                        << mergeJob << "\nprogress: rine-cli slurm status --output " << shellWord(plan.output) << "\n"
                        << "merged case (when done): " << plan.output << "/case.sqlite\n";
    return Success;
}

// squeue's view of a job's tasks: task index (or -1 for the job itself) -> state.
std::map<QString, QString> queueStates(const QString &squeue, const QStringList &jobs, bool &ok)
{
    std::map<QString, QString> states;
    QProcess process;
    process.start(squeue, {QStringLiteral("-h"), QStringLiteral("-r"), QStringLiteral("-o"), QStringLiteral("%i %T"),
                           QStringLiteral("-j"), jobs.join(QLatin1Char(','))});
    ok = process.waitForStarted(10000) && process.waitForFinished(60000) && process.exitStatus() == QProcess::NormalExit
         && process.exitCode() == 0;
    if (!ok)
        return states;
    for (const QString &line : QString::fromLocal8Bit(process.readAllStandardOutput()).split(QLatin1Char('\n'))) {
        const QStringList parts = line.simplified().split(QLatin1Char(' '));
        if (parts.size() == 2)
            states[parts[0]] = parts[1];
    }
    return states;
}

int runStatus(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "How far a job of rine-cli slurm is: per shard, its case's scan state and files done of total (or, while its "
        "case is on a node's scratch space, the progress its task reports), the tasks Slurm still holds, the tasks "
        "that ended without a finished shard (failed or cancelled: see their logs), and the merged case.\n"
        "Exit status: 0 merged; 1 tasks failed; 3 still running or queued; 2 no such job."));
    parser.addHelpOption();
    const QCommandLineOption output(QStringLiteral("output"), QStringLiteral("The job's --output folder."),
                                    QStringLiteral("DIR"));
    const QCommandLineOption squeue(QStringLiteral("squeue"), QStringLiteral("The squeue to run (default: squeue)."),
                                    QStringLiteral("PROGRAM"), QStringLiteral("squeue"));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("text (default) or json."),
                                    QStringLiteral("FORMAT"), QStringLiteral("text"));
    parser.addOptions({output, squeue, format});
    if (!parser.parse(arguments)) {
        err(parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli slurm status --output DIR"));
        return Success;
    }
    if (!parser.isSet(output)) {
        err(QStringLiteral("--output DIR is required"));
        return UsageOrSetup;
    }
    const QString dir = QFileInfo(parser.value(output)).absoluteFilePath();
    QFile jobFile(dir + QLatin1Char('/') + QLatin1String(kJobFile));
    if (!jobFile.open(QIODevice::ReadOnly) || jobFile.size() > (16 << 20)) {
        err(QStringLiteral("%1: no job of rine-cli slurm here (%2 is missing)").arg(dir, QLatin1String(kJobFile)));
        return UsageOrSetup;
    }
    const QJsonObject job = QJsonDocument::fromJson(jobFile.readAll()).object();
    const int count = job.value(QStringLiteral("shards")).toInt();
    const QString arrayJob = job.value(QStringLiteral("array_job")).toString(),
                  mergeJob = job.value(QStringLiteral("merge_job")).toString();
    if (count < 1 || count > 10000) {
        err(QStringLiteral("%1: not a job file of rine-cli slurm").arg(jobFile.fileName()));
        return UsageOrSetup;
    }
    QStringList expectedModels;
    for (const QJsonValue &model : job.value(QStringLiteral("models")).toArray())
        expectedModels << model.toObject().value(QStringLiteral("sha256")).toString();
    bool queueKnown = false;
    const auto queue = queueStates(parser.value(squeue), {arrayJob, mergeJob}, queueKnown);

    qint64 doneFiles = 0, totalFiles = 0;
    int finished = 0, failed = 0, waiting = 0;
    QJsonArray shards;
    QTextStream out(stdout);
    const bool json = parser.value(format) == QLatin1String("json");
    for (int index = 0; index < count; ++index) {
        QJsonObject shard{{QStringLiteral("shard"), index}};
        const QString path = dir + QStringLiteral("/shards/") + shardFileName(index, count);
        QString caseState;
        if (QFileInfo::exists(path)) {
            if (auto database = CaseDatabase::open(path, CaseDatabase::Mode::ReadOnly)) {
                auto scans = database.value()->scans();
                if (scans && !scans->empty()) {
                    const ScanRow &scan = scans->back();
                    caseState = scan.state;
                    qint64 done = 0, total = 0;
                    if (auto counts = database.value()->statusCounts(scan.id))
                        for (const auto &[status, n] : counts.value()) {
                            total += n;
                            done += status == QLatin1String("pending") ? 0 : n;
                        }
                    shard[QStringLiteral("case")] = QJsonObject{{QStringLiteral("state"), caseState},
                                                                 {QStringLiteral("done"), done},
                                                                 {QStringLiteral("total"), total}};
                    doneFiles += done;
                    totalFiles += total;
                    if (auto summary = database.value()->scanSummary(scan.id)) {
                        QStringList models; // as the check listed them: no backbone with SPAI alone
                        if (!summary->backboneSha256.isEmpty())
                            models << summary->backboneSha256;
                        models << summary->headSha256s;
                        if (!summary->spaiSha256.isEmpty())
                            models << summary->spaiSha256;
                        if (!expectedModels.isEmpty() && models != expectedModels)
                            shard[QStringLiteral("problem")] = QStringLiteral("its models differ from those checked at "
                                                                              "submission");
                    }
                }
            } else {
                shard[QStringLiteral("problem")] = QString::fromStdString(database.error());
            }
        }
        QFile progress(dir + QStringLiteral("/progress/shard-%1.json").arg(index));
        if (progress.size() < (1 << 20) && progress.open(QIODevice::ReadOnly))
            shard[QStringLiteral("progress")] = QJsonDocument::fromJson(progress.readAll()).object();
        const auto task = queue.find(arrayJob + QLatin1Char('_') + QString::number(index));
        QString taskState = task != queue.end() ? task->second : QString();
        if (!taskState.isEmpty())
            shard[QStringLiteral("task")] = taskState;
        QString verdict;
        if (caseState == QLatin1String("completed")) {
            verdict = QStringLiteral("done");
            ++finished;
        } else if (!taskState.isEmpty() || !queueKnown) {
            verdict = taskState.isEmpty() ? QStringLiteral("unknown (squeue did not answer)") : taskState.toLower();
            ++waiting;
        } else {
            verdict = QStringLiteral("failed or cancelled (see logs/shard-%1.log; run it again: sbatch --array=%1 "
                                     "%2/job/shard.sbatch)")
                          .arg(index)
                          .arg(dir);
            ++failed;
        }
        shard[QStringLiteral("status")] = verdict;
        shards.append(shard);
        if (!json) {
            out << "shard " << index << "/" << count << ": " << verdict;
            if (shard.contains(QStringLiteral("case"))) {
                const QJsonObject c = shard.value(QStringLiteral("case")).toObject();
                out << "; case " << c.value(QStringLiteral("state")).toString() << ", "
                    << c.value(QStringLiteral("done")).toInteger() << "/" << c.value(QStringLiteral("total")).toInteger()
                    << " files";
            }
            const QJsonObject p = shard.value(QStringLiteral("progress")).toObject();
            if (!p.isEmpty() && caseState != QLatin1String("completed"))
                out << "; task reports " << p.value(QStringLiteral("state")).toString() << " "
                    << p.value(QStringLiteral("done")).toInteger() << "/" << p.value(QStringLiteral("total")).toInteger()
                    << " files of this run at " << QString::number(p.value(QStringLiteral("images_per_second")).toDouble(), 'f', 2)
                    << " images/s (" << p.value(QStringLiteral("updated_at")).toString() << ")";
            if (shard.contains(QStringLiteral("problem")))
                out << "; PROBLEM: " << shard.value(QStringLiteral("problem")).toString();
            out << "\n";
        }
    }
    QJsonObject merged{{QStringLiteral("job"), mergeJob}};
    const QString mergedPath = dir + QStringLiteral("/case.sqlite");
    bool isMerged = false;
    if (QFileInfo::exists(mergedPath)) {
        if (auto database = CaseDatabase::open(mergedPath, CaseDatabase::Mode::ReadOnly)) {
            const CaseIntegrity integrity = database.value()->integrity();
            merged[QStringLiteral("case")] = mergedPath;
            merged[QStringLiteral("integrity")] = integrity.describe();
            isMerged = integrity.verified();
        }
    } else if (const auto task = queue.find(mergeJob); task != queue.end()) {
        merged[QStringLiteral("task")] = task->second;
    }
    const QJsonObject summary{{QStringLiteral("shards"), count},       {QStringLiteral("finished"), finished},
                              {QStringLiteral("failed"), failed},      {QStringLiteral("waiting"), waiting},
                              {QStringLiteral("files_done"), doneFiles}, {QStringLiteral("files_total"), totalFiles}};
    if (json) {
        out << QJsonDocument(QJsonObject{{QStringLiteral("job"), job},
                                         {QStringLiteral("summary"), summary},
                                         {QStringLiteral("shards"), shards},
                                         {QStringLiteral("merge"), merged}})
                   .toJson();
    } else {
        out << finished << " of " << count << " shards done, " << failed << " failed or cancelled, " << waiting
            << " queued or running; " << doneFiles << "/" << totalFiles << " files in the finished shards' cases\n";
        if (merged.contains(QStringLiteral("case")))
            out << "merged: " << mergedPath << " (" << merged.value(QStringLiteral("integrity")).toString() << ")\n";
        else if (merged.contains(QStringLiteral("task")))
            out << "merge job " << mergeJob << ": " << merged.value(QStringLiteral("task")).toString().toLower() << "\n";
        else
            out << "not merged" << (failed ? " (the merge job waits for every task to succeed)" : "") << "\n";
    }
    if (isMerged)
        return Success;
    return failed ? SomeFailed : 3;
}

} // namespace

int runSlurm(const QStringList &arguments)
{
    if (arguments.size() > 1 && arguments[1] == QLatin1String("status")) {
        QStringList rest = arguments;
        rest.removeAt(1);
        rest[0] = QStringLiteral("rine-cli slurm status");
        return runStatus(rest);
    }
    return runSubmit(arguments);
}

} // namespace rine::cli
