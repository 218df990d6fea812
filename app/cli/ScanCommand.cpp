#include "Commands.h"
#include "ModelOptions.h"
#include "RecordWriter.h"
#include "report/ScanExport.h"

#include "scan/ScanEngine.h"
#include "session/CaseSession.h"
#include "util/AtomicFile.h"
#include "util/QtStrings.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QFile>
#include <QDateTime>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace rine::cli {

namespace {

std::atomic<bool> s_cancel{false};

// First Ctrl-C (or SIGTERM): finish the batch in flight, commit, exit. Second: die at once;
// the case database is still consistent (only the batch in flight is lost).
void onInterrupt(int signal)
{
    if (s_cancel.exchange(true)) {
        std::signal(signal, SIG_DFL);
        std::raise(signal);
        return;
    }
    const char text[] = "\nrine-cli scan: interrupted; finishing the batch in flight (press Ctrl-C again to stop "
                        "at once)\n";
    const ssize_t ignored = ::write(STDERR_FILENO, text, sizeof text - 1);
    (void)ignored;
}

void err(const char *command, const QString &text)
{
    QTextStream(stderr) << "rine-cli " << command << ": " << text << Qt::endl;
}

QString duration(double seconds)
{
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600)
        return QStringLiteral("%1h %2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QStringLiteral("%1m %2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(s);
}

bool parseCount(const QString &text, std::uint64_t &value)
{
    bool ok = false;
    value = text.toULongLong(&ok);
    return ok && value > 0;
}

bool writeExports(CaseDatabase &database, qint64 scanId, const QString &csv, const QString &json, const char *command)
{
    if (csv.isEmpty() && json.isEmpty())
        return true;
    auto scan = readScanExport(database, scanId);
    QString error;
    if (!scan) {
        err(command, QString::fromStdString(scan.error()));
        return false;
    }
    if (!csv.isEmpty() && !writeText(csv, scanToCsv(scan.value()), error)) {
        err(command, error);
        return false;
    }
    if (!json.isEmpty() && !writeText(json, scanToJson(scan.value()), error)) {
        err(command, error);
        return false;
    }
    return true;
}

} // namespace

int runScan(const QStringList &arguments) { return runScanCommand(arguments, nullptr); }

