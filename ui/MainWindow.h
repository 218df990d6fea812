#pragma once

#include "EngineTypes.h"
#include "Job.h"
#include "SettingsDialog.h"

#include <QMainWindow>
#include <QPointer>

#include <optional>

class QAction;
class QLabel;
class QFrame;
class QMessageBox;
class QProgressDialog;
class QPushButton;
class QTabWidget;

namespace rine {

class EngineController;
class ModelBanner;
class InspectPage;
class ModelsPage;
class RobustnessPage;
class ScanPage;
class TrainingWizard;

// The window's pages, in tab order.
enum class Page { Scan, Inspect, Robustness, Models };

// What the command line chose (rine-studio --backbone/--head, and files to open).
struct StudioOptions {
    QString backbone; // empty: $RINE_BACKBONE, the CLIP cache, the model store
    QStringList heads; // empty: the bundled 2-class head
    QString spaiWeights; // non-empty: SPAI runs beside RINE from this file, whatever the Settings say
    DeviceChoice device = DeviceChoice::Auto;
    std::optional<Precision> precision; // --precision; else the Settings' value
    QStringList open; // folders are scanned, images inspected, .sqlite files opened as cases
    bool tileMap = false; // also score the tile map of the first image opened
    bool robustness = false; // also sweep the first image opened (paper preset)
};

// The application window: a page per job (Scan, Inspect, Robustness, Models), menus with shortcuts, the device
// and the loaded model in the status bar. The engine runs on worker threads behind an
// EngineController; this class only asks it for work and shows what comes back.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(StudioOptions options = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    ScanPage *scanPage() const { return m_scanPage; }
    InspectPage *inspectPage() const { return m_inspectPage; }
    RobustnessPage *robustnessPage() const { return m_robustnessPage; }
    ModelsPage *modelsPage() const { return m_modelsPage; }
    EngineController *engine() const { return m_engine; }
    // Nothing is loading or running, and the files given at start-up have been opened.
    bool settled() const;

    void openFolder(const QString &folder); // scans it into the current case (a new one if none)
    void openImage(const QString &path);
    void openCase(const QString &path);
    // Takes over the open case, received from another installation: recorded in its audit log.
    void adoptCase();
    bool caseReadOnly() const { return !m_caseReadOnly.isEmpty(); }
    void newCase(const QString &path);
    void exportResults(const QString &path); // CSV or JSON by the file's extension
    // Writes a report of the current scan (scan id and verdict rule filled in here).
    void writeReport(ReportRequest request);
    void showPage(Page page);
    // The training wizard (one at a time, not modal): opened, or raised when it is open.
    TrainingWizard *openTrainingWizard();
    TrainingWizard *trainingWizard() const;
    // What Settings' OK does: kept, applied, and the models loaded again when the detectors or
    // the precision changed.
    void applySettings(const StudioSettings &settings, bool save = true);

signals:
    void settledChanged();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void startModel();
    void onModelLoaded();
    void activateModel(const QString &role, const QString &path);
    void inspectReport(const FileReport &report);
    // A case's rows are shown (opened, adopted, or after a scan).
    void showCase(const CaseRows &rows);
    void followCase(Job *job);
    void followModelAction(Job *job, ModelAction::Kind kind, const QString &name);
    void reportEnded(const ReportOutcome &outcome, const QString &error);
    void openStartupFiles();
    void showAbout();

    StudioOptions m_options;
    StudioSettings m_settings;
    EngineController *m_engine;
    QTabWidget *m_pages;
    ScanPage *m_scanPage;
    InspectPage *m_inspectPage;
    RobustnessPage *m_robustnessPage;
    ModelsPage *m_modelsPage;
    QPointer<TrainingWizard> m_trainingWizard;
    ModelBanner *m_banner;
    QLabel *m_deviceLabel;
    QLabel *m_modelLabel;
    QProgressDialog *m_reportProgress = nullptr;
    QString m_casePath;
    QString m_caseReadOnly; // why the open case is only read, when it is
    CaseIntegrity m_caseIntegrity; // the open case against its audit chain
    QAction *m_adoptAction = nullptr;
    qint64 m_scanId = 0;
    QPointer<Job> m_inspectJob; // the latest Inspect: earlier ones' results are not shown
    std::optional<FileReport> m_inspectStored;
    bool m_startupPending = true;
    bool m_closeRequested = false;
};

} // namespace rine
