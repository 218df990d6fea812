#include "TrainingWizard.h"
#include "SettingsDialog.h"

#include "Charts.h"
#include "EngineController.h"
#include "catalog/ModelStore.h"
#include "util/QtStrings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSet>
#include <QRadioButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>
#include <limits>
#include <set>

namespace rine {

namespace {

// A wizard page whose completeness and entering/leaving are the wizard's business.
class StepPage : public QWizardPage {
public:
    std::function<bool()> complete;
    std::function<void()> enter;
    std::function<void()> back;

    bool isComplete() const override { return complete ? complete() : true; }
    void initializePage() override
    {
        if (enter)
            enter();
    }
    void cleanupPage() override
    {
        if (back)
            back();
    }
    void changed() { emit completeChanged(); }
};

StepPage *stepPage(QWizard *wizard, int id) { return static_cast<StepPage *>(wizard->page(id)); }


QString percent(double fraction) { return QStringLiteral("%1%").arg(100 * fraction, 0, 'f', 1); }

QString duration(double seconds)
{
    if (seconds < 90)
        return QObject::tr("%1 s").arg(qMax(1, int(seconds + 0.5)));
    if (seconds < 5400)
        return QObject::tr("%1 min").arg(int(seconds / 60 + 0.5));
    return QObject::tr("%1 h %2 min").arg(int(seconds / 3600)).arg(int(seconds / 60) % 60);
}

// "Training: epoch 3 of 15, image 640 of 1,000" from samples done over all epochs.
QString trainingStep(qint64 done, qint64 total, int epochs)
{
    const qint64 perEpoch = std::max<qint64>(1, total / std::max(1, epochs));
    const qint64 epoch = std::min<qint64>(epochs, done > 0 ? (done - 1) / perEpoch + 1 : 1);
    const qint64 inEpoch = done - (epoch - 1) * perEpoch;
    return QObject::tr("Training: epoch %1 of %2, image %3 of %4")
        .arg(epoch)
        .arg(epochs)
        .arg(QLocale().toString(inEpoch), QLocale().toString(perEpoch));
}

QTableWidgetItem *cell(const QString &text, bool number = true)
{
    auto *item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    if (number)
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

// Tables of figures: read-only, rows as tall as a line of text.
void compact(QTableWidget *table)
{
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
}

QString className(const std::string &name) { return name.empty() || name == "(all)" ? QObject::tr("(flat layout)") : q(name); }

// Rows of name, real, fake, accuracy, AP (per class or per generator, then their mean).
void showResults(QTableWidget *table, const std::vector<ClassResult> &results)
{
    table->setRowCount(0);
    for (const ClassResult &r : results) {
        const int row = table->rowCount();
        table->insertRow(row);
        table->setItem(row, 0, cell(r.name == "mean" ? QObject::tr("Mean") : className(r.name), false));
        table->setItem(row, 1, cell(QString::number(r.real)));
        table->setItem(row, 2, cell(QString::number(r.fake)));
        table->setItem(row, 3, cell(percent(r.accuracy)));
        table->setItem(row, 4, cell(percent(r.averagePrecision)));
    }
}

} // namespace

TrainingWizard::TrainingWizard(EngineController *engine, QWidget *parent) : QWizard(parent), m_engine(engine)
{
    setObjectName(QStringLiteral("trainingWizard"));
    setWindowTitle(tr("Train a detector"));
    setWizardStyle(QWizard::ClassicStyle);
    setOption(QWizard::NoBackButtonOnLastPage, false);
    setMinimumSize(760, 600);
    resize(860, 720);
    setPage(DataPage, createDataPage());
    setPage(ConfigurationPage, createConfigurationPage());
    setPage(TrainingPage, createTrainingPage());
    setPage(EvaluationPage, createEvaluationPage());
    setPage(SavePage, createSavePage());
}

TrainingWizard::~TrainingWizard()
{
    for (Job *job : {m_trainingJob.data(), m_testJob.data()})
        if (job)
            job->cancel();
}

QString TrainingWizard::outputPath() const { return QFileInfo(m_output->text().trimmed()).absoluteFilePath(); }

// ---- Data ---------------------------------------------------------------------------------

QWizardPage *TrainingWizard::createDataPage()
{
    auto *page = new StepPage;
    page->setTitle(tr("Data"));
    page->setSubTitle(tr("A folder with train/ and val/ in it, each holding <class>/0_real and <class>/1_fake "
                         "(the ProGAN layout) or 0_real and 1_fake directly. The images are only read."));
    m_folder = new QLineEdit;
    m_folder->setObjectName(QStringLiteral("trainingFolder"));
    m_folder->setPlaceholderText(tr("The dataset's folder"));
    auto *browse = new QPushButton(tr("Browse..."));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Dataset folder"), m_folder->text());
        if (!folder.isEmpty())
            setDataFolder(folder);
    });
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);

    m_classSet = new QComboBox;
    m_classSet->setObjectName(QStringLiteral("trainingClassSet"));
    m_classSet->addItem(tr("Every class in the folder"), QString());
    m_classSet->addItem(tr("The paper's 1-class setting: horse"), QStringLiteral("1-class"));
    m_classSet->addItem(tr("The paper's 2-class setting: chair, horse"), QStringLiteral("2-class"));
    m_classSet->addItem(tr("The paper's 4-class setting: car, cat, chair, horse"), QStringLiteral("4-class"));
    m_classSet->addItem(tr("The classes ticked below"), QStringLiteral("chosen"));
    m_classList = new QListWidget;
    m_classList->setObjectName(QStringLiteral("trainingClassList"));
    m_classList->setMaximumHeight(110);
    m_classList->setEnabled(false);

    m_counts = new QTableWidget(0, 5);
    m_counts->setObjectName(QStringLiteral("trainingCounts"));
    m_counts->setHorizontalHeaderLabels({tr("Class"), tr("Train real"), tr("Train fake"), tr("Val real"), tr("Val fake")});
    compact(m_counts);
    m_counts->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_counts->setEditTriggers(QAbstractItemView::NoEditTriggers);

    m_dataMessage = new QLabel;
    m_dataMessage->setObjectName(QStringLiteral("trainingDataMessage"));
    m_dataMessage->setWordWrap(true);
    m_dataMessage->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("Folder:"), folderRow);
    form->addRow(tr("Classes:"), m_classSet);
    form->addRow(QString(), m_classList);
    auto *layout = new QVBoxLayout(page);
    layout->addLayout(form);
    layout->addWidget(m_counts, 1);
    layout->addWidget(m_dataMessage);

    m_surveyTimer = new QTimer(this);
    m_surveyTimer->setSingleShot(true);
    m_surveyTimer->setInterval(300);
    connect(m_surveyTimer, &QTimer::timeout, this, &TrainingWizard::requestSurvey);
    connect(m_folder, &QLineEdit::textChanged, this, [this] {
        m_surveyReady = false;
        stepPage(this, DataPage)->changed();
        m_surveyTimer->start();
    });
    connect(m_classSet, &QComboBox::currentIndexChanged, this, [this] {
        const QString set = classSetName();
        std::vector<std::string> members;
        paperClassSet(set.toStdString(), members);
        const bool chosen = m_classSet->currentData().toString() == QLatin1String("chosen");
        m_classList->setEnabled(chosen);
        if (!chosen) // show what the choice means
            for (int i = 0; i < m_classList->count(); ++i) {
                QListWidgetItem *item = m_classList->item(i);
                const bool in = set.isEmpty()
                             || std::find(members.begin(), members.end(), item->text().toStdString()) != members.end();
                item->setCheckState(in ? Qt::Checked : Qt::Unchecked);
            }
        m_surveyReady = false;
        stepPage(this, DataPage)->changed();
        m_surveyTimer->start();
    });
    connect(m_classList, &QListWidget::itemChanged, this, [this] {
        if (!m_classList->isEnabled())
            return;
        m_surveyReady = false;
        stepPage(this, DataPage)->changed();
        m_surveyTimer->start();
    });
    page->complete = [this] { return m_surveyReady && m_survey.error.isEmpty() && !m_survey.train.empty(); };
    return page;
}

