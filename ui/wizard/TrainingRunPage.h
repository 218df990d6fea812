#pragma once

#include "EngineTypes.h"
#include "Job.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QWizardPage>

#include <optional>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace rine {

class EngineController;
class TrainingChart;
class TrainingConfigPage;

// The training wizard's third page: entering it starts the training job; live loss and
// accuracy curves, progress with an estimate of the time left in each stage, a log, and
// Cancel (the best epoch so far is kept). Back is disabled while it runs.
class TrainingRunPage : public QWizardPage {
    Q_OBJECT

public:
    TrainingRunPage(EngineController *engine, const TrainingConfigPage *config, QWidget *parent = nullptr);
    ~TrainingRunPage() override;

    bool running() const { return bool(m_job); }
    bool finished() const { return m_finished; }
    QString error() const { return m_error; }
    const TrainingRunOutcome &outcome() const { return m_outcome; }
    void stop(); // as Cancel: after the current batch, the best epoch so far is written

    void initializePage() override;
    bool isComplete() const override { return m_finished && m_error.isEmpty(); }

private:
    void onProgress(const TrainingUpdate &update);
    void onEnded(const TrainingUpdate &update, const QString &error);

    EngineController *m_engine;
    const TrainingConfigPage *m_config;
    QLabel *m_stage, *m_eta;
    QProgressBar *m_progress;
    TrainingChart *m_chart;
    QPlainTextEdit *m_log;
    QPushButton *m_cancel;
    QPointer<Job> m_job;
    int m_epochs = 0;
    bool m_augment = false;
    bool m_finished = false;
    bool m_stopping = false;
    QString m_error;
    TrainingRunOutcome m_outcome;
    std::optional<TrainingStage> m_etaStage;
    QElapsedTimer m_stageClock;
};

} // namespace rine
