#include "TrainingWizard.h"

#include "TrainingConfigPage.h"
#include "TrainingDataPage.h"
#include "TrainingEvaluationPage.h"
#include "TrainingRunPage.h"
#include "TrainingSavePage.h"

namespace rine {

TrainingWizard::TrainingWizard(EngineController *engine, QWidget *parent) : QWizard(parent)
{
    setObjectName(QStringLiteral("trainingWizard"));
    setWindowTitle(tr("Train a detector"));
    setWizardStyle(QWizard::ClassicStyle);
    setOption(QWizard::NoBackButtonOnLastPage, false);
    setMinimumSize(760, 600);
    resize(860, 720);
    m_data = new TrainingDataPage(engine);
    m_config = new TrainingConfigPage(engine, m_data);
    m_run = new TrainingRunPage(engine, m_config);
    m_evaluation = new TrainingEvaluationPage(engine, m_config, m_run);
    m_save = new TrainingSavePage(m_config, m_run);
    setPage(DataPage, m_data);
    setPage(ConfigurationPage, m_config);
    setPage(TrainingPage, m_run);
    setPage(EvaluationPage, m_evaluation);
    setPage(SavePage, m_save);
}

TrainingWizard::~TrainingWizard() = default; // the pages cancel their jobs

void TrainingWizard::setDataFolder(const QString &folder) { m_data->setFolder(folder); }
bool TrainingWizard::surveyed() const { return m_data->surveyed(); }
bool TrainingWizard::trainingRunning() const { return m_run->running(); }
bool TrainingWizard::trainingFinished() const { return m_run->finished(); }
const TrainingRunOutcome &TrainingWizard::outcome() const { return m_run->outcome(); }
QString TrainingWizard::error() const { return m_run->error(); }
QString TrainingWizard::outputPath() const { return m_config->outputPath(); }
void TrainingWizard::evaluateOn(const QString &testRoot) { m_evaluation->evaluateOn(testRoot); }
bool TrainingWizard::testEvaluationRunning() const { return m_evaluation->testRunning(); }
const TestEvaluation &TrainingWizard::testEvaluation() const { return m_evaluation->testEvaluation(); }

void TrainingWizard::accept()
{
    if (m_save->activate() && m_run->finished() && m_run->error().isEmpty())
        emit activateRequested(QStringLiteral("head"), outputPath());
    QWizard::accept();
}

void TrainingWizard::reject()
{
    if (m_evaluation->testRunning()) {
        m_evaluation->cancelTest();
        return;
    }
    if (m_run->running()) { // first stop the run; the wizard stays to show what was kept
        m_run->stop();
        return;
    }
    QWizard::reject();
}

} // namespace rine
