#pragma once

#include "image/ImageDecoder.h"
#include "scan/FolderWalker.h"
#include "scoring/ImageScorer.h"
#include "store/CaseDatabase.h"

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace rine {

struct ScanRequest {
    std::vector<std::string> roots; // folders (walked recursively) or files
    WalkOptions walk;
    CropMode crop = CropMode::Center;
    int batchSize = 8; // images per backbone pass
    int workers = 0; // read/hash/decode threads; 0: one per core, at most 4
    DecodeLimits limits;
    bool cacheFeatures = false; // store per-block features so another head can skip the backbone
    // Share shardIndex of shardCount of the files (shardOf): the others are not listed in this
    // case. Every shard walks the same roots; together they hold every file exactly once.
    int shardIndex = 0, shardCount = 1;
};

// Which of `count` shards a file belongs to: the first 8 bytes of the SHA-256 of its path
// relative to the root it was found under (the root's own name for a file given as a root),
// big-endian, modulo count. Stable under re-walks, on any machine, whatever else the folder holds.
int shardOf(const std::string &path, const std::vector<std::string> &roots, int count);

struct ScanProgress {
    enum class Phase { Walking, Scanning };
    Phase phase = Phase::Walking;
    std::size_t found = 0; // files found so far (walking)
    std::size_t total = 0; // files this run examines
    std::size_t done = 0;
    std::size_t inferred = 0; // images through the backbone in this run
    double imagesPerSecond = 0; // backbone images per second in this run
    double etaSeconds = -1; // -1: not known yet (with SPAI: counted in patches, spaiEtaSeconds)
    // With SPAI: its patches scored in this run (the image in hand's included) and their rate,
    // and the image in hand: its patches scored so far of its total (0 of 0: none in hand).
    std::size_t spaiPatches = 0;
    double spaiPatchesPerSecond = 0;
    std::size_t spaiImageScored = 0, spaiImagePatches = 0;
    qint64 scanId = 0;
    // Files whose outcome was committed since the previous report (their rows can be read
    // from the database now).
    std::vector<qint64> committedFileIds;
};

// The seconds left of a scan with SPAI, counted in patches (SPAI's time grows with an image's
// patches; RINE runs beside it): the image in hand's patches still to score, plus the files
// not begun at the patches per file seen so far (the files done and the image in hand), less
// the patches of images already scored whose files are not committed yet; at this run's
// patches per second. -1: not known yet (no patch scored).
struct SpaiEta {
    std::size_t files = 0; // this run examines
    std::size_t filesDone = 0;
    std::size_t patchesOfFilesDone = 0; // SPAI's patches of the files done (0 for a failed or known file)
    std::size_t patchesScored = 0; // in this run
    std::size_t inHandScored = 0, inHandPatches = 0; // 0 of 0: no image in hand
    double seconds = 0; // since the run began scanning
};
double spaiEtaSeconds(const SpaiEta &eta);

struct ScanOutcome {
    qint64 scanId = 0;
    bool resumed = false;
    bool cancelled = false;
    std::size_t listed = 0; // files the walk found
    std::size_t examined = 0; // files this run examined (the rest were done by an earlier run)
    std::size_t inferred = 0; // images this run put through the backbone
    std::size_t fromCache = 0; // images scored from cached features
    std::size_t alreadyScored = 0; // files whose bytes had results before this run
    std::size_t walkEvents = 0;
    // Files a previous run was decoding when the process died: recorded as failed, not retried.
    std::size_t stoppedInDecode = 0;
    // Decodes past the per-file time limit: the scan's budget of such decodes running at once
    // (kMaxStuckDecodes), how many went over in this run, how many still ran at its end, and the
    // files left pending because the budget stayed full (the scan is then "incomplete": run it
    // again to examine them).
    int decodeBudget = 0;
    std::size_t decodesOverTime = 0;
    std::size_t decodesStillRunning = 0;
    std::size_t deferred = 0;
    double seconds = 0;
    std::vector<std::pair<QString, qint64>> statusCounts; // over the whole scan
};

// Scans folders into a case database: walk, then a small pool of threads reads, hashes and
// decodes ahead of inference through a bounded queue, the calling thread runs the detector
// in batches and commits each batch in one transaction. Memory stays flat however many
// files there are: the queue holds at most a few batches of crops.
//
// Each distinct content is scored once per (backbone, head, preprocessing): files whose
// bytes already have results are only hashed; a killed scan resumes where its last commit
// ended. Setting `cancel` finishes the batch in flight, commits it, and returns.
//
// With SPAI beside RINE (format 6), each decoded image is also scored by SPAI, whole, on the
// thread that decoded it (one SPAI pass at a time, shared by the images the threads hold), before
// its pixels are let go: the image is read and decoded once for both detectors. A content is done when RINE's heads and SPAI have
// each scored it.
//
// With SPAI alone, no crops are made and RINE runs nothing: the scan records no backbone or
// heads (an empty backbone hash), SPAI's preprocessing (kSpaiPreprocessing), device and
// precision; a content is done when SPAI has scored it, and `inferred` counts SPAI's images.
class ScanEngine {
public:
    ScanEngine(Detector &detector, CaseDatabase &database, const SpaiDetector *spai = nullptr);
    // SPAI alone.
    ScanEngine(const SpaiDetector &spai, CaseDatabase &database);

    using Progress = std::function<void(const ScanProgress &)>;
    Result<ScanOutcome> run(const ScanRequest &request, const std::atomic<bool> &cancel, const Progress &progress = {});

private:
    Detector *m_detector = nullptr; // RINE; null: SPAI alone
    CaseDatabase &m_database;
    const SpaiDetector *m_spai = nullptr;
};

// The runtime record of a detector (app, library versions, device).
ScanRuntime scanRuntime(const ModelInfo &model);
// A scan with SPAI alone: its device (the CPU), dtype and precision.
ScanRuntime spaiScanRuntime(const SpaiDetector &spai);

// A case is never written inside a folder being scanned: it would list its own database,
// -wal, -shm and .lock as evidence, and write into an evidence folder. Fails, naming both,
// when casePath (existing or not; links resolved) lies inside one of the roots.
Result<bool> caseOutsideRoots(const QString &casePath, const std::vector<std::string> &roots);

} // namespace rine
