#pragma once

#include "model/Detector.h"
#include "model/SpaiDetector.h"
#include "util/CropRegions.h"
#include "util/WalkRecords.h"
#include "util/Result.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace rine {

// How one file ended. Every file of a scan ends as one of the last four.
enum class FileStatus { Pending, Scored, Degraded, Failed, Unsupported };
const char *fileStatusName(FileStatus status);
FileStatus fileStatusFromName(const QString &name);

// What identifies a scan: the same identity again resumes it (unless it completed).
struct ScanSettings {
    std::vector<std::string> roots; // absolute
    WalkOptions walk;
    std::string preprocessing; // e.g. "center224", "tencrop224"
    std::string precision; // "fp32", "bf16", "fp16": the backbone's (ModelInfo::precision)
    std::string backboneSha256;
    std::vector<std::string> headSha256s;
    // SPAI beside RINE (format 6): its weight file's SHA-256; empty when the scan runs RINE only
    // (and then absent from the settings, so RINE-only scans keep their identity).
    std::string spaiSha256;
    // SPAI's precision ("fp32", "bf16"): recorded in the settings only when not fp32, so the
    // scans of earlier versions (all fp32) keep their identity.
    std::string spaiPrecision = "fp32";
    std::uint64_t maxFileBytes = 0;
    std::uint64_t maxPixels = 0;
    // A shard of a scan (rine-cli scan --shard I/N): this case holds share I of N of the files
    // (shardOf). Recorded in the settings only when N > 1, so unsharded scans keep theirs.
    int shardIndex = 0, shardCount = 1;
    QString toJson() const;
};

// Software and device that produced a scan's results (the reproducibility record).
struct ScanRuntime {
    std::string appVersion, libtorch, opencv, qt, device, backboneDtype;
    std::string precision; // "fp32", "bf16", "fp16": part of every result's identity
};

struct ScanRow {
    qint64 id = 0;
    QString state; // running, completed, cancelled, incomplete (files deferred: run it again); a
                   // running scan whose process died reads "running"
    QString startedAt, finishedAt;
    QString settingsJson;
    bool resumed = false;
    qint64 imagesInferred = 0; // backbone passes this scan ran, over all its runs
};

// The outcome of one distinct content (bytes), shared by every path that holds those bytes.
struct ContentRecord {
    std::string sha256;
    std::uint64_t size = 0;
    std::string format;
    int width = 0, height = 0;
    FileStatus status = FileStatus::Failed; // Scored, Degraded, Failed or Unsupported
    std::vector<std::string> warnings;
    std::string error;
};

struct ScoreRecord {
    // "rine" (a head's score) or "spai" (SPAI's: headSha256 is its weight file's, and it is
    // stored with SPAI's preprocessing, device and precision, kSpai* below).
    std::string detector = "rine";
    std::string sha256;
    std::string headSha256;
    double logit = 0, probability = 0;
    std::vector<double> contributions;
    bool fromCachedFeatures = false;
    std::vector<WindowScore> windows; // TextureCrop: each kept window's box, entropy and logit, rank order
    std::vector<SpaiPatchScore> patches; // SPAI: every patch, in layout order
    std::string spaiPrecision = "fp32"; // SPAI: its precision (RINE's is the scan's runtime's)
};

// How a SPAI result is identified beside RINE's (results.detector 'spai'): no backbone of its
// own, its weight file as the "head", the whole image in 224 px patches, on the CPU; its
// precision ("fp32" as published, or "bf16") is a part of the key like RINE's.
inline constexpr const char *kSpaiPreprocessing = "spai-patches224";
inline constexpr const char *kSpaiDevice = "cpu";

struct FeatureRecord {
    std::string sha256;
    BlockFeatures features; // count = crops of the preprocessing (1 or 10)
};

struct FileUpdate {
    qint64 fileId = 0;
    std::string sha256; // empty when the file could not be read
    std::uint64_t size = 0;
    std::int64_t mtimeNs = 0;
    FileStatus status = FileStatus::Failed;
    std::string error;
};

// What one transaction writes: everything a batch of the pipeline produced.
struct CommitBatch {
    std::vector<ContentRecord> contents;
    std::vector<ScoreRecord> scores;
    std::vector<FeatureRecord> features;
    std::vector<FileUpdate> files;
    qint64 imagesInferred = 0;
    bool empty() const { return contents.empty() && scores.empty() && features.empty() && files.empty(); }
};

