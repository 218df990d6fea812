#include "InspectPage.h"

#include "Charts.h"
#include "ImageView.h"

#include "report/Pictures.h"

#include <QCheckBox>
#include <QComboBox>
#include <QSignalBlocker>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTextBrowser>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace rine {

namespace {

QString h(const QString &text) { return text.toHtmlEscaped(); }
QString h(const std::string &text) { return QString::fromStdString(text).toHtmlEscaped(); }

QString row(const QString &name, const QString &valueHtml)
{
    return QStringLiteral("<tr><td valign=\"top\"><b>%1</b></td><td>%2</td></tr>").arg(h(name), valueHtml);
}

} // namespace

InspectPage::InspectPage(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(tr("Open an image (File > Open Image) or double-click a row of a scan."), this);
    m_title->setObjectName(QStringLiteral("inspectTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setWordWrap(true);
    m_verdict = new QLabel(this);
    m_verdict->setObjectName(QStringLiteral("inspectVerdict"));
    m_verdict->setTextFormat(Qt::RichText);
    m_spaiVerdict = new QLabel(this);
    m_spaiVerdict->setObjectName(QStringLiteral("inspectSpaiVerdict"));
    m_spaiVerdict->setTextFormat(Qt::RichText);
    m_spaiVerdict->setVisible(false);
    m_record = new QLabel(this);
    m_record->setObjectName(QStringLiteral("inspectRecord"));
    m_record->setWordWrap(true);

    m_view = new ImageView(this);
    m_view->setObjectName(QStringLiteral("inspectImage"));
    auto *zoomIn = new QToolButton(this);
    zoomIn->setText(tr("Zoom in"));
    zoomIn->setShortcut(QKeySequence::ZoomIn);
    auto *zoomOut = new QToolButton(this);
    zoomOut->setText(tr("Zoom out"));
    zoomOut->setShortcut(QKeySequence::ZoomOut);
    auto *fit = new QToolButton(this);
    fit->setText(tr("Fit"));
    auto *actual = new QToolButton(this);
    actual->setText(tr("1:1"));
    connect(zoomIn, &QToolButton::clicked, m_view, [this] { m_view->zoomBy(1.25); });
    connect(zoomOut, &QToolButton::clicked, m_view, [this] { m_view->zoomBy(0.8); });
    connect(fit, &QToolButton::clicked, m_view, &ImageView::fitToWindow);
    connect(actual, &QToolButton::clicked, m_view, [this] { m_view->zoomBy(1.0 / m_view->zoom()); });
    m_showRegion = new QCheckBox(tr("Analysed region"), this);
    m_showRegion->setChecked(true);
    m_showRegion->setToolTip(tr("Outline the 224 x 224 pixels the model looked at (no resizing: the rest of the image "
                                "does not enter the score)"));
    connect(m_showRegion, &QCheckBox::toggled, m_view, &ImageView::setRegionsVisible);
    m_showTiles = new QCheckBox(tr("Tile map"), this);
    m_showTiles->setChecked(true);
    connect(m_showTiles, &QCheckBox::toggled, m_view, &ImageView::setTilesVisible);
    m_showSpai = new QCheckBox(tr("SPAI patches"), this);
    m_showSpai->setObjectName(QStringLiteral("showSpaiPatches"));
    m_showSpai->setChecked(true);
    m_showSpai->setVisible(false);
    m_showSpai->setToolTip(tr("SPAI's 224 px patches: the colour is the patch's own score alone, the opacity its "
                              "attention weight (how much the verdict draws on it); hover a patch for its numbers"));
    connect(m_showSpai, &QCheckBox::toggled, m_view, &ImageView::setSpaiVisible);
    m_tilesButton = new QPushButton(tr("Score tiles"), this);
    m_tilesButton->setObjectName(QStringLiteral("tilesButton"));
    m_tilesButton->setToolTip(tr("Cover the image with 224 x 224 tiles and score each one: shows where in the image "
                                 "the verdict comes from. One model pass per tile."));
    connect(m_tilesButton, &QPushButton::clicked, this, [this] {
        if (m_tilesRunning && m_tilesJob)
            m_tilesJob->cancel();
        else
            emit tilesRequested();
    });
    m_robustnessButton = new QPushButton(tr("Robustness..."), this);
    m_robustnessButton->setObjectName(QStringLiteral("robustnessButton"));
    m_robustnessButton->setToolTip(tr("Re-encode, blur, crop, noise and resize this image at a series of strengths "
                                      "and see where its verdict breaks (Robustness page)."));
    connect(m_robustnessButton, &QPushButton::clicked, this, &InspectPage::robustnessRequested);
    m_tilesProgress = new QProgressBar(this);
    m_tilesProgress->setObjectName(QStringLiteral("tilesProgress"));
    m_tilesProgress->setVisible(false);
    m_tilesProgress->setMaximumWidth(200);

    auto *tools = new QHBoxLayout;
    for (QWidget *w : std::initializer_list<QWidget *>{zoomIn, zoomOut, fit, actual, m_showRegion, m_showTiles, m_showSpai, m_tilesButton,
                                                        m_tilesProgress})
        tools->addWidget(w);
    tools->addStretch();

    m_importance = new BlockChart(tr("Learned importance"),
                                  tr("Block %1: learned importance %2. The share of the head's input the trained model "
                                     "takes from this block's CLS token, the same for every image (softmax of the "
                                     "importance estimator, averaged over projections)."),
                                  this);
    m_importance->setObjectName(QStringLiteral("importanceChart"));
    m_importance->setToolTip(QString()); // per-bar tooltips
    m_contributions = new BlockChart(tr("Contribution"),
                                     tr("Block %1: contribution %2 to this image's score. How much of what the head "
                                        "saw in this image came from this block (sums to 1 over the blocks)."),
                                     this);
    m_contributions->setObjectName(QStringLiteral("contributionChart"));
    auto *importanceTitle = new QLabel(tr("<b>Block importance</b> (learned by the model, the same for every image)"), this);
    auto *contributionTitle = new QLabel(tr("<b>Block contributions</b>"), this);
    // TextureCrop: the chart shows the image (mean over its windows) or one window.
    m_contributionOf = new QComboBox(this);
    m_contributionOf->setObjectName(QStringLiteral("contributionOf"));
    m_contributionOf->setToolTip(tr("TextureCrop scores the image on its most textured windows: show the mean over "
                                    "them (what the verdict comes from) or one window's own"));
    m_contributionOf->setVisible(false);
    connect(m_contributionOf, &QComboBox::currentIndexChanged, this, &InspectPage::showContributions);
    m_facts = new QTextBrowser(this);
    m_facts->setObjectName(QStringLiteral("facts"));
    m_facts->setOpenLinks(false);

    auto *charts = m_charts = new QWidget(this);
    auto *chartsLayout = new QVBoxLayout(charts);
    chartsLayout->setContentsMargins(0, 0, 0, 0);
    chartsLayout->addWidget(importanceTitle);
    chartsLayout->addWidget(m_importance, 1);
    auto *contributionHeader = new QHBoxLayout;
    contributionHeader->addWidget(contributionTitle);
    contributionHeader->addWidget(m_contributionOf);
    contributionHeader->addStretch();
    chartsLayout->addLayout(contributionHeader);
    chartsLayout->addWidget(m_contributions, 1);
    auto *side = new QSplitter(Qt::Vertical, this);
    side->addWidget(charts);
    side->addWidget(m_facts);
    side->setStretchFactor(0, 3);
    side->setStretchFactor(1, 2);

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addLayout(tools);
    leftLayout->addWidget(m_view, 1);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("inspectSplitter"));
    split->addWidget(left);
    split->addWidget(side);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    auto *header = new QHBoxLayout;
    header->addWidget(m_title, 1);
    auto *verdicts = new QVBoxLayout;
    verdicts->addWidget(m_verdict);
    verdicts->addWidget(m_spaiVerdict);
    header->addLayout(verdicts);
    header->addWidget(m_robustnessButton, 0, Qt::AlignTop);
    layout->addLayout(header);
    layout->addWidget(m_record);
    layout->addWidget(split, 1);
    setModelReady(false);
}

void InspectPage::setModelReady(bool ready)
{
    m_modelReady = ready;
    m_tilesButton->setEnabled(ready && m_result.scored);
    m_robustnessButton->setEnabled(ready && (m_result.scored || m_result.spai)); // SPAI alone sweeps with SPAI
}

void InspectPage::setRine(bool rine)
{
    for (QWidget *w : std::initializer_list<QWidget *>{m_charts, m_showRegion, m_showTiles, m_tilesButton})
        w->setVisible(rine);
}

void InspectPage::setRule(VerdictRule rule)
{
    m_rule = rule;
    updateVerdict();
    if (m_tiles.done > 0)
        m_view->setTiles(m_tiles, m_rule);
    if (m_result.spai)
        m_view->setSpaiPatches(*m_result.spai, m_rule); // their tooltips name verdicts
}

void InspectPage::showPending(const QString &path, const QString &why)
{
    m_result = InspectResult{};
    m_result.path = path;
    m_tiles = TileScores{};
    m_title->setText(QStringLiteral("<b>%1</b>").arg(h(QFileInfo(path).fileName())));
    m_verdict->setText(h(why));
    m_spaiVerdict->clear();
    m_spaiVerdict->setVisible(false);
    m_showSpai->setVisible(false);
    m_record->clear();
    m_view->clear();
    m_importance->clearValues();
    m_contributions->clearValues();
    {
        const QSignalBlocker quiet(m_contributionOf);
        m_contributionOf->clear();
    }
    m_contributionOf->setVisible(false);
    m_facts->clear();
    m_tilesButton->setEnabled(false);
    m_robustnessButton->setEnabled(false);
    m_tilesProgress->setVisible(false);
}

void InspectPage::updateVerdict()
{
    updateSpaiVerdict();
    if (!m_result.error.isEmpty()) {
        m_verdict->setText(tr("<b>Not examined</b>"));
        return;
    }
    if (!m_result.scored) {
        m_verdict->setText(m_result.scoreError.isEmpty() ? QString() : tr("<b>Not scored</b>"));
        return;
    }
    const double p = m_result.score.probability;
    const Verdict verdict = m_rule.of(p);
    const QString colour = verdictColour(verdict).name();
    m_verdict->setText(tr("<span style=\"font-size: large\">Probability generated <b>%1</b> &nbsp; "
                          "<span style=\"color: %2\"><b>%3</b></span></span>")
                           .arg(p, 0, 'f', 4)
                           .arg(colour, verdictName(verdict)));
    m_verdict->setToolTip(tr("Logit %1. Threshold %2; between %3 and %4 the verdict is inconclusive.")
                              .arg(m_result.score.logit, 0, 'f', 4)
                              .arg(m_rule.threshold, 0, 'f', 2)
                              .arg(m_rule.threshold - m_rule.band, 0, 'f', 2)
                              .arg(m_rule.threshold + m_rule.band, 0, 'f', 2));
}

void InspectPage::updateSpaiVerdict()
{
    const InspectResult &r = m_result;
    m_spaiVerdict->setVisible(r.spai || !r.spaiError.isEmpty());
    if (!r.spai) {
        m_spaiVerdict->setText(r.spaiError.isEmpty() ? QString() : tr("SPAI: <b>not scored</b>"));
        m_spaiVerdict->setToolTip(h(r.spaiError));
        return;
    }
    const Verdict spai = m_rule.of(r.spai->probability);
    const Verdict rine = r.scored ? m_rule.of(r.score.probability) : Verdict::None;
    const bool disagree = (spai == Verdict::Fake && rine == Verdict::Real) || (spai == Verdict::Real && rine == Verdict::Fake);
    m_spaiVerdict->setText(tr("SPAI: probability generated <b>%1</b> &nbsp; <span style=\"color: %2\"><b>%3</b></span>%4")
                               .arg(r.spai->probability, 0, 'f', 4)
                               .arg(verdictColour(spai).name(), verdictName(spai))
                               .arg(disagree ? tr(" &nbsp; <span style=\"color: #b05a00\"><b>RINE and SPAI "
                                                  "disagree</b></span>")
                                             : QString()));
    m_spaiVerdict->setToolTip(tr("SPAI logit %1 over %2 patches of 224 px (%3), weights SHA-256 %4. The same threshold "
                                 "and band as RINE's. The detectors fail on different generators: where they disagree, "
                                 "look at both.")
                                  .arg(r.spai->logit, 0, 'f', 4)
                                  .arg(r.spai->patches.size())
                                  .arg(r.spai->layout.fiveCrop ? tr("five-crop: the image has fewer than 4 patches")
                                                               : tr("grid at stride 224"))
                                  .arg(r.spaiSha256.left(16)));
}

void InspectPage::showResult(const InspectResult &result, const std::optional<FileReport> &stored)
{
    m_result = result;
    m_tiles = TileScores{};
    m_tilesRunning = false;
    m_tilesButton->setText(tr("Score tiles"));
    m_tilesProgress->setVisible(false);
    m_title->setText(QStringLiteral("<b>%1</b><br><small>%2</small>")
                         .arg(h(QFileInfo(result.path).fileName()), h(QFileInfo(result.path).absolutePath())));
    updateVerdict();
    // TextureCrop: each kept window outlined once, numbered by rank, its score on hover.
    const std::vector<KeptWindow> kept = distinctWindows(result.windows);
    QStringList labels, tooltips;
    {
        const QSignalBlocker quiet(m_contributionOf);
        m_contributionOf->clear();
        m_contributionOf->addItem(tr("this image"), -1);
        for (const KeptWindow &k : kept) {
            labels << QString::fromStdString(k.label());
            const double p = 1.0 / (1.0 + std::exp(-k.logit));
            tooltips << tr("Window %1 of TextureCrop's %2 (rank %3): x %4, y %5, %6 x %6 pixels; grey-level entropy "
                           "%7 bits; logit %8, probability %9")
                            .arg(labels.last())
                            .arg(result.windows.size())
                            .arg(labels.last())
                            .arg(k.region.left)
                            .arg(k.region.top)
                            .arg(k.region.size)
                            .arg(k.entropy, 0, 'f', 3)
                            .arg(k.logit, 0, 'f', 4)
                            .arg(p, 0, 'f', 4);
            m_contributionOf->addItem(tr("window %1").arg(labels.last()), int(k.first));
        }
        m_contributionOf->setVisible(!kept.empty());
    }
    if (result.error.isEmpty()) {
        m_view->setImage(result.display, result.toDisplay);
        m_view->setRegions(result.regions, labels, tooltips);
        m_view->setRegionsVisible(m_showRegion->isChecked());
        if (result.spai) {
            m_view->setSpaiPatches(*result.spai, m_rule);
            m_view->setSpaiVisible(m_showSpai->isChecked());
        }
    } else {
        m_view->clear();
    }
    if (result.scored)
        m_importance->setValues(result.importance);
    else
        m_importance->clearValues();
    showContributions();

    // Does what is on disk now agree with what the case recorded?
    QString record;
    if (stored) {
        if (!result.sha256.isEmpty() && !stored->sha256.isEmpty() && stored->sha256 != result.sha256) {
            record = tr("<span style=\"color:#c01f1f\"><b>The file's bytes changed since the scan:</b> SHA-256 now "
                        "%1, recorded %2. The case's result is for the recorded bytes.</span>")
                         .arg(h(result.sha256.left(16)), h(stored->sha256.left(16)));
        } else if (!stored->scores.empty() && result.scored) {
            const auto &s = stored->scores.front();
            const bool sameHead = s.headSha256 == result.headSha256;
            const bool same = sameHead && std::abs(s.probability - result.score.probability) < 1e-4;
            record = same ? tr("Same bytes and the same result as recorded in the case (probability %1, scored %2 on %3).")
                                .arg(s.probability, 0, 'f', 4)
                                .arg(h(s.scoredAt), h(s.device))
                          : sameHead ? tr("<b>The case recorded probability %1</b> for these bytes (scored %2 on %3); "
                                          "now %4. A different device or preprocessing explains small differences.")
                                           .arg(s.probability, 0, 'f', 4)
                                           .arg(h(s.scoredAt), h(s.device))
                                           .arg(result.score.probability, 0, 'f', 4)
                                     : tr("The case recorded probability %1 from another head (SHA-256 %2); shown here: "
                                          "the loaded model.")
                                           .arg(s.probability, 0, 'f', 4)
                                           .arg(h(s.headSha256.left(16)));
        }
    }
    if (stored && stored->spai && result.spai && stored->sha256 == result.sha256) {
        const FileReport::Spai &s = *stored->spai;
        const bool sameWeights = s.weightsSha256 == result.spaiSha256;
        record += (record.isEmpty() ? QString() : QStringLiteral("<br>"))
                + (!sameWeights ? tr("The case recorded SPAI probability %1 from other weights (SHA-256 %2).")
                                      .arg(s.probability, 0, 'f', 4)
                                      .arg(h(s.weightsSha256.left(16)))
                   : std::abs(s.probability - result.spai->probability) < 1e-4
                       ? tr("SPAI: the same result as recorded in the case (probability %1, scored %2).")
                             .arg(s.probability, 0, 'f', 4)
                             .arg(h(s.scoredAt))
                       : tr("<b>The case recorded SPAI probability %1</b> for these bytes (scored %2); now %3.")
                             .arg(s.probability, 0, 'f', 4)
                             .arg(h(s.scoredAt))
                             .arg(result.spai->probability, 0, 'f', 4));
    }
    if (!result.scoreError.isEmpty())
        record += tr("<br><span style=\"color:#c01f1f\">The model failed on this image: %1</span>").arg(h(result.scoreError));
    if (!result.spaiError.isEmpty())
        record += tr("<br><span style=\"color:#c01f1f\">SPAI failed on this image: %1</span>").arg(h(result.spaiError));
    if (!result.error.isEmpty())
        record += tr("<span style=\"color:#c01f1f\">%1</span>").arg(h(result.error));
    m_record->setText(record);
    m_record->setVisible(!record.isEmpty());
    m_showSpai->setVisible(bool(result.spai));
    m_facts->setHtml(factsHtml(result, stored));
    setModelReady(m_modelReady);
}

void InspectPage::showContributions()
{
    if (!m_result.scored) {
        m_contributions->clearValues();
        return;
    }
    const int window = m_contributionOf->currentData().isValid() ? m_contributionOf->currentData().toInt() : -1;
    if (window >= 0 && std::size_t(window) < m_result.windowScores.size())
        m_contributions->setValues(m_result.windowScores[std::size_t(window)].contributions);
    else
        m_contributions->setValues(m_result.score.contributions);
}

void InspectPage::followTiles(Job *job)
{
    m_tilesJob = job;
    if (!job)
        return;
    job->onProgress<TileUpdate>(this, [this, job](const TileUpdate &u) {
        if (job == m_tilesJob)
            showTiles(u.scores, false);
    });
    job->onEnd<TileUpdate>(this, [this, job](const TileUpdate &u, const QString &error) {
        if (job == m_tilesJob)
            showTiles(u.scores, true, error);
    });
    m_tilesRunning = true;
    m_tilesButton->setText(tr("Cancel tiles"));
}

void InspectPage::showTiles(const TileScores &scores, bool finished, const QString &error)
{
    m_tilesRunning = !finished;
    m_tilesButton->setText(m_tilesRunning ? tr("Cancel tiles") : tr("Score tiles"));
    if (!error.isEmpty()) {
        m_record->setText(m_record->text() + tr("<br><span style=\"color:#c01f1f\">Tile map: %1</span>").arg(h(error)));
        m_record->setVisible(true);
        m_tilesProgress->setVisible(false);
        return;
    }
    if (scores.grid.tiles.empty() && finished) {
        m_tilesProgress->setVisible(false);
        return;
    }
    m_tiles = scores;
    m_tilesProgress->setVisible(m_tilesRunning);
    m_tilesProgress->setRange(0, int(m_tiles.grid.tiles.size()));
    m_tilesProgress->setValue(int(m_tiles.done));
    m_tilesProgress->setFormat(tr("%v / %m tiles"));
    m_view->setTiles(m_tiles, m_rule);
    m_view->setTilesVisible(m_showTiles->isChecked());
    if (finished) {
        double low = 1, high = 0;
        for (double p : m_tiles.probabilities) {
            low = std::min(low, p);
            high = std::max(high, p);
        }
        QString summary = tr("Tile map: %1 tiles (%2 x %3)%4, probabilities from %5 to %6 (blue: 0, real; white: "
                             "0.5; red: 1, generated). Hover a tile for its score.")
                              .arg(m_tiles.done)
                              .arg(m_tiles.grid.columns)
                              .arg(m_tiles.grid.rows)
                              .arg(m_tiles.cancelled ? tr(", cancelled before the end") : QString())
                              .arg(low, 0, 'f', 3)
                              .arg(high, 0, 'f', 3);
        if (!m_tiles.grid.coversImage)
            summary += tr(" The image is too large to cover: tiles are spread evenly over it, with gaps.");
        m_tilesButton->setToolTip(summary);
        m_record->setText((m_record->text().isEmpty() ? QString() : m_record->text() + QStringLiteral("<br>")) + h(summary));
        m_record->setVisible(true);
    }
}

QString InspectPage::factsHtml(const InspectResult &r, const std::optional<FileReport> &stored) const
{
    QString html = QStringLiteral("<table cellspacing=\"4\">");
    html += row(tr("Path"), h(r.path));
    if (r.size > 0)
        html += row(tr("Size"), tr("%1 (%2 bytes)").arg(QLocale().formattedDataSize(r.size)).arg(r.size));
    if (!r.sha256.isEmpty())
        html += row(tr("SHA-256"), QStringLiteral("<tt>%1</tt>").arg(h(r.sha256)));
    if (r.width > 0)
        html += row(tr("Dimensions"), tr("%1 x %2 pixels as stored").arg(r.width).arg(r.height));
    if (!r.format.isEmpty())
        html += row(tr("Format"), h(r.format.toUpper()));
    if (r.jpegQuality > 0)
        html += row(tr("JPEG quality"),
                    r.jpegQualityExact ? tr("%1 (libjpeg's standard tables at that quality)").arg(r.jpegQuality)
                                       : tr("about %1 (the nearest libjpeg quality; the file's tables are its "
                                            "encoder's own)")
                                             .arg(r.jpegQuality));
    if (r.facts.orientation != 1)
        html += row(tr("Orientation"), tr("EXIF orientation %1: shown upright; analysed as stored, as the published "
                                          "model was evaluated").arg(r.facts.orientation));
    for (const QString &warning : r.warnings)
        html += row(tr("Warning"), h(warning));
    if (stored)
        html += row(tr("Case record"), tr("status %1, modified %2").arg(h(stored->status), h(stored->mtime)));
    html += QStringLiteral("</table>");

    if (r.spai && !r.spai->patches.empty()) {
        // The patches SPAI drew on most, strongest first (all of them are on the picture).
        const SpaiScore &spai = *r.spai;
        std::vector<std::size_t> order(spai.patches.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return spai.patches[a].attentionMean > spai.patches[b].attentionMean;
        });
        html += tr("<h4>SPAI's patches</h4><p>%1 patches of 224 x 224 pixels%2; the %3 with the highest attention:</p>")
                    .arg(spai.patches.size())
                    .arg(spai.layout.fiveCrop ? tr(" (five-crop: fewer than 4 fit)") : QString())
                    .arg(std::min<std::size_t>(order.size(), 10));
        html += tr("<table cellspacing=\"4\"><tr><th>Patch</th><th>x</th><th>y</th><th>Attention</th><th>Alone: "
                   "probability</th></tr>");
        for (std::size_t k = 0; k < order.size() && k < 10; ++k) {
            const SpaiPatchScore &p = spai.patches[order[k]];
            html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>")
                        .arg(order[k] + 1)
                        .arg(p.left - spai.layout.padLeft)
                        .arg(p.top - spai.layout.padTop)
                        .arg(p.attentionMean, 0, 'f', 4)
                        .arg(1.0 / (1.0 + std::exp(-p.soloLogit)), 0, 'f', 4);
        }
        html += QStringLiteral("</table>");
    }

    html += tr("<h4>Metadata</h4><p><i>Stated as found in the file. Metadata is easily removed or forged; it is not "
               "part of the detector's verdict.</i></p><table cellspacing=\"4\">");
    if (r.facts.exif.empty())
        html += row(tr("EXIF"), tr("none"));
    for (const auto &[name, value] : r.facts.exif)
        html += row(QStringLiteral("EXIF %1").arg(QString::fromStdString(name)), h(value));
    if (!r.facts.xmpCreatorTool.empty())
        html += row(tr("XMP CreatorTool"), h(r.facts.xmpCreatorTool));
    if (!r.facts.xmpDigitalSourceType.empty())
        html += row(tr("IPTC DigitalSourceType"), h(r.facts.xmpDigitalSourceType));
    html += row(tr("C2PA"), r.facts.c2pa.empty() ? tr("no C2PA manifest store found")
                                                 : tr("a C2PA manifest store is present (%1); its signature is not "
                                                      "validated here").arg(h(r.facts.c2pa)));
    int shown = 0;
    for (const auto &[key, value] : r.facts.textChunks) {
        if (++shown > 12) {
            html += row(QString(), tr("%1 more text entries").arg(r.facts.textChunks.size() - 12));
            break;
        }
        QString text = QString::fromStdString(value);
        if (text.size() > 600)
            text = text.left(600) + QStringLiteral(" [...]");
        html += row(tr("Text \"%1\"").arg(QString::fromStdString(key)), h(text).replace(QLatin1Char('\n'), QStringLiteral("<br>")));
    }
    html += QStringLiteral("</table>");
    html += tr("<h4>Generator traces in metadata</h4>");
    if (r.facts.generatorTraces.empty()) {
        html += tr("<p>None found.</p>");
    } else {
        html += QStringLiteral("<ul>");
        for (const std::string &trace : r.facts.generatorTraces)
            html += QStringLiteral("<li>%1</li>").arg(h(trace));
        html += QStringLiteral("</ul>");
    }
    if (!r.facts.problems.empty()) {
        html += tr("<h4>Metadata that could not be read in full</h4><ul>");
        for (const std::string &problem : r.facts.problems)
            html += QStringLiteral("<li>%1</li>").arg(h(problem));
        html += QStringLiteral("</ul>");
    }
    return html;
}

} // namespace rine
