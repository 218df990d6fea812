#include "TrainingConfigPage.h"

#include "EngineController.h"
#include "TrainingDataPage.h"
#include "catalog/ModelStore.h"
#include "util/QtStrings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <limits>

namespace rine {

TrainingConfigPage::TrainingConfigPage(EngineController *engine, const TrainingDataPage *data, QWidget *parent)
    : QWizardPage(parent), m_engine(engine), m_data(data)
{
    setTitle(tr("Configuration"));
    setSubTitle(tr("The published training: summed binary cross-entropy plus xi times the supervised "
                   "contrastive loss, Adam at 1e-3 divided by 10 at epochs 6 and 11, the backbone frozen."));
    m_preset = new QComboBox;
    m_preset->setObjectName(QStringLiteral("trainingPreset"));
    m_preset->addItem(tr("1-class (xi 0.1, 4 projection layers, P 1024)"), QStringLiteral("1-class"));
    m_preset->addItem(tr("2-class (xi 0.2, 4 projection layers, P 128)"), QStringLiteral("2-class"));
    m_preset->addItem(tr("4-class (xi 0.2, 2 projection layers, P 1024)"), QStringLiteral("4-class"));
    m_preset->setCurrentIndex(1);
    auto *presetText = new QLabel(tr("The paper's best configuration for each number of training classes."));
    presetText->setWordWrap(true);
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
    connect(m_fast, &QRadioButton::toggled, this, &TrainingConfigPage::updateTradeOff);
    connect(m_epochs, &QSpinBox::valueChanged, this, &TrainingConfigPage::updateTradeOff);

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
    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("trainingConfigMessage"));
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText); // it shows a path the user chose
    connect(m_output, &QLineEdit::textChanged, this, [this] {
        const QFileInfo info(outputPath());
        if (m_output->text().trimmed().isEmpty())
            m_message->setText(tr("Choose where to write the trained head."));
        else if (info.exists())
            m_message->setText(tr("%1 exists: it will be replaced when training ends.")
                                   .arg(QDir::toNativeSeparators(info.filePath())));
        else
            m_message->clear();
        emit completeChanged();
    });

    auto *form = new QFormLayout;
    form->addRow(tr("Preset:"), m_preset);
    form->addRow(QString(), presetText);
    form->addRow(tr("Epochs:"), m_epochs);
    form->addRow(tr("Batch:"), m_batch);
    form->addRow(tr("Seed:"), m_seed);
    form->addRow(tr("Early stopping:"), stopRow);
    form->addRow(tr("Mode:"), m_fast);
    form->addRow(QString(), m_augment);
    form->addRow(QString(), m_tradeOff);
    form->addRow(tr("Write the head to:"), outputRow);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_message);
    layout->addStretch();
}

void TrainingConfigPage::initializePage()
{
    // The preset of the class set chosen, when it is one of the paper's.
    const QString set = m_data->classSetName();
    const int index = m_preset->findData(set.isEmpty() ? QStringLiteral("2-class") : set);
    if (index >= 0)
        m_preset->setCurrentIndex(index);
    if (m_output->text().isEmpty())
        m_output->setText(QDir::toNativeSeparators(
            ModelStore::defaultDir()
            + QStringLiteral("/trained/rine-head-%1-%2.pth")
                  .arg(set.isEmpty() ? QStringLiteral("custom") : set,
                       QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")))));
    updateTradeOff();
}

bool TrainingConfigPage::isComplete() const { return !m_output->text().trimmed().isEmpty(); }

QString TrainingConfigPage::outputPath() const { return QFileInfo(m_output->text().trimmed()).absoluteFilePath(); }

bool TrainingConfigPage::augment() const { return m_augment->isChecked(); }

int TrainingConfigPage::patience() const { return m_earlyStop->isChecked() ? m_patience->value() : 0; }

TrainingParams TrainingConfigPage::params() const
{
    TrainingParams params;
    params.root = m_data->root();
    params.classes = m_data->chosenClasses();
    TrainingRequest &request = params.request;
    request.classesText = toStd(m_data->classSetName().isEmpty() ? params.classes.join(QLatin1Char(','))
                                                                 : m_data->classSetName());
    request.preset = toStd(m_preset->currentData().toString());
    headTrainingPreset(request.preset, request.config);
    request.config.epochs = m_epochs->value();
    request.config.batchSize = m_batch->value();
    request.config.seed = std::uint64_t(m_seed->value());
    request.config.patience = patience();
    request.augment = augment();
    request.output = toStd(outputPath());
    return params;
}

void TrainingConfigPage::updateTradeOff()
{
    const TrainingSurvey &survey = m_data->survey();
    int images = 0;
    for (const auto &[name, count] : survey.train)
        images += count[0] + count[1];
    int validation = 0;
    for (const auto &[name, count] : survey.validation)
        validation += count[0] + count[1];
    const QString device = m_engine->hasRine() ? q(m_engine->modelInfo().device) : QString();
    // The features kept in memory: one float per block and width for every image.
    const double perImage = m_engine->hasRine() ? 4.0 * m_engine->modelInfo().blocks * m_engine->modelInfo().width
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

} // namespace rine
