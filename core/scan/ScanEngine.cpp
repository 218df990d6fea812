#include "ScanEngine.h"

#include "scan/BoundedQueue.h"
#include "util/Sha256.h"
#include "util/Version.h"

#include <QJsonObject>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <optional>
#include <unistd.h>
#include <sys/stat.h>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace rine {

namespace {

using Clock = std::chrono::steady_clock;

// What a pool thread made of one file.
struct Work {
    enum class Kind {
        ReadFailed, // could not be read: no content
        Unsupported, // not an image we decode
        DecodeFailed, // an image format, but damaged, truncated or over the limits
        Known, // these bytes already have results from every head: nothing to run
        Cached, // these bytes have cached features: run the heads only
        Duplicate, // the same bytes are being examined for another path right now
        Decoded, // crops ready for the backbone
        Deferred, // not examined: the scan's stuck decodes filled its budget; stays pending
        Stopped, // the scan was cancelled while SPAI scored it: stays pending, nothing recorded
    };
    Kind kind = Kind::ReadFailed;
    qint64 fileId = 0;
    std::string path;
    std::string sha256;
    std::uint64_t size = 0;
    std::int64_t mtimeNs = 0;
    std::string format;
    int width = 0, height = 0;
    std::vector<std::string> warnings;
    std::string error;
    std::vector<std::vector<std::uint8_t>> crops;
    std::vector<WindowScore> windows; // TextureCrop: the kept windows (logits filled per head later)
    std::optional<SpaiScore> spai; // Decoded, in a scan with SPAI: its score of the whole image
};

// SPAI beside RINE. The decode threads' images share SpaiDetector's passes (one pass at a time:
// it uses every core on its own), so a small image's last patches fill a pass with the next
// image's first. The image in hand is the one whose patches were reported last.
struct SpaiRun {
    const SpaiDetector *detector = nullptr;
    const std::atomic<bool> *cancel = nullptr; // stops the image in hand between passes
    std::atomic<std::size_t> scored{0}; // patches scored in this run, the image in hand's included

    struct InHand {
        qint64 fileId = 0; // 0: none
        std::size_t scored = 0, total = 0;
    };
    InHand inHand() const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_inHand;
    }
    // SPAI's watch over one file's image: counts its patches as they are scored.
    SpaiWatch watch(qint64 fileId)
    {
        SpaiWatch watch;
        watch.cancel = cancel;
        watch.patches = [this, fileId, before = std::size_t(0)](std::size_t done, std::size_t total) mutable {
            scored += done - before;
            before = done;
            std::lock_guard<std::mutex> lock(m_mutex);
            m_inHand = {fileId, done, total};
        };
        return watch;
    }
    void finished(qint64 fileId)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_inHand.fileId == fileId) // not yet another thread's image
            m_inHand = {};
    }

private:
    mutable std::mutex m_mutex;
    InHand m_inHand;
};

// The outcome recorded for a content, so that other paths with the same bytes get it too.
struct Resolution {
    FileStatus status;
    std::string error;
};

// Which files are being decoded right now, in <case>.decoding beside the case: a line
// "B scan file sha256" before a decode, "E scan file" after. A process that dies leaves its B
// lines unmatched. The first time, the file may just have been in flight when the process was
// killed (Ctrl-C twice, kill -9): it is decoded again, marked "S" (suspect) in the new journal.
// A suspect found in flight again killed the program twice: it is recorded as failed instead
// of being decoded a third time. Appends of whole lines (O_APPEND), no fsync: what it guards
// against is the process dying, not the machine.
class DecodeJournal {
public:
    explicit DecodeJournal(std::string path) : m_path(std::move(path)) {}
    // A run that returns (done, cancelled, failed) has ended every decode it began: the
    // journal goes. Only a process that dies leaves it.
    ~DecodeJournal() { finish(); }

    struct Interrupted {
        qint64 scanId = 0, fileId = 0;
        std::string sha256;
    };

    // The files whose decode a previous run began and never ended for the second time: they
    // are failed. Call before start(), which writes the suspects (first time) into the new journal.
    std::vector<Interrupted> recover()
    {
        std::vector<Interrupted> out;
        std::map<std::pair<qint64, qint64>, std::string> open, suspects, begun;
        if (FILE *in = std::fopen(m_path.c_str(), "re")) {
            char kind = 0;
            long long scan = 0, file = 0;
            char sha[65] = {0};
            char line[256];
            while (std::fgets(line, sizeof line, in)) {
                if (std::sscanf(line, "B %lld %lld %64s", &scan, &file, sha) == 3) {
                    open[{scan, file}] = sha;
                    begun[{scan, file}] = sha;
                } else if (std::sscanf(line, "S %lld %lld %64s", &scan, &file, sha) == 3) {
                    suspects[{scan, file}] = sha;
                } else if (std::sscanf(line, "%c %lld %lld", &kind, &scan, &file) == 3 && kind == 'E') {
                    open.erase({scan, file});
                }
            }
            std::fclose(in);
        }
        m_suspects.clear();
        for (const auto &[key, sha] : open) {
            if (suspects.count(key))
                out.push_back({key.first, key.second, sha}); // in flight at two deaths
            else
                m_suspects[key] = sha; // first time: decoded again
        }
        // Suspects this run never reached stay suspects.
        for (const auto &[key, sha] : suspects)
            if (!begun.count(key))
                m_suspects[key] = sha;
        return out;
    }

