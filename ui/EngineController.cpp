#include "EngineController.h"

#include "ModelsWorker.h"

#include "catalog/ModelStore.h"
#include "report/Pictures.h"
#include "report/ScanExport.h"
#include "session/CaseSession.h"
#include "session/Evaluation.h"
#include "session/ImageAnalysis.h"
#include "util/QtStrings.h"

#include <QElapsedTimer>
#include <QFileInfo>

#include <algorithm>
#include <exception>

namespace rine {

namespace {

QString stopped(const std::exception &e, const QString &what)
{
    return QObject::tr("%1: %2").arg(what, QString::fromLocal8Bit(e.what()));
}

QImage cropPicture(const std::vector<std::uint8_t> &crop, int side)
{
    if (side < 1 || crop.size() != std::size_t(side) * std::size_t(side) * 3)
        return {};
    return QImage(crop.data(), side, side, side * 3, QImage::Format_RGB888).copy();
}

// Every row of a case's scan (none when scanId is 0), as the Scan page shows them.
Result<CaseRows> allRows(CaseSession &session, qint64 scanId)
{
    CaseDatabase &database = session.database();
    CaseRows rows;
    rows.casePath = database.path();
    rows.caseName = database.caseName();
    rows.readOnly = session.writable() ? QString() : session.readOnlyReason();
    rows.scanId = scanId;
    if (scanId > 0) {
        auto scan = readScanExport(database, scanId);
        if (!scan)
            return Result<CaseRows>::failure(scan.error());
        rows.preprocessing = scan->summary.preprocessing;
        rows.headSha256s = scan->summary.headSha256s;
        rows.spaiSha256 = scan->summary.spaiSha256;
        rows.rows = std::move(scan->files);
        rows.integrity = std::move(scan->integrity);
    } else {
        rows.integrity = database.integrity();
    }
    return rows;
}

// The case at path for writing: the open one when it is that case and writable, else opened
// (Write or Adopt) in its place.
QString useCase(std::unique_ptr<CaseSession> &open, const QString &path, const CaseSession::Options &options,
                bool adopt = false)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    if (open && open->writable() && open->path() == absolute && !adopt)
        return {};
    open.reset();
    auto session = CaseSession::open(absolute, adopt ? CaseSession::Access::Adopt : CaseSession::Access::Write, options);
    if (!session)
        return q(session.error());
    open = std::move(session.value());
    return {};
}

} // namespace

EngineController::EngineController(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<ModelLoadResult>();
    qRegisterMetaType<CaseRows>();
    qRegisterMetaType<ScanUpdate>();
    qRegisterMetaType<ScanFinished>();
    qRegisterMetaType<ReportStep>();
    qRegisterMetaType<InspectResult>();
    qRegisterMetaType<TileUpdate>();
    qRegisterMetaType<SweepUpdate>();
    qRegisterMetaType<ModelsState>();
    qRegisterMetaType<FetchProgress>();
    qRegisterMetaType<ModelAction>();
    qRegisterMetaType<ReportOutcome>();
    qRegisterMetaType<TrainingSurvey>();
    qRegisterMetaType<TrainingUpdate>();

    struct Named {
        QThread *thread;
        const char *name;
        QObject **context;
    };
    for (const Named &lane : {Named{&m_caseThread, "rine-case", &m_caseContext},
                              Named{&m_detectorThread, "rine-detector", &m_detectorContext},
                              Named{&m_trainingThread, "rine-training", &m_trainingContext}}) {
        lane.thread->setObjectName(QString::fromLatin1(lane.name));
        *lane.context = new QObject;
        (*lane.context)->moveToThread(lane.thread);
        connect(lane.thread, &QThread::finished, *lane.context, &QObject::deleteLater);
    }
    m_modelsThread.setObjectName(QStringLiteral("rine-models"));
    m_modelsWorker = new ModelsWorker(ModelStore::defaultDir());
    m_modelsWorker->moveToThread(&m_modelsThread);
    connect(&m_modelsThread, &QThread::finished, m_modelsWorker, &QObject::deleteLater);
    connect(m_modelsWorker, &ModelsWorker::listed, this, &EngineController::modelsChanged);
    for (QThread *thread : {&m_caseThread, &m_detectorThread, &m_trainingThread, &m_modelsThread})
        thread->start();
}

