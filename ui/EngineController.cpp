#include "EngineController.h"

#include "session/Evaluation.h"

#include "EngineWorker.h"
#include "ModelsWorker.h"

#include <QElapsedTimer>

namespace rine {

EngineController::EngineController(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<ModelRequest>();
    qRegisterMetaType<ModelLoadResult>();
    qRegisterMetaType<ScanJob>();
    qRegisterMetaType<CaseRows>();
    qRegisterMetaType<ScanProgress>();
    qRegisterMetaType<ScanFinished>();
    qRegisterMetaType<InspectJob>();
    qRegisterMetaType<InspectResult>();
    qRegisterMetaType<TileJob>();
    qRegisterMetaType<TileUpdate>();
    qRegisterMetaType<SweepJob>();
    qRegisterMetaType<SweepUpdate>();
    qRegisterMetaType<ModelsState>();
    qRegisterMetaType<FetchProgress>();
    qRegisterMetaType<ModelAction>();
    qRegisterMetaType<ReportRequest>();
    qRegisterMetaType<ReportOutcome>();
    qRegisterMetaType<TrainingSurvey>();
    qRegisterMetaType<TrainingJob>();
    qRegisterMetaType<TrainingUpdate>();

    m_scanThread.setObjectName(QStringLiteral("rine-scan"));
    m_inspectThread.setObjectName(QStringLiteral("rine-inspect"));
    m_scanWorker = new EngineWorker(m_cancelScan, m_cancelTiles, m_cancelReport, m_cancelSweep);
    m_inspectWorker = new EngineWorker(m_cancelScan, m_cancelTiles, m_cancelReport, m_cancelSweep);
    m_scanWorker->moveToThread(&m_scanThread);
    m_inspectWorker->moveToThread(&m_inspectThread);
    connect(&m_scanThread, &QThread::finished, m_scanWorker, &QObject::deleteLater);
    connect(&m_inspectThread, &QThread::finished, m_inspectWorker, &QObject::deleteLater);

    for (EngineWorker *worker : {m_scanWorker, m_inspectWorker}) {
        connect(worker, &EngineWorker::backboneImported, this, &EngineController::backboneImported);
        connect(worker, &EngineWorker::caseOpened, this, &EngineController::caseOpened);
        connect(worker, &EngineWorker::caseFailed, this, &EngineController::caseFailed);
        connect(worker, &EngineWorker::scanProgress, this, &EngineController::scanProgress);
        connect(worker, &EngineWorker::rowsChanged, this, &EngineController::rowsChanged);
        connect(worker, &EngineWorker::reportProgress, this, &EngineController::reportProgress);
    }
    connect(m_inspectWorker, &EngineWorker::modelLoaded, this, [this](const ModelLoadResult &result) {
        m_loadingModel = false;
        if (result.detector) {
            m_detector = result.detector;
            m_info = result.info;
        }
        emit modelLoaded(result);
        checkIdle();
    });
    connect(m_scanWorker, &EngineWorker::reportWritten, this, [this](const ReportOutcome &outcome, const QString &error) {
        m_reportRunning = false;
        emit reportWritten(outcome, error);
        checkIdle();
    });
    connect(m_scanWorker, &EngineWorker::scanFinished, this, [this](const ScanFinished &finished) {
        m_scanRunning = false;
        emit scanFinished(finished);
        checkIdle();
    });
    connect(m_inspectWorker, &EngineWorker::inspected, this, [this](const InspectResult &result) {
        --m_inspecting;
        emit inspected(result);
        checkIdle();
    });
    connect(m_inspectWorker, &EngineWorker::tilesProgress, this, [this](const TileUpdate &update) {
        if (update.finished)
            m_tilesRunning = false;
        emit tilesProgress(update);
        if (update.finished)
            checkIdle();
    });
    connect(m_inspectWorker, &EngineWorker::sweepProgress, this, [this](const SweepUpdate &update) {
        if (update.finished)
            m_sweepRunning = false;
        emit sweepProgress(update);
        if (update.finished)
            checkIdle();
    });
    m_modelsThread.setObjectName(QStringLiteral("rine-models"));
    m_modelsWorker = new ModelsWorker(ModelStore::defaultDir());
    m_modelsWorker->moveToThread(&m_modelsThread);
    connect(&m_modelsThread, &QThread::finished, m_modelsWorker, &QObject::deleteLater);
    connect(m_modelsWorker, &ModelsWorker::listed, this, &EngineController::modelsListed);
    connect(m_modelsWorker, &ModelsWorker::fetchProgress, this, &EngineController::fetchProgress);
    connect(m_modelsWorker, &ModelsWorker::actionDone, this, [this](const ModelAction &action) {
        m_modelsBusy = std::max(0, m_modelsBusy - 1);
        if (action.action == ModelAction::Kind::Fetch)
            m_fetchRunning = false;
        emit modelActionDone(action);
    });
    m_trainingThread.setObjectName(QStringLiteral("rine-training"));
    m_trainingContext = new QObject;
    m_trainingContext->moveToThread(&m_trainingThread);
    connect(&m_trainingThread, &QThread::finished, m_trainingContext, &QObject::deleteLater);
    m_trainingThread.start();
    m_modelsThread.start();
    m_scanThread.start();
    m_inspectThread.start();
}

EngineController::~EngineController()
{
    m_cancelScan = true;
    m_cancelTiles = true;
    m_cancelReport = true;
    m_cancelSweep = true;
    m_cancelTraining = true;
    QMetaObject::invokeMethod(m_modelsWorker, [worker = m_modelsWorker] { worker->cancelFetch(); }, Qt::QueuedConnection);
    m_scanThread.quit();
    m_inspectThread.quit();
    m_modelsThread.quit();
    m_trainingThread.quit();
    m_scanThread.wait();
    m_trainingThread.wait();
    m_inspectThread.wait();
    m_modelsThread.wait();
}

void EngineController::checkIdle()
{
    if (!busy())
        emit idle();
}

void EngineController::loadModel(const ModelRequest &request)
{
    m_loadingModel = true;
    QMetaObject::invokeMethod(m_inspectWorker, [worker = m_inspectWorker, request] { worker->loadModel(request); },
                              Qt::QueuedConnection);
}

void EngineController::importBackbone(const QString &path)
{
    QMetaObject::invokeMethod(m_inspectWorker, [worker = m_inspectWorker, path] { worker->importBackbone(path); },
                              Qt::QueuedConnection);
}

void EngineController::openCase(const QString &path, bool adopt)
{
    QMetaObject::invokeMethod(m_scanWorker, [worker = m_scanWorker, path, adopt] { worker->openCase(path, adopt); },
                              Qt::QueuedConnection);
}

void EngineController::writeReport(const ReportRequest &request)
{
    if (m_reportRunning || m_scanRunning)
        return;
    m_reportRunning = true;
    m_cancelReport = false;
    QMetaObject::invokeMethod(m_scanWorker, [worker = m_scanWorker, request, detector = m_detector] {
        worker->writeReport(request, detector);
    }, Qt::QueuedConnection);
}

void EngineController::startScan(const ScanJob &job)
{
    if (!m_detector || m_scanRunning)
        return;
    m_scanRunning = true;
    m_cancelScan = false; // reset here, not on the worker: a cancel that comes before the start counts
    QMetaObject::invokeMethod(m_scanWorker, [worker = m_scanWorker, job, detector = m_detector] {
        worker->runScan(job, detector);
    }, Qt::QueuedConnection);
}

int EngineController::inspect(InspectJob job)
{
    if (!m_detector)
        return 0;
    ++m_inspecting;
    job.id = ++m_nextJob;
    QMetaObject::invokeMethod(m_inspectWorker, [worker = m_inspectWorker, job, detector = m_detector] {
        worker->inspect(job, detector);
    }, Qt::QueuedConnection);
    return job.id;
}

int EngineController::scoreTiles(TileJob job)
{
    if (!m_detector || m_tilesRunning)
        return 0;
    m_tilesRunning = true;
    m_cancelTiles = false;
    job.id = ++m_nextJob;
    QMetaObject::invokeMethod(m_inspectWorker, [worker = m_inspectWorker, job, detector = m_detector] {
        worker->scoreTiles(job, detector);
    }, Qt::QueuedConnection);
    return job.id;
}

int EngineController::sweep(SweepJob job)
{
    if (!m_detector || m_sweepRunning)
        return 0;
    m_sweepRunning = true;
    m_cancelSweep = false;
    job.id = ++m_nextJob;
    QMetaObject::invokeMethod(m_inspectWorker, [worker = m_inspectWorker, job, detector = m_detector] {
        worker->sweep(job, detector);
    }, Qt::QueuedConnection);
    return job.id;
}

void EngineController::listModels()
{
    QMetaObject::invokeMethod(m_modelsWorker, [worker = m_modelsWorker] { worker->list(); }, Qt::QueuedConnection);
}

void EngineController::fetchModel(const QString &name, const QString &url)
{
    if (m_fetchRunning)
        return;
    m_fetchRunning = true;
    ++m_modelsBusy;
    QMetaObject::invokeMethod(m_modelsWorker, [worker = m_modelsWorker, name, url] { worker->fetch(name, url); },
                              Qt::QueuedConnection);
}

void EngineController::cancelFetch()
{
    QMetaObject::invokeMethod(m_modelsWorker, [worker = m_modelsWorker] { worker->cancelFetch(); }, Qt::QueuedConnection);
}

void EngineController::verifyModel(const QString &name)
{
    ++m_modelsBusy;
    QMetaObject::invokeMethod(m_modelsWorker, [worker = m_modelsWorker, name] { worker->verify(name); },
                              Qt::QueuedConnection);
}

void EngineController::importModel(const QString &path, const QString &name)
{
    ++m_modelsBusy;
    QMetaObject::invokeMethod(m_modelsWorker, [worker = m_modelsWorker, path, name] { worker->importFile(path, name); },
                              Qt::QueuedConnection);
}

void EngineController::removeModel(const QString &name)
{
    ++m_modelsBusy;
    QMetaObject::invokeMethod(m_modelsWorker, [worker = m_modelsWorker, name] { worker->remove(name); },
                              Qt::QueuedConnection);
}

void EngineController::surveyTraining(const QString &root, const QStringList &classes)
{
    QMetaObject::invokeMethod(m_trainingContext, [this, root, classes] {
        TrainingSurvey survey;
        survey.root = root;
        survey.chosen = classes;
        auto all = findTrainingData(root.toStdString());
        if (!all) {
            survey.error = QString::fromStdString(all.error());
        } else {
            for (const std::string &name : trainingClasses(all.value()))
                survey.classes << QString::fromStdString(name);
            std::vector<std::string> chosen;
            for (const QString &name : classes)
                chosen.push_back(name.toStdString());
            auto selected = selectClasses(all.value(), chosen);
            if (!selected) {
                survey.error = QString::fromStdString(selected.error());
            } else {
                survey.train = countByClass(selected->train);
                survey.validation = countByClass(selected->validation);
            }
        }
        QMetaObject::invokeMethod(this, [this, survey] { emit trainingSurveyed(survey); }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void EngineController::runTrainingJob(int id, bool testEvaluation,
                                      std::function<TrainingUpdate(const TrainingEvents &)> work)
{
    m_trainingRunning = true;
    m_cancelTraining = false;
    QMetaObject::invokeMethod(m_trainingContext, [this, id, testEvaluation, work = std::move(work)] {
        auto post = [this, id, testEvaluation](TrainingUpdate update) {
            update.id = id;
            update.testEvaluation = testEvaluation;
            QMetaObject::invokeMethod(this, [this, update] {
                if (update.finished)
                    m_trainingRunning = false;
                emit trainingProgress(update);
                if (update.finished)
                    checkIdle();
            }, Qt::QueuedConnection);
        };
        // Steps come per image and per batch: a few a second are enough for a progress bar.
        QElapsedTimer sinceStep;
        sinceStep.start();
        TrainingEvents events;
        events.step = [&](TrainingStage stage, std::size_t done, std::size_t total) {
            if (done != total && sinceStep.elapsed() < 150)
                return;
            sinceStep.restart();
            TrainingUpdate update;
            update.stage = stage;
            update.done = qint64(done);
            update.total = qint64(total);
            post(update);
        };
        events.epoch = [&](const EpochReport &report) {
            TrainingUpdate update;
            update.stage = TrainingStage::Training;
            update.hasEpoch = true;
            update.epoch = report;
            post(update);
        };
        events.note = [&](const std::string &note) {
            TrainingUpdate update;
            update.note = QString::fromStdString(note);
            post(update);
        };
        TrainingUpdate end = work(events);
        end.finished = true;
        post(end);
    }, Qt::QueuedConnection);
}

int EngineController::startTraining(TrainingJob job)
{
    if (!m_detector || m_trainingRunning)
        return 0;
    job.id = ++m_nextJob;
    runTrainingJob(job.id, false, [this, job, detector = m_detector](const TrainingEvents &events) {
        std::vector<std::string> classes;
        for (const QString &name : job.classes)
            classes.push_back(name.toStdString());
        auto data = findTrainingData(job.root.toStdString(), classes);
        TrainingRequest request = job.request;
        if (data)
            request.data = std::move(data.value());
        auto outcome = data ? runTraining(*detector, request, &m_cancelTraining, events)
                            : Result<TrainingRunOutcome>::failure(data.error());
        TrainingUpdate end;
        if (outcome)
            end.outcome = std::move(outcome.value());
        else
            end.error = QString::fromStdString(outcome.error());
        return end;
    });
    return job.id;
}

int EngineController::evaluateTrainedHead(const QString &headPath, const QString &cardPath, const QString &testRoot,
                                          CropMode crop, double threshold, int batchSize)
{
    if (!m_detector || m_trainingRunning)
        return 0;
    const int id = ++m_nextJob;
    runTrainingJob(id, true, [=, detector = m_detector](const TrainingEvents &events) {
        auto evaluation = rine::evaluateTrainedHead(*detector, headPath.toStdString(), testRoot.toStdString(),
                                              Preprocessing{crop, detector->info().inputSize}, threshold, batchSize,
                                              &m_cancelTraining, events);
        TrainingUpdate end;
        if (!evaluation) {
            end.error = QString::fromStdString(evaluation.error());
        } else {
            end.test = evaluation.value();
            if (auto recorded = recordTestEvaluation(cardPath.toStdString(), end.test); !recorded)
                end.note = QString::fromStdString("warning: not recorded in the model card: " + recorded.error());
        }
        return end;
    });
    return id;
}

} // namespace rine
