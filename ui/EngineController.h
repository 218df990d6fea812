#pragma once

#include "EngineTypes.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

namespace rine {

class EngineWorker;
class ModelsWorker;

// Owns the engine's worker threads and is the GUI's only way to them. The scan lane runs
// scans and holds the open case; the Inspect lane loads models, inspects images and scores
// tile maps, so that an image can be inspected while a folder is being scanned (forward
// passes of the shared detector take turns). Requests go out as queued calls, results come
// back as queued signals carrying value types; the destructor cancels, quits and waits.
class EngineController : public QObject {
    Q_OBJECT

public:
    explicit EngineController(QObject *parent = nullptr);
    ~EngineController() override;

    void loadModel(const ModelRequest &request);
    void importBackbone(const QString &path);
    void openCase(const QString &path, bool adopt = false);
    // PDF report and CSV/JSON exports of the open case, on the scan lane (which holds the case).
    void writeReport(const ReportRequest &request);
    void cancelReport() { m_cancelReport = true; }
    bool reportRunning() const { return m_reportRunning; }
    void startScan(const ScanJob &job);
    // Each returns the job's id (carried by its results), or 0 when no model is loaded.
    int inspect(InspectJob job);
    int scoreTiles(TileJob job);
    int sweep(SweepJob job);

    void cancelScan() { m_cancelScan = true; }
    void cancelTiles() { m_cancelTiles = true; }
    void cancelSweep() { m_cancelSweep = true; }

    // The model folder (Models page), on a third thread: downloads and hashing take long.
    void listModels();
    void fetchModel(const QString &name, const QString &url = {});
    void cancelFetch();
    void verifyModel(const QString &name);
    void importModel(const QString &path, const QString &name);
    void removeModel(const QString &name);
    bool modelsBusy() const { return m_modelsBusy > 0; }
    bool fetchRunning() const { return m_fetchRunning; }

    // Training (the wizard), on a fourth thread: the features go through the shared
    // detector (taking turns with the other lanes), the head trains on its own.
    void surveyTraining(const QString &root, const QStringList &classes);
    int startTraining(TrainingJob job); // 0 when no model is loaded or a run is going
    // A trained head measured on test sets (per generator; session/Evaluation.h, as rine-cli
    // evaluate), recorded in its model card; on the training thread, reported as
    // TrainingUpdates with testEvaluation set.
    int evaluateTrainedHead(const QString &headPath, const QString &cardPath, const QString &testRoot, CropMode crop,
                            double threshold, int batchSize);
    void cancelTraining() { m_cancelTraining = true; }
    bool trainingRunning() const { return m_trainingRunning; }

    bool hasModel() const { return bool(m_detector); }
    const ModelInfo &modelInfo() const { return m_info; }
    bool scanRunning() const { return m_scanRunning; }
    bool tilesRunning() const { return m_tilesRunning; }
    bool sweepRunning() const { return m_sweepRunning; }
    bool loadingModel() const { return m_loadingModel; }
    bool busy() const
    {
        return m_scanRunning || m_tilesRunning || m_sweepRunning || m_loadingModel || m_reportRunning || m_inspecting > 0
            || m_trainingRunning;
    }

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
    void modelsListed(const rine::ModelsState &state);
    void fetchProgress(const rine::FetchProgress &progress);
    void modelActionDone(const rine::ModelAction &action);
    void reportProgress(const QString &stage, int done, int total);
    void reportWritten(const rine::ReportOutcome &outcome, const QString &error);
    void trainingSurveyed(const rine::TrainingSurvey &survey);
    void trainingProgress(const rine::TrainingUpdate &update);
    void idle(); // no job is running any more

private:
    void checkIdle();
    // Runs work on the training thread; its events reach the GUI as trainingProgress updates
    // (steps at most every 150 ms), and the update it returns ends the job.
    void runTrainingJob(int id, bool testEvaluation, std::function<TrainingUpdate(const TrainingEvents &)> work);

    std::atomic<bool> m_cancelScan{false}, m_cancelTiles{false}, m_cancelReport{false}, m_cancelSweep{false},
        m_cancelTraining{false};
    QThread m_scanThread, m_inspectThread, m_modelsThread, m_trainingThread;
    QObject *m_trainingContext = nullptr; // lives on m_trainingThread: training jobs run in its event loop
    bool m_trainingRunning = false;
    EngineWorker *m_scanWorker = nullptr;
    EngineWorker *m_inspectWorker = nullptr;
    ModelsWorker *m_modelsWorker = nullptr;
    int m_modelsBusy = 0; // model-folder actions queued or running
    bool m_fetchRunning = false;
    std::shared_ptr<Detector> m_detector;
    ModelInfo m_info;
    bool m_scanRunning = false, m_tilesRunning = false, m_sweepRunning = false, m_loadingModel = false, m_reportRunning = false;
    int m_inspecting = 0; // Inspect jobs queued or running
    int m_nextJob = 0;
};

} // namespace rine
