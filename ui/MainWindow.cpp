#include "MainWindow.h"

#include "ModelBanner.h"

#include "EngineController.h"
#include "ExportDialog.h"
#include "InspectPage.h"
#include "ModelsPage.h"
#include "RobustnessPage.h"
#include "ScanPage.h"
#include "TrainingWizard.h"
#include "image/ImageDecoder.h"
#include "catalog/ModelLocator.h"
#include "catalog/ModelStore.h"
#include "util/Version.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QIcon>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

namespace rine {

namespace {


const QString kImageFilter = QObject::tr("Images (*.jpg *.jpeg *.png *.webp *.bmp *.tif *.tiff *.jp2 *.pgm *.ppm *.pnm);;"
                                         "All files (*)");
const QString kCaseFilter = QObject::tr("RINE Studio cases (*.sqlite);;All files (*)");

} // namespace

MainWindow::MainWindow(StudioOptions options, QWidget *parent)
    : QMainWindow(parent), m_options(std::move(options)), m_settings(StudioSettings::load()),
      m_engine(new EngineController(this))
{
    setWindowTitle(QStringLiteral("RINE Studio"));
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/rine-studio.svg")));

    // What is missing or wrong with the detector, and what to do about it.
    m_banner = new ModelBanner(m_engine, this);
    connect(m_banner, &ModelBanner::loading, this, [this] { m_modelLabel->setText(tr("Loading model...")); });
    connect(m_banner, &ModelBanner::loaded, this, &MainWindow::onModelLoaded);
    connect(m_banner, &ModelBanner::noModel, this, [this](const QString &label) {
        m_modelLabel->setText(label);
        openStartupFiles();
        emit settledChanged();
    });
    connect(m_banner, &ModelBanner::backboneImported, this, [this](const QString &path) {
        m_options.backbone = path;
        startModel();
    });
    connect(m_banner, &ModelBanner::downloadRequested, this, [this] {
        showPage(Page::Models);
        m_modelsPage->select(ModelLocator::knownBackbone().name);
    });

    m_scanPage = new ScanPage(this);
    m_inspectPage = new InspectPage(this);
    m_robustnessPage = new RobustnessPage(this);
    m_modelsPage = new ModelsPage(this);
    m_pages = new QTabWidget(this);
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_scanPage, tr("Scan"));
    m_pages->addTab(m_inspectPage, tr("Inspect"));
    m_pages->addTab(m_robustnessPage, tr("Robustness"));
    m_pages->addTab(m_modelsPage, tr("Models"));
    connect(m_pages, &QTabWidget::currentChanged, this, [this](int index) {
        if (m_pages->widget(index) == m_modelsPage)
            m_engine->listModels();
    });

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->addWidget(m_banner);
    layout->addWidget(m_pages, 1);
    setCentralWidget(central);

    m_deviceLabel = new QLabel(this);
    m_deviceLabel->setObjectName(QStringLiteral("deviceLabel"));
    m_modelLabel = new QLabel(this);
    m_modelLabel->setObjectName(QStringLiteral("modelLabel"));
    m_modelLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    statusBar()->addWidget(m_deviceLabel);
    statusBar()->addPermanentWidget(m_modelLabel);
    m_deviceLabel->setText(cudaAvailable() ? tr("Device: CUDA available") : tr("Device: CPU, %1 threads").arg(cpuThreads()));