    // "" or why the journal cannot be kept (the scan then refuses to start: a crash could not
    // be recorded).
    std::string start()
    {
        m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (m_fd < 0)
            return m_path + ": cannot write the decode journal: " + std::strerror(errno);
        for (const auto &[key, sha] : m_suspects)
            write("S " + std::to_string(key.first) + " " + std::to_string(key.second) + " " + sha + "\n");
        return {};
    }
    void begin(qint64 scan, qint64 file, const std::string &sha256)
    {
        write("B " + std::to_string(scan) + " " + std::to_string(file) + " " + sha256 + "\n");
    }
    void end(qint64 scan, qint64 file) { write("E " + std::to_string(scan) + " " + std::to_string(file) + "\n"); }
    void finish()
    {
        if (m_fd < 0)
            return;
        ::close(m_fd);
        m_fd = -1;
        ::unlink(m_path.c_str());
    }

private:
    void write(const std::string &line)
    {
        if (m_fd >= 0) {
            const ssize_t ignored = ::write(m_fd, line.data(), line.size()); // one write: lines never interleave
            (void)ignored;
        }
    }
    std::string m_path;
    int m_fd = -1;
    std::map<std::pair<qint64, qint64>, std::string> m_suspects;
};

// Whether a file may be decoded now, under the scan's budget of stuck decodes. When the budget
// is full, the file waits for one of them to end (up to its own time limit by default); once such a wait
// has run out, later files are deferred at once (not waited for one by one) until one ends.
class DecodeGate {
public:
    DecodeGate(const DecodeLimits &limits, const std::atomic<bool> &cancel) : m_limits(limits), m_cancel(cancel) {}

    bool admit()
    {
        if (!(m_limits.timeoutSeconds > 0))
            return true;
        const double wait = m_saturated.load() ? 0.0 : m_limits.budget->waitSeconds(m_limits.timeoutSeconds);
        const bool room = m_limits.budget->waitForRoom(wait, &m_cancel);
        m_saturated = !room;
        return room;
    }

private:
    const DecodeLimits &m_limits;
    const std::atomic<bool> &m_cancel;
    std::atomic<bool> m_saturated{false};
};