struct FileSlot {
    qint64 id = 0;
    bool pending = true;
};

// One file of a scan with its content's outcome and every head's score, for exports.
struct FileReport {
    qint64 id = 0; // the file's row in the scan
    QString path;
    qint64 size = 0;
    QString mtime;
    QString sha256;
    QString status;
    QString error;
    QString format;
    int width = 0, height = 0;
    QStringList warnings;
    struct Score {
        QString headSha256;
        double logit = 0, probability = 0;
        std::vector<double> contributions;
        QString scoredAt, device, backboneDtype, precision;
        bool fromCachedFeatures = false;
        std::vector<WindowScore> windows; // TextureCrop: the kept windows, rank order (format 5)
    };
    std::vector<Score> scores; // in the scan's head order; empty unless scored or degraded
    // SPAI's score, when the scan ran SPAI and the content was scored.
    struct Spai {
        QString weightsSha256;
        double logit = 0, probability = 0;
        QString scoredAt, precision;
        std::vector<SpaiPatchScore> patches; // layout order; attention per head and mean, solo logit
    };
    std::optional<Spai> spai;
};

// One entry of a case's audit log: who did what when. Entries are only ever appended; each
// one's hash covers its fields and the previous entry's hash, so a changed, removed or
// reordered entry breaks the chain (verifyAudit). From case format 4 every row that carries
// evidence or a result records the entry that last wrote it (audit_id), and that entry's
// details carry a digest of those rows ("rows": count and SHA-256); an entry that takes rows
// over from earlier ones records their remaining rows' digests ("rows_of_earlier_entries").
// Each entry is signed with the writing installation's Ed25519 key (CaseSigner).
struct AuditEntry {
    qint64 id = 0;
    QString at; // ISO 8601 with the UTC offset
    QString actor; // user@host
    QString action; // "case created", "scan started", "report written", ...
    QString details; // compact JSON
    QString previousHash, hash;
    QString signer, signature; // public key and signature of the hash, hex; empty before format 4
};

// What a case's audit chain proves about the case as it is now.
struct CaseIntegrity {
    enum class State {
        Verified, // chain, signatures and every covered row's digest match
        NotCovered, // an intact chain of a case format before 4, whose rows it does not cover
        Broken, // something does not match: `problem` names the first entry and what
    };
    State state = State::Broken;
    QString problem;
    qint64 length = 0; // entries
    QString head; // the last entry's hash
    QString headSigner; // fingerprint of the key that signed the last entry ("" unsigned)
    QStringList signers; // fingerprints of every key that signed an entry, in order of first use
    bool verified() const { return state == State::Verified; }
    // One sentence for reports and the application: "verified: 12 entries, head ..., signed by ..."
    QString describe() const;
};
// "verified", "not covered", "broken"
QString integrityStateName(CaseIntegrity::State state);

struct ScanSummary {
    ScanRow scan;
    QString caseName;
    QString backboneSha256, preprocessing, precision;
    QStringList headSha256s;
    QString spaiSha256; // the scan ran SPAI too (format 6); empty: RINE only
    QString spaiPrecision = QStringLiteral("fp32"); // its precision (the settings' spai_precision)
    ScanRuntime runtime;
    std::vector<WalkEvent> events;
};

class CaseDatabase;

// Merging the shards of a scan (rine-cli merge): one scan of another case to take in.
struct ImportedScan {
    CaseDatabase *from = nullptr;
    qint64 scanId = 0;
};

// What CaseDatabase::importScans writes: one new scan and what it holds.
struct ScanImport {
    QString settingsJson; // the new scan's identity
    std::string backboneSha256, preprocessing, precision;
    std::vector<std::string> headSha256s;
    std::string spaiSha256; // the shards ran SPAI too (format 6): its results and patches are taken over
    std::string spaiPrecision = "fp32";
    ScanRuntime runtime;
    std::vector<std::pair<std::string, std::string>> models; // role, sha256
    std::vector<std::string> modelPaths;
    QString state, startedAt, finishedAt;
    qint64 imagesInferred = 0;
    std::vector<ImportedScan> sources; // in order of precedence: the first result of a key is kept
    // The walk's order of two paths: the sources' files, each in its own walk order, are
    // interleaved into one (a k-way merge, so memory does not grow with the file count).
    std::function<bool(const QString &, const QString &)> before;
    QString action; // the audit entry that records the import
    QJsonObject details;
};

