#include "RobustnessPage.h"

#include "PlainText.h"

#include "Charts.h"

#include "report/Pictures.h"
#include "report/ScanExport.h"
#include "util/AtomicFile.h"
#include "report/SweepExport.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QSplitter>
#include <QVBoxLayout>

namespace rine {

namespace {

constexpr int kPreviewSide = 88;

// Crop strengths are shown in percent; the engine takes fractions.
double shown(PerturbationKind kind, double strength) { return kind == PerturbationKind::Crop ? 100 * strength : strength; }
double taken(PerturbationKind kind, double value) { return kind == PerturbationKind::Crop ? value / 100 : value; }

QString kindTitle(PerturbationKind kind)
{
    switch (kind) {
    case PerturbationKind::Jpeg: return RobustnessPage::tr("JPEG quality");
    case PerturbationKind::Blur: return RobustnessPage::tr("Blur kernel (odd)");
    case PerturbationKind::Crop: return RobustnessPage::tr("Crop (% removed)");
    case PerturbationKind::Noise: return RobustnessPage::tr("Noise sigma (0-255)");
    case PerturbationKind::Resize: return RobustnessPage::tr("Resize factor");
    }
    return {};
}

QString kindTooltip(PerturbationKind kind)
{
    switch (kind) {
    case PerturbationKind::Jpeg:
        return RobustnessPage::tr("Re-encode as JPEG at each quality (1-100; lower is stronger).");
    case PerturbationKind::Blur:
        return RobustnessPage::tr("Gaussian blur with each kernel size (odd, 1-99); sigma follows the kernel "
                                  "(0.3 ((k - 1) / 2 - 1) + 0.8), as the published protocol intended.");
    case PerturbationKind::Crop:
        return RobustnessPage::tr("Remove this percentage of width and height at a random position (seeded), "
                                  "then resize back, bicubic (0-90).");
    case PerturbationKind::Noise:
        return RobustnessPage::tr("Add Gaussian noise of this sigma on the 0-255 scale (seeded).");
    case PerturbationKind::Resize:
        return RobustnessPage::tr("Scale the whole image by each factor (0.05-8): area averaging when shrinking, "
                                  "bicubic when enlarging.");
    }
    return {};
}

QString strengthsText(PerturbationKind kind, const std::vector<double> &strengths)
{
    QStringList parts;
    for (double s : strengths)
        parts << QString::number(shown(kind, s), 'g', 6);
    return parts.join(QStringLiteral(", "));
}

// "JPEG q45" under a preview: short, since the tooltip has the whole label.
QString shortLabel(PerturbationKind kind, double strength)
{
    switch (kind) {
    case PerturbationKind::Jpeg: return QStringLiteral("q %1").arg(strength, 0, 'f', 0);
    case PerturbationKind::Blur: return QStringLiteral("k %1").arg(strength, 0, 'f', 0);
    case PerturbationKind::Crop: return QStringLiteral("%1%").arg(100 * strength, 0, 'g', 4);
    case PerturbationKind::Noise: return QStringLiteral("s %1").arg(strength, 0, 'g', 4);
    case PerturbationKind::Resize: return QStringLiteral("x%1").arg(strength, 0, 'g', 4);
    }
    return {};
}

} // namespace

RobustnessPage::RobustnessPage(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(tr("Inspect an image, then press <b>Robustness...</b> there to see where its verdict breaks."),
                         this);
    m_title->setObjectName(QStringLiteral("robustnessTitle"));
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("robustnessSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_preset = new QComboBox(this);
    m_preset->setObjectName(QStringLiteral("presetCombo"));
    m_preset->addItem(tr("Paper protocol (with the 256 x 256 resize)"), QStringLiteral("paper"));
    m_preset->addItem(tr("Fine steps (the image at its own scale)"), QStringLiteral("fine"));
    m_preset->setToolTip(tr("Fill the strengths below from a preset; they can then be edited."));
    m_preset->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_preset->setMinimumContentsLength(12);

    m_detector = new QComboBox(this);
    m_detector->setObjectName(QStringLiteral("detectorCombo"));
    m_detector->addItem(tr("RINE"), QStringLiteral("rine"));
    m_detector->addItem(tr("SPAI (each version scored whole)"), QStringLiteral("spai"));
    m_detector->setToolTip(tr("Which detector scores the versions. SPAI is offered when it is on in Settings; it "
                              "scores each version at its own resolution (after the 256 x 256 resize when that is "
                              "on), and the previews show each version's centre."));

    auto *settings = new QGroupBox(tr("Perturbations"), this);
    auto *form = new QFormLayout(settings);
    form->setVerticalSpacing(3);
    form->addRow(tr("Detector:"), m_detector);
    form->addRow(tr("Preset:"), m_preset);
    const PerturbationKind kinds[] = {PerturbationKind::Jpeg, PerturbationKind::Blur, PerturbationKind::Crop,
                                      PerturbationKind::Noise, PerturbationKind::Resize};
    for (std::size_t i = 0; i < m_kinds.size(); ++i) {
        KindRow &row = m_kinds[i];
        row.kind = kinds[i];
        row.use = new QCheckBox(kindTitle(row.kind), settings);
        row.use->setObjectName(QStringLiteral("use_%1").arg(QString::fromLatin1(perturbationName(row.kind))));
        row.use->setToolTip(kindTooltip(row.kind));
        row.strengths = new QLineEdit(settings);
        row.strengths->setObjectName(QStringLiteral("strengths_%1").arg(QString::fromLatin1(perturbationName(row.kind))));
        row.strengths->setToolTip(tr("Strengths, mildest first, separated by commas. %1").arg(kindTooltip(row.kind)));
        connect(row.use, &QCheckBox::toggled, row.strengths, &QLineEdit::setEnabled);
        form->addRow(row.use, row.strengths);
    }
    m_resize = new QCheckBox(tr("Resize to 256 x 256 before the 224 crop"), settings);
    m_resize->setObjectName(QStringLiteral("resizeCheck"));
    m_resize->setToolTip(tr("Every version, and the original, is resized to 256 x 256 and then center-cropped to "
                            "224, as the published robustness protocol does. Off, the crop is taken from the image at "
                            "its own scale, as a scan scores it."));
    form->addRow(m_resize);
    m_seed = new QSpinBox(settings);
    m_seed->setObjectName(QStringLiteral("seedSpin"));
    m_seed->setRange(0, 1000000);
    m_seed->setToolTip(tr("Where the crop positions and the noise come from: the same seed gives the same versions."));
    form->addRow(tr("Seed:"), m_seed);
    connect(m_preset, &QComboBox::currentIndexChanged, this,
            [this] { choosePreset(m_preset->currentData().toString()); });

    m_run = new QPushButton(tr("Run sweep"), this);
    m_run->setObjectName(QStringLiteral("sweepButton"));
    connect(m_run, &QPushButton::clicked, this, [this] {
        if (m_running) {
            if (m_sweepJob)
                m_sweepJob->cancel();
            return;
        }
        auto planned = plan();
        if (!planned) {
            QMessageBox::warning(this, tr("Robustness"), QString::fromStdString(planned.error()));
            return;
        }
        emit runRequested();
    });
    m_save = new QPushButton(tr("Save JSON..."), this);
    m_save->setObjectName(QStringLiteral("saveSweepButton"));
    m_save->setToolTip(tr("The sweep with the model, preprocessing and software, as rine-cli robustness --json "
                          "writes it"));
    connect(m_save, &QPushButton::clicked, this, [this] {
        const QString suggested = QFileInfo(m_path).completeBaseName() + QStringLiteral("-robustness.json");
        const QString path = QFileDialog::getSaveFileName(this, tr("Save robustness sweep"), suggested,
                                                          tr("JSON (*.json)"));
        if (path.isEmpty())
            return;
        QString error;
        if (!saveJson(path, error))
            QMessageBox::warning(this, tr("Robustness"), error);
    });
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("sweepProgress"));
    m_progress->setVisible(false);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addWidget(m_progress, 1);
    buttons->addWidget(m_save);

    m_chart = new SweepChart(this);
    m_chart->setObjectName(QStringLiteral("sweepChart"));

    m_grid = new QWidget;
    m_grid->setObjectName(QStringLiteral("previewGrid"));
    m_gridLayout = new QGridLayout(m_grid);
    m_gridLayout->setSpacing(6);
    m_gridLayout->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_grid);
    scroll->setWidgetResizable(true);

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(settings);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(m_chart, 1);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("robustnessSplitter"));
    split->addWidget(left);
    split->addWidget(scroll);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({440, 840}); // the previews get the room; the settings keep what they need

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    choosePreset(QStringLiteral("paper"));
    updateButtons();
}

