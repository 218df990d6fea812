#include "ShardMerge.h"

#include "scan/FolderWalker.h"
#include "util/QtStrings.h"
#include "util/Sha256.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <unistd.h>

namespace rine {

namespace {

// The SHA-256 of a file, streamed ("" when it cannot be read).
QString fileSha256(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    Sha256 hash;
    QByteArray chunk;
    while (!(chunk = file.read(8 << 20)).isEmpty())
        hash.update(chunk.constData(), std::size_t(chunk.size()));
    if (file.error() != QFileDevice::NoError)
        return {};
    return QString::fromStdString(hash.hexDigest());
}

// One shard file, as checked.
struct Shard {
    QString path;
    std::unique_ptr<CaseDatabase> database;
    ScanSummary summary;
    QJsonObject settings; // without "shard"
    int index = -1, count = 0;
    CaseIntegrity integrity;
    QString problem; // why it cannot be merged as it is ("" when it can)
};

// The settings that two shards of one scan share, named as a user knows them.
QString settingName(const QString &key)
{
    if (key == QLatin1String("backbone_sha256"))
        return QStringLiteral("backbone (SHA-256)");
    if (key == QLatin1String("head_sha256s"))
        return QStringLiteral("heads (SHA-256)");
    if (key == QLatin1String("preprocessing"))
        return QStringLiteral("preprocessing (crop)");
    if (key == QLatin1String("precision"))
        return QStringLiteral("precision");
    if (key == QLatin1String("roots"))
        return QStringLiteral("folders scanned");
    return key;
}

QString compact(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    if (value.isBool())
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (value.isUndefined())
        return QStringLiteral("(none)");
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
}

// Opens and checks one shard; sets problem for what --allow-partial may pass over and
// returns a failure for what it may not.
Result<bool> examine(Shard &shard)
{
    const std::string name = shard.path.toStdString();
    if (!QFileInfo::exists(shard.path)) {
        shard.problem = QStringLiteral("no such file");
        return true;
    }
    auto opened = CaseDatabase::open(shard.path, CaseDatabase::Mode::ReadOnly);
    if (!opened) {
        shard.problem = QString::fromStdString(opened.error());
        return true;
    }
    shard.database = std::move(opened.value());
    if (shard.database->formatVersion() != CaseDatabase::kSchemaVersion) {
        shard.problem = QStringLiteral("case format %1, not %2 (made by another version of RINE Studio: scan the "
                                       "shard again with this one)")
                            .arg(shard.database->formatVersion())
                            .arg(CaseDatabase::kSchemaVersion);
        return true;
    }
    shard.integrity = shard.database->integrity();
    if (!shard.integrity.verified()) {
        shard.problem = QStringLiteral("does not verify: ") + shard.integrity.problem;
        return true;
    }
    auto scans = shard.database->scans();
    if (!scans) {
        shard.problem = QString::fromStdString(scans.error());
        return true;
    }
    // The shard's scan: the latest one made with --shard.
    const ScanRow *scan = nullptr;
    for (const ScanRow &row : scans.value())
        if (QJsonDocument::fromJson(row.settingsJson.toUtf8()).object().contains(QStringLiteral("shard")))
            scan = &row;
    if (!scan)
        return Result<bool>::failure(name + ": not a shard: it holds no scan made with rine-cli scan --shard I/N");
    auto summary = shard.database->scanSummary(scan->id);
    if (!summary)
        return Result<bool>::failure(summary.error());
    shard.summary = summary.value();
    shard.settings = QJsonDocument::fromJson(scan->settingsJson.toUtf8()).object();
    const QStringList parts = shard.settings.take(QStringLiteral("shard")).toString().split(QLatin1Char('/'));
    bool indexOk = false, countOk = false;
    if (parts.size() == 2) {
        shard.index = parts[0].toInt(&indexOk);
        shard.count = parts[1].toInt(&countOk);
    }
    if (!indexOk || !countOk || shard.count < 2 || shard.index < 0 || shard.index >= shard.count)
        return Result<bool>::failure(name + ": its scan's shard is not I/N");
    if (scan->state != QLatin1String("completed"))
        shard.problem = QStringLiteral("its scan is %1, not completed (files are left to examine: run its task "
                                       "again)")
                            .arg(scan->state);
    return true;
}

QJsonObject shardRecord(const Shard &shard)
{
    QJsonObject record{{QStringLiteral("file"), QFileInfo(shard.path).absoluteFilePath()}};
    if (!shard.database)
        return record;
    record[QStringLiteral("file_sha256")] = fileSha256(shard.path);
    if (shard.index >= 0)
        record[QStringLiteral("shard")] = QStringLiteral("%1/%2").arg(shard.index).arg(shard.count);
    record[QStringLiteral("audit")] = QJsonObject{{QStringLiteral("state"), integrityStateName(shard.integrity.state)},
                                                  {QStringLiteral("entries"), shard.integrity.length},
                                                  {QStringLiteral("head"), shard.integrity.head},
                                                  {QStringLiteral("signers"), QJsonArray::fromStringList(shard.integrity.signers)}};
    if (shard.summary.scan.id == 0)
        return record;
    const ScanSummary &s = shard.summary;
    QJsonObject settings = QJsonDocument::fromJson(s.scan.settingsJson.toUtf8()).object();
    record[QStringLiteral("scan")] = s.scan.id;
    record[QStringLiteral("state")] = s.scan.state;
    record[QStringLiteral("started_at")] = s.scan.startedAt;
    record[QStringLiteral("finished_at")] = s.scan.finishedAt;
    record[QStringLiteral("settings")] = settings;
    QJsonArray models; // no backbone in a scan with SPAI alone
    if (!s.backboneSha256.isEmpty())
        models.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("backbone")},
                                  {QStringLiteral("sha256"), s.backboneSha256},
                                  {QStringLiteral("path"), shard.database->modelPath(s.backboneSha256)}});
    for (const QString &head : s.headSha256s)
        models.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("head")},
                                  {QStringLiteral("sha256"), head},
                                  {QStringLiteral("path"), shard.database->modelPath(head)}});
    if (!s.spaiSha256.isEmpty())
        models.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("spai")},
                                  {QStringLiteral("sha256"), s.spaiSha256},
                                  {QStringLiteral("path"), shard.database->modelPath(s.spaiSha256)}});
    record[QStringLiteral("models")] = models;
    record[QStringLiteral("runtime")] = QJsonObject{{QStringLiteral("app_version"), q(s.runtime.appVersion)},
                                                    {QStringLiteral("libtorch"), q(s.runtime.libtorch)},
                                                    {QStringLiteral("opencv"), q(s.runtime.opencv)},
                                                    {QStringLiteral("qt"), q(s.runtime.qt)},
                                                    {QStringLiteral("device"), q(s.runtime.device)},
                                                    {QStringLiteral("backbone_dtype"), q(s.runtime.backboneDtype)},
                                                    {QStringLiteral("precision"), s.precision}};
    record[QStringLiteral("images_inferred")] = s.scan.imagesInferred;
    QJsonObject files;
    if (auto counts = shard.database->statusCounts(s.scan.id))
        for (const auto &[status, count] : counts.value())
            files[status] = count;
    record[QStringLiteral("files")] = files;
    return record;
}

} // namespace