void TrainingWizard::setDataFolder(const QString &folder)
{
    m_folder->setText(QDir::toNativeSeparators(folder));
    m_surveyTimer->stop();
    requestSurvey();
}

QString TrainingWizard::classSetName() const
{
    const QString set = m_classSet->currentData().toString();
    return set == QLatin1String("chosen") ? QString() : set;
}

QStringList TrainingWizard::chosenClasses() const
{
    const QString set = m_classSet->currentData().toString();
    QStringList out;
    if (!m_classSet->isEnabled()) // the flat layout: no classes
        return out;
    if (set == QLatin1String("chosen")) {
        for (int i = 0; i < m_classList->count(); ++i)
            if (m_classList->item(i)->checkState() == Qt::Checked)
                out << m_classList->item(i)->text();
        if (out.isEmpty())
            out << QStringLiteral("\x01none"); // nothing ticked: matches no class
    } else if (!set.isEmpty()) {
        std::vector<std::string> members;
        paperClassSet(set.toStdString(), members);
        for (const std::string &name : members)
            out << q(name);
    }
    return out;
}

void TrainingWizard::requestSurvey()
{
    const QString root = QDir::fromNativeSeparators(m_folder->text().trimmed());
    if (root.isEmpty()) {
        m_dataMessage->setText(tr("Choose the dataset's folder."));
        return;
    }
    const QStringList classes = chosenClasses();
    m_surveyKey = root + QLatin1Char('\n') + classes.join(QLatin1Char('\n'));
    m_surveyReady = false;
    m_dataMessage->setText(tr("Looking at %1 ...").arg(QDir::toNativeSeparators(root)));
    m_engine->surveyTraining(root, classes)->onFinished<TrainingSurvey>(this, [this](const TrainingSurvey &survey) {
        onSurveyed(survey);
    });
}