void RobustnessPage::choosePreset(const QString &name)
{
    const SweepPlan preset = robustnessPreset(name.toStdString());
    const SweepPlan fine = robustnessPreset("fine");
    if (preset.name.empty())
        return;
    const int index = m_preset->findData(name);
    if (index >= 0 && index != m_preset->currentIndex()) {
        m_preset->setCurrentIndex(index); // comes back here through the signal
        return;
    }
    for (KindRow &row : m_kinds) {
        auto find = [&](const SweepPlan &plan) -> const SweepPlan::Series * {
            for (const SweepPlan::Series &series : plan.series)
                if (series.kind == row.kind)
                    return &series;
            return nullptr;
        };
        const SweepPlan::Series *series = find(preset);
        const SweepPlan::Series *fallback = series ? series : find(fine);
        row.use->setChecked(series != nullptr);
        row.strengths->setEnabled(series != nullptr);
        row.strengths->setText(fallback ? strengthsText(row.kind, fallback->strengths) : QString());
    }
    m_resize->setChecked(preset.resizeTo256);
}

Result<SweepPlan> RobustnessPage::plan() const
{
    using R = Result<SweepPlan>;
    SweepPlan plan;
    plan.name = m_preset->currentData().toString().toStdString();
    plan.resizeTo256 = m_resize->isChecked();
    bool edited = false;
    const SweepPlan preset = robustnessPreset(plan.name);
    for (const KindRow &row : m_kinds) {
        if (!row.use->isChecked())
            continue;
        SweepPlan::Series series{row.kind, {}};
        const QStringList parts = row.strengths->text().split(QLatin1Char(','), Qt::SkipEmptyParts);
        for (const QString &part : parts) {
            bool ok = false;
            const double value = part.trimmed().toDouble(&ok);
            if (!ok)
                return R::failure(tr("%1: \"%2\" is not a number; give strengths separated by commas.")
                                      .arg(kindTitle(row.kind), part.trimmed())
                                      .toStdString());
            const double strength = taken(row.kind, value);
            const std::string range = checkStrength(row.kind, strength);
            if (!range.empty())
                return R::failure(tr("%1: %2 is out of range (%3).")
                                      .arg(kindTitle(row.kind), part.trimmed(), QString::fromStdString(range))
                                      .toStdString());
            series.strengths.push_back(strength);
        }
        if (series.strengths.empty())
            return R::failure(tr("%1: give at least one strength, or untick it.").arg(kindTitle(row.kind)).toStdString());
        plan.series.push_back(std::move(series));
    }
    if (plan.series.empty())
        return R::failure(tr("Tick at least one perturbation.").toStdString());
    // A plan that is no longer the preset is named so in what is saved.
    if (plan.series.size() != preset.series.size() || plan.resizeTo256 != preset.resizeTo256)
        edited = true;
    for (std::size_t i = 0; !edited && i < plan.series.size(); ++i)
        edited = plan.series[i].kind != preset.series[i].kind || plan.series[i].strengths != preset.series[i].strengths;
    if (edited)
        plan.name = "custom (from " + plan.name + ")";
    return plan;
}

