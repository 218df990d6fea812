#include "CaseDatabase.h"

#include "CaseSigning.h"
#include "util/Sha256.h"
#include "util/Version.h"
#include "util/QtStrings.h"

#include <QDateTime>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QSysInfo>
#include <QUrl>
#include <QVariant>

#include <algorithm>
#include <atomic>
#include <map>
#include <utility>
#include <mutex>
#include <pwd.h>
#include <unistd.h>
#include <cstring>
#include <unordered_map>

namespace rine {

namespace {

std::atomic<int> s_connections{0};


QString now() { return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs); }

QString isoFromNs(std::int64_t ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1000000, Qt::UTC).toString(Qt::ISODateWithMs);
}

QJsonArray stringArray(const std::vector<std::string> &values)
{
    QJsonArray array;
    for (const auto &v : values)
        array.append(q(v));
    return array;
}

QString jsonList(const std::vector<std::string> &values)
{
    return QString::fromUtf8(QJsonDocument(stringArray(values)).toJson(QJsonDocument::Compact));
}

QString jsonNumbers(const std::vector<double> &values)
{
    QJsonArray array;
    for (double v : values)
        array.append(v);
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

std::vector<double> numbersFromJson(const QString &text)
{
    std::vector<double> out;
    for (const QJsonValue &v : QJsonDocument::fromJson(text.toUtf8()).array())
        out.push_back(v.toDouble());
    return out;
}

QStringList stringsFromJson(const QString &text)
{
    QStringList out;
    for (const QJsonValue &v : QJsonDocument::fromJson(text.toUtf8()).array())
        out << v.toString();
    return out;
}

const char *const kAuditTable =
    "CREATE TABLE audit_log(id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
    " details TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL, signer TEXT, signature TEXT)";

// The rows the audit chain covers (format 4): each table's columns as they are hashed, and
// the order in which they are (a key that survives VACUUM: no implicit rowids).
struct CoveredTable {
    const char *name, *columns, *order;
    int since = 4; // the case format that brought the table
    // A column a later format added to the table (from format `extraSince`): hashed after the
    // others only where its value is not `extraDefault`, the value every earlier row has, so
    // that the rows an entry wrote before the upgrade keep the digest it recorded. A row whose
    // value differs hashes one field more, so changing the value either way changes the digest.
    const char *extra = nullptr, *extraDefault = nullptr;
    int extraSince = 0;
};
const CoveredTable kCovered[] = {
    {"cases", "id, name, created_at", "id"},
    {"scans",
     "id, case_id, started_at, finished_at, state, settings, backbone_sha256, preprocessing, app_version, libtorch, "
     "opencv, qt, device, backbone_dtype, images_inferred, precision",
     "id"},
    {"models", "sha256, role, path", "sha256"},
    {"scan_models", "scan_id, position, role, sha256", "scan_id, position"},
    {"contents", "sha256, size, format, width, height, status, warnings, error, first_seen", "sha256"},
    {"files", "id, scan_id, path, size, mtime, sha256, status, error, examined_at", "id"},
    {"walk_events", "id, scan_id, kind, path, message", "id"},
    {"results",
     "id, sha256, backbone_sha256, head_sha256, preprocessing, logit, probability, contributions, device, "
     "backbone_dtype, from_cached_features, scan_id, scored_at, precision",
     "id", 4, "detector", "rine", 6},
    {"features", "sha256, backbone_sha256, preprocessing, crops, blocks, width, dtype, data, precision",
     "sha256, backbone_sha256, preprocessing, precision"},
    {"windows", "sha256, backbone_sha256, head_sha256, preprocessing, precision, rank, x, y, side, entropy, logit",
     "sha256, backbone_sha256, head_sha256, preprocessing, precision, rank", 5},
    {"spai_patches", "sha256, weights_sha256, precision, rank, x, y, attention, attention_mean, solo_logit",
     "sha256, weights_sha256, precision, rank", 6},
};

// The columns of a covered table as a case of `version` holds them, and how many are always hashed.
QString coveredColumns(const CoveredTable &table, int version)
{
    QString columns = QString::fromLatin1(table.columns);
    if (table.extra && version >= table.extraSince)
        columns += QStringLiteral(", ") + QLatin1String(table.extra);
    return columns;
}
int alwaysHashed(const CoveredTable &table) { return QString::fromLatin1(table.columns).count(QLatin1Char(',')) + 1; }

// One row into a digest: each value with its SQLite type and length, so that no two
// different rows (a number stored as text, a value moved between columns) hash alike.
void hashRow(Sha256 &hash, const QSqlQuery &query, int first, int count)
{
    hash.update("R", 1);
    for (int i = first; i < first + count; ++i) {
        const QVariant value = query.value(i);
        char tag = 's';
        QByteArray bytes;
        if (value.isNull()) {
            tag = 'n';
        } else {
            switch (value.typeId()) {
            case QMetaType::LongLong:
            case QMetaType::Int:
            case QMetaType::ULongLong:
            case QMetaType::UInt: tag = 'i'; bytes = QByteArray::number(value.toLongLong()); break;
            case QMetaType::Double: tag = 'r'; bytes = QByteArray::number(value.toDouble(), 'g', 17); break;
            case QMetaType::QByteArray: tag = 'b'; bytes = value.toByteArray(); break;
            default: bytes = value.toString().toUtf8(); break;
            }
        }
        const std::uint64_t size = std::uint64_t(bytes.size());
        hash.update(&tag, 1);
        hash.update(&size, sizeof size);
        hash.update(bytes.constData(), std::size_t(bytes.size()));
    }
}

// A covered table's row: its columns, then its later column where that differs from the
// default (CoveredTable::extra).
void hashCoveredRow(Sha256 &hash, const QSqlQuery &query, int first, const CoveredTable &table, int version)
{
    const int columns = alwaysHashed(table);
    hashRow(hash, query, first, columns);
    if (!table.extra || version < table.extraSince)
        return;
    const QVariant value = query.value(first + columns);
    if (value.isNull() || value.toString() != QLatin1String(table.extraDefault)) {
        const QByteArray bytes = value.isNull() ? QByteArray() : value.toString().toUtf8();
        const char tag = value.isNull() ? 'n' : 'x';
        const std::uint64_t size = std::uint64_t(bytes.size());
        hash.update(&tag, 1);
        hash.update(&size, sizeof size);
        hash.update(bytes.constData(), std::size_t(bytes.size()));
    }
}

void hashTableName(Sha256 &hash, const char *table)
{
    const std::uint64_t size = std::strlen(table);
    hash.update("T", 1);
    hash.update(&size, sizeof size);
    hash.update(table, size);
}

const char *const kSignaturePrefix = "RINE Studio audit entry\n";
QByteArray signedMessage(const QString &hash) { return QByteArray(kSignaturePrefix) + hash.toLatin1(); }

// Format 3's results and features: the precision is part of the key.
const char *const kResultsTable =
    "CREATE TABLE results(id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, backbone_sha256 TEXT NOT NULL,"
    " head_sha256 TEXT NOT NULL, preprocessing TEXT NOT NULL, logit REAL NOT NULL, probability REAL NOT NULL,"
    " contributions TEXT NOT NULL, device TEXT NOT NULL, backbone_dtype TEXT NOT NULL,"
    " from_cached_features INTEGER NOT NULL, scan_id INTEGER NOT NULL, scored_at TEXT NOT NULL,"
    " precision TEXT NOT NULL, UNIQUE(sha256, backbone_sha256, head_sha256, preprocessing, precision))";
// Format 6's: the detector names the result too (for cases upgraded from 5 it is a column added
// with the default 'rine'; their key stays the one above, which SPAI's rows, keyed by their own
// weight file, never collide in).
const char *const kResultsTable6 =
    "CREATE TABLE results(id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, backbone_sha256 TEXT NOT NULL,"
    " head_sha256 TEXT NOT NULL, preprocessing TEXT NOT NULL, logit REAL NOT NULL, probability REAL NOT NULL,"
    " contributions TEXT NOT NULL, device TEXT NOT NULL, backbone_dtype TEXT NOT NULL,"
    " from_cached_features INTEGER NOT NULL, scan_id INTEGER NOT NULL, scored_at TEXT NOT NULL,"
    " precision TEXT NOT NULL, detector TEXT NOT NULL DEFAULT 'rine',"
    " UNIQUE(sha256, detector, backbone_sha256, head_sha256, preprocessing, precision))";
// SPAI's patches of a result (format 6): where each lay (x, y: its top-left corner in the
// padded image), its attention per head (JSON) and their mean, the logit it would get alone.
const char *const kSpaiPatchesTable =
    "CREATE TABLE spai_patches(sha256 TEXT NOT NULL, weights_sha256 TEXT NOT NULL, precision TEXT NOT NULL,"
    " rank INTEGER NOT NULL, x INTEGER NOT NULL, y INTEGER NOT NULL, attention TEXT NOT NULL,"
    " attention_mean REAL NOT NULL, solo_logit REAL NOT NULL, PRIMARY KEY(sha256, weights_sha256, precision, rank))";
// TextureCrop's kept windows of a result (format 5): where each lay and its own logit, in rank order.
const char *const kWindowsTable =
    "CREATE TABLE windows(sha256 TEXT NOT NULL, backbone_sha256 TEXT NOT NULL, head_sha256 TEXT NOT NULL,"
    " preprocessing TEXT NOT NULL, precision TEXT NOT NULL, rank INTEGER NOT NULL, x INTEGER NOT NULL,"
    " y INTEGER NOT NULL, side INTEGER NOT NULL, entropy REAL NOT NULL, logit REAL NOT NULL,"
    " PRIMARY KEY(sha256, backbone_sha256, head_sha256, preprocessing, precision, rank))";
const char *const kFeaturesTable =
    "CREATE TABLE features(sha256 TEXT NOT NULL, backbone_sha256 TEXT NOT NULL, preprocessing TEXT NOT NULL,"
    " crops INTEGER NOT NULL, blocks INTEGER NOT NULL, width INTEGER NOT NULL, dtype TEXT NOT NULL,"
    " data BLOB NOT NULL, precision TEXT NOT NULL, PRIMARY KEY(sha256, backbone_sha256, preprocessing, precision))";

// Before format 3 a result's precision followed from its device: fp16 on CUDA, fp32 on the CPU.
const char *const kPrecisionBeforeFormat3 = "CASE WHEN backbone_dtype LIKE 'float16%' THEN 'fp16' ELSE 'fp32' END";

const char *const kSchema[] = {
    "CREATE TABLE cases(id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE scans(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    " started_at TEXT NOT NULL, finished_at TEXT, state TEXT NOT NULL, settings TEXT NOT NULL,"
    " backbone_sha256 TEXT NOT NULL, preprocessing TEXT NOT NULL,"
    " app_version TEXT, libtorch TEXT, opencv TEXT, qt TEXT, device TEXT, backbone_dtype TEXT,"
    " images_inferred INTEGER NOT NULL DEFAULT 0, precision TEXT NOT NULL DEFAULT 'fp32')",
    "CREATE TABLE models(sha256 TEXT PRIMARY KEY, role TEXT NOT NULL, path TEXT NOT NULL)",
    "CREATE TABLE scan_models(scan_id INTEGER NOT NULL REFERENCES scans(id), position INTEGER NOT NULL,"
    " role TEXT NOT NULL, sha256 TEXT NOT NULL REFERENCES models(sha256), PRIMARY KEY(scan_id, position))",
    "CREATE TABLE contents(sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, format TEXT, width INTEGER,"
    " height INTEGER, status TEXT NOT NULL, warnings TEXT NOT NULL, error TEXT, first_seen TEXT NOT NULL)",
    "CREATE TABLE files(id INTEGER PRIMARY KEY, scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " path TEXT NOT NULL, size INTEGER, mtime TEXT, sha256 TEXT, status TEXT NOT NULL, error TEXT,"
    " examined_at TEXT, UNIQUE(scan_id, path))",
    "CREATE INDEX files_sha256 ON files(sha256)",
    "CREATE TABLE walk_events(id INTEGER PRIMARY KEY, scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " kind TEXT NOT NULL, path TEXT NOT NULL, message TEXT NOT NULL, UNIQUE(scan_id, kind, path))",
    kResultsTable6,
    kFeaturesTable,
    kWindowsTable,
    kSpaiPatchesTable,
    kAuditTable,
};

