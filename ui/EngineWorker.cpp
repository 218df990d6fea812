#include "EngineWorker.h"

#include "report/Pictures.h"
#include "report/ScanExport.h"
#include "scoring/ModelLocator.h"
#include "scoring/ModelStore.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLockFile>

#include <algorithm>
#include <cstring>
#include <exception>

namespace rine {

namespace {

QString q(const std::string &text) { return QString::fromStdString(text); }

QImage cropPicture(const std::vector<std::uint8_t> &crop, int side)
{
    if (side < 1 || crop.size() != std::size_t(side) * std::size_t(side) * 3)
        return {};
    return QImage(crop.data(), side, side, side * 3, QImage::Format_RGB888).copy();
}

} // namespace

EngineWorker::EngineWorker(const std::atomic<bool> &cancelScan, const std::atomic<bool> &cancelTiles,
                           const std::atomic<bool> &cancelReport, const std::atomic<bool> &cancelSweep)
    : m_cancelScan(cancelScan), m_cancelTiles(cancelTiles), m_cancelReport(cancelReport), m_cancelSweep(cancelSweep)
{
}

EngineWorker::~EngineWorker() = default;

void EngineWorker::loadModel(const ModelRequest &request)
{
    ModelLoadResult result;
    result.request = request;
    try {
        // The trust decision is made on each file's hash before anything parses it.
        ModelStore store;
        QStringList files{request.backbone};
        files += request.heads;
        for (const QString &file : files) {
            if (!QFileInfo::exists(file)) {
                result.error = file == request.backbone ? ModelLocator::missingBackboneMessage(file)
                                                        : tr("%1: the head file does not exist").arg(file);
                emit modelLoaded(result);
                return;
            }
            auto sha = sha256OfFile(file);
            if (!sha) {
                result.error = q(sha.error());
                emit modelLoaded(result);
                return;
            }
            auto allowed = store.allowed(file, sha.value());
            if (allowed)
                continue;
            if (!request.trustUnlisted) {
                result.untrusted.push_back({QFileInfo(file).absoluteFilePath(), sha.value(), q(allowed.error())});
                continue;
            }
            auto recorded = store.trust({sha.value(), QFileInfo(file).absoluteFilePath(),
                                         QStringLiteral("trusted by the user (RINE Studio dialog)"),
                                         QDateTime::currentDateTimeUtc().toString(Qt::ISODate)});
            if (!recorded) {
                result.error = q(recorded.error());
                emit modelLoaded(result);
                return;
            }
        }
        if (!result.untrusted.isEmpty()) {
            result.error = tr("%n weight file(s) are not in the model manifest and have not been trusted.", nullptr,
                              int(result.untrusted.size()));
            emit modelLoaded(result);
            return;
        }
        DetectorOptions options;
        options.backbonePath = request.backbone.toStdString();
        for (const QString &head : request.heads)
            options.headPaths.push_back(head.toStdString());
        options.device = request.device;
        auto detector = Detector::load(options);
        if (!detector) {
            result.error = q(detector.error());
        } else {
            result.info = detector.value()->info();
            result.detector = std::shared_ptr<Detector>(std::move(detector.value()));
        }
    } catch (const std::exception &e) {
        result.error = tr("loading the model failed: %1").arg(QString::fromLocal8Bit(e.what()));
    }
    emit modelLoaded(result);
}

void EngineWorker::importBackbone(const QString &path)
{
    ModelStore store;
    auto imported = store.import(path, ModelLocator::knownBackbone());
    emit backboneImported(imported ? imported.value() : QString(), imported ? QString() : q(imported.error()));
}

QString EngineWorker::useCase(const QString &path, bool create, const QString &caseName, bool adopt)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    if (m_case && !m_case->readOnly() && QFileInfo(m_case->path()).absoluteFilePath() == absolute)
        return {};
    closeCase();
    // The same lock rine-cli scan takes: one writer per case.
    auto lock = std::make_unique<QLockFile>(absolute + QStringLiteral(".lock"));
    lock->setStaleLockTime(0);
    if (!lock->tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        lock->getLockInfo(&pid, &host, &app);
        return tr("%1 is in use by another scan (%2, process %3); wait for it to finish or open another case")
            .arg(absolute, app)
            .arg(pid);
    }
    auto database = CaseDatabase::open(absolute, create ? CaseDatabase::Mode::OpenOrCreate : CaseDatabase::Mode::OpenExisting,
                                       caseName, adopt);
    if (!database)
        return q(database.error());
    m_case = std::move(database.value());
    m_lock = std::move(lock);
    m_readOnly.clear();
    return {};
}