std::uint64_t RobustnessPage::seed() const { return std::uint64_t(m_seed->value()); }

void RobustnessPage::setImage(const InspectResult &image)
{
    if (m_sweepJob) // its results are for the other image
        m_sweepJob->cancel();
    m_sweepJob = nullptr;
    setRunning(false);
    m_path = image.path;
    m_sha256 = image.sha256;
    m_hasSweep = false;
    m_sweep = {};
    m_baseline = {};
    m_previews.clear();
    m_title->setText(tr("<b>%1</b> &nbsp; %2 x %3, SHA-256 %4...")
                         .arg(QFileInfo(image.path).fileName().toHtmlEscaped())
                         .arg(image.width)
                         .arg(image.height)
                         .arg(image.sha256.left(16)));
    m_title->setToolTip(plainToolTip(image.path));
    m_summary->setText(tr("Not swept yet: choose the perturbations and press Run sweep. Each version of the image is "
                          "scored by the loaded model; nothing is written to the case."));
    m_chart->clearSweep();
    clearPreviews();
    updateButtons();
}

void RobustnessPage::setRule(VerdictRule rule)
{
    m_rule = rule;
    m_chart->setRule(rule.threshold, rule.band);
    if (m_hasSweep) {
        applyThreshold(m_sweep, rule.threshold);
        showSweep();
    }
}