// inputSize: RINE's crop side; 0 when the scan runs SPAI alone (no crops are made).
Work examine(const WalkEntry &entry, qint64 fileId, const ScanRequest &request, const DecodeLimits &limits,
             DecodeGate &gate, int inputSize, const std::unordered_set<std::string> &known,
             const std::unordered_set<std::string> &cached, std::unordered_set<std::string> &claimed,
             std::mutex &claimedMutex, DecodeJournal &journal, qint64 scanId, SpaiRun &spai)
{
    Work work;
    work.fileId = fileId;
    work.path = entry.path;
    work.size = entry.size;
    work.mtimeNs = entry.mtimeNs;
    auto bytes = readFileBytes(entry.path, request.limits.maxFileBytes);
    if (!bytes) {
        struct stat info {};
        work.error = ::lstat(entry.path.c_str(), &info) != 0 && errno == ENOENT
                       ? entry.path + ": vanished during the scan (deleted or moved after it was listed)"
                       : bytes.error();
        return work;
    }
    work.sha256 = bytes->sha256;
    work.size = bytes->data.size();
    if (bytes->data.empty()) {
        work.kind = Work::Kind::DecodeFailed;
        work.error = entry.path + ": empty file (0 bytes); nothing to score (an incomplete copy?)";
        return work;
    }
    work.format = sniffImageFormat(bytes->data.data(), bytes->data.size());
    if (!isDecodableFormat(work.format)) {
        work.kind = Work::Kind::Unsupported;
        const std::string extension = QFileInfo(QString::fromStdString(entry.path)).suffix().toLower().toStdString();
        const bool namedLikeImage = !extension.empty() && std::string(" jpg jpeg png webp bmp tif tiff jp2 ppm pgm ")
                                                                  .find(" " + extension + " ") != std::string::npos;
        work.error = !work.format.empty() ? work.format + " images are not supported; convert to PNG to score"
                   : namedLikeImage
                       ? "named like an image (." + extension + ") but its bytes match no image format; check the file"
                       : "not an image: its bytes match no supported format (JPEG, PNG, WebP, BMP, TIFF, JPEG 2000, PNM)";
        return work;
    }
    if (known.count(work.sha256)) {
        work.kind = Work::Kind::Known;
        return work;
    }
    // Before the bytes are claimed: a deferred file leaves no other path waiting on it.
    if (!cached.count(work.sha256) && !gate.admit()) {
        work.kind = Work::Kind::Deferred;
        return work;
    }
    {
        std::lock_guard<std::mutex> lock(claimedMutex);
        if (!claimed.insert(work.sha256).second) {
            work.kind = Work::Kind::Duplicate;
            return work;
        }
    }
    if (cached.count(work.sha256)) {
        work.kind = Work::Kind::Cached;
        return work;
    }
    journal.begin(scanId, fileId, work.sha256);
    struct Ended {
        DecodeJournal &journal;
        qint64 scan, file;
        ~Ended() { journal.end(scan, file); }
    } ended{journal, scanId, fileId};
    try {
        auto image = decodeImage(bytes.value(), limits);
        if (!image) {
            work.kind = Work::Kind::DecodeFailed;
            work.error = image.error();
            return work;
        }
        work.kind = Work::Kind::Decoded;
        work.width = image->width;
        work.height = image->height;
        work.warnings = image->warnings;
        if (spai.detector) {
            const RgbImage &rgb = image->rgb;
            try {
                struct Finished {
                    SpaiRun &spai;
                    qint64 file;
                    ~Finished() { spai.finished(file); }
                } finished{spai, fileId};
                work.spai = spai.detector->score(rgb.pixels.data(), rgb.width, rgb.height, std::size_t(rgb.width) * 3,
                                                 spai.watch(fileId));
            } catch (const std::exception &e) {
                // Out of memory on a huge image, say: the file fails with the reason; RINE's
                // score alone would leave the content half-scored.
                work.kind = Work::Kind::DecodeFailed;
                work.error = entry.path + ": SPAI could not score it: " + e.what();
                return work;
            }
            if (!work.spai) { // cancelled in the middle of its patches
                work.kind = Work::Kind::Stopped;
                return work;
            }
        }
        if (inputSize == 0)
            return work; // SPAI alone: its score is all this file needs
        CropPlan plan = Preprocessing{request.crop, inputSize}.plan(image->rgb);
        work.warnings.insert(work.warnings.end(), plan.warnings.begin(), plan.warnings.end());
        for (std::size_t w = 0; w < plan.entropies.size(); ++w)
            work.windows.push_back({plan.regions[w], plan.entropies[w], 0.0});
        work.crops = std::move(plan.crops);
    } catch (const std::exception &e) {
        // Claimed above: the outcome must carry the hash so that other paths with the same
        // bytes get it too.
        work.kind = Work::Kind::DecodeFailed;
        work.error = entry.path + ": decoding failed: " + e.what();
    }
    return work;
}

// The consumer side: batches decoded images through the detector and builds the commits.
class Committer {
public:
    // detector: RINE, or null when the scan runs SPAI alone.
    Committer(Detector *detector, CaseDatabase &database, qint64 scanId, const ScanRequest &request,
              ScanOutcome &outcome, const ScanSettings &settings, ScanRuntime runtime)
        : m_detector(detector), m_database(database), m_scanId(scanId), m_request(request), m_outcome(outcome),
          m_spaiSha256(settings.spaiSha256), m_spaiPrecision(settings.spaiPrecision),
          m_backbone(settings.backboneSha256), m_preprocessing(settings.preprocessing), m_runtime(std::move(runtime)),
          m_heads(settings.headSha256s)
    {
    }

    std::size_t done() const { return m_done; }
    std::size_t spaiPatchesDone() const { return m_patchesDone; } // SPAI's patches of the files done
    std::vector<qint64> takeCommittedFileIds() { return std::exchange(m_committedFileIds, {}); }
    bool batchFull() const { return int(m_decoded.size()) >= m_request.batchSize; }
    bool commitDue() const { return m_batch.files.size() + m_batch.contents.size() >= 256; }

    Result<bool> take(Work work)
    {
        using K = Work::Kind;
        switch (work.kind) {
        case K::ReadFailed:
            fileDone(work, FileStatus::Failed, work.error);
            break;
        case K::Unsupported:
            addContent(work, FileStatus::Unsupported, work.error);
            break;
        case K::DecodeFailed:
            addContent(work, FileStatus::Failed, work.error);
            break;
        case K::Known: {
            auto status = m_database.contentStatus(work.sha256);
            if (!status)
                return Result<bool>::failure(status.error());
            ++m_outcome.alreadyScored;
            fileDone(work, status.value(), {});
            break;
        }
        case K::Cached:
            return scoreCached(work);
        case K::Duplicate: {
            auto resolved = m_resolved.find(work.sha256);
            if (resolved != m_resolved.end())
                fileDone(work, resolved->second.status, resolved->second.error);
            else
                m_waiting[work.sha256].push_back(std::move(work));
            break;
        }
        case K::Decoded:
            m_decoded.push_back(std::move(work));
            break;
        case K::Deferred:
            ++m_outcome.deferred; // left pending: the next run of this scan examines it
            ++m_done;
            break;
        case K::Stopped:
            break; // left pending: the next run examines it
        }
        return true;
    }

