#include "EngineWorker.h"

#include "report/Pictures.h"
#include "catalog/ModelStore.h"
#include "session/ImageAnalysis.h"
#include "util/QtStrings.h"

#include <QElapsedTimer>
#include <QFileInfo>

#include <algorithm>
#include <cstring>
#include <exception>

namespace rine {

namespace {


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
    ModelLoad loaded = loadModels(request);
    ModelLoadResult result;
    result.request = request;
    result.error = loaded.error;
    result.untrusted = std::move(loaded.untrusted);
    if (!result.untrusted.empty())
        result.error = tr("%n weight file(s) are not in the model manifest and have not been trusted.", nullptr,
                          int(result.untrusted.size()));
    if (loaded.detector) {
        result.info = loaded.detector->info();
        result.detector = std::shared_ptr<Detector>(std::move(loaded.detector));
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
    if (m_case && m_case->writable() && m_case->path() == absolute)
        return {};
    closeCase();
    auto session = CaseSession::open(absolute, adopt ? CaseSession::Access::Adopt : CaseSession::Access::Write,
                                     {create, caseName});
    if (!session)
        return q(session.error());
    m_case = std::move(session.value());
    return {};
}

void EngineWorker::closeCase() { m_case.reset(); }

void EngineWorker::emitAllRows(qint64 scanId)
{
    CaseDatabase &database = m_case->database();
    CaseRows rows;
    rows.casePath = database.path();
    rows.caseName = database.caseName();
    rows.readOnly = m_case->writable() ? QString() : m_case->readOnlyReason();
    rows.scanId = scanId;
    if (scanId > 0) {
        auto summary = database.scanSummary(scanId);
        auto reports = database.fileReports(scanId);
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
        auto outcome = CaseReport::write(m_case->database(), request, detector, m_cancelReport,
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
        // A case received from elsewhere, or altered, stays read-only (and unlocked: nothing
        // here writes to it) until the user adopts it.
        closeCase();
        auto session = CaseSession::openForUse(path, adopt);
        if (!session) {
            emit caseFailed(q(session.error()));
            return;
        }
        m_case = std::move(session.value());
        auto scans = m_case->database().scans();
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
        ScanEngine engine(*detector, m_case->database());
        QElapsedTimer sinceReport;
        sinceReport.start();
        const QStringList heads = [&] {
            QStringList out;
            for (const HeadInfo &head : detector->info().heads)
                out << q(head.sha256);
            return out;
        }();
        const QString preprocessing = q(Preprocessing{job.crop, detector->info().inputSize}.name());
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
            auto reports = m_case->database().fileReports(progress.scanId, progress.committedFileIds);
            if (!reports)
                return; // the final reload shows them
            CaseRows rows;
            rows.casePath = m_case->database().path();
            rows.caseName = m_case->database().caseName();
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
        const ImageAnalysis analysis = analyseImage(detector.get(), toStd(job.path), job.crop);
        const EvidenceImage &image = analysis.image;
        result.sha256 = q(image.sha256);
        result.size = qint64(image.size);
        result.facts = image.facts;
        if (!image.decoded) {
            result.error = q(image.error);
            emit inspected(result);
            return;
        }
        const DecodedImage &decoded = *image.decoded;
        result.format = q(decoded.format);
        result.jpegQuality = decoded.jpegQuality;
        result.jpegQualityExact = decoded.jpegQualityExact;
        result.width = decoded.width;
        result.height = decoded.height;
        for (const std::string &warning : decoded.warnings)
            result.warnings << q(warning);

        // Shown upright, as a viewer shows it; analysed as stored, as the reference does.
        const QImage stored = toQImage(decoded.rgb);
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
        result.regions = analysis.regions;
        if (!analysis.scoreError.empty()) {
            result.scoreError = q(analysis.scoreError);
        } else if (!analysis.headScores.empty()) {
            result.scored = true;
            result.score = analysis.headScores.front();
            result.headSha256 = q(detector->info().heads.front().sha256);
            result.importance = detector->info().heads.front().blockImportance;
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
        QElapsedTimer sinceReport;
        sinceReport.start();
        auto scores = tileMap(*detector, toStd(job.path), toStd(job.sha256), job.batchSize, m_cancelTiles,
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
        auto result = robustnessSweep(*detector, options, toStd(job.path), job.plan, toStd(job.sha256));
        if (!result) {
            update.error = q(result.error());
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