EngineController::~EngineController()
{
    cancelAll();
    // The open case closes on its own thread (its database connection was made there), after
    // the job in flight there has seen the cancel, and before that thread stops.
    QMetaObject::invokeMethod(m_caseContext, [this] { m_case.reset(); }, Qt::BlockingQueuedConnection);
    for (QThread *thread : {&m_caseThread, &m_detectorThread, &m_trainingThread, &m_modelsThread})
        thread->quit();
    for (QThread *thread : {&m_caseThread, &m_detectorThread, &m_trainingThread, &m_modelsThread})
        thread->wait();
}

void EngineController::cancelAll()
{
    for (const QPointer<Job> &job : m_running)
        if (job)
            job->cancel();
}

Job *EngineController::running(Job::Kind kind) const
{
    for (auto it = m_running.rbegin(); it != m_running.rend(); ++it)
        if (*it && (*it)->kind() == kind)
            return *it;
    return nullptr;
}

QObject *EngineController::context(Lane lane) const
{
    switch (lane) {
    case Lane::Case: return m_caseContext;
    case Lane::Detector: return m_detectorContext;
    case Lane::Training: return m_trainingContext;
    case Lane::Models: return m_modelsWorker;
    }
    return m_detectorContext;
}

Job *EngineController::start(Job::Kind kind, Lane lane, std::function<void(const Job::Reporter &)> work)
{
    auto *job = new Job(kind, this);
    m_running.append(job);
    connect(job, &Job::ended, this, [this](Job *ended) {
        m_running.removeAll(ended);
        ended->deleteLater();
        if (m_running.isEmpty())
            emit idle();
    });
    // One try/catch at the job boundary: an exception becomes `failed`.
    QMetaObject::invokeMethod(context(lane), [reporter = job->reporter(), work = std::move(work)] {
        try {
            work(reporter);
        } catch (const std::exception &e) {
            reporter.fail(stopped(e, QObject::tr("the job stopped")));
        }
    }, Qt::QueuedConnection);
    emit jobStarted(job);
    return job;
}

Job *EngineController::loadModel(const ModelRequest &request)
{
    Job *job = start(Job::Kind::LoadModel, Lane::Detector, [request](const Job::Reporter &r) {
        ModelLoad loaded = loadModels(request);
        ModelLoadResult result;
        result.request = request;
        result.untrusted = std::move(loaded.untrusted);
        if (!result.untrusted.empty()) {
            result.error = tr("%n weight file(s) are not in the model manifest and have not been trusted.", nullptr,
                              int(result.untrusted.size()));
            return r.finish(QVariant::fromValue(result)); // the user decides
        }
        if (!loaded.detector && !loaded.spai)
            return r.fail(loaded.error);
        if (loaded.detector)
            result.info = loaded.detector->info();
        result.detector = std::shared_ptr<Detector>(std::move(loaded.detector));
        result.spai = std::shared_ptr<const SpaiDetector>(std::move(loaded.spai));
        r.finish(QVariant::fromValue(result));
    });
    // Connected first: the detectors are in place before any page hears of them.
    job->onFinished<ModelLoadResult>(this, [this](const ModelLoadResult &result) {
        if (result.detector || result.spai) {
            m_detector = result.detector; // null: SPAI alone
            m_spai = result.spai;
            m_info = result.info;
        }
    });
    return job;
}