Result<MergeOutcome> mergeShards(const MergeRequest &request)
{
    using R = Result<MergeOutcome>;
    const std::string target = request.target.toStdString();
    if (QFileInfo::exists(request.target) || QFileInfo(request.target).isSymLink())
        return R::failure(target + ": exists; merge writes a new case (remove it, or give another --db)");
    if (request.shards.isEmpty())
        return R::failure("no shard given");

    // Check every shard before anything is written.
    std::vector<Shard> shards(std::size_t(request.shards.size()));
    std::set<QString> seenFiles;
    for (qsizetype i = 0; i < request.shards.size(); ++i) {
        shards[std::size_t(i)].path = request.shards[i];
        if (!seenFiles.insert(QFileInfo(request.shards[i]).absoluteFilePath()).second)
            return R::failure(request.shards[i].toStdString() + ": given twice");
        if (auto checked = examine(shards[std::size_t(i)]); !checked)
            return R::failure(checked.error());
    }
    // All shards that were read must be shards of one scan, whatever --allow-partial says.
    const Shard *reference = nullptr;
    std::map<int, const Shard *> byIndex;
    for (const Shard &shard : shards) {
        if (shard.index < 0)
            continue;
        if (!reference) {
            reference = &shard;
        } else {
            if (shard.count != reference->count)
                return R::failure(shard.path.toStdString() + ": shard " + std::to_string(shard.index) + " of "
                                  + std::to_string(shard.count) + ", but " + reference->path.toStdString() + " is one of "
                                  + std::to_string(reference->count) + ": not shards of the same scan");
            QStringList keys = shard.settings.keys() + reference->settings.keys();
            keys.removeDuplicates();
            for (const QString &key : keys)
                if (shard.settings.value(key) != reference->settings.value(key))
                    return R::failure(QStringLiteral("%1 and %2 are not shards of the same scan: their %3 differ "
                                                     "(%4 and %5); shards scored with different models, "
                                                     "preprocessing or precision cannot be merged into one case")
                                          .arg(reference->path, shard.path, settingName(key),
                                               compact(reference->settings.value(key)), compact(shard.settings.value(key)))
                                          .toStdString());
        }
        if (auto [it, fresh] = byIndex.emplace(shard.index, &shard); !fresh)
            return R::failure(QStringLiteral("%1 and %2 are both shard %3 of %4")
                                  .arg(it->second->path, shard.path)
                                  .arg(shard.index)
                                  .arg(shard.count)
                                  .toStdString());
    }
    if (!reference) {
        QStringList why;
        for (const Shard &shard : shards)
            why << shard.path + ": " + shard.problem;
        return R::failure("no shard can be read: " + why.join(QStringLiteral("; ")).toStdString());
    }

    MergeOutcome outcome;
    outcome.shardCount = reference->count;
    std::vector<const Shard *> usable;
    for (int index = 0; index < reference->count; ++index) {
        const auto it = byIndex.find(index);
        if (it == byIndex.end() || !it->second->problem.isEmpty())
            outcome.missing.push_back(index);
        else
            usable.push_back(it->second);
    }
    for (const Shard &shard : shards)
        if (!shard.problem.isEmpty())
            outcome.leftOut << shard.path + ": " + shard.problem;
    if (!request.allowPartial && (!outcome.missing.empty() || !outcome.leftOut.isEmpty())) {
        QStringList missing;
        for (int index : outcome.missing)
            missing << QString::number(index);
        QString text = QStringLiteral("cannot merge: shard%1 %2 of %3 missing")
                           .arg(missing.size() == 1 ? QString() : QStringLiteral("s"), missing.join(QStringLiteral(", ")))
                           .arg(reference->count);
        if (!outcome.leftOut.isEmpty())
            text += QStringLiteral(" (") + outcome.leftOut.join(QStringLiteral("; ")) + QStringLiteral(")");
        text += QStringLiteral("; run the missing tasks again, or merge what there is with --allow-partial (recorded "
                               "in the merged case)");
        return R::failure(text.toStdString());
    }
    if (usable.empty())
        return R::failure("cannot merge: no shard is usable: " + outcome.leftOut.join(QStringLiteral("; ")).toStdString());

    // The merged scan: an unsharded scan's settings, so that scanning the same roots into the
    // merged case (unsharded) resumes it when it is incomplete.
    const ScanSummary &first = usable.front()->summary;
    ScanImport import;
    import.settingsJson = QString::fromUtf8(QJsonDocument(reference->settings).toJson(QJsonDocument::Compact));
    import.backboneSha256 = first.backboneSha256.toStdString();
    import.preprocessing = first.preprocessing.toStdString();
    import.precision = first.precision.toStdString();
    for (const QString &head : first.headSha256s)
        import.headSha256s.push_back(head.toStdString());
    if (!import.backboneSha256.empty()) { // SPAI alone: no backbone
        import.models.emplace_back("backbone", import.backboneSha256);
        import.modelPaths.push_back(usable.front()->database->modelPath(first.backboneSha256).toStdString());
    }
    for (const QString &head : first.headSha256s) {
        import.models.emplace_back("head", head.toStdString());
        import.modelPaths.push_back(usable.front()->database->modelPath(head).toStdString());
    }
    // SPAI (beside RINE or alone): the same weights in every shard (their settings agree on spai_sha256).
    if (!first.spaiSha256.isEmpty()) {
        import.spaiSha256 = first.spaiSha256.toStdString();
        import.spaiPrecision = first.spaiPrecision.toStdString(); // agreed: spai_precision is in the settings
        import.models.emplace_back("spai", import.spaiSha256);
        import.modelPaths.push_back(usable.front()->database->modelPath(first.spaiSha256).toStdString());
    }
    // Runtime: where shards ran on different devices or versions, each is listed.
    auto joined = [&](auto field) {
        QStringList values;
        for (const Shard *shard : usable)
            values << q(shard->summary.runtime.*field);
        values.removeDuplicates();
        return values.join(QStringLiteral("; ")).toStdString();
    };
    import.runtime.appVersion = joined(&ScanRuntime::appVersion);
    import.runtime.libtorch = joined(&ScanRuntime::libtorch);
    import.runtime.opencv = joined(&ScanRuntime::opencv);
    import.runtime.qt = joined(&ScanRuntime::qt);
    import.runtime.device = joined(&ScanRuntime::device);
    import.runtime.backboneDtype = joined(&ScanRuntime::backboneDtype);
    import.runtime.precision = import.precision;
    import.startedAt = first.scan.startedAt;
    for (const Shard *shard : usable) {
        import.startedAt = std::min(import.startedAt, shard->summary.scan.startedAt);
        import.finishedAt = std::max(import.finishedAt, shard->summary.scan.finishedAt);
        import.imagesInferred += shard->summary.scan.imagesInferred;
        import.sources.push_back({shard->database.get(), shard->summary.scan.id});
    }
    bool leftFiles = false;
    for (const Shard *shard : usable)
        if (auto counts = shard->database->statusCounts(shard->summary.scan.id))
            for (const auto &[status, count] : counts.value())
                leftFiles = leftFiles || (status == QLatin1String("pending") && count > 0);
    outcome.state = outcome.missing.empty() && !leftFiles ? QStringLiteral("completed") : QStringLiteral("incomplete");
    import.state = outcome.state;
    std::vector<std::string> roots;
    for (const QJsonValue &root : reference->settings.value(QStringLiteral("roots")).toArray())
        roots.push_back(root.toString().toStdString());
    import.before = [roots](const QString &a, const QString &b) {
        return walkOrderBefore(a.toStdString(), b.toStdString(), roots);
    };
    import.action = QStringLiteral("shards merged");
    QJsonArray records, missing;
    for (const Shard *shard : usable) {
        outcome.merged.push_back(shard->index);
        records.append(shardRecord(*shard));
    }
    for (int index : outcome.missing)
        missing.append(index);
    QJsonArray leftOut;
    for (const Shard &shard : shards)
        if (!shard.problem.isEmpty()) {
            QJsonObject record = shardRecord(shard);
            record[QStringLiteral("left_out")] = shard.problem;
            leftOut.append(record);
        }
    import.details = QJsonObject{{QStringLiteral("shards"), records},
                                 {QStringLiteral("shard_count"), reference->count},
                                 {QStringLiteral("missing_shards"), missing},
                                 {QStringLiteral("left_out"), leftOut},
                                 {QStringLiteral("allow_partial"), request.allowPartial}};

    // Written under a temporary name, renamed into place when whole.
    const QString temporary = request.target + QStringLiteral(".merging-%1").arg(::getpid());
    auto removeTemporary = [&] {
        for (const char *suffix : {"", "-wal", "-shm", "-journal"})
            QFile::remove(temporary + QLatin1String(suffix));
    };
    removeTemporary();
    {
        const QString caseName =
            request.caseName.isEmpty() ? QFileInfo(request.target).completeBaseName() : request.caseName;
        auto merged = CaseDatabase::open(temporary, CaseDatabase::Mode::OpenOrCreate, caseName);
        if (!merged) {
            removeTemporary();
            return R::failure(merged.error());
        }
        auto scanId = merged.value()->importScans(import, outcome.counts);
        if (!scanId) {
            merged.value().reset();
            removeTemporary();
            return R::failure(scanId.error());
        }
        outcome.scanId = scanId.value();
        if (auto counts = merged.value()->statusCounts(outcome.scanId))
            outcome.statusCounts = counts.value();
        const CaseIntegrity integrity = merged.value()->integrity();
        if (!integrity.verified()) {
            merged.value().reset();
            removeTemporary();
            return R::failure(target + ": the merged case does not verify: " + integrity.problem.toStdString());
        }
    }
    if (QFile::exists(temporary + QStringLiteral("-wal"))) {
        removeTemporary();
        return R::failure(target + ": the merged case was not closed cleanly; nothing was written");
    }
    // link(): never over a file that appeared meanwhile. File systems without hard links
    // (SMB, FAT) get rename() after a last check.
    const QByteArray from = QFile::encodeName(temporary), to = QFile::encodeName(request.target);
    bool placed = ::link(from.constData(), to.constData()) == 0;
    const int linkError = placed ? 0 : errno;
    if (placed)
        QFile::remove(temporary);
    else if ((linkError == EPERM || linkError == EOPNOTSUPP || linkError == ENOSYS || linkError == EXDEV)
             && !QFileInfo::exists(request.target))
        placed = std::rename(from.constData(), to.constData()) == 0;
    if (!placed) {
        removeTemporary();
        return R::failure(target + ": cannot write it: " + std::strerror(linkError));
    }
    return outcome;
}

} // namespace rine