void TrainingWizard::onSurveyed(const TrainingSurvey &survey)
{
    // Only the answer to the question asked last.
    if (survey.root + QLatin1Char('\n') + survey.chosen.join(QLatin1Char('\n')) != m_surveyKey)
        return;
    m_survey = survey;
    m_surveyReady = true;
    // The class list: every class found, ticks kept.
    QSet<QString> ticked;
    for (int i = 0; i < m_classList->count(); ++i)
        if (m_classList->item(i)->checkState() == Qt::Checked)
            ticked.insert(m_classList->item(i)->text());
    const bool firstList = m_classList->count() == 0;
    QStringList names;
    for (const QString &name : survey.classes)
        if (!name.isEmpty())
            names << name;
    QStringList shown;
    for (int i = 0; i < m_classList->count(); ++i)
        shown << m_classList->item(i)->text();
    if (shown != names) {
        const QSignalBlocker block(m_classList);
        m_classList->clear();
        std::vector<std::string> members;
        paperClassSet(classSetName().toStdString(), members);
        for (const QString &name : names) {
            auto *item = new QListWidgetItem(name, m_classList);
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
            const bool in = m_classSet->currentData().toString() == QLatin1String("chosen")
                                ? (firstList || ticked.contains(name))
                                : (classSetName().isEmpty()
                                   || std::find(members.begin(), members.end(), name.toStdString()) != members.end());
            item->setCheckState(in ? Qt::Checked : Qt::Unchecked);
        }
    }
    m_classSet->setEnabled(!names.isEmpty() || m_survey.classes.isEmpty());
    m_classList->setEnabled(m_classSet->isEnabled() && m_classSet->currentData().toString() == QLatin1String("chosen"));
    // What is now shown may mean other classes than were asked about (a first list of classes,
    // a flat layout): ask again.
    if (survey.root + QLatin1Char('\n') + chosenClasses().join(QLatin1Char('\n')) != m_surveyKey) {
        requestSurvey();
        return;
    }
    showCounts();
    stepPage(this, DataPage)->changed();
}