Job *EngineController::inspect(const InspectParams &params)
{
    if (!hasModel())
        return nullptr;
    return start(Job::Kind::Inspect, Lane::Detector, [params, detector = m_detector,
                                                      spai = m_spai](const Job::Reporter &r) {
        InspectResult result;
        result.path = params.path;
        // SPAI alone: the image read and decoded as for RINE, without RINE's crops.
        ImageAnalysis analysis;
        if (detector)
            analysis = analyseImage(detector.get(), toStd(params.path), params.crop);
        else
            analysis.image = readEvidence(toStd(params.path));
        const EvidenceImage &image = analysis.image;
        result.sha256 = q(image.sha256);
        result.size = qint64(image.size);
        result.facts = image.facts;
        if (!image.decoded) {
            result.error = q(image.error);
            return r.finish(QVariant::fromValue(result));
        }
        const DecodedImage &decoded = *image.decoded;
        result.format = q(decoded.format);
        result.jpegQuality = decoded.jpegQuality;
        result.jpegQualityExact = decoded.jpegQualityExact;
        result.width = decoded.width;
        result.height = decoded.height;
        for (const std::string &warning : decoded.warnings)
            result.warnings << q(warning);
        for (const std::string &warning : analysis.cropWarnings)
            result.warnings << q(warning);
        // Shown upright, as a viewer shows it; analysed as stored, as the reference does.
        const QImage stored = toQImage(decoded.rgb);
        result.toDisplay = uprightTransform(result.facts.orientation, stored.width(), stored.height());
        QImage display = stored.transformed(result.toDisplay);
        const int longest = std::max(display.width(), display.height());
        if (longest > params.displayLimit) {
            const QSize before = display.size();
            display = display.scaled(before * (double(params.displayLimit) / longest), Qt::KeepAspectRatio,
                                     Qt::SmoothTransformation);
            result.toDisplay *= QTransform::fromScale(double(display.width()) / before.width(),
                                                      double(display.height()) / before.height());
        }
        result.display = display;
        if (spai) {
            // SPAI sees the image as stored, at its own resolution, as rine-cli score does.
            result.spaiSha256 = q(spai->sha256());
            try {
                const RgbImage &rgb = decoded.rgb;
                SpaiWatch watch; // closing the window stops a large image between two passes
                watch.cancel = &r.cancelFlag();
                result.spai = spai->score(rgb.pixels.data(), rgb.width, rgb.height, std::size_t(rgb.width) * 3, watch);
                if (!result.spai)
                    return r.cancelled();
            } catch (const std::exception &e) {
                result.spaiError = QString::fromLocal8Bit(e.what());
            }
        }
        if (!detector) // SPAI alone: no crop of RINE's to outline
            return r.finish(QVariant::fromValue(result));
        result.regions = analysis.regions;
        result.windows = analysis.windows;
        result.windowScores = analysis.windowScores;
        if (!analysis.scoreError.empty()) {
            result.scoreError = q(analysis.scoreError);
        } else if (!analysis.headScores.empty()) {
            result.scored = true;
            result.score = analysis.headScores.front();
            result.headSha256 = q(detector->info().heads.front().sha256);
            result.importance = detector->info().heads.front().blockImportance;
        }
        r.finish(QVariant::fromValue(result));
    });
}

Job *EngineController::tileMap(const TileParams &params)
{
    if (!m_detector || running(Job::Kind::TileMap))
        return nullptr;
    return start(Job::Kind::TileMap, Lane::Detector, [params, detector = m_detector](const Job::Reporter &r) {
        QElapsedTimer sinceReport;
        sinceReport.start();
        auto scores = rine::tileMap(*detector, toStd(params.path), toStd(params.sha256), params.batchSize,
                                    r.cancelFlag(), [&](const TileScores &partial) {
                                        if (sinceReport.elapsed() < 100)
                                            return;
                                        sinceReport.restart();
                                        r.progress(QVariant::fromValue(TileUpdate{partial}));
                                    });
        if (!scores)
            r.fail(q(scores.error()));
        else if (scores->cancelled)
            r.cancelled(QVariant::fromValue(TileUpdate{scores.value()}));
        else
            r.finish(QVariant::fromValue(TileUpdate{scores.value()}));
    });
}