struct ImportCounts {
    qint64 files = 0, duplicatePaths = 0, contents = 0, contentsDisagreeing = 0, results = 0, windows = 0,
           features = 0, walkEvents = 0, spaiResults = 0, spaiPatches = 0;
};

// A case: one SQLite file (WAL) holding its scans, the files they found, the distinct
// contents by SHA-256, and the results per content and model. Results are keyed by content
// hash, backbone hash, head hash, preprocessing and precision, so the same bytes are scored once
// whatever their paths and however often a scan is run. Use from one thread.
class CaseDatabase {
public:
    enum class Mode { OpenOrCreate, OpenExisting, ReadOnly };

    ~CaseDatabase();
    CaseDatabase(const CaseDatabase &) = delete;
    CaseDatabase &operator=(const CaseDatabase &) = delete;

    // Checks what it opens: an SQLite file of ours (application id), of a schema version we
    // know, that passes SQLite's quick_check, with no triggers or views. caseName names a
    // new case (default: the file's base name).
    //
    // A case received from elsewhere is opened read-only: to open an existing case for
    // writing, it must have been created (or adopted) by this installation, and its audit
    // log must verify. adopt: take over a case of another installation (or of unknown
    // origin), recorded as "case adopted" in its audit log; a broken audit log is never
    // written to.
    static Result<std::unique_ptr<CaseDatabase>> open(const QString &path, Mode mode, const QString &caseName = {},
                                                      bool adopt = false);

    // This installation's identity, recorded in the cases it creates or adopts: a random id
    // made on first use (<data>/rine-studio/installation-id), or $RINE_INSTALLATION_ID (a
    // team that shares cases sets the same one).
    static QString installationId();

    bool readOnly() const { return m_readOnly; }
    // The installation that created or last adopted the case; empty when none is recorded
    // (cases of earlier versions).
    QString owner();
    // Empty when this installation may write to the case; else why not, in a sentence.
    QString whyNotWritable();

    // 2: the audit log; 3: precision in results' identity; 4: rows covered by the audit chain,
    // entries signed; 5: TextureCrop's windows; 6: the detector in results' identity (RINE,
    // SPAI) and SPAI's patches
    static constexpr int kSchemaVersion = 6;
    static constexpr std::int32_t kApplicationId = 0x52494E45; // "RINE"

    QString path() const { return m_path; }
    int formatVersion() const { return m_version; }
    QString caseName() const { return m_caseName; }

    // Resumes the latest unfinished scan with these settings, or starts a new one.
    Result<ScanRow> beginScan(const ScanSettings &settings, const ScanRuntime &runtime,
                              const std::vector<std::pair<std::string, std::string>> &models /* role, sha256 */,
                              const std::vector<std::string> &modelPaths);
    // TextureCrop: where a content's kept windows lay and their entropies (logits 0), as any
    // head's results recorded them; empty when none are recorded.
    Result<std::vector<WindowScore>> windowPlaces(const std::string &sha256, const std::string &backboneSha256,
                                                  const std::string &preprocessing, const std::string &precision);

    // state: completed, cancelled or incomplete (files left pending); details go into the audit entry.
    Result<bool> finishScan(qint64 scanId, const QString &state, const QJsonObject &details = {});

    // Lists the walk's files in the scan (new ones as pending), and returns each file's row
    // and whether it still has to be examined.
    Result<std::vector<FileSlot>> registerFiles(qint64 scanId, const std::vector<WalkEntry> &files);
    Result<bool> addWalkEvents(qint64 scanId, const std::vector<WalkEvent> &events);

    // Contents that already have a result from every given head.
    Result<std::unordered_set<std::string>> scoredContents(const std::string &backboneSha256,
                                                           const std::vector<std::string> &headSha256s,
                                                           const std::string &preprocessing,
                                                           const std::string &precision);
    // The contents SPAI (this weight file) has scored, in this case.
    Result<std::unordered_set<std::string>> spaiScoredContents(const std::string &weightsSha256,
                                                                const std::string &precision);
    Result<std::unordered_set<std::string>> cachedFeatures(const std::string &backboneSha256,
                                                           const std::string &preprocessing,
                                                           const std::string &precision);
    Result<BlockFeatures> loadFeatures(const std::string &sha256, const std::string &backboneSha256,
                                       const std::string &preprocessing, const std::string &precision);