void TrainingWizard::showCounts()
{
    m_counts->setRowCount(0);
    if (!m_survey.error.isEmpty()) {
        m_dataMessage->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(m_survey.error.toHtmlEscaped()));
        return;
    }
    std::set<std::string> names;
    for (const auto &[name, count] : m_survey.train)
        names.insert(name);
    for (const auto &[name, count] : m_survey.validation)
        names.insert(name);
    int totals[4] = {0, 0, 0, 0};
    for (const std::string &name : names) {
        const auto train = m_survey.train.count(name) ? m_survey.train.at(name) : std::array<int, 2>{0, 0};
        const auto val = m_survey.validation.count(name) ? m_survey.validation.at(name) : std::array<int, 2>{0, 0};
        const int row = m_counts->rowCount();
        m_counts->insertRow(row);
        m_counts->setItem(row, 0, cell(className(name), false));
        const int values[4] = {train[0], train[1], val[0], val[1]};
        for (int c = 0; c < 4; ++c) {
            m_counts->setItem(row, c + 1, cell(QString::number(values[c])));
            totals[c] += values[c];
        }
    }
    if (names.size() > 1) {
        const int row = m_counts->rowCount();
        m_counts->insertRow(row);
        m_counts->setItem(row, 0, cell(tr("Total"), false));
        for (int c = 0; c < 4; ++c)
            m_counts->setItem(row, c + 1, cell(QString::number(totals[c])));
    }
    QString balance;
    if (totals[0] && totals[1] && (totals[0] > 2 * totals[1] || totals[1] > 2 * totals[0]))
        balance = tr(" The training set is unbalanced (%1 real, %2 fake): accuracy at 0.5 favours the larger side.")
                      .arg(totals[0])
                      .arg(totals[1]);
    m_dataMessage->setText(tr("%1 training and %2 validation images.%3 Real and fake are compared for file format, JPEG "
                              "quality and resolution when the images are read; any difference a detector could learn instead of "
                              "the generator is reported during training.")
                               .arg(totals[0] + totals[1])
                               .arg(totals[2] + totals[3])
                               .arg(balance));
}

// ---- Configuration ------------------------------------------------------------------------

