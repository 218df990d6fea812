#include "SettingsDialog.h"

#include "catalog/ModelLocator.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>

namespace rine {

StudioSettings StudioSettings::load()
{
    QSettings s;
    StudioSettings out;
    out.rule.threshold = std::clamp(s.value(QStringLiteral("verdict/threshold"), 0.5).toDouble(), 0.01, 0.99);
    out.rule.band = std::clamp(s.value(QStringLiteral("verdict/band"), 0.05).toDouble(), 0.0, 0.25);
    out.crop = Preprocessing::cropFromOption(s.value(QStringLiteral("scan/crop")).toString().toStdString())
                   .value_or(CropMode::Center);
    out.batchSize = std::clamp(s.value(QStringLiteral("scan/batch"), 8).toInt(), 1, 256);
    if (!precisionFromName(s.value(QStringLiteral("model/precision"), QStringLiteral("standard")).toString().toStdString(),
                           out.precision))
        out.precision = Precision::Standard;
    out.casesFolder = s.value(QStringLiteral("cases/folder"),
                              QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/cases"))
                          .toString();
    out.followLinksOutside = s.value(QStringLiteral("scan/follow_links_outside"), false).toBool();
    out.activeBackbone = s.value(QStringLiteral("models/backbone")).toString();
    out.activeHead = s.value(QStringLiteral("models/head")).toString();
    out.spai = s.value(QStringLiteral("detectors/spai"), false).toBool();
    out.rine = s.value(QStringLiteral("detectors/rine"), true).toBool() || !out.spai; // one detector at least
    out.spaiWeights = s.value(QStringLiteral("detectors/spai_weights")).toString();
    return out;
}

void StudioSettings::save() const
{
    QSettings s;
    s.setValue(QStringLiteral("verdict/threshold"), rule.threshold);
    s.setValue(QStringLiteral("verdict/band"), rule.band);
    s.setValue(QStringLiteral("scan/crop"), QString::fromLatin1(Preprocessing::optionWord(crop)));
    s.setValue(QStringLiteral("scan/batch"), batchSize);
    s.setValue(QStringLiteral("model/precision"), QString::fromLatin1(precisionName(precision)));
    s.setValue(QStringLiteral("cases/folder"), casesFolder);
    s.setValue(QStringLiteral("scan/follow_links_outside"), followLinksOutside);
    s.setValue(QStringLiteral("models/backbone"), activeBackbone);
    s.setValue(QStringLiteral("models/head"), activeHead);
    s.setValue(QStringLiteral("detectors/rine"), rine);
    s.setValue(QStringLiteral("detectors/spai"), spai);
    s.setValue(QStringLiteral("detectors/spai_weights"), spaiWeights);
}

SettingsDialog::SettingsDialog(const StudioSettings &settings, QWidget *parent) : QDialog(parent), m_base(settings)
{
    setWindowTitle(tr("Settings"));
    setObjectName(QStringLiteral("settingsDialog"));
    m_threshold = new QDoubleSpinBox(this);
    m_threshold->setRange(0.01, 0.99);
    m_threshold->setSingleStep(0.01);
    m_threshold->setValue(settings.rule.threshold);
    m_band = new QDoubleSpinBox(this);
    m_band->setRange(0.0, 0.25);
    m_band->setSingleStep(0.01);
    m_band->setValue(settings.rule.band);
    m_crop = new QComboBox(this);
    m_crop->addItem(tr("Center crop 224 x 224 (as the published evaluation)"), int(CropMode::Center));
    m_crop->addItem(tr("Ten-crop (large images; sigmoid of the mean logit)"), int(CropMode::Ten));
    m_crop->addItem(tr("TextureCrop: the 10 most textured 224 x 224 windows (high-resolution images; the RINE "
                       "group's published method; images under 224 px: center crop)"),
                    int(CropMode::Texture));
    m_crop->setCurrentIndex(m_crop->findData(int(settings.crop)));
    m_batch = new QSpinBox(this);
    m_batch->setRange(1, 256);
    m_batch->setValue(settings.batchSize);
    m_batch->setToolTip(tr("Images per model pass. Larger batches are faster on a GPU and need more memory."));
    m_precision = new QComboBox(this);
    m_precision->setObjectName(QStringLiteral("precisionCombo"));
    m_precision->addItem(tr("Standard: fp32 on the CPU, fp16 on CUDA (as published)"), int(Precision::Standard));
    m_precision->addItem(tr("Auto: bf16 where it agrees with fp32 within 0.01, else standard"), int(Precision::Auto));
    m_precision->addItem(tr("fp32"), int(Precision::Fp32));
    m_precision->addItem(tr("bf16 (CPUs with AVX512-BF16 or AMX, about 2x faster)"), int(Precision::Bf16));
    m_precision->addItem(tr("fp16 (CUDA)"), int(Precision::Fp16));
    m_precision->setCurrentIndex(std::max(0, m_precision->findData(int(settings.precision))));
    m_precision->setToolTip(tr("The precision of the backbone's matrix products. Results are stored and reported with "
                               "their precision and never mixed: a case scanned in another precision is scored again. "
                               "Changing it reloads the model."));
    m_cases = new QLineEdit(settings.casesFolder, this);
    auto *browse = new QPushButton(tr("Browse..."), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Folder for new cases"), m_cases->text());
        if (!folder.isEmpty())
            m_cases->setText(folder);
    });
    auto *casesRow = new QHBoxLayout;
    casesRow->addWidget(m_cases, 1);
    casesRow->addWidget(browse);

    auto *form = new QFormLayout;
    form->addRow(tr("Threshold"), m_threshold);
    form->addRow(tr("Inconclusive band (+/-)"), m_band);
    form->addRow(tr("Preprocessing"), m_crop);
    form->addRow(tr("Batch size"), m_batch);
    form->addRow(tr("Precision"), m_precision);
    form->addRow(tr("New cases in"), casesRow);
    m_followOutside = new QCheckBox(tr("Follow links that lead outside the scanned folder"), this);
    m_followOutside->setObjectName(QStringLiteral("followLinksOutside"));
    m_followOutside->setChecked(settings.followLinksOutside);
    m_followOutside->setToolTip(tr("Off: a symbolic link whose target is outside the folder being scanned is listed in "
                                   "the scan's walk events and not followed (a link to / would otherwise scan the whole "
                                   "machine into the case). The choice is recorded in each scan's settings."));
    form->addRow(tr("Links"), m_followOutside);

    m_rine = new QCheckBox(tr("RINE (CLIP ViT-L/14 and a trained head)"), this);
    m_rine->setObjectName(QStringLiteral("rineCheck"));
    m_rine->setChecked(settings.rine);
    m_rine->setToolTip(tr("RINE scores a 224 px crop of each image: its heads, backbone and preprocessing are set above "
                          "and on the Models page. Off (with SPAI on): SPAI alone, without the 890 MB backbone. "
                          "Changing it reloads the models."));
    m_spai = new QCheckBox(tr("SPAI (catches many diffusion models RINE misses; slower on large images)"), this);
    m_spai->setObjectName(QStringLiteral("spaiCheck"));
    m_spai->setChecked(settings.spai);
    m_spai->setToolTip(tr("SPAI (CVPR 2025) scores every 224 px patch of the image at its own resolution. Scans, "
                          "Inspect, the Robustness page and reports then show both detectors and flag where they "
                          "disagree. Changing it reloads the models."));
    m_spaiWeights = new QLineEdit(settings.spaiWeights, this);
    m_spaiWeights->setObjectName(QStringLiteral("spaiWeights"));
    m_spaiWeights->setPlaceholderText(ModelLocator::defaultSpaiWeights());
    m_spaiWeights->setToolTip(tr("SPAI's weight file. Empty: the model folder's (Models page: download or import it)."));
    auto *browseSpai = new QPushButton(tr("Browse..."), this);
    connect(browseSpai, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("SPAI weight file"), m_spaiWeights->text(),
                                                          tr("Model files (*.pth *.pt);;All files (*)"));
        if (!file.isEmpty())
            m_spaiWeights->setText(file);
    });
    auto *spaiRow = new QHBoxLayout;
    spaiRow->addWidget(m_spaiWeights, 1);
    spaiRow->addWidget(browseSpai);
    auto *detectors = new QVBoxLayout;
    detectors->addWidget(m_rine);
    detectors->addWidget(m_spai);
    detectors->addLayout(spaiRow);
    form->addRow(tr("Detectors"), detectors);
    auto *note = new QLabel(tr("A case database is never created inside the folder being scanned: evidence folders "
                               "are only read."),
                            this);
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    // One detector at least: with neither, nothing could be scanned or inspected.
    auto oneDetector = [this, ok = buttons->button(QDialogButtonBox::Ok)] {
        const bool any = m_rine->isChecked() || m_spai->isChecked();
        ok->setEnabled(any);
        ok->setToolTip(any ? QString() : tr("Choose at least one detector"));
    };
    connect(m_rine, &QCheckBox::toggled, this, oneDetector);
    connect(m_spai, &QCheckBox::toggled, this, oneDetector);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(buttons);
}

StudioSettings SettingsDialog::settings() const
{
    StudioSettings out = m_base;
    out.rule = {m_threshold->value(), m_band->value()};
    out.crop = CropMode(m_crop->currentData().toInt());
    out.batchSize = m_batch->value();
    out.precision = Precision(m_precision->currentData().toInt());
    out.casesFolder = m_cases->text();
    out.followLinksOutside = m_followOutside->isChecked();
    out.spai = m_spai->isChecked();
    out.rine = m_rine->isChecked() || !out.spai;
    out.spaiWeights = m_spaiWeights->text().trimmed();
    return out;
}

} // namespace rine