    // Scores the decoded images gathered so far: RINE's heads in one backbone pass (where RINE
    // runs), and records the SPAI scores they carry.
    Result<bool> infer()
    {
        if (m_decoded.empty())
            return true;
        for (const Work &work : m_decoded)
            if (work.spai)
                m_pendingPatches += work.spai->patches.size();
        if (m_detector && !scoreWithRine())
            return true; // the model failed: the files are recorded as failed
        for (Work &work : m_decoded) {
            addSpaiScore(work);
            addContent(work, work.warnings.empty() ? FileStatus::Scored : FileStatus::Degraded, {});
        }
        m_batch.imagesInferred += qint64(m_decoded.size());
        m_outcome.inferred += m_decoded.size();
        m_decoded.clear();
        return true;
    }

    // RINE's heads on the decoded images' crops, in one backbone pass: false when the model
    // failed (the files are then recorded as failed and let go).
    bool scoreWithRine()
    {
        std::vector<const std::uint8_t *> crops;
        for (const Work &work : m_decoded)
            for (const auto &crop : work.crops)
                crops.push_back(crop.data());
        auto features = m_detector->features(crops);
        Result<std::vector<std::vector<CropScore>>> scores =
            features ? m_detector->scoreFeatures(features.value())
                     : Result<std::vector<std::vector<CropScore>>>::failure(features.error());
        if (!scores) {
            // The model failed on this batch (out of memory on the device, say): the files
            // are recorded as failed with the reason, and no result is stored for them.
            for (Work &work : m_decoded)
                resolve(work, FileStatus::Failed, work.path + ": " + scores.error());
            m_decoded.clear();
            return false;
        }
        std::size_t next = 0;
        const std::size_t featureSize = std::size_t(features->blocks) * std::size_t(features->width);
        for (Work &work : m_decoded) {
            const std::size_t count = work.crops.size();
            for (std::size_t h = 0; h < m_heads.size(); ++h)
                addScore(work.sha256, h, combineCrops(scores.value()[h], next, count), false,
                         windowsScored(work.windows, scores.value()[h], next));
            if (m_request.cacheFeatures) {
                FeatureRecord record;
                record.sha256 = work.sha256;
                record.features.count = int(count);
                record.features.blocks = features->blocks;
                record.features.width = features->width;
                const auto first = features->values.begin() + std::ptrdiff_t(next * featureSize);
                record.features.values.assign(first, first + std::ptrdiff_t(count * featureSize));
                m_batch.features.push_back(std::move(record));
            }
            next += count;
        }
        return true;
    }

    Result<bool> commit()
    {
        if (m_batch.empty())
            return true;
        auto committed = m_database.commit(m_scanId, m_batch, m_backbone, m_preprocessing, m_runtime);
        if (!committed)
            return committed;
        m_done += m_pendingDone;
        m_pendingDone = 0;
        m_patchesDone += std::exchange(m_pendingPatches, 0);
        for (const FileUpdate &file : m_batch.files)
            m_committedFileIds.push_back(file.fileId);
        m_batch = CommitBatch{};
        return true;
    }

private:
    Result<bool> scoreCached(Work &work)
    {
        auto features = m_database.loadFeatures(work.sha256, m_backbone, m_preprocessing, m_runtime.precision);
        if (!features) {
            resolve(work, FileStatus::Failed, features.error());
            return true;
        }
        auto scores = m_detector->scoreFeatures(features.value());
        if (!scores) {
            resolve(work, FileStatus::Failed, work.path + ": " + scores.error());
            return true;
        }
        // TextureCrop: where the windows lay, as the scan that cached the features recorded them.
        std::vector<WindowScore> places;
        if (m_request.crop == CropMode::Texture) {
            auto recorded = m_database.windowPlaces(work.sha256, m_backbone, m_preprocessing, m_runtime.precision);
            if (recorded && recorded->size() == std::size_t(features->count))
                places = std::move(recorded.value());
        }
        for (std::size_t h = 0; h < m_heads.size(); ++h)
            addScore(work.sha256, h, combineCrops(scores.value()[h], 0, std::size_t(features->count)), true,
                     windowsScored(places, scores.value()[h], 0));
        auto status = m_database.contentStatus(work.sha256);
        ++m_outcome.fromCache;
        resolve(work, status ? status.value() : FileStatus::Scored, {});
        return true;
    }

    // The windows with one head's logit of each (their crops start at `first` in the batch).
    static std::vector<WindowScore> windowsScored(std::vector<WindowScore> windows, const std::vector<CropScore> &scores,
                                                  std::size_t first)
    {
        for (std::size_t w = 0; w < windows.size(); ++w)
            windows[w].logit = scores[first + w].logit;
        return windows;
    }

    void addSpaiScore(Work &work)
    {
        if (!work.spai)
            return;
        ScoreRecord record;
        record.detector = "spai";
        record.sha256 = work.sha256;
        record.headSha256 = m_spaiSha256;
        record.spaiPrecision = m_spaiPrecision;
        record.logit = work.spai->logit;
        record.probability = work.spai->probability;
        record.patches = std::move(work.spai->patches);
        m_batch.scores.push_back(std::move(record));
    }