QWizardPage *TrainingWizard::createConfigurationPage()
{
    auto *page = new StepPage;
    page->setTitle(tr("Configuration"));
    page->setSubTitle(tr("The published training: summed binary cross-entropy plus xi times the supervised "
                         "contrastive loss, Adam at 1e-3 divided by 10 at epochs 6 and 11, the backbone frozen."));
    m_preset = new QComboBox;
    m_preset->setObjectName(QStringLiteral("trainingPreset"));
    m_preset->addItem(tr("1-class (xi 0.1, 4 projection layers, P 1024)"), QStringLiteral("1-class"));
    m_preset->addItem(tr("2-class (xi 0.2, 4 projection layers, P 128)"), QStringLiteral("2-class"));
    m_preset->addItem(tr("4-class (xi 0.2, 2 projection layers, P 1024)"), QStringLiteral("4-class"));
    m_preset->setCurrentIndex(1);
    m_presetText = new QLabel(tr("The paper's best configuration for each number of training classes."));
    m_presetText->setWordWrap(true);
    auto spin = [](const char *name, int low, int high, int value) {
        auto *box = new QSpinBox;
        box->setObjectName(QLatin1String(name));
        box->setRange(low, high);
        box->setValue(value);
        return box;
    };
    m_epochs = spin("trainingEpochs", 1, 1000, 15);
    m_batch = spin("trainingBatch", 2, 4096, 128);
    m_seed = spin("trainingSeed", 0, std::numeric_limits<int>::max(), 0);
    m_earlyStop = new QCheckBox(tr("Stop when validation accuracy has not improved for"));
    m_earlyStop->setObjectName(QStringLiteral("trainingEarlyStop"));
    m_patience = spin("trainingPatience", 1, 1000, 3);
    m_patience->setSuffix(tr(" epochs"));
    m_patience->setEnabled(false);
    connect(m_earlyStop, &QCheckBox::toggled, m_patience, &QWidget::setEnabled);
    auto *stopRow = new QHBoxLayout;
    stopRow->addWidget(m_earlyStop);
    stopRow->addWidget(m_patience);
    stopRow->addStretch();

    m_fast = new QRadioButton(tr("Fast: features computed once, no augmentation"));
    m_fast->setObjectName(QStringLiteral("trainingFast"));
    m_augment = new QRadioButton(tr("As published: every epoch, each image freshly augmented (blur, JPEG, crop, flip)"));
    m_augment->setObjectName(QStringLiteral("trainingAugment"));
    m_fast->setChecked(true);
    m_tradeOff = new QLabel;
    m_tradeOff->setObjectName(QStringLiteral("trainingTradeOff"));
    m_tradeOff->setWordWrap(true);
    connect(m_fast, &QRadioButton::toggled, this, &TrainingWizard::updateTradeOff);
    connect(m_epochs, &QSpinBox::valueChanged, this, &TrainingWizard::updateTradeOff);

    m_output = new QLineEdit;
    m_output->setObjectName(QStringLiteral("trainingOutput"));
    auto *browse = new QPushButton(tr("Browse..."));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Write the trained head to"), m_output->text(),
                                                          tr("RINE head (*.pth)"));
        if (!path.isEmpty())
            m_output->setText(QDir::toNativeSeparators(path.endsWith(QLatin1String(".pth")) ? path : path + ".pth"));
    });
    auto *outputRow = new QHBoxLayout;
    outputRow->addWidget(m_output, 1);
    outputRow->addWidget(browse);
    m_configMessage = new QLabel;
    m_configMessage->setObjectName(QStringLiteral("trainingConfigMessage"));
    m_configMessage->setWordWrap(true);
    connect(m_output, &QLineEdit::textChanged, this, [this, page] {
        const QFileInfo info(outputPath());
        if (m_output->text().trimmed().isEmpty())
            m_configMessage->setText(tr("Choose where to write the trained head."));
        else if (info.exists())
            m_configMessage->setText(tr("%1 exists: it will be replaced when training ends.")
                                         .arg(QDir::toNativeSeparators(info.filePath())));
        else
            m_configMessage->clear();
        page->changed();
    });

    auto *form = new QFormLayout;
    form->addRow(tr("Preset:"), m_preset);
    form->addRow(QString(), m_presetText);
    form->addRow(tr("Epochs:"), m_epochs);
    form->addRow(tr("Batch:"), m_batch);
    form->addRow(tr("Seed:"), m_seed);
    form->addRow(tr("Early stopping:"), stopRow);
    form->addRow(tr("Mode:"), m_fast);
    form->addRow(QString(), m_augment);
    form->addRow(QString(), m_tradeOff);
    form->addRow(tr("Write the head to:"), outputRow);
    auto *layout = new QVBoxLayout(page);
    layout->addLayout(form);
    layout->addWidget(m_configMessage);
    layout->addStretch();

    page->enter = [this] {
        // The preset of the class set chosen, when it is one of the paper's.
        const int index = m_preset->findData(classSetName().isEmpty() ? QStringLiteral("2-class") : classSetName());
        if (index >= 0)
            m_preset->setCurrentIndex(index);
        if (m_output->text().isEmpty()) {
            const QString set = classSetName().isEmpty() ? QStringLiteral("custom") : classSetName();
            m_output->setText(QDir::toNativeSeparators(
                ModelStore::defaultDir() + QStringLiteral("/trained/rine-head-%1-%2.pth")
                                               .arg(set, QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")))));
        }
        updateTradeOff();
    };
    page->complete = [this] { return !m_output->text().trimmed().isEmpty(); };
    return page;
}

void TrainingWizard::updateTradeOff()
{
    int images = 0;
    for (const auto &[name, count] : m_survey.train)
        images += count[0] + count[1];
    int validation = 0;
    for (const auto &[name, count] : m_survey.validation)
        validation += count[0] + count[1];
    const QString device = m_engine->hasModel() ? q(m_engine->modelInfo().device) : QString();
    // The features kept in memory: one float per block and width for every image.
    const double perImage = m_engine->hasModel()
                                ? 4.0 * m_engine->modelInfo().blocks * m_engine->modelInfo().width
                                : 4.0 * 24 * 1024; // ViT-L/14
    const double memory = m_fast->isChecked() ? perImage * (images + validation) : perImage * validation;
    if (m_fast->isChecked())
        m_tradeOff->setText(
            tr("Each of the %1 images goes through the backbone once, from its center crop; the epochs then take "
               "seconds, even on a CPU. The head never sees blurred, re-compressed or shifted images, so it is less "
               "robust to them than a head trained as published. The features take %2 of memory.")
                .arg(images + validation)
                .arg(QLocale().formattedDataSize(qint64(memory))));
    else
        m_tradeOff->setText(
            tr("%1 training images x %2 epochs = %3 backbone passes, plus %4 once for validation: on a CPU "
               "(ViT-L/14, about 1 image/s) that is hours to days; on a GPU minutes to hours. The head is as robust as "
               "the published one. Running on: %5.")
                .arg(images)
                .arg(m_epochs->value())
                .arg(qint64(images) * m_epochs->value())
                .arg(validation)
                .arg(device.isEmpty() ? tr("no model loaded") : device));
}

// ---- Training -----------------------------------------------------------------------------

QWizardPage *TrainingWizard::createTrainingPage()
{
    auto *page = new StepPage;
    page->setTitle(tr("Training"));
    page->setSubTitle(tr("Validation every epoch; the best epoch (accuracy, then loss) is kept. Cancel stops and keeps "
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
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (!m_trainingJob)
            return;
        m_stopping = true;
        m_cancel->setEnabled(false);
        m_stage->setText(tr("Stopping after the current batch ..."));
        m_trainingJob->cancel();
    });
    auto *row = new QHBoxLayout;
    row->addWidget(m_progress, 1);
    row->addWidget(m_eta);
    row->addWidget(m_cancel);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(m_stage);
    layout->addLayout(row);
    layout->addWidget(m_chart, 1);
    layout->addWidget(m_log);
    page->enter = [this] { startTraining(); };
    page->complete = [this] { return m_finished && m_error.isEmpty(); };
    return page;
}

void TrainingWizard::startTraining()
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

    const QString output = outputPath();
    QDir().mkpath(QFileInfo(output).path());
    TrainingParams job;
    job.root = QDir::fromNativeSeparators(m_folder->text().trimmed());
    job.classes = chosenClasses();
    TrainingRequest &request = job.request;
    request.classesText = classSetName().isEmpty() ? job.classes.join(QLatin1Char(',')).toStdString()
                                                   : classSetName().toStdString();
    request.preset = m_preset->currentData().toString().toStdString();
    headTrainingPreset(request.preset, request.config);
    request.config.epochs = m_epochs->value();
    request.config.batchSize = m_batch->value();
    request.config.seed = std::uint64_t(m_seed->value());
    request.config.patience = m_earlyStop->isChecked() ? m_patience->value() : 0;
    request.augment = m_augment->isChecked();
    request.output = output.toStdString();
    Job *training = m_engine->train(job);
    if (!training) {
        m_finished = true;
        m_error = m_engine->hasModel() ? tr("Another training run is still stopping: go back and try again shortly.")
                                       : tr("No model is loaded: training needs the backbone (see the Models page).");
        m_stage->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(m_error.toHtmlEscaped()));
        m_progress->setRange(0, 1);
        m_cancel->setEnabled(false);
        return;
    }
    followTraining(training);
    m_cancel->setEnabled(true);
    m_stage->setText(tr("Reading the images ..."));
    m_log->appendPlainText(tr("Training %1 on %2, writing %3")
                               .arg(request.augment ? tr("with augmentation") : tr("in fast mode"),
                                    QDir::toNativeSeparators(job.root), QDir::toNativeSeparators(output)));
    // No going back while it runs: after QWizard has set its buttons for this page (it sets
    // them again when the run ends and the page becomes complete).
    QTimer::singleShot(0, this, [this] {
        if (m_trainingJob)
            button(QWizard::BackButton)->setEnabled(false);
    });
}

