#pragma once

#include "EngineTypes.h"

#include <QWizard>

namespace rine {

class EngineController;
class TrainingConfigPage;
class TrainingDataPage;
class TrainingEvaluationPage;
class TrainingRunPage;
class TrainingSavePage;

// Retraining the detector's head on the user's data (issue 8), step by step, one page class
// each (this folder): Data, Configuration, Training, Evaluation, Save. The work runs as jobs on
// the engine's training thread with the loaded backbone; nothing here blocks.
class TrainingWizard : public QWizard {
    Q_OBJECT

public:
    enum PageId { DataPage, ConfigurationPage, TrainingPage, EvaluationPage, SavePage };

    explicit TrainingWizard(EngineController *engine, QWidget *parent = nullptr);
    ~TrainingWizard() override;

    // For tests and for a folder given on the command line.
    void setDataFolder(const QString &folder);
    bool surveyed() const;
    bool trainingRunning() const;
    bool trainingFinished() const;
    const TrainingRunOutcome &outcome() const;
    QString error() const;
    QString outputPath() const;
    // Evaluation page: measures the trained head on test sets (per generator) and records the
    // result in its model card.
    void evaluateOn(const QString &testRoot);
    bool testEvaluationRunning() const;
    const TestEvaluation &testEvaluation() const;

signals:
    // Finish with "make it the active head" ticked.
    void activateRequested(const QString &role, const QString &path);

public slots:
    void reject() override; // while training: stops it (the best epoch so far is kept), stays open
    void accept() override;

private:
    TrainingDataPage *m_data;
    TrainingConfigPage *m_config;
    TrainingRunPage *m_run;
    TrainingEvaluationPage *m_evaluation;
    TrainingSavePage *m_save;
};

} // namespace rine