    void addScore(const std::string &sha256, std::size_t head, const CropScore &score, bool fromCache,
                  std::vector<WindowScore> windows)
    {
        ScoreRecord record;
        record.windows = std::move(windows);
        record.sha256 = sha256;
        record.headSha256 = m_heads[head];
        record.logit = score.logit;
        record.probability = score.probability;
        record.contributions = score.contributions;
        record.fromCachedFeatures = fromCache;
        m_batch.scores.push_back(std::move(record));
    }

    void addContent(Work &work, FileStatus status, const std::string &error)
    {
        ContentRecord content;
        content.sha256 = work.sha256;
        content.size = work.size;
        content.format = work.format;
        content.width = work.width;
        content.height = work.height;
        content.status = status;
        content.warnings = work.warnings;
        content.error = error;
        m_batch.contents.push_back(std::move(content));
        resolve(work, status, error);
    }

    // Records the outcome for this file and every other path waiting on the same bytes.
    void resolve(Work &work, FileStatus status, const std::string &error)
    {
        fileDone(work, status, error);
        m_resolved[work.sha256] = {status, error};
        auto waiting = m_waiting.find(work.sha256);
        if (waiting == m_waiting.end())
            return;
        for (Work &other : waiting->second)
            fileDone(other, status, error);
        m_waiting.erase(waiting);
    }

    void fileDone(const Work &work, FileStatus status, const std::string &error)
    {
        m_batch.files.push_back({work.fileId, work.sha256, work.size, work.mtimeNs, status, error});
        ++m_pendingDone;
    }

    Detector *m_detector; // null: SPAI alone
    CaseDatabase &m_database;
    const qint64 m_scanId;
    const ScanRequest &m_request;
    ScanOutcome &m_outcome;
    const std::string m_spaiSha256; // empty: RINE only
    const std::string m_spaiPrecision;
    const std::string m_backbone, m_preprocessing;
    const ScanRuntime m_runtime;
    const std::vector<std::string> m_heads;
    std::vector<Work> m_decoded;
    CommitBatch m_batch;
    std::size_t m_pendingDone = 0, m_done = 0;
    std::size_t m_pendingPatches = 0, m_patchesDone = 0;
    std::vector<qint64> m_committedFileIds;
    std::unordered_map<std::string, Resolution> m_resolved;
    std::unordered_map<std::string, std::vector<Work>> m_waiting;
};

std::string absolutePath(const std::string &path)
{
    return QFileInfo(QString::fromStdString(path)).absoluteFilePath().toStdString();
}

} // namespace