    // Pages -> engine
    connect(m_scanPage, &ScanPage::openFolderRequested, this, [this](const QString &folder) {
        const QString chosen = folder.isEmpty() ? QFileDialog::getExistingDirectory(this, tr("Folder to scan")) : folder;
        if (!chosen.isEmpty())
            openFolder(chosen);
    });
    connect(m_scanPage, &ScanPage::openCaseRequested, this, [this](const QString &path) {
        const QString chosen = path.isEmpty() ? QFileDialog::getOpenFileName(this, tr("Open case"), m_settings.casesFolder, kCaseFilter)
                                              : path;
        if (!chosen.isEmpty())
            openCase(chosen);
    });
    connect(m_scanPage, &ScanPage::inspectRequested, this, &MainWindow::inspectReport);
    connect(m_scanPage, &ScanPage::ruleChanged, this, [this](const VerdictRule &rule) {
        m_settings.rule = rule;
        m_settings.save();
        m_inspectPage->setRule(rule);
        m_robustnessPage->setRule(rule);
    });
    connect(m_inspectPage, &InspectPage::tilesRequested, this, [this] {
        const InspectResult &shown = m_inspectPage->result();
        m_inspectPage->followTiles(m_engine->tileMap({shown.path, shown.sha256, m_settings.batchSize}));
    });
    connect(m_inspectPage, &InspectPage::robustnessRequested, this, [this] {
        const InspectResult &shown = m_inspectPage->result();
        if (m_robustnessPage->imagePath() != shown.path || m_robustnessPage->imageSha256() != shown.sha256)
            m_robustnessPage->setImage(shown);
        showPage(Page::Robustness);
    });
    connect(m_robustnessPage, &RobustnessPage::runRequested, this, [this] {
        auto plan = m_robustnessPage->plan();
        if (!plan)
            return;
        SweepParams params;
        params.path = m_robustnessPage->imagePath();
        params.sha256 = m_robustnessPage->imageSha256();
        params.plan = plan.value();
        params.threshold = m_settings.rule.threshold;
        params.seed = m_robustnessPage->seed();
        params.batchSize = m_settings.batchSize;
        params.crop = m_settings.crop;
        params.spai = m_robustnessPage->sweepsWithSpai();
        m_robustnessPage->followSweep(m_engine->sweep(params));
    });
    connect(m_modelsPage, &ModelsPage::refreshRequested, m_engine, &EngineController::listModels);
    connect(m_modelsPage, &ModelsPage::fetchRequested, this, [this](const QString &name, const QString &url, bool trust) {
        followModelAction(m_engine->fetchModel(name, url, trust), ModelAction::Kind::Fetch, name);
    });
    connect(m_modelsPage, &ModelsPage::verifyRequested, this, [this](const QString &name) {
        followModelAction(m_engine->verifyModel(name), ModelAction::Kind::Verify, name);
    });
    connect(m_modelsPage, &ModelsPage::importRequested, this, [this](const QString &path, const QString &name, bool trust) {
        followModelAction(m_engine->importModel(path, name, trust), ModelAction::Kind::Import, name);
    });
    connect(m_modelsPage, &ModelsPage::removeRequested, this, [this](const QString &name) {
        followModelAction(m_engine->removeModel(name), ModelAction::Kind::Remove, name);
    });
    connect(m_modelsPage, &ModelsPage::activateRequested, this, &MainWindow::activateModel);
    connect(m_modelsPage, &ModelsPage::trainRequested, this, &MainWindow::openTrainingWizard);

    // The model folder's state, whoever changed it; the window closes once every job has ended.
    connect(m_engine, &EngineController::modelsChanged, m_modelsPage, &ModelsPage::setState);
    connect(m_engine, &EngineController::idle, this, [this] {
        if (m_closeRequested)
            close();
        emit settledChanged();
    });

    createMenus();
    applySettings(m_settings, false);

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
    if (!settings.contains(QStringLiteral("mainWindow/geometry")))
        resize(1280, 800);
    startModel();
}

MainWindow::~MainWindow() = default;