Job *EngineController::sweep(const SweepParams &params)
{
    if ((!m_detector && !params.spai) || running(Job::Kind::Sweep) || (params.spai && !m_spai))
        return nullptr;
    return start(Job::Kind::Sweep, Lane::Detector, [params, detector = m_detector,
                                                    spai = m_spai](const Job::Reporter &r) {
        RobustnessSweep::Options options;
        options.threshold = params.threshold;
        options.batchSize = params.batchSize;
        options.seed = params.seed;
        options.crop = params.crop;
        options.keepCrops = true;
        options.cancel = &r.cancelFlag();
        QElapsedTimer sinceReport;
        sinceReport.start();
        options.progress = [&](int done, int total) {
            if (sinceReport.elapsed() < 100 && done < total)
                return;
            sinceReport.restart();
            SweepUpdate progress;
            progress.done = done;
            progress.total = total;
            r.progress(QVariant::fromValue(progress));
        };
        options.expectedSha256 = toStd(params.sha256); // bytes other than those shown are refused
        auto result = params.spai ? RobustnessSweep(*spai, options).run(toStd(params.path), params.plan)
                                  : RobustnessSweep(*detector, options).run(toStd(params.path), params.plan);
        if (!result)
            return r.fail(q(result.error()));
        SweepUpdate update;
        SweepResult &sweep = result.value();
        update.baseline = cropPicture(sweep.baselineCrop, sweep.cropSize);
        sweep.baselineCrop = {};
        for (SweepSeries &series : sweep.series) {
            QList<QImage> pictures;
            for (SweepPoint &point : series.points) {
                pictures << cropPicture(point.crop, sweep.cropSize);
                point.crop = {}; // the pictures hold them now
            }
            update.previews << pictures;
        }
        const bool cancelled = sweep.cancelled;
        update.result = std::move(sweep);
        if (cancelled)
            r.cancelled(QVariant::fromValue(update));
        else
            r.finish(QVariant::fromValue(update));
    });
}

Job *EngineController::openCase(const QString &path, bool adopt)
{
    return start(Job::Kind::OpenCase, Lane::Case, [this, path, adopt](const Job::Reporter &r) {
        // A case received from elsewhere, or altered, stays read-only (and unlocked: nothing
        // here writes to it) until the user adopts it.
        m_case.reset();
        auto session = CaseSession::openForUse(path, adopt);
        if (!session)
            return r.fail(q(session.error()));
        m_case = std::move(session.value());
        auto scans = m_case->database().scans();
        if (!scans)
            return r.fail(q(scans.error()));
        auto rows = allRows(*m_case, scans->empty() ? 0 : scans->back().id);
        if (!rows)
            return r.fail(q(rows.error()));
        r.finish(QVariant::fromValue(rows.value()));
    });
}

Job *EngineController::scan(const ScanParams &params)
{
    if (!hasModel() || running(Job::Kind::Scan) || running(Job::Kind::Report))
        return nullptr;
    if ((params.spai || !m_detector) && !m_spai) // SPAI alone scans with SPAI
        return nullptr;
    return start(Job::Kind::Scan, Lane::Case, [this, params, detector = m_detector,
                                               spai = params.spai || !m_detector ? m_spai : nullptr](const Job::Reporter &r) {
        const QString caseName = params.roots.isEmpty() ? QString() : QFileInfo(params.roots.first()).fileName();
        if (QString error = useCase(m_case, params.casePath, {true, caseName}); !error.isEmpty())
            return r.fail(error);
        ScanRequest request;
        for (const QString &root : params.roots)
            request.roots.push_back(toStd(root));
        request.crop = params.crop;
        request.batchSize = params.batchSize;
        request.walk.followOutsideRoots = params.followLinksOutside;
        CaseDatabase &database = m_case->database();
        ScanEngine engine = detector ? ScanEngine(*detector, database, spai.get()) : ScanEngine(*spai, database);
        QElapsedTimer sinceReport;
        sinceReport.start();
        QStringList heads; // none with SPAI alone
        if (detector)
            for (const HeadInfo &head : detector->info().heads)
                heads << q(head.sha256);
        const QString preprocessing = detector ? q(Preprocessing{params.crop, detector->info().inputSize}.name())
                                               : QString::fromLatin1(kSpaiPreprocessing);
        auto outcome = engine.run(request, r.cancelFlag(), [&](const ScanProgress &progress) {
            // The walk reports every file it finds: a few reports a second are enough.
            if (progress.phase == ScanProgress::Phase::Walking && sinceReport.elapsed() < 100)
                return;
            sinceReport.restart();
            ScanUpdate update;
            update.progress = progress;
            update.progress.committedFileIds.clear();
            if (!progress.committedFileIds.empty()) {
                if (auto reports = database.fileReports(progress.scanId, progress.committedFileIds)) {
                    update.hasRows = true;
                    update.rows.casePath = database.path();
                    update.rows.caseName = database.caseName();
                    update.rows.scanId = progress.scanId;
                    update.rows.preprocessing = preprocessing;
                    update.rows.headSha256s = heads;
                    update.rows.spaiSha256 = spai ? q(spai->sha256()) : QString();
                    update.rows.rows = std::move(reports.value());
                    update.rows.replace = false;
                } // else the final reload shows them
            }
            r.progress(QVariant::fromValue(update));
        });
        if (!outcome)
            return r.fail(q(outcome.error()));
        ScanFinished finished;
        finished.outcome = outcome.value();
        auto rows = allRows(*m_case, outcome->scanId);
        if (!rows)
            return r.fail(q(rows.error()));
        finished.rows = std::move(rows.value());
        if (finished.outcome.cancelled)
            r.cancelled(QVariant::fromValue(finished));
        else
            r.finish(QVariant::fromValue(finished));
    });
}

