#include "TrainingRunPage.h"

#include "Charts.h"
#include "EngineController.h"
#include "TrainingConfigPage.h"
#include "WizardTables.h"

#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>
#include <QWizard>

namespace rine {

using namespace wizard;

TrainingRunPage::TrainingRunPage(EngineController *engine, const TrainingConfigPage *config, QWidget *parent)
    : QWizardPage(parent), m_engine(engine), m_config(config)
{
    setTitle(tr("Training"));
    setSubTitle(tr("Validation every epoch; the best epoch (accuracy, then loss) is kept. Cancel stops and keeps "
                   "the best epoch so far."));
    m_stage = new QLabel;
    m_stage->setObjectName(QStringLiteral("trainingStage"));
    m_stage->setWordWrap(true);
    m_eta = new QLabel;
    m_eta->setObjectName(QStringLiteral("trainingEta"));
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("trainingProgress"));
    m_chart = new TrainingChart;
    m_chart->setObjectName(QStringLiteral("trainingChart"));
    m_log = new QPlainTextEdit;
    m_log->setObjectName(QStringLiteral("trainingLog"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    m_log->setMaximumHeight(120);
    m_cancel = new QPushButton(tr("Cancel training"));
    m_cancel->setObjectName(QStringLiteral("trainingCancel"));
    m_cancel->setToolTip(tr("Stops after the current batch; the best epoch so far is written."));
    connect(m_cancel, &QPushButton::clicked, this, &TrainingRunPage::stop);
    auto *row = new QHBoxLayout;
    row->addWidget(m_progress, 1);
    row->addWidget(m_eta);
    row->addWidget(m_cancel);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_stage);
    layout->addLayout(row);
    layout->addWidget(m_chart, 1);
    layout->addWidget(m_log);
}

TrainingRunPage::~TrainingRunPage()
{
    if (m_job)
        m_job->cancel();
}

void TrainingRunPage::stop()
{
    if (!m_job)
        return;
    m_stopping = true;
    m_cancel->setEnabled(false);
    m_stage->setText(tr("Stopping after the current batch ..."));
    m_job->cancel();
}

void TrainingRunPage::initializePage()
{
    m_finished = false;
    m_stopping = false;
    m_error.clear();
    m_outcome = {};
    m_chart->clearEpochs();
    m_log->clear();
    m_progress->setRange(0, 0);
    m_eta->clear();
    m_etaStage.reset();

    const TrainingParams params = m_config->params();
    const QString output = m_config->outputPath();
    QDir().mkpath(QFileInfo(output).path());
    m_epochs = params.request.config.epochs;
    m_augment = params.request.augment;
    m_job = m_engine->train(params);
    if (!m_job) {
        m_finished = true;
        m_error = m_engine->hasRine() ? tr("Another training run is still stopping: go back and try again shortly.")
                  : m_engine->hasModel()
                      ? tr("SPAI alone is loaded: training a RINE head needs RINE's backbone (turn RINE on in "
                           "Settings).")
                      : tr("No model is loaded: training needs the backbone (see the Models page).");
        m_stage->setText(errorHtml(m_error));
        m_progress->setRange(0, 1);
        m_cancel->setEnabled(false);
        return;
    }
    m_job->onProgress<TrainingUpdate>(this, [this](const TrainingUpdate &update) { onProgress(update); });
    // Cancelled: the best epoch so far was written, and its outcome says so.
    m_job->onEnd<TrainingUpdate>(this, [this](const TrainingUpdate &update, const QString &error) {
        onEnded(update, error);
    });
    m_cancel->setEnabled(true);
    m_stage->setText(tr("Reading the images ..."));
    m_log->appendPlainText(tr("Training %1 on %2, writing %3")
                               .arg(m_augment ? tr("with augmentation") : tr("in fast mode"),
                                    QDir::toNativeSeparators(params.root), QDir::toNativeSeparators(output)));
    // No going back while it runs: after QWizard has set its buttons for this page (it sets
    // them again when the run ends and the page becomes complete).
    QTimer::singleShot(0, this, [this] {
        if (m_job && wizard())
            wizard()->button(QWizard::BackButton)->setEnabled(false);
    });
}

void TrainingRunPage::onProgress(const TrainingUpdate &update)
{
    if (!update.note.isEmpty())
        m_log->appendPlainText(update.note);
    if (update.hasEpoch) {
        const EpochReport &r = update.epoch;
        m_chart->addEpoch(r);
        m_log->appendPlainText(tr("Epoch %1 (learning rate %2): training loss %3, validation loss %4, accuracy %5, "
                                  "AP %6%7")
                                   .arg(r.epoch)
                                   .arg(r.learningRate)
                                   .arg(r.trainLoss, 0, 'f', 4)
                                   .arg(r.validationLoss, 0, 'f', 4)
                                   .arg(percent(r.validationAccuracy), percent(r.validationAveragePrecision),
                                        r.best ? tr(" (best so far)") : QString()));
    }
    if (update.stage && update.total > 0 && !update.hasEpoch) {
        if (update.stage != m_etaStage) {
            m_etaStage = update.stage;
            m_stageClock.start();
        }
        const int scale = int(qMin<qint64>(update.total, 1000000));
        m_progress->setRange(0, scale);
        m_progress->setValue(int(double(update.done) / double(update.total) * scale));
        if (!m_stopping) {
            const QString what = *update.stage == TrainingStage::TrainFeatures
                                     ? tr("Reading the training images%1")
                                           .arg(m_augment ? QString() : tr(" and computing their features"))
                                 : *update.stage == TrainingStage::ValFeatures
                                     ? tr("Reading the validation images and computing their features")
                                     : *update.stage == TrainingStage::TestImages
                                     ? tr("Scoring the test images")
                                     : trainingStep(update.done, update.total, m_epochs);
            m_stage->setText(*update.stage == TrainingStage::Training ? what
                                                                       : tr("%1: %2 of %3")
                                                                             .arg(what)
                                                                             .arg(update.done)
                                                                             .arg(update.total));
        }
        const double elapsed = m_stageClock.elapsed() / 1000.0;
        if (update.done > 0 && update.done < update.total && elapsed > 0.5)
            m_eta->setText(tr("about %1 left in this stage")
                               .arg(duration(elapsed / double(update.done) * double(update.total - update.done))));
        else
            m_eta->clear();
    }
}

void TrainingRunPage::onEnded(const TrainingUpdate &update, const QString &error)
{
    m_job = nullptr;
    m_finished = true;
    m_cancel->setEnabled(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(1);
    m_eta->clear();
    if (!error.isEmpty()) {
        m_error = error;
        m_stage->setText(errorHtml(m_error));
        m_log->appendPlainText(m_error);
    } else {
        m_outcome = update.outcome;
        const HeadTrainingOutcome &t = m_outcome.training;
        const EpochReport &best = t.epochs[std::size_t(t.bestEpoch - 1)];
        m_stage->setText(tr("%1 Best epoch %2: validation accuracy %3, AP %4.")
                             .arg(t.cancelled      ? tr("Cancelled: the best epoch so far is kept.")
                                  : t.stoppedEarly ? tr("Stopped early: accuracy had stopped improving.")
                                                   : tr("Done."))
                             .arg(t.bestEpoch)
                             .arg(percent(best.validationAccuracy), percent(best.validationAveragePrecision)));
    }
    emit completeChanged();
}

} // namespace rine