bool MainWindow::settled() const
{
    if (m_banner->asking())
        return true; // waiting for the user
    return !m_startupPending && !m_engine->busy() && (m_engine->hasModel() || m_banner->gaveUp());
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("fileMenu"));
    auto add = [this](QMenu *menu, const QString &text, const QString &name, const QKeySequence &shortcut, auto slot) {
        QAction *action = menu->addAction(text, this, slot);
        action->setObjectName(name);
        action->setShortcut(shortcut);
        return action;
    };
    add(file, tr("Open &Folder..."), QStringLiteral("actionOpenFolder"), QKeySequence(tr("Ctrl+Shift+O")),
        [this] { emit m_scanPage->openFolderRequested({}); });
    add(file, tr("Open &Image..."), QStringLiteral("actionOpenImage"), QKeySequence::Open, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open image"), {}, kImageFilter);
        if (!path.isEmpty())
            openImage(path);
    });
    add(file, tr("Open &Case..."), QStringLiteral("actionOpenCase"), QKeySequence(tr("Ctrl+Shift+C")),
        [this] { emit m_scanPage->openCaseRequested({}); });
    add(file, tr("&New Case..."), QStringLiteral("actionNewCase"), QKeySequence::New, [this] {
        QDir().mkpath(m_settings.casesFolder);
        const QString path = QFileDialog::getSaveFileName(this, tr("New case"), m_settings.casesFolder, kCaseFilter);
        if (!path.isEmpty())
            newCase(path.endsWith(QLatin1String(".sqlite")) ? path : path + QStringLiteral(".sqlite"));
    });
    m_adoptAction = add(file, tr("&Adopt Case..."), QStringLiteral("actionAdoptCase"), QKeySequence(), [this] {
        const auto answer = QMessageBox::question(
            this, tr("Adopt case"),
            tr("%1\n\nAdopt it? This installation then writes to it (scans, reports), and its audit log records the "
               "adoption and whose case it was. Keep the case you received unchanged: adopt a copy if in doubt.")
                .arg(m_caseReadOnly));
        if (answer == QMessageBox::Yes)
            adoptCase();
    });
    m_adoptAction->setEnabled(false);
    file->addSeparator();
    add(file, tr("&Train a Detector..."), QStringLiteral("actionTrain"), QKeySequence(tr("Ctrl+T")),
        [this] { openTrainingWizard(); });
    file->addSeparator();
    add(file, tr("&Export Report..."), QStringLiteral("actionExport"), QKeySequence(tr("Ctrl+E")), [this] {
        if (m_scanId <= 0) {
            QMessageBox::information(this, tr("Export"), tr("Scan a folder or open a case first."));
            return;
        }
        if (m_engine->running(Job::Kind::Scan) || m_engine->running(Job::Kind::Report)) {
            QMessageBox::information(this, tr("Export"), tr("Wait for the scan to finish, or cancel it."));
            return;
        }
        ExportDialog dialog(QFileInfo(m_casePath).completeBaseName(), m_scanPage->selectedPaths(),
                            m_caseIntegrity.state == CaseIntegrity::State::Broken ? m_caseIntegrity.problem : QString(), this);
        if (dialog.exec() == QDialog::Accepted)
            writeReport(dialog.request());
    });
    file->addSeparator();
    QAction *settingsAction = add(file, tr("&Settings..."), QStringLiteral("actionSettings"),
                                  QKeySequence(QKeySequence::Preferences), [this] {
                                      SettingsDialog dialog(m_settings, this);
                                      if (dialog.exec() == QDialog::Accepted)
                                          applySettings(dialog.settings());
                                  });
    if (settingsAction->shortcut().isEmpty())
        settingsAction->setShortcut(QKeySequence(tr("Ctrl+,")));
    file->addSeparator();
    add(file, tr("&Quit"), QStringLiteral("actionQuit"), QKeySequence::Quit, [this] { close(); });

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("viewMenu"));
    add(view, tr("&Scan"), QStringLiteral("actionScanPage"), QKeySequence(tr("Ctrl+1")), [this] { showPage(Page::Scan); });
    add(view, tr("&Inspect"), QStringLiteral("actionInspectPage"), QKeySequence(tr("Ctrl+2")), [this] { showPage(Page::Inspect); });
    add(view, tr("&Robustness"), QStringLiteral("actionRobustnessPage"), QKeySequence(tr("Ctrl+3")),
        [this] { showPage(Page::Robustness); });
    add(view, tr("&Models"), QStringLiteral("actionModelsPage"), QKeySequence(tr("Ctrl+4")), [this] { showPage(Page::Models); });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("helpMenu"));
    QAction *about = help->addAction(tr("&About RINE Studio"), this, &MainWindow::showAbout);
    about->setObjectName(QStringLiteral("actionAbout"));
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::applySettings(const StudioSettings &settings, bool save)
{
    const bool precisionChanged = settings.precision != m_settings.precision && !m_options.precision;
    // (The command line's --spai-weights fixes SPAI's file, and --backbone or --head keep RINE on.)
    const bool detectorsChanged =
        ((settings.spai != m_settings.spai || settings.spaiWeights != m_settings.spaiWeights)
         && m_options.spaiWeights.isEmpty())
        || (settings.rine != m_settings.rine && m_options.backbone.isEmpty() && m_options.heads.isEmpty());
    m_settings = settings;
    if (save)
        m_settings.save();
    // Results of another precision are other results, and other detectors other columns: the
    // models are loaded again.
    if ((precisionChanged || detectorsChanged) && save)
        startModel();
    m_scanPage->setRule(settings.rule);
    m_inspectPage->setRule(settings.rule);
    m_robustnessPage->setRule(settings.rule);
}

