#include "TrainingEvaluationPage.h"

#include "EngineController.h"
#include "SettingsDialog.h"
#include "TrainingConfigPage.h"
#include "TrainingRunPage.h"
#include "WizardTables.h"
#include "util/QtStrings.h"

#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rine {

using namespace wizard;

TrainingEvaluationPage::TrainingEvaluationPage(EngineController *engine, const TrainingConfigPage *config,
                                               const TrainingRunPage *run, QWidget *parent)
    : QWizardPage(parent), m_engine(engine), m_config(config), m_run(run)
{
    setTitle(tr("Evaluation"));
    setSubTitle(tr("The best epoch on the validation set, per class, and every epoch's figures; and, if you "
                   "have them, test sets of other generators."));
    m_best = new QLabel;
    m_best->setObjectName(QStringLiteral("trainingBest"));
    m_best->setWordWrap(true);
    m_best->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_byClass = new QTableWidget(0, 5);
    m_byClass->setObjectName(QStringLiteral("trainingByClass"));
    m_byClass->setHorizontalHeaderLabels({tr("Class"), tr("Real"), tr("Fake"), tr("Accuracy"), tr("AP")});
    compact(m_byClass);
    m_byClass->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_epochTable = new QTableWidget(0, 6);
    m_epochTable->setObjectName(QStringLiteral("trainingEpochTable"));
    m_epochTable->setHorizontalHeaderLabels(
        {tr("Epoch"), tr("Learning rate"), tr("Training loss"), tr("Validation loss"), tr("Accuracy"), tr("AP")});
    compact(m_epochTable);
    m_epochTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_testButton = new QPushButton(tr("Evaluate on test sets..."));
    m_testButton->setObjectName(QStringLiteral("trainingTestButton"));
    m_testButton->setToolTip(tr("A folder of <generator>/[<class>/]{0_real,1_fake}, as the paper's test sets: "
                                "accuracy and AP per generator and their mean"));
    connect(m_testButton, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Test sets folder"));
        if (!folder.isEmpty())
            evaluateOn(folder);
    });
    m_testMessage = new QLabel;
    m_testMessage->setObjectName(QStringLiteral("trainingTestMessage"));
    m_testMessage->setWordWrap(true);
    m_testTable = new QTableWidget(0, 5);
    m_testTable->setObjectName(QStringLiteral("trainingTestTable"));
    m_testTable->setHorizontalHeaderLabels({tr("Generator"), tr("Real"), tr("Fake"), tr("Accuracy"), tr("AP")});
    compact(m_testTable);
    m_testTable->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    auto *testRow = new QHBoxLayout;
    testRow->addWidget(m_testButton);
    testRow->addWidget(m_testMessage, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_best);
    layout->addWidget(m_byClass, 1);
    layout->addWidget(m_epochTable, 2);
    layout->addLayout(testRow);
    layout->addWidget(m_testTable, 1);
}

TrainingEvaluationPage::~TrainingEvaluationPage() { cancelTest(); }

void TrainingEvaluationPage::cancelTest()
{
    if (m_testJob)
        m_testJob->cancel();
}