const QString kNoPreviousHash(64, QLatin1Char('0'));

QString actor()
{
    QString user = QString::fromLocal8Bit(qgetenv("USER"));
    if (user.isEmpty())
        user = QString::fromLocal8Bit(qgetenv("LOGNAME"));
    if (user.isEmpty()) {
        const passwd *entry = getpwuid(geteuid());
        user = entry ? QString::fromLocal8Bit(entry->pw_name) : QStringLiteral("uid %1").arg(geteuid());
    }
    return user + QLatin1Char('@') + QSysInfo::machineHostName();
}

// With the UTC offset: an audit entry must say when in the analyst's own time, unambiguously.
QString localNow() { return QDateTime::currentDateTime().toOffsetFromUtc(QDateTime::currentDateTime().offsetFromUtc()).toString(Qt::ISODateWithMs); }

} // namespace

const char *fileStatusName(FileStatus status)
{
    switch (status) {
    case FileStatus::Pending: return "pending";
    case FileStatus::Scored: return "scored";
    case FileStatus::Degraded: return "degraded";
    case FileStatus::Failed: return "failed";
    case FileStatus::Unsupported: return "unsupported";
    }
    return "failed";
}

FileStatus fileStatusFromName(const QString &name)
{
    for (FileStatus s : {FileStatus::Pending, FileStatus::Scored, FileStatus::Degraded, FileStatus::Failed,
                         FileStatus::Unsupported})
        if (name == QLatin1String(fileStatusName(s)))
            return s;
    return FileStatus::Failed;
}