void MainWindow::showPage(Page page) { m_pages->setCurrentIndex(int(page)); }

TrainingWizard *MainWindow::trainingWizard() const { return m_trainingWizard; }

TrainingWizard *MainWindow::openTrainingWizard()
{
    if (!m_trainingWizard) {
        m_trainingWizard = new TrainingWizard(m_engine, this);
        m_trainingWizard->setAttribute(Qt::WA_DeleteOnClose);
        connect(m_trainingWizard, &TrainingWizard::activateRequested, this, &MainWindow::activateModel);
        // A trained head is recorded as trusted: the Models page shows it.
        connect(m_engine, &EngineController::jobStarted, m_trainingWizard, [this](Job *job) {
            if (job->kind() == Job::Kind::Training)
                connect(job, &Job::ended, this, [this] { m_engine->listModels(); });
        });
    }
    m_trainingWizard->show();
    m_trainingWizard->raise();
    m_trainingWizard->activateWindow();
    return m_trainingWizard;
}

void MainWindow::activateModel(const QString &role, const QString &path)
{
    if (m_engine->running(Job::Kind::Scan) || m_engine->running(Job::Kind::Sweep) || m_engine->running(Job::Kind::TileMap) || m_engine->running(Job::Kind::Report)
        || m_engine->running(Job::Kind::LoadModel)) {
        QMessageBox::information(this, tr("Models"),
                                 tr("A scan, sweep, report or model load is running: let it finish or cancel it, then "
                                    "set the model active."));
        return;
    }
    if (role == QLatin1String("detector")) {
        // SPAI: run beside RINE from this file (the Settings' Detectors say the same).
        m_settings.spai = true;
        m_settings.spaiWeights = path;
        m_options.spaiWeights.clear();
    } else if (role == QLatin1String("backbone")) {
        m_settings.activeBackbone = path;
        m_options.backbone = path;
    } else if (role == QLatin1String("head")) {
        m_settings.activeHead = path;
        m_options.heads = {path};
    } else {
        QMessageBox::information(this, tr("Models"),
                                 tr("%1 is not a backbone, head or detector that RINE Studio runs.")
                                     .arg(QDir::toNativeSeparators(path)));
        return;
    }
    m_settings.save();
    statusBar()->showMessage(tr("Loading %1 ...").arg(QDir::toNativeSeparators(path)), 10000);
    startModel();
}