    // The recorded outcome of a content (Scored or Degraded when it has results).
    Result<FileStatus> contentStatus(const std::string &sha256);
    // Marks the scan's files that are still pending, but that this run's walk no longer
    // found, as failed. Returns how many.
    Result<qint64> failUnfoundFiles(qint64 scanId);

    // Writes a batch in one transaction: all of it or nothing.
    Result<bool> commit(qint64 scanId, const CommitBatch &batch, const std::string &backboneSha256,
                        const std::string &preprocessing, const ScanRuntime &runtime);

    // A new scan holding the files, contents, results, TextureCrop windows, cached features
    // and walk events of scans of other cases (read from them, checked by the caller), in one
    // transaction that ends with the audit entry import.action. Contents are one row per
    // SHA-256: where sources disagree, a scored or degraded outcome wins over a failed one
    // (counted in contentsDisagreeing). Results, windows and features: the first source's.
    // Returns the new scan's id.
    Result<qint64> importScans(const ScanImport &import, ImportCounts &counts);

    Result<std::vector<ScanRow>> scans();
    Result<ScanSummary> scanSummary(qint64 scanId);
    // Every file of a scan in walk order, or only the given files (rows of this scan).
    Result<std::vector<FileReport>> fileReports(qint64 scanId, const std::vector<qint64> &onlyFileIds = {});
    // Counts of files per status in a scan.
    Result<std::vector<std::pair<QString, qint64>>> statusCounts(qint64 scanId);

    // Where a weight file was when a scan of this case used it ("" when unknown).
    QString modelPath(const QString &sha256);

    // The audit log (empty in a read-only case of format 1, which predates it).
    Result<AuditEntry> appendAudit(const QString &action, const QJsonObject &details);
    Result<std::vector<AuditEntry>> auditLog();
    // Recomputes the chain and checks its signatures (cheap: what opening a case for writing
    // needs); on failure, which entry breaks it and how.
    Result<bool> verifyAudit();
    // verifyAudit, then every covered row's digest against the entry that wrote it (reads
    // every row: what audit, reports and the application check).
    CaseIntegrity integrity();
    static QString auditHash(const AuditEntry &entry);

private:
    CaseDatabase(QString path, QString connection);
    Result<bool> createSchema(const QString &caseName);
    // Inserts a scan row and its models within a write; 0 on failure (the query holds the error).
    qint64 insertScan(QSqlQuery &query, const QString &settingsJson, const std::string &backboneSha256,
                      const std::string &preprocessing, const std::string &precision, const ScanRuntime &runtime,
                      const std::vector<std::pair<std::string, std::string>> &models,
                      const std::vector<std::string> &modelPaths, const QString &state, const QString &startedAt);
    Result<bool> check();
    Result<bool> upgrade();
    // A write: BEGIN IMMEDIATE, the rows it writes carry m_entry (the id of the audit entry
    // it ends with), the entries whose rows it takes over are noted, and finishWrite appends
    // the entry with the digests, signed, and commits.
    Result<bool> beginWrite();
    bool noteOwners(QSqlQuery &select); // runs a prepared SELECT of audit_id values
    Result<bool> finishWrite(QSqlQuery &query, const QString &action, QJsonObject details);
    Result<bool> failWrite(const QSqlQuery &query, const std::string &what);
    bool appendAuditIn(QSqlQuery &query, const QString &action, const QJsonObject &details);
    std::pair<qint64, QString> rowsDigest(qint64 entry); // count, SHA-256 ("" when unreadable)
    Result<bool> verifyRows(const std::vector<AuditEntry> &log);
    std::string signingErrorSuffix();
    qint64 m_entry = 0;
    std::vector<qint64> m_touched;
    QString m_signingError;
    int m_version = 0;
    // The results' and scans' precision in SQL: the column, or for cases of earlier formats
    // (opened read-only, not upgraded) what their device implies.
    QString precisionColumn() const;
    bool m_readOnly = false;
    QSqlDatabase db() const;

    QString m_path;
    QString m_connection;
    QString m_caseName;
    qint64 m_caseId = 0;
};

} // namespace rine