int shardOf(const std::string &path, const std::vector<std::string> &roots, int count)
{
    if (count <= 1)
        return 0;
    // The longest root the path lies under; relative to it (or the root's own name).
    std::string relative = path;
    std::size_t best = 0;
    for (const std::string &root : roots) {
        if (root.empty() || root.size() < best)
            continue;
        if (path == root) {
            relative = path.substr(path.find_last_of('/') + 1);
            best = root.size();
        } else if (path.size() > root.size() && path.compare(0, root.size(), root) == 0
                   && (root.back() == '/' || path[root.size()] == '/')) {
            relative = path.substr(root.size() + (root.back() == '/' ? 0 : 1));
            best = root.size();
        }
    }
    const std::string digest = Sha256::hex(relative.data(), relative.size());
    std::uint64_t value = 0;
    for (int i = 0; i < 16; ++i) {
        const char c = digest[std::size_t(i)];
        value = (value << 4) | std::uint64_t(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return int(value % std::uint64_t(count));
}

Result<bool> caseOutsideRoots(const QString &casePath, const std::vector<std::string> &roots)
{
    // The case's folder exists (the case is created in it); the file itself may not yet.
    const QFileInfo caseFile(casePath);
    const QString folder = QFileInfo(caseFile.absolutePath()).canonicalFilePath();
    if (folder.isEmpty())
        return true; // no such folder: opening the case will say so
    for (const std::string &root : roots) {
        const QString canonical = QFileInfo(QString::fromStdString(root)).canonicalFilePath();
        if (canonical.isEmpty() || !QFileInfo(canonical).isDir())
            continue;
        if (folder == canonical || folder.startsWith(canonical + QLatin1Char('/')))
            return Result<bool>::failure(casePath.toStdString() + ": the case database would be inside " + root
                                         + ", the folder being scanned (it would list itself as evidence, and write "
                                           "into the evidence folder); keep the case elsewhere, e.g. --db ~/cases/"
                                         + caseFile.fileName().toStdString());
    }
    return true;
}

ScanRuntime scanRuntime(const ModelInfo &model)
{
    return {RINE_VERSION " (" RINE_GIT_DESCRIBE ")", model.libtorchVersion, opencvVersion(), qVersion(), model.device,
            model.backboneDtype, model.precision};
}

double spaiEtaSeconds(const SpaiEta &eta)
{
    if (eta.patchesScored == 0 || !(eta.seconds > 0))
        return -1;
    const double rate = double(eta.patchesScored) / eta.seconds;
    const bool inHand = eta.inHandPatches > 0;
    const std::size_t seen = eta.filesDone + (inHand ? 1 : 0); // files whose patches are known
    if (seen == 0)
        return -1;
    const double perFile = double(eta.patchesOfFilesDone + eta.inHandPatches) / double(seen);
    const double notBegun = eta.files > seen ? double(eta.files - seen) : 0.0;
    // Patches of images SPAI has finished whose files are not committed yet: already spent.
    const std::size_t accounted = eta.patchesOfFilesDone + eta.inHandScored;
    const double awaiting = eta.patchesScored > accounted ? double(eta.patchesScored - accounted) : 0.0;
    const double inHandLeft = inHand && eta.inHandPatches > eta.inHandScored
                                ? double(eta.inHandPatches - eta.inHandScored)
                                : 0.0;
    return (inHandLeft + std::max(0.0, notBegun * perFile - awaiting)) / rate;
}

ScanRuntime spaiScanRuntime(const SpaiDetector &spai)
{
    return {RINE_VERSION " (" RINE_GIT_DESCRIBE ")", libtorchVersion(), opencvVersion(), qVersion(), kSpaiDevice,
            spai.precision() == "bf16" ? "bfloat16" : "float32", spai.precision()};
}

ScanEngine::ScanEngine(Detector &detector, CaseDatabase &database, const SpaiDetector *spai)
    : m_detector(&detector), m_database(database), m_spai(spai)
{
}

ScanEngine::ScanEngine(const SpaiDetector &spai, CaseDatabase &database) : m_database(database), m_spai(&spai) {}

Result<ScanOutcome> ScanEngine::run(const ScanRequest &request, const std::atomic<bool> &cancel,
                                    const Progress &progress)
{
    using R = Result<ScanOutcome>;
    const auto started = Clock::now();
    ScanOutcome outcome;
    if (!m_detector && !m_spai)
        return R::failure("a scan needs a detector: RINE, SPAI or both");
    if (auto outside = caseOutsideRoots(m_database.path(), request.roots); !outside)
        return R::failure(outside.error());
    if (!m_detector && request.cacheFeatures)
        return R::failure("cached features are RINE's (its backbone's per-block tokens): a scan with SPAI alone has "
                          "none to keep; scan without caching, or with RINE too");

    ScanSettings settings;
    for (const std::string &root : request.roots)
        settings.roots.push_back(absolutePath(root));
    settings.walk = request.walk;
    std::vector<std::pair<std::string, std::string>> models;
    std::vector<std::string> modelPaths;
    ScanRuntime runtime;
    int inputSize = 0; // RINE's crops; none with SPAI alone
    if (m_detector) {
        const ModelInfo &model = m_detector->info();
        inputSize = model.inputSize;
        runtime = scanRuntime(model);
        settings.preprocessing = Preprocessing{request.crop, model.inputSize}.name();
        settings.backboneSha256 = model.backboneSha256;
        settings.precision = model.precision;
        models.emplace_back("backbone", model.backboneSha256);
        modelPaths.push_back(model.backbonePath);
        for (const HeadInfo &head : model.heads) {
            settings.headSha256s.push_back(head.sha256);
            models.emplace_back("head", head.sha256);
            modelPaths.push_back(head.path);
        }
    } else {
        // SPAI alone: no backbone or heads (an empty backbone hash, as SPAI's results have);
        // the scan's preprocessing, device and precision are SPAI's.
        runtime = spaiScanRuntime(*m_spai);
        settings.preprocessing = kSpaiPreprocessing;
        settings.precision = m_spai->precision();
    }
    if (m_spai) {
        if (m_database.formatVersion() < 6)
            return R::failure(m_database.path().toStdString() + ": a case of format "
                              + std::to_string(m_database.formatVersion()) + " cannot hold SPAI's results");
        settings.spaiSha256 = m_spai->sha256();
        settings.spaiPrecision = m_spai->precision();
        models.emplace_back("spai", m_spai->sha256());
        modelPaths.push_back(m_spai->path());
    }
    settings.maxFileBytes = request.limits.maxFileBytes;
    settings.maxPixels = request.limits.maxPixels;
    if (request.shardCount > 1) {
        if (request.shardIndex < 0 || request.shardIndex >= request.shardCount)
            return R::failure("shard " + std::to_string(request.shardIndex) + " of " + std::to_string(request.shardCount)
                              + " does not exist: shards are numbered 0 to " + std::to_string(request.shardCount - 1));
        settings.shardIndex = request.shardIndex;
        settings.shardCount = request.shardCount;
    }

    auto scan = m_database.beginScan(settings, runtime, models, modelPaths);
    if (!scan)
        return R::failure(scan.error());
    outcome.scanId = scan->id;
    outcome.resumed = scan->resumed;

    // Files whose decode killed an earlier run: failed, not decoded again.
    DecodeJournal journal(m_database.path().toStdString() + ".decoding");
    {
        std::map<qint64, CommitBatch> byScan;
        for (const DecodeJournal::Interrupted &file : journal.recover()) {
            FileUpdate update;
            update.fileId = file.fileId;
            update.sha256 = file.sha256.size() == 64 ? file.sha256 : std::string();
            update.status = FileStatus::Failed;
            update.error = "stopped the program twice while being decoded (the decoder crashed, or the program "
                           "was killed during its decode, each time); not decoded again";
            byScan[file.scanId].files.push_back(update);
        }
        for (const auto &[scanId, batch] : byScan)
            if (auto committed = m_database.commit(scanId, batch, settings.backboneSha256, settings.preprocessing,
                                                   runtime);
                !committed)
                return R::failure(committed.error());
        outcome.stoppedInDecode = 0;
        for (const auto &[scanId, batch] : byScan)
            outcome.stoppedInDecode += batch.files.size();
        if (const std::string error = journal.start(); !error.empty())
            return R::failure(error);
    }

    ScanProgress report;
    report.scanId = scan->id;
    auto stop = [&](std::size_t found) {
        if (progress) {
            report.found = found;
            progress(report);
        }
        return cancel.load();
    };
    WalkResult walked = FolderWalker(request.walk).walk(settings.roots, stop);
    if (settings.shardCount > 1)
        walked.files.erase(std::remove_if(walked.files.begin(), walked.files.end(),
                                          [&](const WalkEntry &entry) {
                                              return shardOf(entry.path, settings.roots, settings.shardCount)
                                                  != settings.shardIndex;
                                          }),
                           walked.files.end());
    outcome.listed = walked.files.size();
    outcome.walkEvents = walked.events.size();
    if (auto added = m_database.addWalkEvents(scan->id, walked.events); !added)
        return R::failure(added.error());
    auto fileSlots = m_database.registerFiles(scan->id, walked.files);
    if (!fileSlots)
        return R::failure(fileSlots.error());
    if (cancel.load()) {
        outcome.cancelled = true;
        m_database.finishScan(scan->id, QStringLiteral("cancelled"));
        return outcome;
    }

    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < walked.files.size(); ++i)
        if (fileSlots.value()[i].pending)
            todo.push_back(i);
    outcome.examined = todo.size();

    auto known = m_detector ? m_database.scoredContents(settings.backboneSha256, settings.headSha256s,
                                                        settings.preprocessing, settings.precision)
                            : Result<std::unordered_set<std::string>>(std::unordered_set<std::string>{});
    if (!known)
        return R::failure(known.error());
    // With SPAI, a content is known when SPAI has scored it too; RINE's cached features serve
    // only where SPAI has (the others are decoded for SPAI, and RINE runs on them again).
    std::unordered_set<std::string> spaiKnown;
    if (m_spai) {
        auto found = m_database.spaiScoredContents(settings.spaiSha256, settings.spaiPrecision);
        if (!found)
            return R::failure(found.error());
        spaiKnown = std::move(found.value());
        if (!m_detector)
            known.value() = spaiKnown;
        for (auto it = known->begin(); it != known->end();)
            it = spaiKnown.count(*it) ? std::next(it) : known->erase(it);
    }
    std::unordered_set<std::string> cached;
    if (request.cacheFeatures) {
        auto found = m_database.cachedFeatures(settings.backboneSha256, settings.preprocessing, settings.precision);
        if (!found)
            return R::failure(found.error());
        cached = std::move(found.value());
        if (m_spai)
            for (auto it = cached.begin(); it != cached.end();)
                it = spaiKnown.count(*it) ? std::next(it) : cached.erase(it);
    }
    SpaiRun spai;
    spai.detector = m_spai;
    spai.cancel = &cancel;

    // Stuck decodes count against this scan alone: another scan in the process (or an
    // earlier one whose crafted files are still being decoded) does not use up its budget.
    DecodeLimits limits = request.limits;
    if (!limits.budget)
        limits.budget = std::make_shared<DecodeBudget>();
    outcome.decodeBudget = limits.budget->capacity();
    const int overranBefore = limits.budget->overran();
    DecodeGate gate(limits, cancel);

    // Pool: read, hash, decode, crop; the queue holds a few batches' worth at most.
    const int batchSize = std::max(1, request.batchSize);
    int workers = request.workers;
    if (workers <= 0)
        workers = int(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
    BoundedQueue<Work> queue(std::size_t(2 * batchSize + workers));
    std::atomic<std::size_t> nextTodo{0};
    std::atomic<int> running{workers};
    std::unordered_set<std::string> claimed;
    std::mutex claimedMutex;
    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w) {
        pool.emplace_back([&] {
            for (;;) {
                const std::size_t next = nextTodo.fetch_add(1);
                if (next >= todo.size() || cancel.load())
                    break;
                const std::size_t index = todo[next];
                const WalkEntry &entry = walked.files[index];
                Work work;
                try {
                    work = examine(entry, fileSlots.value()[index].id, request, limits, gate, inputSize,
                                   known.value(), cached, claimed, claimedMutex, journal, scan->id, spai);
                } catch (const std::exception &e) {
                    // Out of memory on a huge image, say: this file fails, the scan goes on.
                    work = Work{};
                    work.fileId = fileSlots.value()[index].id;
                    work.path = entry.path;
                    work.size = entry.size;
                    work.mtimeNs = entry.mtimeNs;
                    work.error = entry.path + ": could not be examined: " + e.what();
                }
                if (!queue.push(std::move(work)))
                    break;
            }
            if (running.fetch_sub(1) == 1)
                queue.close();
        });
    }
    auto joinPool = [&] {
        queue.close();
        for (std::thread &thread : pool)
            thread.join();
    };

    Committer committer(m_detector, m_database, scan->id, request, outcome, settings, runtime);
    const auto scanStarted = Clock::now();
    report.phase = ScanProgress::Phase::Scanning;
    report.total = todo.size();
    auto lastTold = Clock::now();
    auto tell = [&] {
        if (!progress)
            return;
        lastTold = Clock::now();
        const double elapsed = std::chrono::duration<double>(lastTold - scanStarted).count();
        report.done = committer.done();
        report.committedFileIds = committer.takeCommittedFileIds();
        report.inferred = outcome.inferred;
        report.imagesPerSecond = elapsed > 0 ? double(outcome.inferred) / elapsed : 0;
        if (m_spai) {
            const SpaiRun::InHand inHand = spai.inHand();
            SpaiEta eta;
            eta.files = report.total;
            eta.filesDone = report.done;
            eta.patchesOfFilesDone = committer.spaiPatchesDone();
            eta.patchesScored = spai.scored.load();
            eta.inHandScored = inHand.scored;
            eta.inHandPatches = inHand.total;
            eta.seconds = elapsed;
            report.spaiPatches = eta.patchesScored;
            report.spaiPatchesPerSecond = elapsed > 0 ? double(eta.patchesScored) / elapsed : 0;
            report.spaiImageScored = inHand.scored;
            report.spaiImagePatches = inHand.total;
            report.etaSeconds = spaiEtaSeconds(eta);
        } else {
            report.etaSeconds = report.done > 0 && elapsed > 0
                                  ? double(report.total - report.done) * elapsed / double(report.done)
                                  : -1;
        }
        progress(report);
    };
    tell();

    Result<bool> failed = true;
    while (failed && !cancel.load()) {
        std::optional<Work> work = queue.pop(std::chrono::milliseconds(200));
        if (!work) {
            if (queue.drained())
                break;
            // SPAI on a large image holds the queue empty for minutes: its patches still move
            // the progress, once a second.
            if (m_spai && Clock::now() - lastTold >= std::chrono::seconds(1))
                tell();
            continue;
        }
        failed = committer.take(std::move(*work));
        if (failed && committer.batchFull()) {
            failed = committer.infer();
            if (failed)
                failed = committer.commit();
            tell();
        } else if (failed && committer.commitDue()) {
            failed = committer.commit();
            tell();
        }
    }
    // Cancelled: what is already decided is committed; the images gathered for the next
    // batch are left pending for the next run. Otherwise: the last, partial batch.
    if (failed && !cancel.load())
        failed = committer.infer();
    if (failed)
        failed = committer.commit();
    joinPool();
    journal.finish(); // every decode begun has ended
    tell();
    if (!failed)
        return R::failure(failed.error());

    outcome.cancelled = cancel.load();
    outcome.decodesOverTime = std::size_t(limits.budget->overran() - overranBefore);
    outcome.decodesStillRunning = std::size_t(limits.budget->stuck());
    // Deferred files are still pending: the scan is left incomplete, and the next run of the
    // same scan examines them (then also fails the files no longer found).
    const bool incomplete = !outcome.cancelled && outcome.deferred > 0;
    if (!outcome.cancelled && !incomplete) {
        if (auto unfound = m_database.failUnfoundFiles(scan->id); !unfound)
            return R::failure(unfound.error());
    }
    const QJsonObject decoding{{QStringLiteral("time_limit_s"), limits.timeoutSeconds},
                               {QStringLiteral("stuck_budget"), outcome.decodeBudget},
                               {QStringLiteral("over_time"), qint64(outcome.decodesOverTime)},
                               {QStringLiteral("still_running"), qint64(outcome.decodesStillRunning)},
                               {QStringLiteral("deferred"), qint64(outcome.deferred)}};
    if (auto finished = m_database.finishScan(scan->id,
                                              outcome.cancelled ? QStringLiteral("cancelled")
                                              : incomplete      ? QStringLiteral("incomplete")
                                                                : QStringLiteral("completed"),
                                              QJsonObject{{QStringLiteral("decoding"), decoding}});
        !finished)
        return R::failure(finished.error());
    auto counts = m_database.statusCounts(scan->id);
    if (counts)
        outcome.statusCounts = counts.value();
    outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return outcome;
}

} // namespace rine