void MainWindow::startModel()
{
    ModelRequest request;
    // The command line, else what was set active on the Models page, else the defaults.
    request.backbone = m_options.backbone;
    if (request.backbone.isEmpty() && !m_settings.activeBackbone.isEmpty() && QFileInfo::exists(m_settings.activeBackbone))
        request.backbone = m_settings.activeBackbone;
    if (request.backbone.isEmpty())
        request.backbone = ModelLocator::defaultBackbone();
    request.heads = m_options.heads;
    if (request.heads.isEmpty() && !m_settings.activeHead.isEmpty() && QFileInfo::exists(m_settings.activeHead))
        request.heads << m_settings.activeHead;
    if (request.heads.isEmpty() && !ModelLocator::defaultHead().isEmpty())
        request.heads << ModelLocator::defaultHead();
    // SPAI: the command line's file, else the Settings' (their file, else the model folder's).
    request.spaiWeights = m_options.spaiWeights;
    if (request.spaiWeights.isEmpty() && m_settings.spai)
        request.spaiWeights = m_settings.spaiWeights.isEmpty() ? ModelLocator::defaultSpaiWeights() : m_settings.spaiWeights;
    if (!request.spaiWeights.isEmpty() && m_options.spaiWeights.isEmpty() && !QFileInfo::exists(request.spaiWeights)) {
        // SPAI missing is no reason to stop RINE: it runs alone, and the status bar says why.
        statusBar()->showMessage(tr("SPAI is on in Settings, but its weight file %1 is not there: RINE runs %2. "
                                    "Download SPAI on the Models page, or choose its file in Settings.")
                                     .arg(QDir::toNativeSeparators(request.spaiWeights),
                                          m_settings.rine ? tr("alone") : tr("instead")));
        request.spaiWeights.clear();
    }
    // RINE off in Settings: SPAI alone, unless the command line names RINE's files or SPAI's
    // file is missing (then RINE runs, as with SPAI off).
    request.rine = m_settings.rine || !m_options.backbone.isEmpty() || !m_options.heads.isEmpty()
                || request.spaiWeights.isEmpty();
    if (!m_settings.rine && request.rine && request.spaiWeights.isEmpty())
        statusBar()->showMessage(tr("RINE is off in Settings, but SPAI's weight file is not there: RINE runs instead. "
                                    "Download SPAI on the Models page, or choose its file in Settings."));
    request.device = m_options.device;
    request.precision = m_options.precision.value_or(m_settings.precision);
    m_scanPage->setModelReady(false);
    m_inspectPage->setModelReady(false);
    m_robustnessPage->setModel(false, {});
    m_robustnessPage->setSpai(nullptr);
    m_banner->load(request);
}