void EngineWorker::closeCase()
{
    m_case.reset();
    m_lock.reset();
}

void EngineWorker::emitAllRows(qint64 scanId)
{
    CaseRows rows;
    rows.casePath = m_case->path();
    rows.caseName = m_case->caseName();
    rows.readOnly = m_case->readOnly() ? m_readOnly : QString();
    rows.scanId = scanId;
    if (scanId > 0) {
        auto summary = m_case->scanSummary(scanId);
        auto reports = m_case->fileReports(scanId);
        if (!summary || !reports) {
            emit caseFailed(q(!summary ? summary.error() : reports.error()));
            return;
        }
        rows.preprocessing = summary->preprocessing;
        rows.headSha256s = summary->headSha256s;
        rows.rows = std::move(reports.value());
    }
    emit caseOpened(rows);
}

void EngineWorker::writeReport(const ReportRequest &request, const std::shared_ptr<Detector> &detector)
{
    if (!m_case) {
        emit reportWritten({}, tr("no case is open"));
        return;
    }
    try {
        auto outcome = CaseReport::write(*m_case, request, detector, m_cancelReport,
                                         [this](const QString &stage, int done, int total) {
                                             emit reportProgress(stage, done, total);
                                         });
        emit reportWritten(outcome ? outcome.value() : ReportOutcome{}, outcome ? QString() : q(outcome.error()));
    } catch (const std::exception &e) {
        emit reportWritten({}, tr("the report could not be written: %1").arg(QString::fromLocal8Bit(e.what())));
    }
}

void EngineWorker::openCase(const QString &path, bool adopt)
{
    try {
        // Read first: a case received from elsewhere, or altered, stays read-only (and unlocked:
        // nothing here writes to it) until the user adopts it.
        QString readOnly;
        if (!adopt) {
            closeCase();
            auto read = CaseDatabase::open(QFileInfo(path).absoluteFilePath(), CaseDatabase::Mode::ReadOnly);
            if (!read) {
                emit caseFailed(q(read.error()));
                return;
            }
            readOnly = read.value()->whyNotWritable();
            if (!readOnly.isEmpty())
                m_case = std::move(read.value());
        }
        if (readOnly.isEmpty()) {
            if (QString error = useCase(path, false, {}, adopt); !error.isEmpty()) {
                emit caseFailed(error);
                return;
            }
        }
        m_readOnly = readOnly;
        auto scans = m_case->scans();
        if (!scans) {
            emit caseFailed(q(scans.error()));
            return;
        }
        emitAllRows(scans->empty() ? 0 : scans->back().id);
    } catch (const std::exception &e) {
        emit caseFailed(tr("%1: cannot be opened: %2").arg(path, QString::fromLocal8Bit(e.what())));
    }
}