QString ScanSettings::toJson() const
{
    QJsonObject o{
        {QStringLiteral("roots"), stringArray(roots)},
        {QStringLiteral("include"), stringArray(walk.include)},
        {QStringLiteral("exclude"), stringArray(walk.exclude)},
        {QStringLiteral("follow_symlinks"), walk.followSymlinks},
        {QStringLiteral("follow_symlinks_outside_roots"), walk.followOutsideRoots},
        {QStringLiteral("preprocessing"), q(preprocessing)},
        {QStringLiteral("precision"), q(precision)},
        {QStringLiteral("backbone_sha256"), q(backboneSha256)},
        {QStringLiteral("head_sha256s"), stringArray(headSha256s)},
        {QStringLiteral("max_file_bytes"), QString::number(maxFileBytes)},
        {QStringLiteral("max_pixels"), QString::number(maxPixels)},
    };
    if (shardCount > 1)
        o.insert(QStringLiteral("shard"), QStringLiteral("%1/%2").arg(shardIndex).arg(shardCount));
    if (!spaiSha256.empty())
        o.insert(QStringLiteral("spai_sha256"), q(spaiSha256));
    if (!spaiSha256.empty() && spaiPrecision != "fp32")
        o.insert(QStringLiteral("spai_precision"), q(spaiPrecision));
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

CaseDatabase::CaseDatabase(QString path, QString connection)
    : m_path(std::move(path)), m_connection(std::move(connection))
{
}

CaseDatabase::~CaseDatabase()
{
    {
        QSqlDatabase database = QSqlDatabase::database(m_connection, false);
        if (database.isOpen())
            database.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

QSqlDatabase CaseDatabase::db() const { return QSqlDatabase::database(m_connection, false); }

Result<std::unique_ptr<CaseDatabase>> CaseDatabase::open(const QString &path, Mode mode, const QString &caseName,
                                                         bool adopt)
{
    using R = Result<std::unique_ptr<CaseDatabase>>;
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")))
        return R::failure("Qt's SQLite driver is not installed (Debian: apt-get install libqt6sql6-sqlite)");
    const QFileInfo info(path);
    const bool exists = info.exists();
    if (exists && info.isDir())
        return R::failure(path.toStdString() + ": is a folder; give a case database file (e.g. case.sqlite)");
    if (!exists && mode != Mode::OpenOrCreate)
        return R::failure(path.toStdString() + ": no such case database");
    bool fresh = !exists || info.size() == 0;
    if (exists && info.size() > 0) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return R::failure(path.toStdString() + ": cannot open: " + file.errorString().toStdString());
        const QByteArray header = file.read(16);
        if (header != QByteArray("SQLite format 3\0", 16))
            return R::failure(path.toStdString()
                              + ": not a RINE Studio case database (not an SQLite file); choose another file name");
    }
    if (fresh && mode == Mode::ReadOnly)
        return R::failure(path.toStdString() + ": the case database is empty");
    if (!fresh && mode != Mode::ReadOnly) {
        // Decided on a read-only connection first: a case that is not to be written (received
        // from elsewhere, or altered) is never opened for writing, which alone could change it.
        auto probe = open(path, Mode::ReadOnly);
        if (!probe)
            return R::failure(probe.error());
        // Every row, not only the chain: a write that takes rows over from an entry records what
        // is left of that entry's rows, which would otherwise make an altered row look recorded.
        if (const CaseIntegrity integrity = probe.value()->integrity(); integrity.state == CaseIntegrity::State::Broken)
            return R::failure(path.toStdString() + ": it does not verify against its audit log ("
                              + integrity.problem.toStdString()
                              + "); the case may have been altered, so RINE Studio opens it read-only only");
        if (!adopt && probe.value()->owner() != installationId())
            return R::failure(probe.value()->whyNotWritable().toStdString());
    }

    const QString connection = QStringLiteral("rine-case-%1").arg(s_connections.fetch_add(1));
    std::unique_ptr<CaseDatabase> store(new CaseDatabase(QFileInfo(path).absoluteFilePath(), connection));
    {
        QSqlDatabase database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000");
        if (mode == Mode::ReadOnly) {
            // Read-only opens leave the file and its folder as they were: SQLite's read-only mode
            // alone still creates -wal and -shm beside a WAL database (and may leave them). When
            // no process has the case open (neither exists), it is opened immutable: no lock,
            // no side file; otherwise it is being written (a scan) and is read as SQLite shares it.
            const bool inUse = QFileInfo::exists(path + QStringLiteral("-wal")) || QFileInfo::exists(path + QStringLiteral("-shm"));
            QUrl uri = QUrl::fromLocalFile(QFileInfo(path).absoluteFilePath());
            uri.setQuery(inUse ? QStringLiteral("mode=ro") : QStringLiteral("mode=ro&immutable=1"));
            database.setDatabaseName(uri.toString(QUrl::FullyEncoded));
            options += QStringLiteral(";QSQLITE_OPEN_READONLY;QSQLITE_OPEN_URI");
        } else {
            database.setDatabaseName(path);
        }
        database.setConnectOptions(options);
        if (!database.open())
            return R::failure(path.toStdString() + ": cannot open the case database: "
                              + database.lastError().text().toStdString());
    }
    QSqlQuery query(store->db());
    // Settings of this connection. trusted_schema off: SQL functions in a schema we did not
    // write (a case database received from elsewhere) cannot run with side effects.
    for (const char *pragma : {"PRAGMA trusted_schema=OFF", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=FULL"})
        query.exec(QString::fromLatin1(pragma));
    if (fresh) {
        if (auto created = store->createSchema(caseName.isEmpty() ? QFileInfo(path).completeBaseName() : caseName);
            !created) {
            store.reset();
            if (!exists) // made by this open and left empty: removed, so no half-made case remains
                for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm"), QStringLiteral("-journal")})
                    QFile::remove(path + suffix);
            return R::failure(created.error());
        }
    }
    if (auto checked = store->check(); !checked)
        return R::failure(checked.error());
    store->m_readOnly = mode == Mode::ReadOnly;
    if (mode != Mode::ReadOnly && !fresh) {
        // Checked again on the writing connection (the file may have changed since the probe).
        if (auto verified = store->verifyAudit(); !verified)
            return R::failure(path.toStdString() + ": its audit log does not verify (" + verified.error()
                              + "); the case may have been altered, so RINE Studio opens it read-only only");
        const QString owner = store->owner();
        if (owner != installationId()) {
            if (!adopt)
                return R::failure(store->whyNotWritable().toStdString());
            if (store->m_version < kSchemaVersion) {
                if (auto upgraded = store->upgrade(); !upgraded)
                    return R::failure(upgraded.error());
            }
            auto adopted = store->appendAudit(
                QStringLiteral("case adopted"),
                QJsonObject{{QStringLiteral("installation"), installationId()},
                            {QStringLiteral("previous_installation"), owner.isEmpty() ? QJsonValue() : QJsonValue(owner)},
                            {QStringLiteral("app_version"), QStringLiteral(RINE_VERSION " (" RINE_GIT_DESCRIBE ")")}});
            if (!adopted)
                return R::failure(adopted.error());
        }
    }
    if (mode != Mode::ReadOnly && store->m_version < kSchemaVersion) {
        if (auto upgraded = store->upgrade(); !upgraded)
            return R::failure(upgraded.error());
    }
    if (mode != Mode::ReadOnly && !query.exec(QStringLiteral("PRAGMA journal_mode=WAL")))
        return R::failure(path.toStdString() + ": cannot switch to WAL journaling: "
                          + query.lastError().text().toStdString());
    return store;
}

Result<bool> CaseDatabase::createSchema(const QString &caseName)
{
    if (auto begun = beginWrite(); !begun)
        return begun;
    QSqlQuery query(db());
    bool ok = query.exec(QStringLiteral("PRAGMA application_id=%1").arg(kApplicationId))
           && query.exec(QStringLiteral("PRAGMA user_version=%1").arg(kSchemaVersion));
    for (const char *statement : kSchema)
        ok = ok && query.exec(QString::fromLatin1(statement));
    for (const CoveredTable &table : kCovered)
        ok = ok && query.exec(QStringLiteral("ALTER TABLE %1 ADD COLUMN audit_id INTEGER").arg(QLatin1String(table.name)))
             && query.exec(QStringLiteral("CREATE INDEX %1_audit ON %1(audit_id)").arg(QLatin1String(table.name)));
    ok = ok && query.prepare(QStringLiteral("INSERT INTO cases(name, created_at, audit_id) VALUES(?, ?, ?)"));
    if (ok) {
        query.addBindValue(caseName);
        query.addBindValue(now());
        query.addBindValue(m_entry);
        ok = query.exec();
    }
    if (!ok)
        return failWrite(query, "cannot create the case database");
    m_version = kSchemaVersion;
    return finishWrite(query, QStringLiteral("case created"),
                       QJsonObject{{QStringLiteral("case"), caseName},
                                   {QStringLiteral("installation"), installationId()},
                                   {QStringLiteral("app_version"), QStringLiteral(RINE_VERSION " (" RINE_GIT_DESCRIBE ")")}});
}

QString CaseDatabase::installationId()
{
    const QString fromEnv = qEnvironmentVariable("RINE_INSTALLATION_ID");
    if (!fromEnv.isEmpty())
        return fromEnv;
    static std::mutex mutex;
    static QString cached;
    std::lock_guard<std::mutex> lock(mutex);
    if (!cached.isEmpty())
        return cached;
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/rine-studio");
    const QString file = dir + QStringLiteral("/installation-id");
    QFile in(file);
    if (in.open(QIODevice::ReadOnly)) {
        const QString id = QString::fromLatin1(in.readAll()).trimmed();
        if (id.size() == 32)
            return cached = id;
    }
    // 128 random bits from the operating system.
    QByteArray bytes(16, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), 4);
    const QString id = QString::fromLatin1(bytes.toHex());
    QDir().mkpath(dir);
    QSaveFile out(file);
    if (out.open(QIODevice::WriteOnly) && out.write(id.toLatin1() + '\n') == 33 && out.commit())
        return cached = id;
    return cached = id; // cannot be kept: this run still has one identity
}

QString CaseDatabase::owner()
{
    auto log = auditLog();
    if (!log)
        return {};
    for (auto it = log->rbegin(); it != log->rend(); ++it) {
        if (it->action != QLatin1String("case created") && it->action != QLatin1String("case adopted"))
            continue;
        const QString id = QJsonDocument::fromJson(it->details.toUtf8()).object().value(QStringLiteral("installation")).toString();
        if (!id.isEmpty())
            return id;
    }
    return {};
}

QString CaseDatabase::whyNotWritable()
{
    if (const CaseIntegrity integrity = this->integrity(); integrity.state == CaseIntegrity::State::Broken)
        return QStringLiteral("%1: it does not verify against its audit log (%2); the case may have been altered, so it "
                              "is opened read-only only")
            .arg(m_path, integrity.problem);
    const QString owner = this->owner();
    if (owner == installationId())
        return {};
    return QStringLiteral("%1: this case was %2, so it is opened read-only; to scan into it here, adopt it "
                          "(File > Adopt Case in RINE Studio, rine-cli scan --adopt), which its audit log records")
        .arg(m_path, owner.isEmpty() ? QStringLiteral("made by an earlier version of RINE Studio or elsewhere (no "
                                                      "installation is recorded in it)")
                                     : QStringLiteral("made by another RINE Studio installation (%1)").arg(owner));
}

Result<bool> CaseDatabase::check()
{
    using R = Result<bool>;
    const std::string file = m_path.toStdString();
    QSqlQuery query(db());
    if (!query.exec(QStringLiteral("PRAGMA application_id")) || !query.next())
        return R::failure(file + ": damaged case database (cannot read its header: "
                          + query.lastError().text().toStdString() + "); restore it from a copy");
    if (query.value(0).toLongLong() != kApplicationId)
        return R::failure(file + ": an SQLite database, but not a RINE Studio case; choose another file name");
    if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next())
        return R::failure(file + ": damaged case database; restore it from a copy");
    const int version = query.value(0).toInt();
    if (version > kSchemaVersion)
        return R::failure(file + ": made by a newer RINE Studio (case format " + std::to_string(version)
                          + ", this version reads " + std::to_string(kSchemaVersion) + "); update RINE Studio");
    if (version < 1)
        return R::failure(file + ": damaged case database (no case format version); restore it from a copy");
    m_version = version;
    if (!query.exec(QStringLiteral("PRAGMA quick_check")))
        return R::failure(file + ": damaged case database (" + query.lastError().text().toStdString()
                          + "); restore it from a copy");
    QStringList problems;
    while (query.next())
        problems << query.value(0).toString();
    if (problems != QStringList{QStringLiteral("ok")})
        return R::failure(file + ": damaged case database: SQLite's check reports "
                          + problems.mid(0, 3).join(QStringLiteral("; ")).toStdString()
                          + "; restore it from a copy (RINE Studio will not write to it)");
    // We create no triggers or views: one in a received file could act on every write.
    if (!query.exec(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type IN ('trigger','view')"))
        || !query.next())
        return R::failure(file + ": damaged case database; restore it from a copy");
    if (query.value(0).toLongLong() != 0)
        return R::failure(file + ": the case database contains triggers or views, which RINE Studio never creates; "
                                 "refusing to use it");
    if (!query.exec(QStringLiteral("SELECT id, name FROM cases ORDER BY id LIMIT 1")) || !query.next())
        return R::failure(file + ": damaged case database (no case record); restore it from a copy");
    m_caseId = query.value(0).toLongLong();
    m_caseName = query.value(1).toString();
    return true;
}

Result<bool> CaseDatabase::upgrade()
{
    // Format 1 -> 2: the audit log, whose first entry says when the case was upgraded.
    // Format 2 -> 3: the precision joins the identity of results and cached features. Results
    // of earlier formats were computed in fp16 on CUDA and in fp32 on the CPU, as each records
    // in backbone_dtype; cached features record no device, so they get the precision of the
    // case's scans when all agree, else "unrecorded" (never reused; computed again).
    if (auto begun = beginWrite(); !begun)
        return begun;
    QSqlQuery query(db());
    const int from = m_version;
    bool ok = from >= 2 || query.exec(QString::fromLatin1(kAuditTable));
    if (ok && from >= 2 && from < 4)
        ok = query.exec(QStringLiteral("ALTER TABLE audit_log ADD COLUMN signer TEXT"))
          && query.exec(QStringLiteral("ALTER TABLE audit_log ADD COLUMN signature TEXT"));
    if (ok && from < 3) {
        const QString precision = QString::fromLatin1(kPrecisionBeforeFormat3);
        ok = query.exec(QStringLiteral("ALTER TABLE scans ADD COLUMN precision TEXT NOT NULL DEFAULT 'fp32'"))
          && query.exec(QStringLiteral("UPDATE scans SET precision = %1").arg(precision))
          && query.exec(QStringLiteral("ALTER TABLE results RENAME TO results_format2"))
          && query.exec(QString::fromLatin1(kResultsTable))
          && query.exec(QStringLiteral(
                 "INSERT INTO results(id, sha256, backbone_sha256, head_sha256, preprocessing, logit, probability, "
                 "contributions, device, backbone_dtype, from_cached_features, scan_id, scored_at, precision) "
                 "SELECT id, sha256, backbone_sha256, head_sha256, preprocessing, logit, probability, contributions, "
                 "device, backbone_dtype, from_cached_features, scan_id, scored_at, %1 FROM results_format2").arg(precision))
          && query.exec(QStringLiteral("DROP TABLE results_format2"))
          && query.exec(QStringLiteral("ALTER TABLE features RENAME TO features_format2"))
          && query.exec(QString::fromLatin1(kFeaturesTable))
          && query.exec(QStringLiteral(
                 "INSERT INTO features(sha256, backbone_sha256, preprocessing, crops, blocks, width, dtype, data, "
                 "precision) SELECT sha256, backbone_sha256, preprocessing, crops, blocks, width, dtype, data, "
                 "(SELECT CASE WHEN count(DISTINCT precision) = 1 THEN min(precision) ELSE 'unrecorded' END "
                 "FROM scans) FROM features_format2"))
          && query.exec(QStringLiteral("DROP TABLE features_format2"));
    }
    // Format 4 -> 5: TextureCrop's windows, a table of their own (empty until a texture scan).
    ok = ok && (from >= 5 || query.exec(QString::fromLatin1(kWindowsTable)));
    // Format 5 -> 6: the detector names each result ('rine' for every earlier one), and SPAI's
    // patches get a table of their own.
    ok = ok && (from >= 6
                || (query.exec(QStringLiteral("ALTER TABLE results ADD COLUMN detector TEXT NOT NULL DEFAULT 'rine'"))
                    && query.exec(QString::fromLatin1(kSpaiPatchesTable))));
    // Format 3 -> 4: every row is covered by the chain from here on. Rows written before are
    // taken as they are now, by this entry: the chain proves nothing about them before it.
    for (const CoveredTable &table : kCovered) {
        if (from >= table.since)
            continue;
        const QLatin1String name(table.name);
        ok = ok && query.exec(QStringLiteral("ALTER TABLE %1 ADD COLUMN audit_id INTEGER").arg(name))
             && query.exec(QStringLiteral("CREATE INDEX %1_audit ON %1(audit_id)").arg(name))
             && (from >= 4 || query.exec(QStringLiteral("UPDATE %1 SET audit_id=%2").arg(name).arg(m_entry)));
    }
    ok = ok && query.exec(QStringLiteral("PRAGMA user_version=%1").arg(kSchemaVersion));
    if (!ok)
        return failWrite(query, "cannot upgrade the case to format " + std::to_string(kSchemaVersion));
    m_version = kSchemaVersion;
    auto finished = finishWrite(query, QStringLiteral("case format upgraded"),
                                QJsonObject{{QStringLiteral("from"), from},
                                            {QStringLiteral("to"), kSchemaVersion},
                                            {QStringLiteral("note"),
                                             QStringLiteral("rows written before this entry are covered as they were "
                                                            "when it was written")}});
    if (!finished)
        m_version = from;
    return finished;
}

QString CaseDatabase::precisionColumn() const
{
    return m_version >= 3 ? QStringLiteral("precision") : QString::fromLatin1(kPrecisionBeforeFormat3);
}

QString CaseDatabase::modelPath(const QString &sha256)
{
    QSqlQuery query(db());
    query.prepare(QStringLiteral("SELECT path FROM models WHERE sha256=?"));
    query.addBindValue(sha256);
    return query.exec() && query.next() ? query.value(0).toString() : QString();
}

QString CaseDatabase::auditHash(const AuditEntry &entry)
{
    // A JSON array of the fields: unambiguous whatever characters they hold.
    const QByteArray text = QJsonDocument(QJsonArray{entry.previousHash, entry.at, entry.actor, entry.action, entry.details})
                                .toJson(QJsonDocument::Compact);
    return QString::fromStdString(Sha256::hex(text.constData(), std::size_t(text.size())));
}

Result<bool> CaseDatabase::beginWrite()
{
    QSqlQuery query(db());
    // IMMEDIATE: the write lock from the start, so the entry id read next stays the next one.
    if (!query.exec(QStringLiteral("BEGIN IMMEDIATE")))
        return Result<bool>::failure(m_path.toStdString() + ": cannot write: " + query.lastError().text().toStdString());
    m_touched.clear();
    if (m_version < 2) { // creating the case, or upgrading one that has no audit log yet
        m_entry = 1;
        return true;
    }
    if (!query.exec(QStringLiteral("SELECT coalesce(max(id), 0) + 1 FROM audit_log")) || !query.next()) {
        const std::string error = query.lastError().text().toStdString();
        query.exec(QStringLiteral("ROLLBACK"));
        return Result<bool>::failure(m_path.toStdString() + ": cannot read the audit log: " + error);
    }
    m_entry = query.value(0).toLongLong();
    return true;
}

bool CaseDatabase::noteOwners(QSqlQuery &select)
{
    if (!select.exec())
        return false;
    while (select.next())
        if (!select.value(0).isNull())
            m_touched.push_back(select.value(0).toLongLong());
    return true;
}

Result<bool> CaseDatabase::failWrite(const QSqlQuery &query, const std::string &what)
{
    const std::string error = query.lastError().text().toStdString();
    QSqlQuery(db()).exec(QStringLiteral("ROLLBACK"));
    return Result<bool>::failure(m_path.toStdString() + ": " + what + (error.empty() ? "" : ": " + error));
}

Result<bool> CaseDatabase::finishWrite(QSqlQuery &query, const QString &action, QJsonObject details)
{
    if (m_version >= 4) {
        const auto [count, digest] = rowsDigest(m_entry);
        if (digest.isEmpty())
            return failWrite(query, "cannot read back the rows just written");
        if (count > 0)
            details[QStringLiteral("rows")] = QJsonObject{{QStringLiteral("count"), count}, {QStringLiteral("sha256"), digest}};
        std::sort(m_touched.begin(), m_touched.end());
        m_touched.erase(std::unique(m_touched.begin(), m_touched.end()), m_touched.end());
        QJsonObject earlier;
        for (qint64 entry : m_touched) {
            if (entry == m_entry)
                continue;
            const auto [left, leftDigest] = rowsDigest(entry);
            if (leftDigest.isEmpty())
                return failWrite(query, "cannot read back the rows of audit entry " + std::to_string(entry));
            earlier[QString::number(entry)] =
                QJsonObject{{QStringLiteral("count"), left}, {QStringLiteral("sha256"), leftDigest}};
        }
        if (!earlier.isEmpty())
            details[QStringLiteral("rows_of_earlier_entries")] = earlier;
    }
    if (!appendAuditIn(query, action, details))
        return failWrite(query, "cannot append to the audit log" + signingErrorSuffix());
    if (!db().commit())
        return failWrite(query, "cannot write (disk full? read-only?)");
    return true;
}

bool CaseDatabase::appendAuditIn(QSqlQuery &query, const QString &action, const QJsonObject &details)
{
    AuditEntry entry;
    if (!query.exec(QStringLiteral("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")))
        return false;
    entry.previousHash = query.next() ? query.value(0).toString() : kNoPreviousHash;
    entry.at = localNow();
    entry.actor = actor();
    entry.action = action;
    entry.details = QString::fromUtf8(QJsonDocument(details).toJson(QJsonDocument::Compact));
    entry.hash = auditHash(entry);
    // Signed with this installation's key; a case that cannot be signed is not written.
    auto signer = CaseSigner::installation();
    if (!signer) {
        m_signingError = QString::fromStdString(signer.error());
        return false;
    }
    auto signature = signer.value()->sign(signedMessage(entry.hash));
    if (!signature) {
        m_signingError = QString::fromStdString(signature.error());
        return false;
    }
    if (!query.prepare(QStringLiteral("INSERT INTO audit_log(id, at, actor, action, details, previous_hash, hash, "
                                      "signer, signature) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)")))
        return false;
    query.addBindValue(m_entry);
    for (const QString &value : {entry.at, entry.actor, entry.action, entry.details, entry.previousHash, entry.hash,
                                 signer.value()->publicKeyHex(), signature.value()})
        query.addBindValue(value);
    return query.exec();
}

Result<AuditEntry> CaseDatabase::appendAudit(const QString &action, const QJsonObject &details)
{
    using R = Result<AuditEntry>;
    if (m_version < 4 || m_readOnly)
        return R::failure(m_path.toStdString() + ": the case is open read-only; nothing is added to its audit log");
    if (auto begun = beginWrite(); !begun)
        return R::failure(begun.error());
    QSqlQuery query(db());
    if (auto written = finishWrite(query, action, details); !written)
        return R::failure(written.error());
    auto log = auditLog();
    if (!log || log->empty())
        return R::failure(m_path.toStdString() + ": cannot read the audit log back");
    return log->back();
}

std::string CaseDatabase::signingErrorSuffix()
{
    const QString error = std::exchange(m_signingError, QString());
    return error.isEmpty() ? std::string() : " (" + error.toStdString() + ")";
}

Result<std::vector<AuditEntry>> CaseDatabase::auditLog()
{
    using R = Result<std::vector<AuditEntry>>;
    std::vector<AuditEntry> out;
    if (m_version < 2)
        return out;
    QSqlQuery query(db());
    query.setForwardOnly(true);
    const QString signature = m_version >= 4 ? QStringLiteral("signer, signature") : QStringLiteral("NULL, NULL");
    if (!query.exec(QStringLiteral("SELECT id, at, actor, action, details, previous_hash, hash, %1 FROM audit_log "
                                   "ORDER BY id").arg(signature)))
        return R::failure(m_path.toStdString() + ": cannot read the audit log: " + query.lastError().text().toStdString());
    while (query.next())
        out.push_back({query.value(0).toLongLong(), query.value(1).toString(), query.value(2).toString(),
                       query.value(3).toString(), query.value(4).toString(), query.value(5).toString(),
                       query.value(6).toString(), query.value(7).toString(), query.value(8).toString()});
    return out;
}

namespace {

QString describeEntry(const QString &path, const AuditEntry &entry, const QString &why)
{
    return QStringLiteral("%1: audit log entry %2 (%3, %4): %5").arg(path).arg(entry.id).arg(entry.action, entry.at, why);
}

QJsonObject detailsOf(const AuditEntry &entry) { return QJsonDocument::fromJson(entry.details.toUtf8()).object(); }

} // namespace

Result<bool> CaseDatabase::verifyAudit()
{
    auto log = auditLog();
    if (!log)
        return Result<bool>::failure(log.error());
    QString previous = kNoPreviousHash;
    bool mustBeSigned = false;
    for (const AuditEntry &entry : log.value()) {
        auto broken = [&](const QString &why) { return Result<bool>::failure(describeEntry(m_path, entry, why).toStdString()); };
        if (entry.previousHash != previous)
            return broken(QStringLiteral("does not follow the entry before it (an entry was removed, inserted or "
                                         "reordered)"));
        if (auditHash(entry) != entry.hash)
            return broken(QStringLiteral("its content does not match its hash (it was changed after it was written)"));
        // From the first entry that covers rows (format 4) on, every entry is signed.
        mustBeSigned = mustBeSigned || detailsOf(entry).contains(QStringLiteral("rows"));
        if (!entry.signature.isEmpty() || mustBeSigned) {
            if (entry.signature.isEmpty() || entry.signer.isEmpty())
                return broken(QStringLiteral("it is not signed (its signature was removed)"));
            if (!CaseSigner::verify(entry.signer, signedMessage(entry.hash), entry.signature))
                return broken(QStringLiteral("its signature does not verify with the key it names"));
        }
        previous = entry.hash;
    }
    return true;
}

std::pair<qint64, QString> CaseDatabase::rowsDigest(qint64 entry)
{
    Sha256 hash;
    qint64 count = 0;
    QSqlQuery query(db());
    query.setForwardOnly(true);
    for (const CoveredTable &table : kCovered) {
        if (table.since > m_version)
            continue;
        query.prepare(QStringLiteral("SELECT %1 FROM %2 WHERE audit_id=? ORDER BY %3")
                          .arg(coveredColumns(table, m_version), QLatin1String(table.name), QLatin1String(table.order)));
        query.addBindValue(entry);
        if (!query.exec())
            return {0, QString()};
        bool named = false;
        while (query.next()) {
            if (!named)
                hashTableName(hash, table.name);
            named = true;
            hashCoveredRow(hash, query, 0, table, m_version);
            ++count;
        }
    }
    return {count, QString::fromStdString(hash.hexDigest())};
}

Result<bool> CaseDatabase::verifyRows(const std::vector<AuditEntry> &log)
{
    using R = Result<bool>;
    // What each entry claims its rows are now: its own digest, unless a later entry took some
    // of them over and recorded what was left.
    std::map<qint64, std::pair<qint64, QString>> claimed;
    std::map<qint64, const AuditEntry *> entries;
    for (const AuditEntry &entry : log) {
        entries[entry.id] = &entry;
        const QJsonObject details = detailsOf(entry);
        const QJsonObject rows = details.value(QStringLiteral("rows")).toObject();
        if (!rows.isEmpty())
            claimed[entry.id] = {rows.value(QStringLiteral("count")).toInteger(), rows.value(QStringLiteral("sha256")).toString()};
        const QJsonObject earlier = details.value(QStringLiteral("rows_of_earlier_entries")).toObject();
        for (auto it = earlier.begin(); it != earlier.end(); ++it) {
            const QJsonObject left = it.value().toObject();
            claimed[it.key().toLongLong()] = {left.value(QStringLiteral("count")).toInteger(),
                                              left.value(QStringLiteral("sha256")).toString()};
        }
    }
    // What the rows are: one pass over each table, in the order the writer hashed them.
    struct Actual {
        Sha256 hash;
        qint64 count = 0;
        int table = -1;
    };
    std::map<qint64, Actual> actual;
    QSqlQuery query(db());
    query.setForwardOnly(true);
    for (int t = 0; t < int(std::size(kCovered)); ++t) {
        const CoveredTable &table = kCovered[t];
        if (table.since > m_version)
            continue;
        if (!query.exec(QStringLiteral("SELECT audit_id, %1 FROM %2 ORDER BY audit_id, %3")
                            .arg(coveredColumns(table, m_version), QLatin1String(table.name), QLatin1String(table.order))))
            return R::failure(m_path.toStdString() + ": cannot read table " + table.name + ": "
                              + query.lastError().text().toStdString());
        while (query.next()) {
            const QVariant owner = query.value(0);
            if (owner.isNull() || owner.typeId() != QMetaType::LongLong || !entries.count(owner.toLongLong()))
                return R::failure(QStringLiteral("%1: a row of %2 belongs to no entry of the audit log (audit_id %3): it "
                                                 "was added or altered outside RINE Studio")
                                      .arg(m_path, QLatin1String(table.name),
                                           owner.isNull() ? QStringLiteral("missing") : owner.toString().left(40))
                                      .toStdString());
            Actual &a = actual[owner.toLongLong()];
            if (a.table != t)
                hashTableName(a.hash, table.name);
            a.table = t;
            hashCoveredRow(a.hash, query, 1, table, m_version);
            ++a.count;
        }
    }
    for (const AuditEntry &entry : log) {
        const auto claim = claimed.count(entry.id) ? claimed[entry.id] : std::pair<qint64, QString>{0, QString()};
        qint64 count = 0;
        QString digest;
        if (auto it = actual.find(entry.id); it != actual.end()) {
            count = it->second.count;
            digest = QString::fromStdString(it->second.hash.hexDigest());
        }
        if (count != claim.first || (count > 0 && digest != claim.second))
            return R::failure(describeEntry(m_path, entry,
                                            QStringLiteral("the rows it wrote do not match the digest recorded in the "
                                                           "chain (%1 rows recorded, %2 found): a result, file, content, "
                                                           "model, scan or walk event was changed, added or removed "
                                                           "after it was written")
                                                .arg(claim.first)
                                                .arg(count))
                                  .toStdString());
    }
    return true;
}

CaseIntegrity CaseDatabase::integrity()
{
    CaseIntegrity out;
    auto log = auditLog();
    if (!log) {
        out.problem = QString::fromStdString(log.error());
        return out;
    }
    out.length = qint64(log->size());
    if (!log->empty()) {
        out.head = log->back().hash;
        out.headSigner = CaseSigner::fingerprintOf(log->back().signer);
    }
    for (const AuditEntry &entry : log.value()) {
        const QString fingerprint = CaseSigner::fingerprintOf(entry.signer);
        if (!fingerprint.isEmpty() && !out.signers.contains(fingerprint))
            out.signers << fingerprint;
    }
    if (auto chain = verifyAudit(); !chain) {
        out.problem = QString::fromStdString(chain.error());
        return out;
    }
    if (m_version < 4) {
        out.state = CaseIntegrity::State::NotCovered;
        out.problem = QStringLiteral("case format %1: its audit log is intact, but the results, files and contents "
                                     "of this format are not covered by it; adopting the case upgrades it to format %2, "
                                     "which covers them from then on")
                          .arg(m_version)
                          .arg(kSchemaVersion);
        return out;
    }
    if (auto rows = verifyRows(log.value()); !rows) {
        out.problem = QString::fromStdString(rows.error());
        return out;
    }
    out.state = CaseIntegrity::State::Verified;
    return out;
}

QString integrityStateName(CaseIntegrity::State state)
{
    switch (state) {
    case CaseIntegrity::State::Verified: return QStringLiteral("verified");
    case CaseIntegrity::State::NotCovered: return QStringLiteral("not covered");
    case CaseIntegrity::State::Broken: break;
    }
    return QStringLiteral("broken");
}

QString CaseIntegrity::describe() const
{
    const QString chain = QStringLiteral("%1 entries, head %2").arg(length).arg(head.isEmpty() ? QStringLiteral("none") : head);
    const QString signedBy = headSigner.isEmpty() ? QStringLiteral("unsigned")
                                                  : QStringLiteral("signed by key %1").arg(headSigner);
    switch (state) {
    case State::Verified: return QStringLiteral("verified: %1, %2").arg(chain, signedBy);
    case State::NotCovered: return QStringLiteral("not covered: %1 (%2)").arg(problem, chain);
    case State::Broken: break;
    }
    return QStringLiteral("DOES NOT VERIFY: %1 (%2)").arg(problem, chain);
}

qint64 CaseDatabase::insertScan(QSqlQuery &query, const QString &settingsJson, const std::string &backboneSha256,
                                const std::string &preprocessing, const std::string &precision,
                                const ScanRuntime &runtime,
                                const std::vector<std::pair<std::string, std::string>> &models,
                                const std::vector<std::string> &modelPaths, const QString &state,
                                const QString &startedAt)
{
    query.prepare(QStringLiteral(
        "INSERT INTO scans(case_id, started_at, state, settings, backbone_sha256, preprocessing, app_version, "
        "libtorch, opencv, qt, device, backbone_dtype, precision, audit_id) "
        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const QVariant &v : {QVariant(m_caseId), QVariant(startedAt), QVariant(state), QVariant(settingsJson),
                              QVariant(q(backboneSha256)), QVariant(q(preprocessing)), QVariant(q(runtime.appVersion)),
                              QVariant(q(runtime.libtorch)), QVariant(q(runtime.opencv)), QVariant(q(runtime.qt)),
                              QVariant(q(runtime.device)), QVariant(q(runtime.backboneDtype)), QVariant(q(precision)),
                              QVariant(m_entry)})
        query.addBindValue(v);
    if (!query.exec())
        return 0;
    const qint64 id = query.lastInsertId().toLongLong();
    for (std::size_t i = 0; i < models.size(); ++i) {
        query.prepare(QStringLiteral("INSERT OR IGNORE INTO models(sha256, role, path, audit_id) VALUES(?, ?, ?, ?)"));
        query.addBindValue(q(models[i].second));
        query.addBindValue(q(models[i].first));
        query.addBindValue(i < modelPaths.size() ? q(modelPaths[i]) : QString());
        query.addBindValue(m_entry);
        if (!query.exec())
            return 0;
        query.prepare(QStringLiteral("INSERT INTO scan_models(scan_id, position, role, sha256, audit_id) "
                                     "VALUES(?, ?, ?, ?, ?)"));
        query.addBindValue(id);
        query.addBindValue(qint64(i));
        query.addBindValue(q(models[i].first));
        query.addBindValue(q(models[i].second));
        query.addBindValue(m_entry);
        if (!query.exec())
            return 0;
    }
    return id;
}

Result<ScanRow> CaseDatabase::beginScan(const ScanSettings &settings, const ScanRuntime &runtime,
                                        const std::vector<std::pair<std::string, std::string>> &models,
                                        const std::vector<std::string> &modelPaths)
{
    using R = Result<ScanRow>;
    const QString settingsJson = settings.toJson();
    if (auto begun = beginWrite(); !begun)
        return R::failure(begun.error());
    QSqlQuery query(db());
    auto fail = [&](const QSqlQuery &q) { return R::failure(failWrite(q, "cannot record the scan").error()); };
    ScanRow row;
    QString action;
    QJsonObject details;
    query.prepare(QStringLiteral("SELECT id, started_at, images_inferred FROM scans WHERE settings = ? AND state <> "
                                 "'completed' ORDER BY id DESC LIMIT 1"));
    query.addBindValue(settingsJson);
    if (!query.exec())
        return fail(query);
    if (query.next()) {
        row.id = query.value(0).toLongLong();
        row.startedAt = query.value(1).toString();
        row.imagesInferred = query.value(2).toLongLong();
        row.resumed = true;
        query.prepare(QStringLiteral("SELECT audit_id FROM scans WHERE id=?"));
        query.addBindValue(row.id);
        if (!noteOwners(query))
            return fail(query);
        // The precision is in the settings, so a resumed scan has the one it started with.
        query.prepare(QStringLiteral("UPDATE scans SET state='running', finished_at=NULL, device=?, backbone_dtype=?, "
                                     "app_version=?, audit_id=? WHERE id=?"));
        query.addBindValue(q(runtime.device));
        query.addBindValue(q(runtime.backboneDtype));
        query.addBindValue(q(runtime.appVersion));
        query.addBindValue(m_entry);
        query.addBindValue(row.id);
        if (!query.exec())
            return fail(query);
        action = QStringLiteral("scan resumed");
        details = QJsonObject{{QStringLiteral("scan"), row.id}};
    } else {
        row.startedAt = now();
        row.id = insertScan(query, settingsJson, settings.backboneSha256, settings.preprocessing, settings.precision,
                            runtime, models, modelPaths, QStringLiteral("running"), row.startedAt);
        if (row.id == 0)
            return fail(query);
        action = QStringLiteral("scan started");
        details = QJsonObject{{QStringLiteral("scan"), row.id},
                              {QStringLiteral("settings"), QJsonDocument::fromJson(settingsJson.toUtf8()).object()},
                              {QStringLiteral("app_version"), q(runtime.appVersion)},
                              {QStringLiteral("device"), q(runtime.device)}};
    }
    if (auto finished = finishWrite(query, action, details); !finished)
        return R::failure(finished.error());
    row.state = QStringLiteral("running");
    row.settingsJson = settingsJson;
    return row;
}

Result<bool> CaseDatabase::finishScan(qint64 scanId, const QString &state, const QJsonObject &details)
{
    if (auto begun = beginWrite(); !begun)
        return begun;
    QSqlQuery query(db());
    query.prepare(QStringLiteral("SELECT audit_id FROM scans WHERE id=?"));
    query.addBindValue(scanId);
    bool ok = noteOwners(query);
    ok = ok && query.prepare(QStringLiteral("UPDATE scans SET state=?, finished_at=?, audit_id=? WHERE id=?"));
    query.addBindValue(state);
    query.addBindValue(now());
    query.addBindValue(m_entry);
    query.addBindValue(scanId);
    ok = ok && query.exec();
    QJsonObject counts;
    if (ok) {
        query.prepare(QStringLiteral("SELECT status, count(*) FROM files WHERE scan_id=? GROUP BY status"));
        query.addBindValue(scanId);
        ok = query.exec();
        while (ok && query.next())
            counts[query.value(0).toString()] = query.value(1).toLongLong();
    }
    if (!ok)
        return failWrite(query, "cannot record the end of the scan");
    QJsonObject recorded = details;
    recorded[QStringLiteral("scan")] = scanId;
    recorded[QStringLiteral("files")] = counts;
    return finishWrite(query, QStringLiteral("scan ") + state, recorded);
}

Result<std::vector<FileSlot>> CaseDatabase::registerFiles(qint64 scanId, const std::vector<WalkEntry> &files)
{
    using R = Result<std::vector<FileSlot>>;
    QSqlDatabase database = db();
    std::vector<FileSlot> fileSlots;
    fileSlots.reserve(files.size());
    const std::size_t chunk = 2000;
    for (std::size_t start = 0; start < files.size(); start += chunk) {
        if (auto begun = beginWrite(); !begun)
            return R::failure(begun.error());
        QSqlQuery insert(database), select(database);
        insert.prepare(QStringLiteral("INSERT OR IGNORE INTO files(scan_id, path, size, mtime, status, audit_id) "
                                      "VALUES(?, ?, ?, ?, 'pending', ?)"));
        qint64 listed = 0;
        select.prepare(QStringLiteral("SELECT id, status FROM files WHERE scan_id=? AND path=?"));
        for (std::size_t i = start; i < std::min(files.size(), start + chunk); ++i) {
            const WalkEntry &entry = files[i];
            const QString path = QString::fromStdString(entry.path);
            insert.addBindValue(scanId);
            insert.addBindValue(path);
            insert.addBindValue(qint64(entry.size));
            insert.addBindValue(isoFromNs(entry.mtimeNs));
            insert.addBindValue(m_entry);
            select.addBindValue(scanId);
            select.addBindValue(path);
            if (!insert.exec() || !select.exec() || !select.next())
                return R::failure(failWrite(insert.lastError().isValid() ? insert : select,
                                            "cannot list the scan's files").error());
            listed += insert.numRowsAffected() > 0;
            fileSlots.push_back({select.value(0).toLongLong(), select.value(1).toString() == QLatin1String("pending")});
        }
        if (listed == 0) { // all listed before: nothing to record
            if (!database.commit())
                return R::failure(m_path.toStdString() + ": cannot write: " + database.lastError().text().toStdString());
            continue;
        }
        if (auto finished = finishWrite(insert, QStringLiteral("files listed"),
                                        QJsonObject{{QStringLiteral("scan"), scanId}, {QStringLiteral("files"), listed}});
            !finished)
            return R::failure(finished.error());
    }
    return fileSlots;
}

Result<bool> CaseDatabase::addWalkEvents(qint64 scanId, const std::vector<WalkEvent> &events)
{
    if (events.empty())
        return true;
    if (auto begun = beginWrite(); !begun)
        return begun;
    QSqlQuery query(db()), owners(db());
    query.prepare(QStringLiteral("INSERT OR REPLACE INTO walk_events(scan_id, kind, path, message, audit_id) "
                                 "VALUES(?, ?, ?, ?, ?)"));
    owners.prepare(QStringLiteral("SELECT audit_id FROM walk_events WHERE scan_id=? AND kind=? AND path=?"));
    for (const WalkEvent &event : events) {
        const QString kind = QString::fromLatin1(walkEventName(event.kind));
        owners.addBindValue(scanId);
        owners.addBindValue(kind);
        owners.addBindValue(q(event.path));
        if (!noteOwners(owners))
            return failWrite(owners, "cannot record the walk");
        query.addBindValue(scanId);
        query.addBindValue(kind);
        query.addBindValue(q(event.path));
        query.addBindValue(q(event.message));
        query.addBindValue(m_entry);
        if (!query.exec())
            return failWrite(query, "cannot record the walk");
    }
    return finishWrite(query, QStringLiteral("walk events recorded"),
                       QJsonObject{{QStringLiteral("scan"), scanId}, {QStringLiteral("events"), qint64(events.size())}});
}

Result<std::unordered_set<std::string>> CaseDatabase::scoredContents(const std::string &backboneSha256,
                                                                     const std::vector<std::string> &headSha256s,
                                                                     const std::string &preprocessing,
                                                                     const std::string &precision)
{
    using R = Result<std::unordered_set<std::string>>;
    std::unordered_map<std::string, std::size_t> heads;
    QSqlQuery query(db());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral("SELECT sha256, head_sha256 FROM results WHERE backbone_sha256=? AND preprocessing=? "
                                 "AND %1=?").arg(precisionColumn()));
    query.addBindValue(q(backboneSha256));
    query.addBindValue(q(preprocessing));
    query.addBindValue(q(precision));
    if (!query.exec())
        return R::failure(m_path.toStdString() + ": cannot read results: " + query.lastError().text().toStdString());
    const std::unordered_set<std::string> wanted(headSha256s.begin(), headSha256s.end());
    while (query.next())
        if (wanted.count(query.value(1).toString().toStdString()))
            ++heads[query.value(0).toString().toStdString()];
    std::unordered_set<std::string> out;
    for (const auto &entry : heads)
        if (entry.second == wanted.size())
            out.insert(entry.first);
    return out;
}

Result<std::unordered_set<std::string>> CaseDatabase::spaiScoredContents(const std::string &weightsSha256,
                                                                        const std::string &precision)
{
    using R = Result<std::unordered_set<std::string>>;
    std::unordered_set<std::string> out;
    if (m_version < 6)
        return out;
    QSqlQuery query(db());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral("SELECT sha256 FROM results WHERE detector='spai' AND head_sha256=? AND precision=?"));
    query.addBindValue(q(weightsSha256));
    query.addBindValue(q(precision));
    if (!query.exec())
        return R::failure(m_path.toStdString() + ": cannot read results: " + query.lastError().text().toStdString());
    while (query.next())
        out.insert(query.value(0).toString().toStdString());
    return out;
}

Result<std::unordered_set<std::string>> CaseDatabase::cachedFeatures(const std::string &backboneSha256,
                                                                     const std::string &preprocessing,
                                                                     const std::string &precision)
{
    using R = Result<std::unordered_set<std::string>>;
    if (m_version < 3)
        return std::unordered_set<std::string>{}; // features of earlier formats record no precision
    QSqlQuery query(db());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral("SELECT sha256 FROM features WHERE backbone_sha256=? AND preprocessing=? AND precision=?"));
    query.addBindValue(q(backboneSha256));
    query.addBindValue(q(preprocessing));
    query.addBindValue(q(precision));
    if (!query.exec())
        return R::failure(m_path.toStdString() + ": cannot read cached features: " + query.lastError().text().toStdString());
    std::unordered_set<std::string> out;
    while (query.next())
        out.insert(query.value(0).toString().toStdString());
    return out;
}

Result<BlockFeatures> CaseDatabase::loadFeatures(const std::string &sha256, const std::string &backboneSha256,
                                                 const std::string &preprocessing, const std::string &precision)
{
    using R = Result<BlockFeatures>;
    QSqlQuery query(db());
    query.prepare(QStringLiteral("SELECT crops, blocks, width, dtype, data FROM features WHERE sha256=? AND "
                                 "backbone_sha256=? AND preprocessing=? AND precision=?"));
    query.addBindValue(q(sha256));
    query.addBindValue(q(backboneSha256));
    query.addBindValue(q(preprocessing));
    query.addBindValue(q(precision));
    if (!query.exec() || !query.next())
        return R::failure(m_path.toStdString() + ": cached features of " + sha256 + " are missing");
    BlockFeatures features;
    features.count = query.value(0).toInt();
    features.blocks = query.value(1).toInt();
    features.width = query.value(2).toInt();
    const QByteArray data = query.value(4).toByteArray();
    const qint64 expected = qint64(features.count) * features.blocks * features.width * qint64(sizeof(float));
    if (query.value(3).toString() != QLatin1String("float32") || features.count < 1 || features.blocks < 1
        || features.width < 1 || data.size() != expected)
        return R::failure(m_path.toStdString() + ": cached features of " + sha256
                          + " are damaged (size does not match their shape); run the scan without the cache");
    features.values.resize(std::size_t(data.size()) / sizeof(float));
    std::memcpy(features.values.data(), data.constData(), std::size_t(data.size()));
    return features;
}

Result<bool> CaseDatabase::commit(qint64 scanId, const CommitBatch &batch, const std::string &backboneSha256,
                                  const std::string &preprocessing, const ScanRuntime &runtime)
{
    using R = Result<bool>;
    if (auto begun = beginWrite(); !begun)
        return begun;
    QSqlQuery query(db()), owners(db());
    auto fail = [&]() { return failWrite(query, "cannot save results (disk full? read-only?)"); };
    const QString timestamp = now();
    for (const ContentRecord &c : batch.contents) {
        // A content's outcome is replaced only by a better one (a file that failed to decode
        // under tight limits may be decoded by a later scan with looser ones).
        owners.prepare(QStringLiteral("SELECT audit_id FROM contents WHERE sha256=? AND status NOT IN ('scored', 'degraded')"));
        owners.addBindValue(q(c.sha256));
        if (!noteOwners(owners))
            return failWrite(owners, "cannot save results");
        query.prepare(QStringLiteral(
            "INSERT INTO contents(sha256, size, format, width, height, status, warnings, error, first_seen, audit_id) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET format=excluded.format, "
            "width=excluded.width, height=excluded.height, status=excluded.status, warnings=excluded.warnings, "
            "error=excluded.error, audit_id=excluded.audit_id WHERE contents.status NOT IN ('scored', 'degraded')"));
        for (const QVariant &v :
             {QVariant(q(c.sha256)), QVariant(qint64(c.size)), QVariant(q(c.format)), QVariant(c.width),
              QVariant(c.height), QVariant(QString::fromLatin1(fileStatusName(c.status))), QVariant(jsonList(c.warnings)),
              c.error.empty() ? QVariant() : QVariant(q(c.error)), QVariant(timestamp), QVariant(m_entry)})
            query.addBindValue(v);
        if (!query.exec())
            return fail();
    }
    for (const ScoreRecord &s : batch.scores) {
        // OR IGNORE: a result, once stored, is never replaced; the key makes double scoring
        // impossible even if two runs raced.
        const bool spai = s.detector == "spai";
        if (spai && m_version < 6)
            return failWrite(query, "a case of format " + std::to_string(m_version) + " cannot hold SPAI's results");
        query.prepare(QStringLiteral(
            "INSERT OR IGNORE INTO results(sha256, backbone_sha256, head_sha256, preprocessing, logit, probability, "
            "contributions, device, backbone_dtype, from_cached_features, scan_id, scored_at, precision, audit_id%1) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?%2)")
                          .arg(m_version >= 6 ? QStringLiteral(", detector") : QString(),
                               m_version >= 6 ? QStringLiteral(", ?") : QString()));
        for (const QVariant &v :
             {QVariant(q(s.sha256)), QVariant(spai ? QStringLiteral("") : q(backboneSha256)) /* no backbone of its own: empty, not NULL */, QVariant(q(s.headSha256)),
              QVariant(QString::fromLatin1(spai ? kSpaiPreprocessing : preprocessing.c_str())), QVariant(s.logit),
              QVariant(s.probability), QVariant(jsonNumbers(s.contributions)),
              QVariant(spai ? QString::fromLatin1(kSpaiDevice) : q(runtime.device)),
              QVariant(spai ? QString::fromLatin1(s.spaiPrecision == "bf16" ? "bfloat16" : "float32") : q(runtime.backboneDtype)), QVariant(int(s.fromCachedFeatures)),
              QVariant(scanId), QVariant(timestamp),
              QVariant(spai ? q(s.spaiPrecision) : q(runtime.precision)), QVariant(m_entry)})
            query.addBindValue(v);
        if (m_version >= 6)
            query.addBindValue(q(s.detector));
        if (!query.exec())
            return fail();
        for (std::size_t rank = 0; spai && rank < s.patches.size(); ++rank) {
            const SpaiPatchScore &p = s.patches[rank];
            query.prepare(QStringLiteral(
                "INSERT OR IGNORE INTO spai_patches(sha256, weights_sha256, precision, rank, x, y, attention, "
                "attention_mean, solo_logit, audit_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
            for (const QVariant &v : {QVariant(q(s.sha256)), QVariant(q(s.headSha256)),
                                      QVariant(q(s.spaiPrecision)), QVariant(int(rank) + 1),
                                      QVariant(p.left), QVariant(p.top), QVariant(jsonNumbers(p.attention)),
                                      QVariant(p.attentionMean), QVariant(p.soloLogit), QVariant(m_entry)})
                query.addBindValue(v);
            if (!query.exec())
                return fail();
        }
        for (std::size_t rank = 0; rank < s.windows.size(); ++rank) {
            const WindowScore &w = s.windows[rank];
            query.prepare(QStringLiteral(
                "INSERT OR IGNORE INTO windows(sha256, backbone_sha256, head_sha256, preprocessing, precision, rank, x, "
                "y, side, entropy, logit, audit_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
            for (const QVariant &v : {QVariant(q(s.sha256)), QVariant(q(backboneSha256)), QVariant(q(s.headSha256)),
                                      QVariant(q(preprocessing)), QVariant(q(runtime.precision)), QVariant(int(rank) + 1),
                                      QVariant(w.region.left), QVariant(w.region.top), QVariant(w.region.size),
                                      QVariant(w.entropy), QVariant(w.logit), QVariant(m_entry)})
                query.addBindValue(v);
            if (!query.exec())
                return fail();
        }
    }
    for (const FeatureRecord &f : batch.features) {
        query.prepare(QStringLiteral("INSERT OR IGNORE INTO features(sha256, backbone_sha256, preprocessing, crops, "
                                     "blocks, width, dtype, data, precision, audit_id) "
                                     "VALUES(?, ?, ?, ?, ?, ?, 'float32', ?, ?, ?)"));
        query.addBindValue(q(f.sha256));
        query.addBindValue(q(backboneSha256));
        query.addBindValue(q(preprocessing));
        query.addBindValue(f.features.count);
        query.addBindValue(f.features.blocks);
        query.addBindValue(f.features.width);
        query.addBindValue(QByteArray(reinterpret_cast<const char *>(f.features.values.data()),
                                      qsizetype(f.features.values.size() * sizeof(float))));
        query.addBindValue(q(runtime.precision));
        query.addBindValue(m_entry);
        if (!query.exec())
            return fail();
    }
    for (const FileUpdate &f : batch.files) {
        owners.prepare(QStringLiteral("SELECT audit_id FROM files WHERE id=? AND scan_id=?"));
        owners.addBindValue(f.fileId);
        owners.addBindValue(scanId);
        if (!noteOwners(owners))
            return failWrite(owners, "cannot save results");
        query.prepare(QStringLiteral("UPDATE files SET sha256=?, size=?, mtime=?, status=?, error=?, examined_at=?, "
                                     "audit_id=? WHERE id=? AND scan_id=?"));
        query.addBindValue(f.sha256.empty() ? QVariant() : QVariant(q(f.sha256)));
        query.addBindValue(qint64(f.size));
        query.addBindValue(isoFromNs(f.mtimeNs));
        query.addBindValue(QString::fromLatin1(fileStatusName(f.status)));
        query.addBindValue(f.error.empty() ? QVariant() : QVariant(q(f.error)));
        query.addBindValue(timestamp);
        query.addBindValue(m_entry);
        query.addBindValue(f.fileId);
        query.addBindValue(scanId);
        if (!query.exec())
            return fail();
    }
    if (batch.imagesInferred) {
        owners.prepare(QStringLiteral("SELECT audit_id FROM scans WHERE id=?"));
        owners.addBindValue(scanId);
        if (!noteOwners(owners))
            return failWrite(owners, "cannot save results");
        query.prepare(QStringLiteral("UPDATE scans SET images_inferred = images_inferred + ?, audit_id=? WHERE id=?"));
        query.addBindValue(batch.imagesInferred);
        query.addBindValue(m_entry);
        query.addBindValue(scanId);
        if (!query.exec())
            return fail();
    }
    return finishWrite(query, QStringLiteral("results recorded"),
                       QJsonObject{{QStringLiteral("scan"), scanId},
                                   {QStringLiteral("files"), qint64(batch.files.size())},
                                   {QStringLiteral("results"), qint64(batch.scores.size())}});
}

Result<std::vector<WindowScore>> CaseDatabase::windowPlaces(const std::string &sha256, const std::string &backboneSha256,
                                                           const std::string &preprocessing, const std::string &precision)
{
    using R = Result<std::vector<WindowScore>>;
    std::vector<WindowScore> out;
    if (m_version < 5)
        return out;
    QSqlQuery query(db());
    query.prepare(QStringLiteral("SELECT x, y, side, entropy FROM windows WHERE sha256=? AND backbone_sha256=? AND "
                                 "preprocessing=? AND precision=? AND head_sha256=(SELECT min(head_sha256) FROM windows "
                                 "WHERE sha256=? AND backbone_sha256=? AND preprocessing=? AND precision=?) ORDER BY rank"));
    for (int i = 0; i < 2; ++i)
        for (const std::string &v : {sha256, backboneSha256, preprocessing, precision})
            query.addBindValue(q(v));
    if (!query.exec())
        return R::failure(m_path.toStdString() + ": cannot read results: " + query.lastError().text().toStdString());
    while (query.next())
        out.push_back({{query.value(0).toInt(), query.value(1).toInt(), query.value(2).toInt()}, query.value(3).toDouble(), 0.0});
    return out;
}

Result<FileStatus> CaseDatabase::contentStatus(const std::string &sha256)
{
    QSqlQuery query(db());
    query.prepare(QStringLiteral("SELECT status FROM contents WHERE sha256=?"));
    query.addBindValue(q(sha256));
    if (!query.exec() || !query.next())
        return Result<FileStatus>::failure(m_path.toStdString() + ": no record of content " + sha256);
    return fileStatusFromName(query.value(0).toString());
}

Result<qint64> CaseDatabase::failUnfoundFiles(qint64 scanId)
{
    using R = Result<qint64>;
    if (auto begun = beginWrite(); !begun)
        return R::failure(begun.error());
    QSqlQuery query(db());
    query.prepare(QStringLiteral("SELECT DISTINCT audit_id FROM files WHERE scan_id=? AND status='pending'"));
    query.addBindValue(scanId);
    if (!noteOwners(query))
        return R::failure(failWrite(query, "cannot write").error());
    query.prepare(QStringLiteral("UPDATE files SET status='failed', error='no longer found: moved or deleted since "
                                 "this scan first listed it', examined_at=?, audit_id=? WHERE scan_id=? AND "
                                 "status='pending'"));
    query.addBindValue(now());
    query.addBindValue(m_entry);
    query.addBindValue(scanId);
    if (!query.exec())
        return R::failure(failWrite(query, "cannot write").error());
    const qint64 failed = query.numRowsAffected();
    if (failed == 0) {
        QSqlQuery(db()).exec(QStringLiteral("ROLLBACK"));
        return qint64(0);
    }
    if (auto finished = finishWrite(query, QStringLiteral("unfound files failed"),
                                    QJsonObject{{QStringLiteral("scan"), scanId}, {QStringLiteral("files"), failed}});
        !finished)
        return R::failure(finished.error());
    return failed;
}

Result<std::vector<ScanRow>> CaseDatabase::scans()
{
    using R = Result<std::vector<ScanRow>>;
    QSqlQuery query(db());
    if (!query.exec(QStringLiteral("SELECT id, state, started_at, finished_at, settings, images_inferred FROM scans "
                                   "ORDER BY id")))
        return R::failure(m_path.toStdString() + ": cannot read scans: " + query.lastError().text().toStdString());
    std::vector<ScanRow> out;
    while (query.next()) {
        ScanRow row;
        row.id = query.value(0).toLongLong();
        row.state = query.value(1).toString();
        row.startedAt = query.value(2).toString();
        row.finishedAt = query.value(3).toString();
        row.settingsJson = query.value(4).toString();
        row.imagesInferred = query.value(5).toLongLong();
        out.push_back(row);
    }
    return out;
}

Result<ScanSummary> CaseDatabase::scanSummary(qint64 scanId)
{
    using R = Result<ScanSummary>;
    QSqlQuery query(db());
    query.prepare(QStringLiteral("SELECT id, state, started_at, finished_at, settings, images_inferred, backbone_sha256, "
                                 "preprocessing, app_version, libtorch, opencv, qt, device, backbone_dtype, %1 FROM scans "
                                 "WHERE id=?").arg(precisionColumn()));
    query.addBindValue(scanId);
    if (!query.exec() || !query.next())
        return R::failure(m_path.toStdString() + ": no scan " + std::to_string(scanId) + " in this case");
    ScanSummary s;
    s.caseName = m_caseName;
    s.scan.id = query.value(0).toLongLong();
    s.scan.state = query.value(1).toString();
    s.scan.startedAt = query.value(2).toString();
    s.scan.finishedAt = query.value(3).toString();
    s.scan.settingsJson = query.value(4).toString();
    s.scan.imagesInferred = query.value(5).toLongLong();
    s.backboneSha256 = query.value(6).toString();
    s.preprocessing = query.value(7).toString();
    s.runtime = {query.value(8).toString().toStdString(),  query.value(9).toString().toStdString(),
                 query.value(10).toString().toStdString(), query.value(11).toString().toStdString(),
                 query.value(12).toString().toStdString(), query.value(13).toString().toStdString(),
                 query.value(14).toString().toStdString()};
    s.precision = query.value(14).toString();
    query.prepare(QStringLiteral("SELECT sha256 FROM scan_models WHERE scan_id=? AND role='head' ORDER BY position"));
    query.addBindValue(scanId);
    if (!query.exec())
        return R::failure(m_path.toStdString() + ": cannot read the scan's models");
    while (query.next())
        s.headSha256s << query.value(0).toString();
    query.prepare(QStringLiteral("SELECT sha256 FROM scan_models WHERE scan_id=? AND role='spai' ORDER BY position"));
    query.addBindValue(scanId);
    if (!query.exec())
        return R::failure(m_path.toStdString() + ": cannot read the scan's models");
    if (query.next())
        s.spaiSha256 = query.value(0).toString();
    // Absent from the settings of an fp32 scan (and of every scan before bf16 was offered).
    const QJsonValue spaiPrecision = QJsonDocument::fromJson(s.scan.settingsJson.toUtf8()).object().value(QStringLiteral("spai_precision"));
    if (spaiPrecision.isString())
        s.spaiPrecision = spaiPrecision.toString();
    query.prepare(QStringLiteral("SELECT kind, path, message FROM walk_events WHERE scan_id=? ORDER BY id"));
    query.addBindValue(scanId);
    if (!query.exec())
        return R::failure(m_path.toStdString() + ": cannot read the scan's walk events");
    while (query.next()) {
        WalkEvent event{WalkEvent::Kind::Vanished, query.value(1).toString().toStdString(),
                        query.value(2).toString().toStdString()};
        for (int k = 0; k <= int(WalkEvent::Kind::OutsideRoots); ++k)
            if (query.value(0).toString() == QLatin1String(walkEventName(WalkEvent::Kind(k))))
                event.kind = WalkEvent::Kind(k);
        s.events.push_back(event);
    }
    return s;
}

Result<std::vector<FileReport>> CaseDatabase::fileReports(qint64 scanId, const std::vector<qint64> &onlyFileIds)
{
    using R = Result<std::vector<FileReport>>;
    auto summary = scanSummary(scanId);
    if (!summary)
        return R::failure(summary.error());
    QSqlQuery query(db());
    query.setForwardOnly(true);
    QString only;
    if (!onlyFileIds.empty()) {
        QStringList ids; // integers only: nothing from outside reaches the SQL text
        for (qint64 id : onlyFileIds)
            ids << QString::number(id);
        only = QStringLiteral(" AND f.id IN (%1)").arg(ids.join(QLatin1Char(',')));
    }
    query.prepare(QStringLiteral(
        "SELECT f.path, f.size, f.mtime, f.sha256, f.status, f.error, c.format, c.width, c.height, c.warnings, c.error, "
        "f.id FROM files f LEFT JOIN contents c ON c.sha256 = f.sha256 WHERE f.scan_id=?%1 ORDER BY f.id").arg(only));
    query.addBindValue(scanId);
    if (!query.exec())
        return R::failure(m_path.toStdString() + ": cannot read files: " + query.lastError().text().toStdString());
    std::vector<FileReport> out;
    while (query.next()) {
        FileReport r;
        r.path = query.value(0).toString();
        r.size = query.value(1).toLongLong();
        r.mtime = query.value(2).toString();
        r.sha256 = query.value(3).toString();
        r.status = query.value(4).toString();
        r.error = query.value(5).toString();
        if (r.error.isEmpty())
            r.error = query.value(10).toString();
        r.format = query.value(6).toString();
        r.width = query.value(7).toInt();
        r.height = query.value(8).toInt();
        r.warnings = stringsFromJson(query.value(9).toString());
        r.id = query.value(11).toLongLong();
        out.push_back(std::move(r));
    }
    QSqlQuery scores(db());
    scores.prepare(QStringLiteral("SELECT logit, probability, contributions, scored_at, device, backbone_dtype, "
                                  "from_cached_features, %1 FROM results WHERE sha256=? AND backbone_sha256=? AND "
                                  "head_sha256=? AND preprocessing=? AND %1=?").arg(precisionColumn()));
    QSqlQuery spai(db()), patches(db());
    if (m_version >= 6) {
        spai.prepare(QStringLiteral("SELECT logit, probability, scored_at, precision FROM results WHERE sha256=? AND "
                                    "detector='spai' AND head_sha256=? AND precision=? ORDER BY id LIMIT 1"));
        patches.prepare(QStringLiteral("SELECT x, y, attention, attention_mean, solo_logit FROM spai_patches WHERE "
                                       "sha256=? AND weights_sha256=? AND precision=? ORDER BY rank"));
    }
    QSqlQuery windows(db());
    if (m_version >= 5)
        windows.prepare(QStringLiteral("SELECT x, y, side, entropy, logit FROM windows WHERE sha256=? AND "
                                       "backbone_sha256=? AND head_sha256=? AND preprocessing=? AND precision=? "
                                       "ORDER BY rank"));
    for (FileReport &r : out) {
        if (r.status != QLatin1String("scored") && r.status != QLatin1String("degraded"))
            continue;
        for (const QString &head : summary->headSha256s) {
            scores.addBindValue(r.sha256);
            scores.addBindValue(summary->backboneSha256);
            scores.addBindValue(head);
            scores.addBindValue(summary->preprocessing);
            scores.addBindValue(summary->precision);
            if (!scores.exec())
                return R::failure(m_path.toStdString() + ": cannot read results: " + scores.lastError().text().toStdString());
            if (!scores.next())
                continue;
            FileReport::Score s;
            s.headSha256 = head;
            s.logit = scores.value(0).toDouble();
            s.probability = scores.value(1).toDouble();
            s.contributions = numbersFromJson(scores.value(2).toString());
            s.scoredAt = scores.value(3).toString();
            s.device = scores.value(4).toString();
            s.backboneDtype = scores.value(5).toString();
            s.fromCachedFeatures = scores.value(6).toInt() != 0;
            s.precision = scores.value(7).toString();
            if (m_version >= 5) {
                windows.addBindValue(r.sha256);
                windows.addBindValue(summary->backboneSha256);
                windows.addBindValue(head);
                windows.addBindValue(summary->preprocessing);
                windows.addBindValue(summary->precision);
                if (!windows.exec())
                    return R::failure(m_path.toStdString() + ": cannot read results: "
                                      + windows.lastError().text().toStdString());
                while (windows.next())
                    s.windows.push_back({{windows.value(0).toInt(), windows.value(1).toInt(), windows.value(2).toInt()},
                                         windows.value(3).toDouble(),
                                         windows.value(4).toDouble()});
            }
            r.scores.push_back(std::move(s));
        }
        if (summary->spaiSha256.isEmpty() || m_version < 6)
            continue;
        spai.addBindValue(r.sha256);
        spai.addBindValue(summary->spaiSha256);
        spai.addBindValue(summary->spaiPrecision);
        if (!spai.exec())
            return R::failure(m_path.toStdString() + ": cannot read results: " + spai.lastError().text().toStdString());
        if (!spai.next())
            continue;
        FileReport::Spai result;
        result.weightsSha256 = summary->spaiSha256;
        result.logit = spai.value(0).toDouble();
        result.probability = spai.value(1).toDouble();
        result.scoredAt = spai.value(2).toString();
        result.precision = spai.value(3).toString();
        patches.addBindValue(r.sha256);
        patches.addBindValue(summary->spaiSha256);
        patches.addBindValue(result.precision);
        if (!patches.exec())
            return R::failure(m_path.toStdString() + ": cannot read results: " + patches.lastError().text().toStdString());
        while (patches.next()) {
            SpaiPatchScore patch;
            patch.left = patches.value(0).toInt();
            patch.top = patches.value(1).toInt();
            patch.attention = numbersFromJson(patches.value(2).toString());
            patch.attentionMean = patches.value(3).toDouble();
            patch.soloLogit = patches.value(4).toDouble();
            result.patches.push_back(std::move(patch));
        }
        r.spai = std::move(result);
    }
    return out;
}

Result<std::vector<std::pair<QString, qint64>>> CaseDatabase::statusCounts(qint64 scanId)
{
    using R = Result<std::vector<std::pair<QString, qint64>>>;
    QSqlQuery query(db());
    query.prepare(QStringLiteral("SELECT status, count(*) FROM files WHERE scan_id=? GROUP BY status ORDER BY status"));
    query.addBindValue(scanId);
    if (!query.exec())
        return R::failure(m_path.toStdString() + ": cannot read files: " + query.lastError().text().toStdString());
    std::vector<std::pair<QString, qint64>> out;
    while (query.next())
        out.emplace_back(query.value(0).toString(), query.value(1).toLongLong());
    return out;
}

} // namespace rine

namespace rine {

Result<qint64> CaseDatabase::importScans(const ScanImport &import, ImportCounts &counts)
{
    using R = Result<qint64>;
    if (m_readOnly)
        return R::failure(m_path.toStdString() + ": the case is open read-only");
    if (auto begun = beginWrite(); !begun)
        return R::failure(begun.error());
    QSqlQuery query(db());
    auto fail = [&](const QSqlQuery &q, const std::string &what) { return R::failure(failWrite(q, what).error()); };
    const qint64 scanId = insertScan(query, import.settingsJson, import.backboneSha256, import.preprocessing,
                                     import.precision, import.runtime, import.models, import.modelPaths, import.state,
                                     import.startedAt);
    if (scanId == 0)
        return fail(query, "cannot record the merged scan");
    query.prepare(QStringLiteral("UPDATE scans SET finished_at=?, images_inferred=? WHERE id=?"));
    query.addBindValue(import.finishedAt.isEmpty() ? QVariant() : QVariant(import.finishedAt));
    query.addBindValue(import.imagesInferred);
    query.addBindValue(scanId);
    if (!query.exec())
        return fail(query, "cannot record the merged scan");

    // Files: each source's in its own order (by id: the order its walk listed them), merged
    // into one walk order; at most one row per source is held at a time.
    struct Cursor {
        std::unique_ptr<QSqlQuery> query;
        bool valid = false;
        QString path;
    };
    std::vector<Cursor> cursors;
    for (const ImportedScan &source : import.sources) {
        Cursor cursor;
        cursor.query = std::make_unique<QSqlQuery>(source.from->db());
        cursor.query->setForwardOnly(true);
        cursor.query->prepare(QStringLiteral(
            "SELECT path, size, mtime, sha256, status, error, examined_at FROM files WHERE scan_id=? ORDER BY id"));
        cursor.query->addBindValue(source.scanId);
        if (!cursor.query->exec())
            return fail(*cursor.query, "cannot read the files of " + source.from->path().toStdString());
        cursor.valid = cursor.query->next();
        if (cursor.valid)
            cursor.path = cursor.query->value(0).toString();
        cursors.push_back(std::move(cursor));
    }
    query.prepare(QStringLiteral("INSERT OR IGNORE INTO files(scan_id, path, size, mtime, sha256, status, error, "
                                 "examined_at, audit_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    // A heap of the sources with rows left, the one whose row comes first in walk order on top.
    auto later = [&](std::size_t a, std::size_t b) { return import.before(cursors[b].path, cursors[a].path); };
    std::vector<std::size_t> heap;
    for (std::size_t i = 0; i < cursors.size(); ++i)
        if (cursors[i].valid)
            heap.push_back(i);
    std::make_heap(heap.begin(), heap.end(), later);
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        Cursor *next = &cursors[heap.back()];
        query.addBindValue(scanId);
        for (int i = 0; i < 7; ++i)
            query.addBindValue(next->query->value(i));
        query.addBindValue(m_entry);
        if (!query.exec())
            return fail(query, "cannot write the merged files");
        if (query.numRowsAffected() > 0)
            ++counts.files;
        else
            ++counts.duplicatePaths;
        next->valid = next->query->next();
        if (next->valid) {
            next->path = next->query->value(0).toString();
            std::push_heap(heap.begin(), heap.end(), later);
        } else {
            heap.pop_back();
        }
    }
    cursors.clear();

    const QString ofScan = QStringLiteral("sha256 IN (SELECT sha256 FROM files WHERE scan_id=:scan)");
    QSet<QString> heads;
    for (const std::string &head : import.headSha256s)
        heads.insert(q(head));
    QSqlQuery read(db()), existing(db());
    existing.prepare(QStringLiteral("SELECT status FROM contents WHERE sha256=?"));
    auto scoredName = [](const QString &status) {
        return status == QLatin1String("scored") || status == QLatin1String("degraded");
    };
    for (const ImportedScan &source : import.sources) {
        const std::string from = source.from->path().toStdString();
        QSqlQuery in(source.from->db());
        in.setForwardOnly(true);
        // Contents: one row per SHA-256; a scored outcome wins over a failed one.
        in.prepare(QStringLiteral("SELECT sha256, size, format, width, height, status, warnings, error, first_seen "
                                  "FROM contents WHERE ") + ofScan);
        in.bindValue(QStringLiteral(":scan"), source.scanId);
        if (!in.exec())
            return fail(in, "cannot read the contents of " + from);
        while (in.next()) {
            existing.addBindValue(in.value(0));
            if (!existing.exec())
                return fail(existing, "cannot write the merged contents");
            const bool known = existing.next();
            const QString before = known ? existing.value(0).toString() : QString();
            existing.finish();
            if (known && before == in.value(5).toString())
                continue;
            if (known) {
                ++counts.contentsDisagreeing;
                if (scoredName(before) || !scoredName(in.value(5).toString()))
                    continue;
            }
            query.prepare(QStringLiteral("INSERT OR REPLACE INTO contents(sha256, size, format, width, height, status, "
                                         "warnings, error, first_seen, audit_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
            for (int i = 0; i < 9; ++i)
                query.addBindValue(in.value(i));
            query.addBindValue(m_entry);
            if (!query.exec())
                return fail(query, "cannot write the merged contents");
            counts.contents += known ? 0 : 1;
        }
        // Results of this scan's models (the source case may hold others), and their windows.
        const QString ofModels = ofScan + QStringLiteral(" AND backbone_sha256=:backbone AND preprocessing=:preprocessing "
                                                         "AND precision=:precision");
        auto bindModels = [&](QSqlQuery &q) {
            q.bindValue(QStringLiteral(":scan"), source.scanId);
            q.bindValue(QStringLiteral(":backbone"), QString::fromStdString(import.backboneSha256));
            q.bindValue(QStringLiteral(":preprocessing"), QString::fromStdString(import.preprocessing));
            q.bindValue(QStringLiteral(":precision"), QString::fromStdString(import.precision));
        };
        in.prepare(QStringLiteral("SELECT sha256, backbone_sha256, head_sha256, preprocessing, logit, probability, "
                                  "contributions, device, backbone_dtype, from_cached_features, scored_at, precision "
                                  "FROM results WHERE ") + ofModels + QStringLiteral(" ORDER BY id"));
        bindModels(in);
        if (!in.exec())
            return fail(in, "cannot read the results of " + from);
        query.prepare(QStringLiteral("INSERT OR IGNORE INTO results(sha256, backbone_sha256, head_sha256, preprocessing, "
                                     "logit, probability, contributions, device, backbone_dtype, from_cached_features, "
                                     "scored_at, precision, scan_id, audit_id) "
                                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        // The windows go with the result they belong to: only where this source's result was kept.
        std::vector<QVariantList> kept;
        while (in.next()) {
            if (!heads.contains(in.value(2).toString()))
                continue;
            for (int i = 0; i < 12; ++i)
                query.addBindValue(in.value(i));
            query.addBindValue(scanId);
            query.addBindValue(m_entry);
            if (!query.exec())
                return fail(query, "cannot write the merged results");
            if (query.numRowsAffected() > 0) {
                ++counts.results;
                kept.push_back({in.value(0), in.value(2)});
            }
        }
        if (m_version >= 5 && source.from->m_version >= 5) {
            QSqlQuery windows(source.from->db());
            windows.prepare(QStringLiteral("SELECT sha256, backbone_sha256, head_sha256, preprocessing, precision, rank, "
                                           "x, y, side, entropy, logit FROM windows WHERE sha256=? AND backbone_sha256=? "
                                           "AND head_sha256=? AND preprocessing=? AND precision=? ORDER BY rank"));
            query.prepare(QStringLiteral("INSERT OR IGNORE INTO windows(sha256, backbone_sha256, head_sha256, "
                                         "preprocessing, precision, rank, x, y, side, entropy, logit, audit_id) "
                                         "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
            for (const QVariantList &key : kept) {
                for (const QVariant &v : {key[0], QVariant(QString::fromStdString(import.backboneSha256)), key[1],
                                          QVariant(QString::fromStdString(import.preprocessing)),
                                          QVariant(QString::fromStdString(import.precision))})
                    windows.addBindValue(v);
                if (!windows.exec())
                    return fail(windows, "cannot read the windows of " + from);
                while (windows.next()) {
                    for (int i = 0; i < 11; ++i)
                        query.addBindValue(windows.value(i));
                    query.addBindValue(m_entry);
                    if (!query.exec())
                        return fail(query, "cannot write the merged windows");
                    counts.windows += query.numRowsAffected() > 0;
                }
            }
        }
        if (!import.spaiSha256.empty()) {
            // SPAI's results of this scan's weights, and the patches of each one kept.
            if (m_version < 6 || source.from->m_version < 6)
                return R::failure(from + ": SPAI's results need case format 6 on both sides");
            in.prepare(QStringLiteral("SELECT sha256, backbone_sha256, head_sha256, preprocessing, logit, probability, "
                                      "contributions, device, backbone_dtype, from_cached_features, scored_at, precision "
                                      "FROM results WHERE ") + ofScan
                       + QStringLiteral(" AND detector='spai' AND head_sha256=:spai AND preprocessing=:preprocessing "
                                        "AND precision=:precision ORDER BY id"));
            in.bindValue(QStringLiteral(":scan"), source.scanId);
            in.bindValue(QStringLiteral(":spai"), QString::fromStdString(import.spaiSha256));
            in.bindValue(QStringLiteral(":preprocessing"), QString::fromLatin1(kSpaiPreprocessing));
            in.bindValue(QStringLiteral(":precision"), QString::fromStdString(import.spaiPrecision));
            if (!in.exec())
                return fail(in, "cannot read SPAI's results of " + from);
            query.prepare(QStringLiteral("INSERT OR IGNORE INTO results(sha256, backbone_sha256, head_sha256, "
                                         "preprocessing, logit, probability, contributions, device, backbone_dtype, "
                                         "from_cached_features, scored_at, precision, scan_id, audit_id, detector) "
                                         "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'spai')"));
            QVariantList keptSpai;
            while (in.next()) {
                for (int i = 0; i < 12; ++i)
                    query.addBindValue(in.value(i));
                query.addBindValue(scanId);
                query.addBindValue(m_entry);
                if (!query.exec())
                    return fail(query, "cannot write SPAI's merged results");
                if (query.numRowsAffected() > 0) {
                    ++counts.spaiResults;
                    keptSpai << in.value(0);
                }
            }
            QSqlQuery patches(source.from->db());
            patches.prepare(QStringLiteral("SELECT sha256, weights_sha256, precision, rank, x, y, attention, "
                                           "attention_mean, solo_logit FROM spai_patches WHERE sha256=? AND "
                                           "weights_sha256=? AND precision=? ORDER BY rank"));
            query.prepare(QStringLiteral("INSERT OR IGNORE INTO spai_patches(sha256, weights_sha256, precision, rank, x, "
                                         "y, attention, attention_mean, solo_logit, audit_id) "
                                         "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
            for (const QVariant &content : keptSpai) {
                patches.addBindValue(content);
                patches.addBindValue(QString::fromStdString(import.spaiSha256));
                patches.addBindValue(QString::fromStdString(import.spaiPrecision));
                if (!patches.exec())
                    return fail(patches, "cannot read SPAI's patches of " + from);
                while (patches.next()) {
                    for (int i = 0; i < 9; ++i)
                        query.addBindValue(patches.value(i));
                    query.addBindValue(m_entry);
                    if (!query.exec())
                        return fail(query, "cannot write SPAI's merged patches");
                    counts.spaiPatches += query.numRowsAffected() > 0;
                }
            }
        }
        in.prepare(QStringLiteral("SELECT sha256, backbone_sha256, preprocessing, crops, blocks, width, dtype, data, "
                                  "precision FROM features WHERE ") + ofScan
                   + QStringLiteral(" AND backbone_sha256=:backbone AND preprocessing=:preprocessing "
                                    "AND precision=:precision"));
        bindModels(in);
        if (!in.exec())
            return fail(in, "cannot read the cached features of " + from);
        query.prepare(QStringLiteral("INSERT OR IGNORE INTO features(sha256, backbone_sha256, preprocessing, crops, "
                                     "blocks, width, dtype, data, precision, audit_id) "
                                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        while (in.next()) {
            for (int i = 0; i < 9; ++i)
                query.addBindValue(in.value(i));
            query.addBindValue(m_entry);
            if (!query.exec())
                return fail(query, "cannot write the merged features");
            counts.features += query.numRowsAffected() > 0;
        }
        // Walk events: every shard walked the same roots, so most are the same in each.
        in.prepare(QStringLiteral("SELECT kind, path, message FROM walk_events WHERE scan_id=? ORDER BY id"));
        in.addBindValue(source.scanId);
        if (!in.exec())
            return fail(in, "cannot read the walk events of " + from);
        query.prepare(QStringLiteral("INSERT OR IGNORE INTO walk_events(scan_id, kind, path, message, audit_id) "
                                     "VALUES(?, ?, ?, ?, ?)"));
        while (in.next()) {
            query.addBindValue(scanId);
            for (int i = 0; i < 3; ++i)
                query.addBindValue(in.value(i));
            query.addBindValue(m_entry);
            if (!query.exec())
                return fail(query, "cannot write the merged walk events");
            counts.walkEvents += query.numRowsAffected() > 0;
        }
    }
    QJsonObject details = import.details;
    details[QStringLiteral("scan")] = scanId;
    details[QStringLiteral("merged")] = QJsonObject{
        {QStringLiteral("files"), counts.files},       {QStringLiteral("contents"), counts.contents},
        {QStringLiteral("results"), counts.results},   {QStringLiteral("windows"), counts.windows},
        {QStringLiteral("features"), counts.features}, {QStringLiteral("walk_events"), counts.walkEvents},
        {QStringLiteral("spai_results"), counts.spaiResults}, {QStringLiteral("spai_patches"), counts.spaiPatches},
        {QStringLiteral("duplicate_paths"), counts.duplicatePaths},
        {QStringLiteral("contents_disagreeing"), counts.contentsDisagreeing}};
    if (auto finished = finishWrite(query, import.action, details); !finished)
        return R::failure(finished.error());
    return scanId;
}

} // namespace rine