void MainWindow::onModelLoaded()
{
    const std::shared_ptr<const SpaiDetector> &spai = m_engine->spai();
    if (!m_engine->hasRine()) { // SPAI alone: no backbone, heads or tile maps
        m_deviceLabel->setText(tr("Device: cpu, %1").arg(QString::fromStdString(spai->precision())));
        m_deviceLabel->setToolTip(tr("SPAI runs on the CPU\nPrecision: %1").arg(QString::fromStdString(spai->precisionNote())));
        m_modelLabel->setText(tr("Model: SPAI alone (%1)").arg(QString::fromStdString(spai->sha256()).left(12)));
        m_modelLabel->setToolTip(tr("SPAI weights SHA-256 %1").arg(QString::fromStdString(spai->sha256())));
        m_scanPage->setModelReady(true);
        m_inspectPage->setModelReady(true);
        m_inspectPage->setRine(false);
        m_robustnessPage->setModel(true, {});
        m_robustnessPage->setSpai(spai, false);
        m_modelsPage->setLoaded({}, {}, QString::fromStdString(spai->path()));
        openStartupFiles();
        emit settledChanged();
        return;
    }
    const ModelInfo &info = m_engine->modelInfo();
    m_deviceLabel->setText(tr("Device: %1, %2").arg(QString::fromStdString(info.device), QString::fromStdString(info.precision)));
    QString deviceTip = tr("Backbone: %1\nPrecision: %2").arg(QString::fromStdString(info.backboneDtype),
                                                            QString::fromStdString(info.precisionNote));
    if (const std::string warning = slowBlasWarning(); !warning.empty() && info.device.rfind("cpu", 0) == 0) {
        m_deviceLabel->setText(m_deviceLabel->text() + tr(" (slow matrix kernels)"));
        deviceTip += QStringLiteral("\n") + QString::fromStdString(warning);
    }
    m_deviceLabel->setToolTip(deviceTip);
    m_modelLabel->setText(m_banner->modelName());
    m_modelLabel->setToolTip(tr("Backbone SHA-256 %1").arg(QString::fromStdString(info.backboneSha256)));
    m_scanPage->setModelReady(true);
    m_inspectPage->setModelReady(true);
    m_inspectPage->setRine(true);
    m_robustnessPage->setModel(true, info);
    QStringList heads;
    for (const HeadInfo &head : info.heads)
        heads << QString::fromStdString(head.path);
    m_modelsPage->setLoaded(QString::fromStdString(info.backbonePath), heads,
                            spai ? QString::fromStdString(spai->path()) : QString());
    m_robustnessPage->setSpai(spai);
    if (spai)
        m_modelLabel->setText(m_modelLabel->text() + tr("; SPAI (%1)").arg(QString::fromStdString(spai->sha256()).left(12)));
    openStartupFiles();
    emit settledChanged();
}

void MainWindow::openStartupFiles()
{
    if (!m_startupPending)
        return;
    m_startupPending = false;
    for (const QString &path : m_options.open) {
        const QFileInfo info(path);
        if (info.isDir())
            openFolder(info.absoluteFilePath());
        else if (path.endsWith(QLatin1String(".sqlite")))
            openCase(info.absoluteFilePath());
        else
            openImage(info.absoluteFilePath());
    }
}

void MainWindow::newCase(const QString &path)
{
    m_casePath = path;
    m_scanId = 0;
    CaseRows rows;
    rows.casePath = path;
    rows.caseName = QFileInfo(path).completeBaseName();
    m_scanPage->setCase(rows);
}