void TrainingWizard::followTraining(Job *job)
{
    m_trainingJob = job;
    job->onProgress<TrainingUpdate>(this, [this](const TrainingUpdate &update) { onTrainingProgress(update); });
    // Cancelled: the best epoch so far was written, and its outcome says so.
    for (auto signal : {&Job::finished, &Job::cancelled})
        connect(job, signal, this, [this](const QVariant &v) { onTrainingEnded(v.value<TrainingUpdate>(), {}); });
    job->onFailed(this, [this](const QString &error) { onTrainingEnded({}, error); });
}

void TrainingWizard::followTestEvaluation(Job *job)
{
    m_testJob = job;
    job->onProgress<TrainingUpdate>(this, [this](const TrainingUpdate &update) {
        if (!update.note.isEmpty())
            m_testMessage->setText(m_testMessage->text() + QStringLiteral("<br>") + update.note.toHtmlEscaped());
        if (update.total > 0)
            m_testMessage->setText(tr("Scoring the test images: %1 of %2").arg(update.done).arg(update.total));
    });
    job->onFinished<TrainingUpdate>(this, [this](const TrainingUpdate &update) { onTestEnded(update, {}); });
    job->onFailed(this, [this](const QString &error) { onTestEnded({}, error); });
    connect(job, &Job::cancelled, this, [this] { onTestEnded({}, tr("cancelled")); });
}