void EngineWorker::runScan(const ScanJob &job, const std::shared_ptr<Detector> &detector)
{
    ScanFinished finished;
    try {
        const QString caseName = job.roots.isEmpty() ? QString() : QFileInfo(job.roots.first()).fileName();
        if (QString error = useCase(job.casePath, true, caseName); !error.isEmpty()) {
            finished.error = error;
            emit scanFinished(finished);
            return;
        }
        ScanRequest request;
        for (const QString &root : job.roots)
            request.roots.push_back(root.toStdString());
        request.crop = job.crop;
        request.batchSize = job.batchSize;
        ScanEngine engine(*detector, *m_case);
        QElapsedTimer sinceReport;
        sinceReport.start();
        const QStringList heads = [&] {
            QStringList out;
            for (const HeadInfo &head : detector->info().heads)
                out << q(head.sha256);
            return out;
        }();
        const QString preprocessing = q(preprocessingName(job.crop, detector->info().inputSize));
        auto outcome = engine.run(request, m_cancelScan, [&](const ScanProgress &progress) {
            // The walk reports every file it finds: a few reports a second are enough.
            if (progress.phase == ScanProgress::Phase::Walking && sinceReport.elapsed() < 100)
                return;
            sinceReport.restart();
            ScanProgress report = progress;
            report.committedFileIds.clear();
            emit scanProgress(report);
            if (progress.committedFileIds.empty())
                return;
            auto reports = m_case->fileReports(progress.scanId, progress.committedFileIds);
            if (!reports)
                return; // the final reload shows them
            CaseRows rows;
            rows.casePath = m_case->path();
            rows.caseName = m_case->caseName();
            rows.scanId = progress.scanId;
            rows.preprocessing = preprocessing;
            rows.headSha256s = heads;
            rows.rows = std::move(reports.value());
            rows.replace = false;
            emit rowsChanged(rows);
        });
        if (!outcome) {
            finished.error = q(outcome.error());
        } else {
            finished.outcome = outcome.value();
            emitAllRows(outcome->scanId);
        }
    } catch (const std::exception &e) {
        finished.error = tr("the scan stopped: %1").arg(QString::fromLocal8Bit(e.what()));
    }
    emit scanFinished(finished);
}

void EngineWorker::inspect(const InspectJob &job, const std::shared_ptr<Detector> &detector)
{
    InspectResult result;
    result.id = job.id;
    result.path = job.path;
    try {
        FileBytes bytes;
        auto decoded = readImage(job.path.toStdString(), bytes, DecodeLimits{});
        result.sha256 = q(bytes.sha256);
        result.size = qint64(bytes.data.size());
        if (!bytes.data.empty())
            result.facts = readImageFacts(bytes.data.data(), bytes.data.size());
        if (!decoded) {
            result.error = q(decoded.error());
            emit inspected(result);
            return;
        }
        result.format = q(decoded->format);
        result.jpegQuality = decoded->jpegQuality;
        result.jpegQualityExact = decoded->jpegQualityExact;
        result.width = decoded->width;
        result.height = decoded->height;
        for (const std::string &warning : decoded->warnings)
            result.warnings << q(warning);

        // Shown upright, as a viewer shows it; analysed as stored, as the reference does.
        const QImage stored = toQImage(decoded->rgb);
        result.toDisplay = uprightTransform(result.facts.orientation, stored.width(), stored.height());
        QImage display = stored.transformed(result.toDisplay);
        const int longest = std::max(display.width(), display.height());
        if (longest > job.displayLimit) {
            const QSize before = display.size();
            display = display.scaled(before * (double(job.displayLimit) / longest), Qt::KeepAspectRatio,
                                     Qt::SmoothTransformation);
            result.toDisplay *= QTransform::fromScale(double(display.width()) / before.width(),
                                                      double(display.height()) / before.height());
        }
        result.display = display;

        const ModelInfo &info = detector->info();
        result.regions = job.crop == CropMode::Ten ? tenCropRegions(decoded->width, decoded->height, info.inputSize)
                                                   : std::vector<CropRegion>{centerCropRegion(decoded->width, decoded->height, info.inputSize)};
        const auto crops = cropsFor(decoded->rgb, job.crop, info.inputSize);
        std::vector<const std::uint8_t *> pointers;
        for (const auto &crop : crops)
            pointers.push_back(crop.data());
        auto scores = detector->score(pointers);
        if (!scores) {
            result.scoreError = q(scores.error());
        } else {
            result.scored = true;
            result.score = combineCrops(scores.value(), 0, scores->size());
            result.headSha256 = q(info.heads.front().sha256);
            result.importance = info.heads.front().blockImportance;
        }
    } catch (const std::exception &e) {
        result.error = tr("%1: could not be examined: %2").arg(job.path, QString::fromLocal8Bit(e.what()));
    }
    emit inspected(result);
}