int runScanCommand(const QStringList &arguments, ScanCheck *checked)
{
    const char *cmd = "scan";
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Scans folders (recursively) or files into a case database: every file is read once, read-only, hashed "
        "(SHA-256), recognised by its content, decoded within limits and scored by RINE (--detector rine, the "
        "default), SPAI (--detector spai) or both (give --detector twice). Each distinct content is "
        "scored once per model, whatever its paths. Running the same scan again resumes it: only what is missing "
        "is scored. Ctrl-C finishes the batch in flight, commits it and exits.\n"
        "Every file ends as scored, degraded (scored, with a warning about its decoding), failed (with the reason) "
        "or unsupported (not an image this program decodes).\n"
        "Exit status: 0 no file failed; 1 some files failed or folders could not be read; 2 bad usage, unloadable "
        "weights or an unusable database; 130 interrupted (what was committed is kept)."));
    parser.addHelpOption();
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("Case database (SQLite; created if missing)."),
                                QStringLiteral("CASE.sqlite"));
    const QCommandLineOption caseName(QStringLiteral("case"),
                                      QStringLiteral("Name of a new case (default: the database's file name)."),
                                      QStringLiteral("NAME"));
    ModelOptions model(ModelOptions::Heads::Several);
    model.withDetectors().addTo(parser);
    const QCommandLineOption include(QStringLiteral("include"),
                                     QStringLiteral("Only files matching this shell pattern (repeatable). A pattern "
                                                    "with '/' matches the path under the folder, else the file name."),
                                     QStringLiteral("PATTERN"));
    const QCommandLineOption exclude(QStringLiteral("exclude"),
                                     QStringLiteral("Skip files and folders matching this pattern (repeatable)."),
                                     QStringLiteral("PATTERN"));
    const QCommandLineOption noFollow(QStringLiteral("no-follow-symlinks"),
                                      QStringLiteral("Do not follow symbolic links (they are listed as skipped)."));
    const QCommandLineOption followOutside(
        QStringLiteral("follow-symlinks-outside"),
        QStringLiteral("Also follow symbolic links that lead outside the folders given (by default they are listed "
                       "as walk events and not followed); recorded in the scan's settings."));
    const QCommandLineOption workers(QStringLiteral("workers"),
                                     QStringLiteral("Threads that read, hash and decode ahead of the model (default: "
                                                    "one per core, at most 4)."),
                                     QStringLiteral("N"));
    const QCommandLineOption maxPixels(QStringLiteral("max-pixels"),
                                       QStringLiteral("Refuse images that declare more pixels (default 268435456)."),
                                       QStringLiteral("N"), QStringLiteral("268435456"));
    const QCommandLineOption maxFileMb(QStringLiteral("max-file-mb"),
                                       QStringLiteral("Refuse files larger than this many MiB (default 512)."),
                                       QStringLiteral("N"), QStringLiteral("512"));
    const QCommandLineOption decodeTimeout(QStringLiteral("decode-timeout"),
                                           QStringLiteral("A file whose decoding takes longer fails (default 30 s; 0: "
                                                          "no limit)."),
                                           QStringLiteral("SECONDS"), QStringLiteral("30"));
    const QCommandLineOption cache(QStringLiteral("cache-features"),
                                   QStringLiteral("Store each image's per-block features in the database (~96 KB "
                                                  "per image and crop, ViT-L/14), so that a later scan with another "
                                                  "head skips the backbone."));
    const QCommandLineOption csv(QStringLiteral("csv"), QStringLiteral("Also write the scan's results as CSV."),
                                 QStringLiteral("FILE"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Also write the scan's results as JSON."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption shard(QStringLiteral("shard"),
                                   QStringLiteral("Scan share I of N of the files into this case (I from 0 to N-1): "
                                                  "every shard walks the same roots and takes the files whose path, "
                                                  "relative to its root, hashes to I (stable under re-walks); "
                                                  "together the N shards hold every file once. Resumable as any "
                                                  "scan."),
                                   QStringLiteral("I/N"));
    const QCommandLineOption scratch(
        QStringLiteral("scratch"),
        QStringLiteral("Write the case in this local folder while scanning and move it to --db when the scan "
                       "returns (done, interrupted by Ctrl-C or SIGTERM after committing the batch in flight, or "
                       "failed): SQLite's write-ahead log needs a local file system, which network file systems "
                       "(NFS, Lustre) are not. A copy a killed process left there is taken up again; otherwise an "
                       "existing --db is copied in first, so a requeued shard resumes."),
        QStringLiteral("DIR"));
    const QCommandLineOption progressFile(
        QStringLiteral("progress"),
        QStringLiteral("Also write the progress (files done and total, images/s, state; with SPAI its patches) to "
                       "this JSON file, replaced whole every few seconds and at the end: what rine-cli slurm status "
                       "reads while a shard's case is on a node's scratch space."),
        QStringLiteral("FILE"));
    const QCommandLineOption progressEvery(QStringLiteral("progress-every"),
                                           QStringLiteral("Seconds between two writes of --progress (default 5; 0: "
                                                          "at every report)."),
                                           QStringLiteral("SECONDS"), QStringLiteral("5"));
    const QCommandLineOption check(
        QStringLiteral("check"),
        QStringLiteral("Check the options, the folders and the models (loaded and hashed), print each model's SHA-256 "
                       "and path, and exit without scanning or writing anything (--db is not needed)."));
    const QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("No progress on standard error."));
    const QCommandLineOption adopt(QStringLiteral("adopt"),
                                   QStringLiteral("Scan into a case made by another installation (or an earlier "
                                                  "version): take it over, recorded in its audit log as \"case "
                                                  "adopted\". Without it, such a case is refused."));
    parser.addOptions({db, caseName, include, exclude, noFollow, followOutside, workers, maxPixels, maxFileMb, decodeTimeout, cache, csv,
                       json, shard, scratch, progressFile, progressEvery, check, quiet, adopt});
    parser.addPositionalArgument(QStringLiteral("PATH"), QStringLiteral("Folders to scan (recursively), or files."),
                                 QStringLiteral("PATH..."));
    if (!parser.parse(arguments)) {
        err(cmd, parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli scan [options] --db CASE.sqlite PATH..."));
        return Success;
    }
    if (parser.positionalArguments().isEmpty()) {
        err(cmd, QStringLiteral("no folder given; see rine-cli scan --help"));
        return UsageOrSetup;
    }
    const bool checkOnly = parser.isSet(check) || checked;
    bool everyOk = false;
    const double progressSeconds = parser.value(progressEvery).toDouble(&everyOk);
    if (!everyOk || !(progressSeconds >= 0) || progressSeconds > 3600) {
        err(cmd, QStringLiteral("--progress-every must be a number of seconds from 0 to 3600"));
        return UsageOrSetup;
    }
    if (!parser.isSet(db) && !checkOnly) {
        err(cmd, QStringLiteral("--db CASE.sqlite is required: results are kept in a case database"));
        return UsageOrSetup;
    }
    ScanRequest request;
    for (const QString &path : parser.positionalArguments())
        request.roots.push_back(path.toStdString());
    for (const QString &pattern : parser.values(include))
        request.walk.include.push_back(pattern.toStdString());
    for (const QString &pattern : parser.values(exclude))
        request.walk.exclude.push_back(pattern.toStdString());
    request.walk.followSymlinks = !parser.isSet(noFollow);
    request.walk.followOutsideRoots = parser.isSet(followOutside);
    request.cacheFeatures = parser.isSet(cache);
    std::uint64_t megabytes = 0;
    if (!parseCount(parser.value(maxPixels), request.limits.maxPixels)
        || !parseCount(parser.value(maxFileMb), megabytes)) {
        err(cmd, QStringLiteral("--max-pixels and --max-file-mb must be positive whole numbers"));
        return UsageOrSetup;
    }
    request.limits.maxFileBytes = megabytes << 20;
    bool timeoutOk = false;
    request.limits.timeoutSeconds = parser.value(decodeTimeout).toDouble(&timeoutOk);
    if (!timeoutOk || !(request.limits.timeoutSeconds >= 0) || request.limits.timeoutSeconds > 86400) {
        err(cmd, QStringLiteral("--decode-timeout must be a number of seconds from 0 (no limit) to 86400"));
        return UsageOrSetup;
    }
    if (parser.isSet(shard)) {
        const QStringList parts = parser.value(shard).split(QLatin1Char('/'));
        bool indexOk = false, countOk = false;
        if (parts.size() == 2) {
            request.shardIndex = parts[0].toInt(&indexOk);
            request.shardCount = parts[1].toInt(&countOk);
        }
        if (!indexOk || !countOk || request.shardCount < 1 || request.shardCount > 100000 || request.shardIndex < 0
            || request.shardIndex >= request.shardCount) {
            err(cmd, QStringLiteral("--shard must be I/N with N from 1 to 100000 and I from 0 to N-1, not '%1'")
                         .arg(parser.value(shard)));
            return UsageOrSetup;
        }
    }
    if (parser.isSet(workers)) {
        bool ok = false;
        request.workers = parser.value(workers).toInt(&ok);
        if (!ok || request.workers < 1 || request.workers > 64) {
            err(cmd, QStringLiteral("--workers must be a whole number from 1 to 64"));
            return UsageOrSetup;
        }
    }
    QString error;
    if (!model.read(parser, error)) {
        err(cmd, error);
        return UsageOrSetup;
    }
    request.crop = model.crop();
    request.batchSize = model.batchSize();
    if (!model.usesRine() && request.cacheFeatures) {
        err(cmd, QStringLiteral("--cache-features keeps RINE's backbone features: a scan with --detector spai alone "
                                "has none; leave it out, or add --detector rine"));
        return UsageOrSetup;
    }

    if (checkOnly) {
        for (const std::string &root : request.roots)
            if (!QFileInfo::exists(QString::fromStdString(root))) {
                err(cmd, QStringLiteral("%1: no such folder or file").arg(QString::fromStdString(root)));
                return UsageOrSetup;
            }
        ModelOptions::Loaded detectors;
        if (!model.loadDetectors(detectors, error)) {
            err(cmd, error);
            return UsageOrSetup;
        }
        ScanCheck result;
        if (detectors.rine) {
            const ModelInfo &info = detectors.rine->info();
            result.models.push_back({QStringLiteral("backbone"), q(info.backboneSha256), q(info.backbonePath)});
            for (const HeadInfo &head : info.heads)
                result.models.push_back({QStringLiteral("head"), q(head.sha256), q(head.path)});
            result.preprocessing = q(Preprocessing{request.crop, info.inputSize}.name());
            result.precision = q(info.precision);
        } else { // SPAI alone: the scan's preprocessing and precision are SPAI's
            result.preprocessing = QString::fromLatin1(kSpaiPreprocessing);
            result.precision = q(detectors.spai->precision());
        }
        if (detectors.spai)
            result.models.push_back({QStringLiteral("spai"), q(detectors.spai->sha256()), q(detectors.spai->path())});
        for (const std::string &root : request.roots)
            result.roots << QFileInfo(QString::fromStdString(root)).absoluteFilePath();
        QTextStream out(checked ? stderr : stdout); // rine-cli slurm prints its scripts on stdout
        for (const ScanCheck::Model &m : result.models)
            out << m.role << " " << m.sha256 << " " << m.path << "\n";
        out << "preprocessing " << result.preprocessing << "\nprecision " << result.precision << Qt::endl;
        if (checked)
            *checked = result;
        return Success;
    }

    // Checked before the case is created: nothing is written into the evidence folder.
    QString casePath = parser.value(db);
    if (parser.isSet(scratch)) {
        const QString folder = parser.value(scratch);
        if (!QFileInfo(folder).isDir()) {
            err(cmd, QStringLiteral("--scratch %1 is not a folder").arg(folder));
            return UsageOrSetup;
        }
        casePath = QDir(folder).absoluteFilePath(QFileInfo(parser.value(db)).fileName());
        if (QFileInfo(casePath).absoluteFilePath() == QFileInfo(parser.value(db)).absoluteFilePath()) {
            err(cmd, QStringLiteral("--scratch is the folder of --db itself; give a local folder elsewhere"));
            return UsageOrSetup;
        }
    }
    for (const QString &path : {parser.value(db), casePath})
        if (auto outside = caseOutsideRoots(path, request.roots); !outside) {
            err(cmd, QString::fromStdString(outside.error()));
            return UsageOrSetup;
        }
    if (casePath != parser.value(db) && QFile::exists(casePath) && QFile::exists(parser.value(db))) {
        // A copy a killed run left here, older than --db (the shard ran on since, on another
        // node): --db is where it stands.
        QDateTime left = QFileInfo(casePath).lastModified();
        if (QFile::exists(casePath + QStringLiteral("-wal")))
            left = std::max(left, QFileInfo(casePath + QStringLiteral("-wal")).lastModified());
        if (QFileInfo(parser.value(db)).lastModified() > left) {
            err(cmd, QStringLiteral("%1 is older than %2: taking up %2").arg(casePath, parser.value(db)));
            for (const char *suffix : {"", "-wal", "-shm"})
                QFile::remove(casePath + QLatin1String(suffix));
        }
    }
    if (casePath != parser.value(db) && !QFile::exists(casePath) && QFile::exists(parser.value(db))) {
        // A shard requeued on another node: carry on from what it committed.
        if (const QString copied = copyFileAtomically(parser.value(db), casePath); !copied.isEmpty()) {
            err(cmd, copied);
            return UsageOrSetup;
        }
    }
    // Whatever happens from here, a case written in the scratch folder ends at --db (after the
    // session below has closed it: declared first, destroyed last).
    struct MoveBack {
        QString working, target;
        bool armed = false;
        ~MoveBack()
        {
            if (!armed || !QFile::exists(working))
                return;
            if (QFile::exists(working + QStringLiteral("-wal"))) { // not checkpointed: the file alone is not the case
                QTextStream(stderr) << "rine-cli scan: the case was not closed cleanly; it is still at " << working
                                    << Qt::endl;
                return;
            }
            if (const QString error = moveFileAtomically(working, target); !error.isEmpty())
                QTextStream(stderr) << "rine-cli scan: " << error << "; the case is still at " << working << Qt::endl;
        }
    } moveBack{casePath, parser.value(db)};
    // One writer per case: the session holds the case's lock for the whole scan.
    auto session = CaseSession::open(casePath, parser.isSet(adopt) ? CaseSession::Access::Adopt : CaseSession::Access::Write,
                                     {true, parser.value(caseName)});
    if (!session) {
        // Not ours to move: another scan may hold this scratch case (its lock is why we failed).
        err(cmd, QString::fromStdString(session.error()));
        return UsageOrSetup;
    }
    moveBack.armed = casePath != parser.value(db);
    ModelOptions::Loaded detectors;
    if (!model.loadDetectors(detectors, error)) {
        err(cmd, error);
        return UsageOrSetup;
    }
    Detector *detector = detectors.rine.get();
    if (const std::string warning = slowBlasWarning(); !warning.empty() && !cudaAvailable())
        err(cmd, QStringLiteral("warning: ") + QString::fromStdString(warning));

    const bool showProgress = !parser.isSet(quiet);
    auto lastLine = std::chrono::steady_clock::now() - std::chrono::hours(1);
    auto lastWritten = lastLine;
    const QString progressPath = parser.value(progressFile);
    const QString shardText = parser.value(shard);
    auto writeProgress = [&](const QString &state, const ScanProgress *p) {
        QJsonObject o{{QStringLiteral("state"), state},
                      {QStringLiteral("case"), QFileInfo(parser.value(db)).absoluteFilePath()},
                      {QStringLiteral("updated_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}};
        if (!shardText.isEmpty())
            o[QStringLiteral("shard")] = shardText;
        if (p) {
            o[QStringLiteral("found")] = qint64(p->found);
            o[QStringLiteral("done")] = qint64(p->done);
            o[QStringLiteral("total")] = qint64(p->total);
            o[QStringLiteral("images_per_second")] = p->imagesPerSecond;
            o[QStringLiteral("eta_seconds")] = p->etaSeconds;
            if (p->spaiPatches > 0 || p->spaiImagePatches > 0) {
                o[QStringLiteral("spai_patches")] = qint64(p->spaiPatches);
                o[QStringLiteral("spai_patches_per_second")] = p->spaiPatchesPerSecond;
                o[QStringLiteral("spai_image_scored")] = qint64(p->spaiImageScored);
                o[QStringLiteral("spai_image_patches")] = qint64(p->spaiImagePatches);
            }
        }
        if (auto written = writeFileAtomically(progressPath, QJsonDocument(o).toJson()); !written)
            err(cmd, QStringLiteral("warning: ") + QString::fromStdString(written.error()));
    };
    if (!progressPath.isEmpty())
        writeProgress(QStringLiteral("starting"), nullptr);
    ScanProgress lastProgress;
    auto progress = [&](const ScanProgress &p) {
        const auto now = std::chrono::steady_clock::now();
        if (!progressPath.isEmpty()) {
            lastProgress = p;
            lastProgress.committedFileIds.clear();
            if (now - lastWritten >= std::chrono::duration<double>(progressSeconds)) {
                lastWritten = now;
                writeProgress(p.phase == ScanProgress::Phase::Walking ? QStringLiteral("walking")
                                                                      : QStringLiteral("scanning"),
                              &p);
            }
        }
        if (!showProgress)
            return;
        const bool last = p.phase == ScanProgress::Phase::Scanning && p.done == p.total;
        if (now - lastLine < std::chrono::seconds(1) && !last)
            return;
        lastLine = now;
        if (p.phase == ScanProgress::Phase::Walking) {
            std::fprintf(stderr, "rine-cli scan: walking: %zu files found\n", p.found);
            return;
        }
        const QString eta = p.etaSeconds >= 0 ? duration(p.etaSeconds) : QStringLiteral("?");
        QString spai;
        if (p.spaiPatches > 0 || p.spaiImagePatches > 0) {
            spai = QStringLiteral(", SPAI %1 patches/s").arg(p.spaiPatchesPerSecond, 0, 'f', 2);
            if (p.spaiImagePatches > 0)
                spai += QStringLiteral(" (%1 of %2 patches of the image in hand)")
                            .arg(p.spaiImageScored)
                            .arg(p.spaiImagePatches);
        }
        std::fprintf(stderr, "rine-cli scan: %zu/%zu files, %.2f images/s%s, ETA %s\n", p.done, p.total,
                     p.imagesPerSecond, qPrintable(spai), qPrintable(eta));
    };

    s_cancel = false;
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    struct sigaction oldInt {}, oldTerm {};
    sigaction(SIGINT, &action, &oldInt);
    sigaction(SIGTERM, &action, &oldTerm);
    ScanEngine engine = detector ? ScanEngine(*detector, session.value()->database(), detectors.spai.get())
                                 : ScanEngine(*detectors.spai, session.value()->database());
    auto outcome = engine.run(request, s_cancel, progress);
    sigaction(SIGINT, &oldInt, nullptr);
    sigaction(SIGTERM, &oldTerm, nullptr);
    if (!outcome) {
        err(cmd, QString::fromStdString(outcome.error()));
        return UsageOrSetup;
    }
    const ScanOutcome &o = outcome.value();
    if (!progressPath.isEmpty())
        writeProgress(o.cancelled ? QStringLiteral("interrupted")
                                  : o.deferred ? QStringLiteral("incomplete") : QStringLiteral("completed"),
                      &lastProgress);
    qint64 failed = 0;
    QStringList counts;
    for (const auto &count : o.statusCounts) {
        counts << QStringLiteral("%1 %2").arg(count.second).arg(count.first);
        if (count.first == QLatin1String("failed"))
            failed = count.second;
    }
    auto summary = session.value()->database().scanSummary(o.scanId);
    qint64 unreadableFolders = 0;
    if (summary)
        for (const WalkEvent &event : summary->events)
            if (event.kind == WalkEvent::Kind::UnreadableFolder || event.kind == WalkEvent::Kind::MissingRoot)
                ++unreadableFolders;
    if (showProgress || failed || o.cancelled || o.deferred) {
        QTextStream(stderr) << "rine-cli scan: " << (o.cancelled ? "interrupted" : "done") << ": scan " << o.scanId
                            << (o.resumed ? " (resumed)" : "") << " in " << parser.value(db) << ": " << o.listed
                            << " files listed, " << o.examined << " examined in this run, " << o.inferred
                            << (detector ? " images through the backbone, " : " images scored by SPAI, ") << o.fromCache
                            << " from cached features, "
                            << o.alreadyScored << " already scored; " << counts.join(QStringLiteral(", "))
                            << "; " << o.walkEvents << " walk events; " << duration(o.seconds) << Qt::endl;
        if (o.cancelled)
            QTextStream(stderr) << "rine-cli scan: run the same command again to resume" << Qt::endl;
    }
    if (o.stoppedInDecode > 0) {
        QTextStream(stderr) << "rine-cli scan: " << o.stoppedInDecode
                            << " file(s) stopped two earlier runs while being decoded; recorded as failed, not "
                               "decoded again (see their errors)"
                            << Qt::endl;
    }
    if (o.decodesOverTime > 0 || o.deferred > 0) {
        QTextStream(stderr) << "rine-cli scan: " << o.decodesOverTime << " file(s) took longer to decode than "
                            << "--decode-timeout (" << request.limits.timeoutSeconds
                            << " s) and are recorded as failed; this scan lets " << o.decodeBudget
                            << " such decodes run on at once (" << o.decodesStillRunning
                            << " still running at its end)" << Qt::endl;
    }
    if (o.deferred > 0) {
        QTextStream(stderr) << "rine-cli scan: " << o.deferred << " file(s) not examined: " << o.decodeBudget
                            << " decodes past their time limit were still running (crafted files?); the scan is "
                               "left incomplete: run the same command again to examine them"
                            << Qt::endl;
    }
    if (!writeExports(session.value()->database(), o.scanId, parser.value(csv), parser.value(json), cmd))
        return UsageOrSetup;
    if (o.cancelled)
        return Interrupted;
    return failed || unreadableFolders || o.deferred ? SomeFailed : Success;
}

int runResults(const QStringList &arguments)
{
    const char *cmd = "results";
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes a scan's results from a case database: every file with its SHA-256, outcome and the scores of "
        "every head, with the models' hashes, preprocessing, software versions and device. The database is "
        "opened read-only."));
    parser.addHelpOption();
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("Case database."), QStringLiteral("CASE.sqlite"));
    const QCommandLineOption scan(QStringLiteral("scan"), QStringLiteral("Scan id (default: the latest)."),
                                  QStringLiteral("ID"));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("Output format (default json)."),
                                    QStringLiteral("json|csv"), QStringLiteral("json"));
    const QCommandLineOption output(QStringLiteral("output"),
                                    QStringLiteral("Write to FILE (atomically) instead of standard output."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption list(QStringLiteral("list"), QStringLiteral("List the case's scans instead."));
    parser.addOptions({db, scan, format, output, list});
    if (!parser.parse(arguments)) {
        err(cmd, parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli results [options] --db CASE.sqlite"));
        return Success;
    }
    if (!parser.isSet(db)) {
        err(cmd, QStringLiteral("--db CASE.sqlite is required"));
        return UsageOrSetup;
    }
    const QString formatValue = parser.value(format);
    if (formatValue != QLatin1String("json") && formatValue != QLatin1String("csv")) {
        err(cmd, QStringLiteral("--format must be json or csv, not '%1'").arg(formatValue));
        return UsageOrSetup;
    }
    auto session = CaseSession::open(parser.value(db), CaseSession::Access::Read);
    if (!session) {
        err(cmd, QString::fromStdString(session.error()));
        return UsageOrSetup;
    }
    CaseDatabase &database = session.value()->database();
    auto scans = database.scans();
    if (!scans) {
        err(cmd, QString::fromStdString(scans.error()));
        return UsageOrSetup;
    }
    if (parser.isSet(list)) {
        QTextStream out(stdout);
        out << "id\tstate\tstarted_at\tfinished_at\timages_inferred\n";
        for (const ScanRow &row : scans.value())
            out << row.id << '\t' << row.state << '\t' << row.startedAt << '\t' << row.finishedAt << '\t'
                << row.imagesInferred << '\n';
        return Success;
    }
    if (scans->empty()) {
        err(cmd, QStringLiteral("%1 holds no scan yet").arg(parser.value(db)));
        return SomeFailed;
    }
    qint64 scanId = scans->back().id;
    if (parser.isSet(scan)) {
        bool ok = false;
        scanId = parser.value(scan).toLongLong(&ok);
        if (!ok) {
            err(cmd, QStringLiteral("--scan must be a scan id (see --list)"));
            return UsageOrSetup;
        }
    }
    auto exported = readScanExport(database, scanId);
    if (!exported) {
        err(cmd, QString::fromStdString(exported.error()));
        return UsageOrSetup;
    }
    // The results are written whatever the case's state, and carry it (the integrity object,
    // the case_integrity column); a case that does not verify is also said here.
    if (exported->integrity.state != CaseIntegrity::State::Verified)
        err(cmd, QStringLiteral("WARNING: ") + exported->integrity.describe());
    QString error;
    const QByteArray text =
        formatValue == QLatin1String("csv") ? scanToCsv(exported.value()) : scanToJson(exported.value());
    if (!writeText(parser.value(output), text, error)) {
        err(cmd, error);
        return UsageOrSetup;
    }
    return Success;
}

} // namespace rine::cli