void TrainingEvaluationPage::initializePage()
{
    const TrainingRunOutcome &outcome = m_run->outcome();
    const HeadTrainingOutcome &t = outcome.training;
    if (t.epochs.empty() || t.bestEpoch < 1)
        return;
    const EpochReport &best = t.epochs[std::size_t(t.bestEpoch - 1)];
    QStringList lines;
    lines << tr("<b>Best epoch %1 of %2</b>: validation accuracy %3 at 0.5, average precision %4.")
                 .arg(t.bestEpoch)
                 .arg(t.epochs.size())
                 .arg(percent(best.validationAccuracy), percent(best.validationAveragePrecision));
    if (t.cancelled)
        lines << tr("Training was cancelled after epoch %1.").arg(t.epochs.size());
    if (t.stoppedEarly)
        lines << tr("Stopped early: accuracy had not improved for %1 epochs.").arg(m_config->patience());
    if (outcome.leftOut)
        lines << tr("%1 images could not be read and were left out (see the log on the previous page).")
                     .arg(outcome.leftOut);
    for (const std::string &warning : outcome.warnings)
        lines << errorHtml(tr("Warning: %1").arg(q(warning)));
    if (!m_config->augment())
        lines << tr("Trained in fast mode: expect lower accuracy on blurred, re-compressed or cropped images than a "
                    "head trained with augmentation.");
    m_best->setText(lines.join(QStringLiteral("<br>")));

    showResults(m_byClass, outcome.validationByClass);
    m_epochTable->setRowCount(0);
    for (const EpochReport &r : t.epochs) {
        const int row = m_epochTable->rowCount();
        m_epochTable->insertRow(row);
        m_epochTable->setItem(row, 0, cell(r.epoch == t.bestEpoch ? tr("%1 (best)").arg(r.epoch) : QString::number(r.epoch)));
        m_epochTable->setItem(row, 1, cell(QString::number(r.learningRate)));
        m_epochTable->setItem(row, 2, cell(QString::number(r.trainLoss, 'f', 4)));
        m_epochTable->setItem(row, 3, cell(QString::number(r.validationLoss, 'f', 4)));
        m_epochTable->setItem(row, 4, cell(percent(r.validationAccuracy)));
        m_epochTable->setItem(row, 5, cell(percent(r.validationAveragePrecision)));
    }
}

void TrainingEvaluationPage::evaluateOn(const QString &testRoot)
{
    if (m_testJob || !m_run->finished() || !m_run->error().isEmpty())
        return;
    // With the preprocessing and verdict threshold the analyst set (Settings), as scans use.
    const StudioSettings settings = StudioSettings::load();
    m_testJob = m_engine->evaluateTrainedHead(m_config->outputPath(), q(m_run->outcome().cardPath), testRoot,
                                              settings.crop, settings.rule.threshold, settings.batchSize);
    if (!m_testJob) {
        m_testMessage->setText(tr("Busy: try again when the current run has ended."));
        return;
    }
    m_testJob->onProgress<TrainingUpdate>(this, [this](const TrainingUpdate &update) {
        if (!update.note.isEmpty())
            m_testMessage->setText(m_testMessage->text() + QStringLiteral("<br>") + update.note.toHtmlEscaped());
        if (update.total > 0)
            m_testMessage->setText(tr("Scoring the test images: %1 of %2").arg(update.done).arg(update.total));
    });
    m_testJob->onFinished<TrainingUpdate>(this, [this](const TrainingUpdate &update) { onTestEnded(update, {}); });
    m_testJob->onFailed(this, [this](const QString &error) { onTestEnded({}, error); });
    connect(m_testJob, &Job::cancelled, this, [this] { onTestEnded({}, tr("cancelled")); });
    m_testButton->setEnabled(false);
    m_testMessage->setText(tr("Reading %1 ...").arg(QDir::toNativeSeparators(testRoot).toHtmlEscaped()));
    emit completeChanged();
}

void TrainingEvaluationPage::onTestEnded(const TrainingUpdate &update, const QString &error)
{
    m_testJob = nullptr;
    m_testButton->setEnabled(true);
    emit completeChanged();
    if (!error.isEmpty()) {
        m_testMessage->setText(errorHtml(error));
        return;
    }
    m_test = update.test;
    showResults(m_testTable, m_test.byGenerator);
    m_testMessage->setText(tr("%1: %2, accuracy at %3 and AP per generator folder (the preprocessing and "
                              "threshold of Settings); recorded in the model card.%4")
                               .arg(QDir::toNativeSeparators(q(m_test.root)).toHtmlEscaped(),
                                    q(m_test.preprocessing).toHtmlEscaped(), QString::number(m_test.threshold),
                                    m_test.leftOut ? tr(" %1 images could not be read and were left out.")
                                                         .arg(m_test.leftOut)
                                                   : QString())
                           + (update.note.isEmpty() ? QString() : QStringLiteral("<br>") + update.note.toHtmlEscaped()));
}

} // namespace rine
