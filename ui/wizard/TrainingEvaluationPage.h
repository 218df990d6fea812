#pragma once

#include "EngineTypes.h"
#include "Job.h"

#include <QPointer>
#include <QWizardPage>

class QLabel;
class QPushButton;
class QTableWidget;

namespace rine {

class EngineController;
class TrainingConfigPage;
class TrainingRunPage;

// The training wizard's fourth page: the best epoch, validation accuracy and AP per class and
// their mean, every epoch's figures, warnings about the data; and the trained head measured on
// test sets of other generators (session/Evaluation.h, as rine-cli evaluate, with the Settings
// crop and threshold), recorded in its model card.
class TrainingEvaluationPage : public QWizardPage {
    Q_OBJECT

public:
    TrainingEvaluationPage(EngineController *engine, const TrainingConfigPage *config, const TrainingRunPage *run,
                           QWidget *parent = nullptr);
    ~TrainingEvaluationPage() override;

    void evaluateOn(const QString &testRoot);
    bool testRunning() const { return bool(m_testJob); }
    void cancelTest();
    const TestEvaluation &testEvaluation() const { return m_test; }

    void initializePage() override;
    bool isComplete() const override { return !m_testJob; }

private:
    void onTestEnded(const TrainingUpdate &update, const QString &error);

    EngineController *m_engine;
    const TrainingConfigPage *m_config;
    const TrainingRunPage *m_run;
    QLabel *m_best;
    QTableWidget *m_byClass, *m_epochTable;
    QPushButton *m_testButton;
    QLabel *m_testMessage;
    QTableWidget *m_testTable;
    QPointer<Job> m_testJob;
    TestEvaluation m_test;
};

} // namespace rine