void RobustnessPage::setModel(bool ready, const ModelInfo &info)
{
    m_modelReady = ready;
    m_model = info;
    updateButtons();
}

void RobustnessPage::setSpai(std::shared_ptr<const SpaiDetector> spai, bool rine)
{
    m_spai = std::move(spai);
    if (auto *items = qobject_cast<QStandardItemModel *>(m_detector->model())) {
        if (QStandardItem *item = items->item(0))
            item->setEnabled(rine || !m_spai);
        if (QStandardItem *item = items->item(1))
            item->setEnabled(bool(m_spai));
    }
    if (!m_spai)
        m_detector->setCurrentIndex(0);
    else if (!rine)
        m_detector->setCurrentIndex(1);
    updateButtons();
}

bool RobustnessPage::sweepsWithSpai() const
{
    return m_spai && m_detector->currentData().toString() == QLatin1String("spai");
}

void RobustnessPage::setRunning(bool running)
{
    m_running = running;
    if (running) {
        m_sweepSpai = sweepsWithSpai() ? m_spai : nullptr;
        if (auto planned = plan())
            m_sweepPlan = planned.value();
        m_sweepSeed = seed();
        m_progress->setRange(0, 0);
        m_summary->setText(tr("Preparing and scoring the versions of the image..."));
        // What is on the page is always the last finished sweep of these settings, or nothing.
        m_hasSweep = false;
        m_sweep = {};
        m_baseline = {};
        m_previews.clear();
        m_chart->clearSweep();
        clearPreviews();
    }
    m_progress->setVisible(running);
    updateButtons();
}

void RobustnessPage::updateButtons()
{
    const bool image = !m_path.isEmpty();
    m_run->setText(m_running ? tr("Cancel") : tr("Run sweep"));
    m_run->setEnabled(m_running || (image && m_modelReady));
    m_run->setToolTip(!image ? tr("Inspect an image first") : !m_modelReady ? tr("The detector is not loaded")
                                                                           : QString());
    m_save->setEnabled(m_hasSweep && !m_running);
}

void RobustnessPage::followSweep(Job *job)
{
    m_sweepJob = job;
    if (!job)
        return;
    job->onProgress<SweepUpdate>(this, [this, job](const SweepUpdate &u) {
        if (job == m_sweepJob)
            showProgress(u, false);
    });
    job->onEnd<SweepUpdate>(this, [this, job](const SweepUpdate &u, const QString &error) {
        if (job == m_sweepJob)
            showProgress(u, true, error);
    });
    setRunning(true);
}

void RobustnessPage::showProgress(const SweepUpdate &update, bool finished, const QString &error)
{
    if (!finished) {
        m_progress->setRange(0, std::max(1, update.total));
        m_progress->setValue(update.done);
        m_progress->setFormat(update.done * 2 <= update.total ? tr("preparing versions %p%") : tr("scoring %p%"));
        return;
    }
    setRunning(false);
    if (!error.isEmpty()) {
        m_summary->setText(tr("<span style=\"color: #c01f1f\">The sweep failed: %1</span>").arg(error.toHtmlEscaped()));
        return;
    }
    if (update.result.cancelled) {
        m_summary->setText(tr("Cancelled: nothing was scored. Press Run sweep to start again."));
        return;
    }
    m_sweep = update.result;
    m_baseline = update.baseline;
    m_previews = update.previews;
    m_hasSweep = true;
    applyThreshold(m_sweep, m_rule.threshold);
    showSweep();
    updateButtons();
}