Job *EngineController::writeReport(const ReportRequest &request)
{
    if (running(Job::Kind::Report) || running(Job::Kind::Scan))
        return nullptr;
    return start(Job::Kind::Report, Lane::Case, [this, request, detector = m_detector](const Job::Reporter &r) {
        if (!m_case)
            return r.fail(tr("no case is open"));
        auto outcome = CaseReport::write(m_case->database(), request, detector, r.cancelFlag(),
                                         [&](const QString &stage, int done, int total) {
                                             r.progress(QVariant::fromValue(ReportStep{stage, done, total}));
                                         });
        if (outcome)
            r.finish(QVariant::fromValue(outcome.value()));
        else if (r.cancelRequested())
            r.cancelled();
        else
            r.fail(q(outcome.error()));
    });
}

Job *EngineController::surveyTraining(const QString &root, const QStringList &classes)
{
    return start(Job::Kind::TrainingSurvey, Lane::Training, [root, classes](const Job::Reporter &r) {
        TrainingSurvey survey;
        survey.root = root;
        survey.chosen = classes;
        auto all = findTrainingData(toStd(root));
        if (!all) {
            survey.error = q(all.error());
        } else {
            for (const std::string &name : trainingClasses(all.value()))
                survey.classes << q(name);
            std::vector<std::string> chosen;
            for (const QString &name : classes)
                chosen.push_back(toStd(name));
            auto selected = selectClasses(all.value(), chosen);
            if (!selected) {
                survey.error = q(selected.error());
            } else {
                survey.train = countByClass(selected->train);
                survey.validation = countByClass(selected->validation);
            }
        }
        r.finish(QVariant::fromValue(survey));
    });
}

namespace {

// A training run's events as progress updates: steps at most every 150 ms (they come per
// image and per batch), every epoch and note.
TrainingEvents trainingEvents(const Job::Reporter &r, QElapsedTimer &sinceStep)
{
    TrainingEvents events;
    events.step = [&r, &sinceStep](TrainingStage stage, std::size_t done, std::size_t total) {
        if (done != total && sinceStep.elapsed() < 150)
            return;
        sinceStep.restart();
        TrainingUpdate update;
        update.stage = stage;
        update.done = qint64(done);
        update.total = qint64(total);
        r.progress(QVariant::fromValue(update));
    };
    events.epoch = [&r](const EpochReport &report) {
        TrainingUpdate update;
        update.stage = TrainingStage::Training;
        update.hasEpoch = true;
        update.epoch = report;
        r.progress(QVariant::fromValue(update));
    };
    events.note = [&r](const std::string &note) {
        TrainingUpdate update;
        update.note = q(note);
        r.progress(QVariant::fromValue(update));
    };
    return events;
}

} // namespace

