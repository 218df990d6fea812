#pragma once

#include "EngineTypes.h"
#include "session/CaseSession.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace rine {

// The engine's side of the GUI: lives on a worker thread (EngineController), runs one job
// at a time, and reports through queued signals carrying value types. Nothing here touches a
// widget. Each job calls its use case in core/session; the scan lane's worker also holds the
// open case session (its database is used from one thread).
class EngineWorker : public QObject {
    Q_OBJECT

public:
    EngineWorker(const std::atomic<bool> &cancelScan, const std::atomic<bool> &cancelTiles,
                 const std::atomic<bool> &cancelReport, const std::atomic<bool> &cancelSweep);
    ~EngineWorker() override;

    // Jobs: called on the worker's thread (queued by the controller).
    void loadModel(const rine::ModelRequest &request);
    void importBackbone(const QString &path);
    void openCase(const QString &path, bool adopt = false);
    void runScan(const rine::ScanJob &job, const std::shared_ptr<rine::Detector> &detector);
    void inspect(const rine::InspectJob &job, const std::shared_ptr<rine::Detector> &detector);
    void scoreTiles(const rine::TileJob &job, const std::shared_ptr<rine::Detector> &detector);
    void sweep(const rine::SweepJob &job, const std::shared_ptr<rine::Detector> &detector);
    void closeCase();
    void writeReport(const rine::ReportRequest &request, const std::shared_ptr<rine::Detector> &detector);

signals:
    void modelLoaded(const rine::ModelLoadResult &result);
    void backboneImported(const QString &path, const QString &error);
    void caseOpened(const rine::CaseRows &rows);
    void caseFailed(const QString &error);
    void scanProgress(const rine::ScanProgress &progress);
    void rowsChanged(const rine::CaseRows &rows);
    void scanFinished(const rine::ScanFinished &finished);
    void inspected(const rine::InspectResult &result);
    void tilesProgress(const rine::TileUpdate &update);
    void sweepProgress(const rine::SweepUpdate &update);
    void reportProgress(const QString &stage, int done, int total);
    void reportWritten(const rine::ReportOutcome &outcome, const QString &error);

private:
    QString useCase(const QString &path, bool create, const QString &caseName, bool adopt = false);
    void emitAllRows(qint64 scanId);

    const std::atomic<bool> &m_cancelScan;
    const std::atomic<bool> &m_cancelTiles;
    const std::atomic<bool> &m_cancelReport;
    const std::atomic<bool> &m_cancelSweep;
    std::unique_ptr<CaseSession> m_case; // the open case (and its lock while it is written)
};

} // namespace rine
