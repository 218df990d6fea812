#pragma once

#include "EngineTypes.h"
#include "Job.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>

namespace rine {

class CaseSession;
class ModelsWorker;

// Holds the engine's threads, one per resource, and hands out jobs (ui/Job.h) that run on
// them; the page that asks for a job connects to it. The threads:
// - the case ("rine-case"): the open case's CaseSession (used from this thread only): open,
//   scan, report;
// - the detector ("rine-detector"): model loading, Inspect, tile maps, robustness sweeps;
// - training ("rine-training"): the wizard's survey, training runs and test-set evaluation,
//   which take hours and must not hold up Inspect;
// - the model folder and the network ("rine-models"): list, download, verify, import, remove.
// The detector is shared by the scan, Inspect and training threads: its forward passes take
// turns, so an image can be inspected while a folder is being scanned. The destructor cancels
// every job, then quits and waits for the threads.
class EngineController : public QObject {
    Q_OBJECT

public:
    explicit EngineController(QObject *parent = nullptr);
    ~EngineController() override;

    // Each returns the job, or nullptr when it cannot start (no model, or one of its kind that
    // allows one at a time is running).
    Job *loadModel(const ModelRequest &request);
    Job *inspect(const InspectParams &params);
    Job *tileMap(const TileParams &params);
    Job *sweep(const SweepParams &params);
    Job *openCase(const QString &path, bool adopt = false);
    Job *scan(const ScanParams &params);
    Job *writeReport(const ReportRequest &request); // PDF report and CSV/JSON exports of the open case
    Job *surveyTraining(const QString &root, const QStringList &classes);
    Job *train(const TrainingParams &params);
    // A trained head measured on test sets (per generator; session/Evaluation.h, as rine-cli
    // evaluate), recorded in its model card.
    Job *evaluateTrainedHead(const QString &headPath, const QString &cardPath, const QString &testRoot, CropMode crop,
                             double threshold, int batchSize);
    Job *importBackbone(const QString &path);
    // trust: the user pinned a mirror's copy of a model with no published SHA-256 (ModelStore::mayFetch).
    Job *fetchModel(const QString &name, const QString &url = {}, bool trust = false);
    Job *verifyModel(const QString &name);
    Job *importModel(const QString &path, const QString &name, bool trust);
    Job *removeModel(const QString &name);
    void listModels(); // the state arrives as modelsChanged

    // A detector is loaded: RINE, SPAI or both (SPAI alone: hasRine() is false, and only SPAI's
    // jobs run: scan, inspect, a SPAI sweep).
    bool hasModel() const { return m_detector || m_spai; }
    bool hasRine() const { return bool(m_detector); }
    const ModelInfo &modelInfo() const { return m_info; }
    // SPAI, when the last load asked for it (Settings); null otherwise.
    const std::shared_ptr<const SpaiDetector> &spai() const { return m_spai; }
    // The running job of a kind (the latest started), or nullptr.
    Job *running(Job::Kind kind) const;
    bool busy() const { return !m_running.isEmpty(); }
    bool modelsBusy() const { return running(Job::Kind::ModelAction) || running(Job::Kind::ImportBackbone); }
    void cancelAll();

signals:
    void jobStarted(rine::Job *job);
    void modelsChanged(const rine::ModelsState &state);
    void idle(); // no job is running any more

private:
    enum class Lane { Case, Detector, Training, Models };
    // Makes the job, tracks it until it has ended, and runs work on the lane's thread.
    Job *start(Job::Kind kind, Lane lane, std::function<void(const Job::Reporter &)> work);
    QObject *context(Lane lane) const;
    Job *modelsJob(std::function<void(ModelsWorker *, const Job::Reporter &)> action);

    QThread m_caseThread, m_detectorThread, m_trainingThread, m_modelsThread;
    QObject *m_caseContext = nullptr, *m_detectorContext = nullptr, *m_trainingContext = nullptr;
    ModelsWorker *m_modelsWorker = nullptr; // lives on m_modelsThread
    std::unique_ptr<CaseSession> m_case; // used on m_caseThread only
    std::shared_ptr<Detector> m_detector;
    std::shared_ptr<const SpaiDetector> m_spai;
    ModelInfo m_info;
    QList<QPointer<Job>> m_running;
};

} // namespace rine