void EngineWorker::scoreTiles(const TileJob &job, const std::shared_ptr<Detector> &detector)
{
    TileUpdate update;
    update.id = job.id;
    try {
        FileBytes bytes;
        auto decoded = readImage(job.path.toStdString(), bytes, DecodeLimits{});
        if (!decoded) {
            update.error = q(decoded.error());
        } else if (q(bytes.sha256) != job.sha256) {
            update.error = tr("%1: the file's bytes changed since it was opened (SHA-256 %2, was %3); open it again")
                               .arg(job.path, q(bytes.sha256).left(16), job.sha256.left(16));
        } else {
            QElapsedTimer sinceReport;
            sinceReport.start();
            auto scores = rine::scoreTiles(*detector, decoded->rgb, job.batchSize, m_cancelTiles,
                                           [&](const TileScores &partial) {
                                               if (sinceReport.elapsed() < 100)
                                                   return;
                                               sinceReport.restart();
                                               TileUpdate progress;
                                               progress.id = job.id;
                                               progress.scores = partial;
                                               emit tilesProgress(progress);
                                           });
            if (!scores)
                update.error = q(scores.error());
            else
                update.scores = scores.value();
        }
    } catch (const std::exception &e) {
        update.error = tr("%1: tiles could not be scored: %2").arg(job.path, QString::fromLocal8Bit(e.what()));
    }
    update.finished = true;
    emit tilesProgress(update);
}

void EngineWorker::sweep(const SweepJob &job, const std::shared_ptr<Detector> &detector)
{
    SweepUpdate update;
    update.id = job.id;
    try {
        RobustnessSweep::Options options;
        options.threshold = job.threshold;
        options.batchSize = job.batchSize;
        options.seed = job.seed;
        options.keepCrops = true;
        options.cancel = &m_cancelSweep;
        QElapsedTimer sinceReport;
        sinceReport.start();
        options.progress = [&](int done, int total) {
            if (sinceReport.elapsed() < 100 && done < total)
                return;
            sinceReport.restart();
            SweepUpdate progress;
            progress.id = job.id;
            progress.done = done;
            progress.total = total;
            emit sweepProgress(progress);
        };
        auto result = RobustnessSweep(*detector, options).run(job.path.toStdString(), job.plan);
        if (!result) {
            update.error = q(result.error());
        } else if (q(result->sha256) != job.sha256) {
            update.error = tr("%1: the file's bytes changed since it was opened (SHA-256 %2, was %3); open it again")
                               .arg(job.path, q(result->sha256).left(16), job.sha256.left(16));
        } else {
            SweepResult &r = result.value();
            update.baseline = cropPicture(r.baselineCrop, r.cropSize);
            r.baselineCrop = {};
            for (SweepSeries &series : r.series) {
                QList<QImage> pictures;
                for (SweepPoint &point : series.points) {
                    pictures << cropPicture(point.crop, r.cropSize);
                    point.crop = {}; // the pictures hold them now
                }
                update.previews << pictures;
            }
            update.result = std::move(r);
        }
    } catch (const std::exception &e) {
        update.error = tr("%1: the robustness sweep failed: %2").arg(job.path, QString::fromLocal8Bit(e.what()));
    }
    update.finished = true;
    emit sweepProgress(update);
}

} // namespace rine
