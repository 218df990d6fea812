#pragma once

#include "EngineTypes.h"
#include "Job.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QWizard>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTableWidget;
class QTimer;

namespace rine {

class EngineController;
class TrainingChart;

// Retraining the detector's head on the user's data (issue 8), step by step:
//   Data: the dataset's folder (train/ and val/, ProGAN or flat layout), the classes (every
//     class, the paper's 1-, 2- or 4-class sets, or chosen by hand), images counted per class,
//     split and label;
//   Configuration: the published preset, epochs, batch, seed, early stopping, fast mode or
//     training with augmentation (the trade-off said), where to write the head;
//   Training: live loss and accuracy curves, progress with an estimate of the time left,
//     Cancel (the best epoch so far is kept);
//   Evaluation: the best epoch, validation accuracy and AP per class and their mean, every
//     epoch's figures, warnings about the data;
//   Save: where the head and its model card are, a copy elsewhere, and making it the active
//     head.
// The work runs on the engine's training thread with the loaded backbone; nothing here blocks.
class TrainingWizard : public QWizard {
    Q_OBJECT

public:
    enum PageId { DataPage, ConfigurationPage, TrainingPage, EvaluationPage, SavePage };

    explicit TrainingWizard(EngineController *engine, QWidget *parent = nullptr);
    ~TrainingWizard() override;

    // For tests and for a folder given on the command line.
    void setDataFolder(const QString &folder);
    bool surveyed() const { return m_surveyReady; }
    bool trainingRunning() const { return bool(m_trainingJob); }
    bool trainingFinished() const { return m_finished; }
    const TrainingRunOutcome &outcome() const { return m_outcome; }
    QString error() const { return m_error; }
    QString outputPath() const;
    // Evaluation page: measures the trained head on test sets (per generator) and records the
    // result in its model card.
    void evaluateOn(const QString &testRoot);
    bool testEvaluationRunning() const { return bool(m_testJob); }
    const TestEvaluation &testEvaluation() const { return m_test; }

signals:
    // Finish with "make it the active head" ticked.
    void activateRequested(const QString &role, const QString &path);

public slots:
    void reject() override; // while training: stops it (the best epoch so far is kept), stays open
    void accept() override;

private:
    QWizardPage *createDataPage();
    QWizardPage *createConfigurationPage();
    QWizardPage *createTrainingPage();
    QWizardPage *createEvaluationPage();
    QWizardPage *createSavePage();

    QStringList chosenClasses() const; // empty: every class
    QString classSetName() const; // "1-class", "2-class", "4-class", or empty
    void requestSurvey();
    void onSurveyed(const TrainingSurvey &survey);
    void showCounts();
    void updateTradeOff();
    void startTraining();
    void followTraining(Job *job);
    void followTestEvaluation(Job *job);
    void onTrainingProgress(const TrainingUpdate &update);
    void onTrainingEnded(const TrainingUpdate &update, const QString &error);
    void onTestEnded(const TrainingUpdate &update, const QString &error);
    void showEvaluation();
    void showSaved();
    void saveCopy();

    EngineController *m_engine;

    // Data
    QLineEdit *m_folder;
    QComboBox *m_classSet;
    QListWidget *m_classList;
    QTableWidget *m_counts;
    QLabel *m_dataMessage;
    QTimer *m_surveyTimer;
    TrainingSurvey m_survey;
    QString m_surveyKey; // root and classes of the survey asked for last
    bool m_surveyReady = false;

    // Configuration
    QComboBox *m_preset;
    QLabel *m_presetText;
    QSpinBox *m_epochs, *m_batch, *m_seed, *m_patience;
    QCheckBox *m_earlyStop;
    QRadioButton *m_fast, *m_augment;
    QLabel *m_tradeOff;
    QLineEdit *m_output;
    QLabel *m_configMessage;

    // Training
    QLabel *m_stage, *m_eta;
    QProgressBar *m_progress;
    TrainingChart *m_chart;
    QPlainTextEdit *m_log;
    QPushButton *m_cancel;
    QPointer<Job> m_trainingJob;
    bool m_finished = false;
    bool m_stopping = false;
    QString m_error;
    TrainingRunOutcome m_outcome;
    std::optional<TrainingStage> m_etaStage;
    QElapsedTimer m_stageClock;

    // Evaluation
    QLabel *m_best;
    QTableWidget *m_byClass, *m_epochTable;
    QPushButton *m_testButton;
    QLabel *m_testMessage;
    QTableWidget *m_testTable;
    QPointer<Job> m_testJob;
    TestEvaluation m_test;

    // Save
    QLabel *m_saved;
    QCheckBox *m_activate;
};

} // namespace rine