void RobustnessPage::clearPreviews()
{
    while (QLayoutItem *item = m_gridLayout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
}

QWidget *RobustnessPage::previewTile(const QImage &picture, const QString &caption, double probability,
                                     const QString &tooltip, bool flip)
{
    const Verdict verdict = m_rule.of(probability);
    const QColor colour = verdictColour(verdict);
    auto *tile = new QFrame(m_grid);
    tile->setObjectName(QStringLiteral("sweepPreview"));
    tile->setProperty("probability", probability);
    tile->setProperty("verdict", verdictName(verdict));
    tile->setProperty("flip", flip);
    tile->setStyleSheet(QStringLiteral("QFrame#sweepPreview { border: %1px solid %2; }")
                            .arg(flip ? 4 : 2)
                            .arg(colour.name()));
    tile->setToolTip(tooltip);
    auto *layout = new QVBoxLayout(tile);
    layout->setContentsMargins(3, 3, 3, 3);
    layout->setSpacing(2);
    auto *image = new QLabel(tile);
    const qreal ratio = devicePixelRatioF();
    QPixmap pixmap = QPixmap::fromImage(
        picture.scaled(QSize(kPreviewSide, kPreviewSide) * ratio, Qt::KeepAspectRatio, Qt::SmoothTransformation));
    pixmap.setDevicePixelRatio(ratio);
    image->setPixmap(pixmap);
    image->setFixedSize(kPreviewSide, kPreviewSide);
    auto *text = new QLabel(QStringLiteral("%1<br><b style=\"color: %2\">%3 %4</b>%5")
                                .arg(caption.toHtmlEscaped(), colour.name())
                                .arg(probability, 0, 'f', 3)
                                .arg(verdictName(verdict))
                                .arg(flip ? tr("<br><b>flips here</b>") : QString()),
                            tile);
    text->setAlignment(Qt::AlignCenter);
    layout->addWidget(image);
    layout->addWidget(text);
    return tile;
}

void RobustnessPage::showSweep()
{
    m_chart->setSweep(m_sweep);
    clearPreviews();
    const QString verdictWord = m_sweep.baselineFake ? tr("generated") : tr("real");
    m_summary->setText(tr("%9: <b>%1</b>. The original scores %2 (%3 at threshold %4)%5. Flips are where the probability "
                          "crosses the threshold; the colours show the verdict with the inconclusive band. %6 versions "
                          "scored in %7 passes, %8 s.")
                           .arg(QString::fromStdString(m_sweep.summary).toHtmlEscaped())
                           .arg(m_sweep.baselineProbability, 0, 'f', 4)
                           .arg(verdictWord)
                           .arg(m_rule.threshold, 0, 'f', 2)
                           .arg(m_sweep.resizedTo256 ? tr(", after the protocol's resize to 256 x 256") : QString())
                           .arg(m_sweep.crops)
                           .arg(m_sweep.forwardPasses)
                           .arg(m_sweep.seconds, 0, 'f', 1)
                           .arg(m_sweep.detector == "spai" ? tr("SPAI") : tr("RINE")));
    for (int s = 0; s < int(m_sweep.series.size()); ++s) {
        const SweepSeries &series = m_sweep.series[std::size_t(s)];
        auto *name = new QLabel(QStringLiteral("<b>%1</b>").arg(kindTitle(series.kind).toHtmlEscaped()), m_grid);
        name->setWordWrap(true);
        name->setMaximumWidth(80);
        m_gridLayout->addWidget(name, s, 0);
        m_gridLayout->addWidget(previewTile(m_baseline, tr("original"), m_sweep.baselineProbability,
                                            tr("The original image%1: %2")
                                                .arg(m_sweep.resizedTo256 ? tr(" (resized to 256 x 256)") : QString())
                                                .arg(m_sweep.baselineProbability, 0, 'f', 4),
                                            false),
                                s, 1);
        for (int i = 0; i < int(series.points.size()); ++i) {
            const SweepPoint &point = series.points[std::size_t(i)];
            const QImage picture = s < m_previews.size() && i < m_previews[s].size() ? m_previews[s][i] : QImage();
            m_gridLayout->addWidget(previewTile(picture, shortLabel(series.kind, point.strength), point.probability,
                                                tr("%1: probability %2 (logit %3)")
                                                    .arg(QString::fromStdString(point.label))
                                                    .arg(point.probability, 0, 'f', 4)
                                                    .arg(point.logit, 0, 'f', 3),
                                                i == series.flipIndex),
                                    s, i + 2);
        }
    }
}

bool RobustnessPage::saveJson(const QString &path, QString &error) const
{
    if (!m_hasSweep) {
        error = tr("There is no sweep to save.");
        return false;
    }
    const bool spai = m_sweep.detector == "spai" && m_sweepSpai;
    const QByteArray text = robustnessDocument(m_sweepPlan, m_sweep.threshold, m_sweepSeed, spai ? nullptr : &m_model,
                                               spai ? m_sweepSpai.get() : nullptr, QJsonArray{sweepToJson(m_sweep)},
                                               m_sweep.crop);
    auto written = writeFileAtomically(path, text);
    if (!written) {
        error = QString::fromStdString(written.error());
        return false;
    }
    return true;
}

} // namespace rine