void TrainingWizard::onTestEnded(const TrainingUpdate &update, const QString &error)
{
    m_testJob = nullptr;
    m_testButton->setEnabled(true);
    stepPage(this, EvaluationPage)->changed();
    if (!error.isEmpty()) {
        m_testMessage->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(error.toHtmlEscaped()));
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

void TrainingWizard::onTrainingProgress(const TrainingUpdate &update)
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
                                           .arg(m_augment->isChecked() ? QString() : tr(" and computing their features"))
                                 : *update.stage == TrainingStage::ValFeatures
                                     ? tr("Reading the validation images and computing their features")
                                     : *update.stage == TrainingStage::TestImages
                                     ? tr("Scoring the test images")
                                     : trainingStep(update.done, update.total, m_epochs->value());
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

void TrainingWizard::onTrainingEnded(const TrainingUpdate &update, const QString &error)
{
    m_trainingJob = nullptr;
    m_finished = true;
    m_cancel->setEnabled(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(1);
    m_eta->clear();
    if (!error.isEmpty()) {
        m_error = error;
        m_stage->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(m_error.toHtmlEscaped()));
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
    stepPage(this, TrainingPage)->changed();
}

// ---- Evaluation ---------------------------------------------------------------------------

QWizardPage *TrainingWizard::createEvaluationPage()
{
    auto *page = new StepPage;
    page->setTitle(tr("Evaluation"));
    page->setSubTitle(tr("The best epoch on the validation set, per class, and every epoch's figures; and, if you "
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
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(m_best);
    layout->addWidget(m_byClass, 1);
    layout->addWidget(m_epochTable, 2);
    layout->addLayout(testRow);
    layout->addWidget(m_testTable, 1);
    page->enter = [this] { showEvaluation(); };
    page->complete = [this] { return !m_testJob; };
    return page;
}

void TrainingWizard::showEvaluation()
{
    const HeadTrainingOutcome &t = m_outcome.training;
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
        lines << tr("Stopped early: accuracy had not improved for %1 epochs.").arg(m_patience->value());
    if (m_outcome.leftOut)
        lines << tr("%1 images could not be read and were left out (see the log on the previous page).")
                     .arg(m_outcome.leftOut);
    for (const std::string &warning : m_outcome.warnings)
        lines << QStringLiteral("<span style='color:#b00020'>%1</span>").arg(tr("Warning: %1").arg(q(warning)).toHtmlEscaped());
    if (!m_augment->isChecked())
        lines << tr("Trained in fast mode: expect lower accuracy on blurred, re-compressed or cropped images than a "
                    "head trained with augmentation.");
    m_best->setText(lines.join(QStringLiteral("<br>")));

    showResults(m_byClass, m_outcome.validationByClass);
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

void TrainingWizard::evaluateOn(const QString &testRoot)
{
    if (m_testJob || !m_finished || !m_error.isEmpty())
        return;
    // With the preprocessing and verdict threshold the analyst set (Settings), as scans use.
    const StudioSettings settings = StudioSettings::load();
    Job *job = m_engine->evaluateTrainedHead(outputPath(), q(m_outcome.cardPath), testRoot, settings.crop,
                                             settings.rule.threshold, settings.batchSize);
    if (!job) {
        m_testMessage->setText(tr("Busy: try again when the current run has ended."));
        return;
    }
    followTestEvaluation(job);
    m_testButton->setEnabled(false);
    m_testMessage->setText(tr("Reading %1 ...").arg(QDir::toNativeSeparators(testRoot).toHtmlEscaped()));
    stepPage(this, EvaluationPage)->changed();
}

// ---- Save ---------------------------------------------------------------------------------

QWizardPage *TrainingWizard::createSavePage()
{
    auto *page = new StepPage;
    page->setTitle(tr("Save and activate"));
    page->setSubTitle(tr("The head is written in the published checkpoint format, with its model card beside it, "
                         "and recorded as trained here, so it loads without being trusted by hand."));
    m_saved = new QLabel;
    m_saved->setObjectName(QStringLiteral("trainingSaved"));
    m_saved->setWordWrap(true);
    m_saved->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *copy = new QPushButton(tr("Save a copy as..."));
    copy->setObjectName(QStringLiteral("trainingSaveCopy"));
    connect(copy, &QPushButton::clicked, this, &TrainingWizard::saveCopy);
    m_activate = new QCheckBox(tr("Make it the active head now (scans and inspections then use it)"));
    m_activate->setObjectName(QStringLiteral("trainingActivate"));
    m_activate->setChecked(true);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(m_saved);
    layout->addWidget(copy, 0, Qt::AlignLeft);
    layout->addWidget(m_activate);
    layout->addStretch();
    page->enter = [this] { showSaved(); };
    return page;
}

void TrainingWizard::showSaved()
{
    m_saved->setText(tr("Head: %1<br>SHA-256: <tt>%2</tt><br>Model card: %3")
                         .arg(QDir::toNativeSeparators(outputPath()).toHtmlEscaped(),
                              q(m_outcome.training.checkpointSha256),
                              QDir::toNativeSeparators(q(m_outcome.cardPath)).toHtmlEscaped()));
}

void TrainingWizard::saveCopy()
{
    const QString target = QFileDialog::getSaveFileName(this, tr("Save a copy of the head"),
                                                        QFileInfo(outputPath()).fileName(), tr("RINE head (*.pth)"));
    if (target.isEmpty() || QFileInfo(target).absoluteFilePath() == outputPath())
        return;
    const QString card = target + QStringLiteral(".card.json");
    QFile::remove(target);
    QFile::remove(card);
    if (!QFile::copy(outputPath(), target) || !QFile::copy(q(m_outcome.cardPath), card)) {
        m_saved->setText(m_saved->text() + QStringLiteral("<br><span style='color:#b00020'>%1</span>")
                                               .arg(tr("Could not copy to %1: check that the folder is writable.")
                                                        .arg(QDir::toNativeSeparators(target))
                                                        .toHtmlEscaped()));
        return;
    }
    m_saved->setText(m_saved->text() + tr("<br>Copied to %1 (with its model card).")
                                           .arg(QDir::toNativeSeparators(target).toHtmlEscaped()));
}

void TrainingWizard::accept()
{
    if (m_activate->isChecked() && m_finished && m_error.isEmpty())
        emit activateRequested(QStringLiteral("head"), outputPath());
    QWizard::accept();
}

void TrainingWizard::reject()
{
    if (m_testJob) {
        m_testJob->cancel();
        return;
    }
    if (m_trainingJob) { // first stop the run; the wizard stays to show what was kept
        m_cancel->click();
        return;
    }
    QWizard::reject();
}

} // namespace rine