void MainWindow::openFolder(const QString &folder)
{
    if (!m_engine->hasModel() || m_engine->running(Job::Kind::Scan))
        return;
    if (m_casePath.isEmpty() || !m_caseReadOnly.isEmpty()) {
        // A new case in the cases folder, never in the evidence folder (nor in a case that is
        // only read here).
        m_caseReadOnly.clear();
        if (m_adoptAction)
            m_adoptAction->setEnabled(false);
        QDir().mkpath(m_settings.casesFolder);
        m_casePath = QDir(m_settings.casesFolder)
                         .filePath(QStringLiteral("%1-%2.sqlite")
                                       .arg(QFileInfo(folder).fileName().isEmpty() ? QStringLiteral("case")
                                                                                   : QFileInfo(folder).fileName(),
                                            QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
    }
    ScanParams params;
    params.roots = QStringList{folder};
    params.casePath = m_casePath;
    params.crop = m_settings.crop;
    params.batchSize = m_settings.batchSize;
    params.followLinksOutside = m_settings.followLinksOutside;
    params.spai = m_engine->spai() != nullptr;
    Job *job = m_engine->scan(params);
    if (!job)
        return;
    // The case first (its rows, the scan id), then the page's account of the scan.
    connect(job, &Job::progressed, this, [this](const QVariant &update) {
        const ScanUpdate u = update.value<ScanUpdate>();
        if (u.hasRows)
            m_scanId = u.rows.scanId;
    });
    for (auto signal : {&Job::finished, &Job::cancelled})
        connect(job, signal, this, [this](const QVariant &v) { showCase(v.value<ScanFinished>().rows); });
    m_scanPage->followScan(job, params.roots, params.casePath);
    showPage(Page::Scan);
}

void MainWindow::adoptCase()
{
    if (m_caseReadOnly.isEmpty() || m_engine->running(Job::Kind::Scan) || m_engine->running(Job::Kind::Report))
        return;
    followCase(m_engine->openCase(m_casePath, true));
}

void MainWindow::openCase(const QString &path)
{
    if (m_engine->running(Job::Kind::Scan))
        return;
    followCase(m_engine->openCase(path));
    showPage(Page::Scan);
}

void MainWindow::showCase(const CaseRows &rows)
{
    m_casePath = rows.casePath;
    m_caseReadOnly = rows.readOnly;
    m_caseIntegrity = rows.integrity;
    if (m_adoptAction)
        m_adoptAction->setEnabled(!m_caseReadOnly.isEmpty());
    m_scanId = rows.scanId;
    m_scanPage->setCase(rows);
    statusBar()->showMessage(tr("Case %1: %2").arg(rows.caseName, m_scanPage->caseSummary()), 10000);
}

void MainWindow::followCase(Job *job)
{
    job->onFinished<CaseRows>(this, [this](const CaseRows &rows) { showCase(rows); });
    job->onFailed(this, [this](const QString &error) { QMessageBox::warning(this, tr("Case"), error); });
}

void MainWindow::followModelAction(Job *job, ModelAction::Kind kind, const QString &name)
{
    m_modelsPage->followAction(job, kind, name);
    m_modelsPage->setBusy(m_engine->modelsBusy());
    connect(job, &Job::ended, this, [this, kind](Job *ended) {
        m_modelsPage->setBusy(m_engine->modelsBusy());
        // A backbone that has just arrived is loaded at once when none is.
        const bool arrived = ended->state() == Job::State::Finished
                          && (kind == ModelAction::Kind::Fetch || kind == ModelAction::Kind::Import);
        if (arrived && !m_engine->hasModel() && !m_engine->running(Job::Kind::LoadModel) && m_options.backbone.isEmpty())
            startModel();
    });
}

void MainWindow::reportEnded(const ReportOutcome &outcome, const QString &error)
{
    if (m_reportProgress) {
        m_reportProgress->deleteLater();
        m_reportProgress = nullptr;
    }
    auto *box = new QMessageBox(this);
    box->setObjectName(QStringLiteral("reportResult"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowTitle(tr("Export"));
    if (!error.isEmpty()) {
        box->setIcon(QMessageBox::Warning);
        box->setText(tr("Nothing was exported: %1").arg(error.toHtmlEscaped()));
        statusBar()->showMessage(tr("Export failed"), 10000);
    } else {
        QString text = tr("<p>Written, and recorded with their SHA-256 in the case's audit log:</p><ul>");
        for (const WrittenFile &file : outcome.files)
            text += QStringLiteral("<li>%1<br><tt>%2</tt></li>").arg(file.path.toHtmlEscaped(), file.sha256);
        text += QStringLiteral("</ul>");
        for (const QString &note : outcome.notes)
            text += QStringLiteral("<p><i>%1</i></p>").arg(note.toHtmlEscaped());
        box->setText(text);
        statusBar()->showMessage(tr("Exported %n file(s)", nullptr, int(outcome.files.size())), 10000);
    }
    box->open();
}

void MainWindow::openImage(const QString &path)
{
    m_inspectStored.reset();
    FileReport report;
    report.path = path;
    inspectReport(report);
}

void MainWindow::inspectReport(const FileReport &report)
{
    m_inspectStored = report.id != 0 ? std::optional<FileReport>(report) : std::nullopt;
    showPage(Page::Inspect);
    if (!m_engine->hasModel()) {
        m_inspectPage->showPending(report.path, tr("Inspect needs the detector: see the message above."));
        return;
    }
    m_inspectPage->showPending(report.path, m_engine->running(Job::Kind::Scan) ? tr("Examining (taking turns with the scan)...")
                                                                    : tr("Examining..."));
    InspectParams params;
    params.path = report.path;
    params.crop = m_settings.crop;
    Job *job = m_engine->inspect(params);
    m_inspectJob = job;
    // Only the latest image's analysis is shown.
    job->onFinished<InspectResult>(this, [this, job](const InspectResult &result) {
        if (job != m_inspectJob)
            return;
        m_inspectPage->showResult(result, m_inspectStored);
        if (m_options.tileMap && result.scored) {
            m_options.tileMap = false;
            emit m_inspectPage->tilesRequested();
        }
        if (m_options.robustness && result.scored) {
            m_options.robustness = false;
            emit m_inspectPage->robustnessRequested();
            emit m_robustnessPage->runRequested();
        }
    });
    job->onFailed(this, [this, job, path = report.path](const QString &error) {
        if (job != m_inspectJob)
            return;
        InspectResult result;
        result.path = path;
        result.error = error;
        m_inspectPage->showResult(result, m_inspectStored);
    });
}

void MainWindow::exportResults(const QString &path)
{
    ReportRequest request;
    if (path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
        request.jsonPath = path;
    else
        request.csvPath = path;
    writeReport(request);
}

void MainWindow::writeReport(ReportRequest request)
{
    if (m_scanId <= 0 || m_engine->running(Job::Kind::Scan) || m_engine->running(Job::Kind::Report))
        return;
    request.scanId = m_scanId;
    request.rule = m_settings.rule;
    if (!request.pdfPath.isEmpty()) {
        m_reportProgress = new QProgressDialog(tr("Preparing the report..."), tr("Cancel"), 0, 1, this);
        m_reportProgress->setObjectName(QStringLiteral("reportProgress"));
        m_reportProgress->setWindowModality(Qt::WindowModal);
        m_reportProgress->setMinimumDuration(500);
        m_reportProgress->setAutoClose(false);
        m_reportProgress->setAutoReset(false);
    }
    Job *job = m_engine->writeReport(request);
    if (!job)
        return;
    if (m_reportProgress)
        connect(m_reportProgress, &QProgressDialog::canceled, job, &Job::cancel);
    job->onProgress<ReportStep>(this, [this](const ReportStep &step) {
        if (!m_reportProgress)
            return;
        m_reportProgress->setLabelText(step.stage);
        m_reportProgress->setMaximum(std::max(1, step.total));
        m_reportProgress->setValue(std::min(step.done, step.total));
    });
    job->onFinished<ReportOutcome>(this, [this](const ReportOutcome &outcome) { reportEnded(outcome, {}); });
    job->onFailed(this, [this](const QString &error) { reportEnded({}, error); });
    connect(job, &Job::cancelled, this, [this] { reportEnded({}, tr("cancelled: no report was written")); });
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About RINE Studio"),
                       tr("<h3>RINE Studio %1</h3><p>Build %2</p>"
                          "<p>LibTorch %3, OpenCV %4, Qt %5</p>"
                          "<p>Detector: RINE, Koutlis and Papadopoulos, \"Leveraging Representations from "
                          "Intermediate Encoder-Blocks for Synthetic Image Detection\", ECCV 2024. Bundled head "
                          "from mever-team/rine, Apache License 2.0.</p>")
                           .arg(QStringLiteral(RINE_VERSION), QStringLiteral(RINE_GIT_DESCRIBE),
                                QString::fromStdString(libtorchVersion()), QString::fromStdString(opencvVersion()),
                                QString::fromLatin1(qVersion())));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_engine->busy()) {
        // Finish the batch in flight and commit it, then close (see the idle signal). A training
        // run stops after its batch and writes its best epoch so far.
        m_closeRequested = true;
        m_engine->cancelAll();
        statusBar()->showMessage(tr("Stopping: finishing the batch in flight, then closing..."));
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    event->accept();
}

} // namespace rine