Job *EngineController::train(const TrainingParams &params)
{
    if (!m_detector || running(Job::Kind::Training) || running(Job::Kind::TestEvaluation))
        return nullptr;
    return start(Job::Kind::Training, Lane::Training, [params, detector = m_detector](const Job::Reporter &r) {
        QElapsedTimer sinceStep;
        sinceStep.start();
        const TrainingEvents events = trainingEvents(r, sinceStep);
        std::vector<std::string> classes;
        for (const QString &name : params.classes)
            classes.push_back(toStd(name));
        auto data = findTrainingData(toStd(params.root), classes);
        if (!data)
            return r.fail(q(data.error()));
        TrainingRequest request = params.request;
        request.data = std::move(data.value());
        auto outcome = runTraining(*detector, request, &r.cancelFlag(), events);
        if (!outcome)
            return r.fail(q(outcome.error()));
        TrainingUpdate end;
        end.outcome = std::move(outcome.value());
        // Cancelled: the best epoch so far was written, and the update says so.
        if (end.outcome.training.cancelled)
            r.cancelled(QVariant::fromValue(end));
        else
            r.finish(QVariant::fromValue(end));
    });
}

Job *EngineController::evaluateTrainedHead(const QString &headPath, const QString &cardPath, const QString &testRoot,
                                           CropMode crop, double threshold, int batchSize)
{
    if (!m_detector || running(Job::Kind::Training) || running(Job::Kind::TestEvaluation))
        return nullptr;
    return start(Job::Kind::TestEvaluation, Lane::Training,
                 [=, detector = m_detector](const Job::Reporter &r) {
                     QElapsedTimer sinceStep;
                     sinceStep.start();
                     auto evaluation = rine::evaluateTrainedHead(
                         *detector, toStd(headPath), toStd(testRoot), Preprocessing{crop, detector->info().inputSize},
                         threshold, batchSize, &r.cancelFlag(), trainingEvents(r, sinceStep));
                     if (!evaluation)
                         return r.cancelRequested() ? r.cancelled() : r.fail(q(evaluation.error()));
                     TrainingUpdate end;
                     end.test = evaluation.value();
                     if (auto recorded = recordTestEvaluation(toStd(cardPath), end.test); !recorded)
                         end.note = q("warning: not recorded in the model card: " + recorded.error());
                     r.finish(QVariant::fromValue(end));
                 });
}

Job *EngineController::modelsJob(std::function<void(ModelsWorker *, const Job::Reporter &)> action)
{
    return start(Job::Kind::ModelAction, Lane::Models,
                 [worker = m_modelsWorker, action = std::move(action)](const Job::Reporter &r) { action(worker, r); });
}

void EngineController::listModels()
{
    QMetaObject::invokeMethod(m_modelsWorker, [worker = m_modelsWorker] { worker->list(); }, Qt::QueuedConnection);
}

Job *EngineController::importBackbone(const QString &path)
{
    return start(Job::Kind::ImportBackbone, Lane::Models,
                 [worker = m_modelsWorker, path](const Job::Reporter &r) { worker->importBackbone(path, r); });
}

Job *EngineController::fetchModel(const QString &name, const QString &url, bool trust)
{
    return modelsJob(
        [name, url, trust](ModelsWorker *worker, const Job::Reporter &r) { worker->fetch(name, url, trust, r); });
}

Job *EngineController::verifyModel(const QString &name)
{
    return modelsJob([name](ModelsWorker *worker, const Job::Reporter &r) { worker->verify(name, r); });
}

Job *EngineController::importModel(const QString &path, const QString &name, bool trust)
{
    return modelsJob(
        [path, name, trust](ModelsWorker *worker, const Job::Reporter &r) { worker->importFile(path, name, trust, r); });
}

Job *EngineController::removeModel(const QString &name)
{
    return modelsJob([name](ModelsWorker *worker, const Job::Reporter &r) { worker->remove(name, r); });
}

} // namespace rine
