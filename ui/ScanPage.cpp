#include "ScanPage.h"

#include "PlainText.h"

#include "Charts.h"
#include "ThumbnailCache.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace rine {

QString durationText(double seconds)
{
    if (seconds < 0)
        return QObject::tr("unknown");
    const qint64 s = qint64(std::llround(seconds));
    if (s >= 3600)
        return QObject::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QObject::tr("%1 s").arg(s);
}

ScanPage::ScanPage(QWidget *parent) : QWidget(parent)
{
    setAcceptDrops(true);
    m_model = new ResultsModel(this);
    m_thumbnails = new ThumbnailCache(48, this);
    m_model->setThumbnails(m_thumbnails);
    m_filter = new ResultsFilter(this);
    m_filter->setSourceModel(m_model);

    m_openFolder = new QPushButton(tr("Open Folder..."), this);
    m_openFolder->setObjectName(QStringLiteral("openFolderButton"));
    m_openFolder->setToolTip(tr("Scan a folder of evidence (or drop a folder here). Files are opened read-only."));
    m_openCase = new QPushButton(tr("Open Case..."), this);
    m_openCase->setObjectName(QStringLiteral("openCaseButton"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("cancelScanButton"));
    m_cancel->setEnabled(false);
    m_cancel->setToolTip(tr("Stop after the batch in flight; what is done is kept, and scanning the same folder "
                            "into this case again resumes"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("scanProgress"));
    m_progress->setTextVisible(true);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_rate = new QLabel(this);
    m_rate->setObjectName(QStringLiteral("scanRate"));
    m_case = new QLabel(tr("No case open. Open a folder to scan it into a new case, or open an existing case."), this);
    m_case->setObjectName(QStringLiteral("caseLabel"));
    m_case->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_case->setWordWrap(true);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("scanMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setVisible(false);
    connect(m_openFolder, &QPushButton::clicked, this, [this] { emit openFolderRequested({}); });
    connect(m_openCase, &QPushButton::clicked, this, [this] { emit openCaseRequested({}); });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_cancel->setEnabled(false);
        m_rate->setText(tr("Cancelling: finishing the batch in flight..."));
        if (m_scanJob)
            m_scanJob->cancel();
    });

    // Filters
    m_verdictFilter = new QComboBox(this);
    m_verdictFilter->setObjectName(QStringLiteral("verdictFilter"));
    m_verdictFilter->addItem(tr("All verdicts"), -1);
    for (Verdict v : {Verdict::Fake, Verdict::Inconclusive, Verdict::Real, Verdict::None})
        m_verdictFilter->addItem(verdictName(v), int(v));
    // Shown only for a scan that ran SPAI (showSpai).
    m_verdictFilter->addItem(tr("Detectors disagree"), ResultsFilter::kDisagree);
    m_statusFilter = new QComboBox(this);
    m_statusFilter->setObjectName(QStringLiteral("statusFilter"));
    m_statusFilter->addItem(tr("All statuses"), QString());
    for (const char *status : {"scored", "degraded", "failed", "unsupported", "pending"})
        m_statusFilter->addItem(QString::fromLatin1(status), QString::fromLatin1(status));
    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("searchFilter"));
    m_search->setPlaceholderText(tr("Filter by path"));
    m_search->setClearButtonEnabled(true);
    connect(m_verdictFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_filter->setVerdict(m_verdictFilter->currentData().toInt()); });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_filter->setStatus(m_statusFilter->currentData().toString()); });
    connect(m_search, &QLineEdit::textChanged, m_filter, &ResultsFilter::setText);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("resultsTable"));
    m_table->setModel(m_filter);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(ResultsModel::Probability, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setIconSize(QSize(48, 48));
    m_table->verticalHeader()->setDefaultSectionSize(52);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(ResultsModel::Thumbnail, QHeaderView::Fixed);
    m_table->horizontalHeader()->resizeSection(ResultsModel::Thumbnail, 56);
    m_table->horizontalHeader()->resizeSection(ResultsModel::File, 220);
    m_table->horizontalHeader()->setStretchLastSection(true);
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        const QModelIndex source = m_filter->mapToSource(index);
        if (source.isValid())
            emit inspectRequested(m_model->report(source.row()));
    });

    // Threshold and counts
    m_threshold = new QSlider(Qt::Horizontal, this);
    m_threshold->setObjectName(QStringLiteral("thresholdSlider"));
    m_threshold->setRange(1, 99);
    m_threshold->setValue(50);
    m_threshold->setToolTip(tr("Probability at and above which an image is called generated (plus the band)"));
    m_thresholdValue = new QLabel(this);
    m_band = new QDoubleSpinBox(this);
    m_band->setObjectName(QStringLiteral("bandSpin"));
    m_band->setRange(0.0, 0.25);
    m_band->setSingleStep(0.01);
    m_band->setDecimals(2);
    m_band->setValue(0.05);
    m_band->setToolTip(tr("Probabilities within this distance of the threshold are reported as inconclusive"));
    auto emitRule = [this] {
        VerdictRule rule{m_threshold->value() / 100.0, m_band->value()};
        m_model->setRule(rule);
        m_histogram->setRule(rule.threshold, rule.band);
        m_thresholdValue->setText(QString::number(rule.threshold, 'f', 2));
        emit ruleChanged(rule);
    };
    connect(m_threshold, &QSlider::valueChanged, this, emitRule);
    connect(m_band, &QDoubleSpinBox::valueChanged, this, emitRule);
    m_fakeCount = new QLabel(this);
    m_fakeCount->setObjectName(QStringLiteral("fakeCount"));
    m_realCount = new QLabel(this);
    m_realCount->setObjectName(QStringLiteral("realCount"));
    m_inconclusiveCount = new QLabel(this);
    m_inconclusiveCount->setObjectName(QStringLiteral("inconclusiveCount"));
    m_notScoredCount = new QLabel(this);
    m_notScoredCount->setObjectName(QStringLiteral("notScoredCount"));
    m_disagreeCount = new QLabel(this);
    m_disagreeCount->setObjectName(QStringLiteral("disagreeCount"));
    m_disagreeCount->setToolTip(tr("Files RINE and SPAI call differently (one generated, the other real): filter the "
                                   "table by \"Detectors disagree\" to see them"));
    m_disagreeLabel = new QLabel(tr("Detectors disagree"), this);
    m_histogram = new ScoreHistogram(this);
    m_histogram->setObjectName(QStringLiteral("scoreHistogram"));
    m_histogram->setMinimumWidth(260);
    m_histogramTimer = new QTimer(this);
    m_histogramTimer->setSingleShot(true);
    m_histogramTimer->setInterval(250);
    connect(m_histogramTimer, &QTimer::timeout, this, [this] { m_histogram->setProbabilities(m_model->probabilities()); });
    connect(m_model, &ResultsModel::countsChanged, this, &ScanPage::updateCounts);

    auto *thresholdRow = new QHBoxLayout;
    thresholdRow->addWidget(m_threshold, 1);
    thresholdRow->addWidget(m_thresholdValue);
    auto *verdicts = new QGroupBox(tr("Verdicts"), this);
    auto *form = new QFormLayout(verdicts);
    form->addRow(tr("Threshold"), thresholdRow);
    form->addRow(tr("Inconclusive band (+/-)"), m_band);
    form->addRow(tr("Fake"), m_fakeCount);
    form->addRow(tr("Inconclusive"), m_inconclusiveCount);
    form->addRow(tr("Real"), m_realCount);
    form->addRow(tr("Not scored"), m_notScoredCount);
    form->addRow(m_disagreeLabel, m_disagreeCount);
    auto *sideWidget = new QWidget(this);
    auto *side = new QVBoxLayout(sideWidget);
    side->setContentsMargins(0, 0, 0, 0);
    side->addWidget(verdicts);
    side->addWidget(m_histogram, 1);

    auto *filters = new QHBoxLayout;
    filters->addWidget(m_verdictFilter);
    filters->addWidget(m_statusFilter);
    filters->addWidget(m_search, 1);
    auto *tableWidget = new QWidget(this);
    auto *tableLayout = new QVBoxLayout(tableWidget);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addLayout(filters);
    tableLayout->addWidget(m_table, 1);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("scanSplitter"));
    split->addWidget(tableWidget);
    split->addWidget(sideWidget);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto *top = new QHBoxLayout;
    top->addWidget(m_openFolder);
    top->addWidget(m_openCase);
    top->addWidget(m_progress, 1);
    top->addWidget(m_cancel);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_rate);
    layout->addWidget(m_case);
    layout->addWidget(m_message);
    layout->addWidget(split, 1);
    emitRule();
    updateCounts();
    showDetectors(true, false);
    setModelReady(false);
}

void ScanPage::showDetectors(bool rine, bool spai)
{
    m_model->setSpai(spai);
    m_model->setRine(rine);
    const bool both = rine && spai;
    for (int column : {ResultsModel::SpaiProbability, ResultsModel::SpaiVerdict})
        m_table->setColumnHidden(column, !spai);
    for (int column : {ResultsModel::Probability, ResultsModel::VerdictColumn})
        m_table->setColumnHidden(column, !rine);
    m_table->setColumnHidden(ResultsModel::Detectors, !both);
    m_disagreeCount->setVisible(both);
    m_disagreeLabel->setVisible(both);
    const int disagree = m_verdictFilter->findData(ResultsFilter::kDisagree);
    if (auto *items = qobject_cast<QStandardItemModel *>(m_verdictFilter->model()))
        if (QStandardItem *item = items->item(disagree))
            item->setEnabled(both);
    if (!both && m_verdictFilter->currentIndex() == disagree)
        m_verdictFilter->setCurrentIndex(0);
}

void ScanPage::setRule(VerdictRule rule)
{
    QSignalBlocker blockSlider(m_threshold), blockBand(m_band);
    m_threshold->setValue(int(std::lround(rule.threshold * 100)));
    m_band->setValue(rule.band);
    m_model->setRule(rule);
    m_histogram->setRule(rule.threshold, rule.band);
    m_thresholdValue->setText(QString::number(rule.threshold, 'f', 2));
}

void ScanPage::setModelReady(bool ready)
{
    m_modelReady = ready;
    m_openFolder->setEnabled(ready && !m_scanning);
    if (!ready)
        m_openFolder->setToolTip(tr("Scanning needs the detector: see the message above"));
}

void ScanPage::updateCounts()
{
    const ResultsModel::Counts c = m_model->counts();
    const QLocale locale;
    m_fakeCount->setText(locale.toString(c.fake));
    m_realCount->setText(locale.toString(c.real));
    m_inconclusiveCount->setText(locale.toString(c.inconclusive));
    m_notScoredCount->setText(locale.toString(c.notScored));
    m_disagreeCount->setText(locale.toString(c.disagree));
    if (!m_histogramTimer->isActive())
        m_histogramTimer->start();
}

QString ScanPage::caseSummary() const
{
    const ResultsModel::Counts c = m_model->counts();
    const QString summary = tr("%1 files: %2 fake, %3 inconclusive, %4 real, %5 not scored")
                                .arg(m_model->rowCount())
                                .arg(c.fake)
                                .arg(c.inconclusive)
                                .arg(c.real)
                                .arg(c.notScored);
    if (!m_model->rine())
        return summary + tr(" (SPAI alone)");
    return m_model->spai() ? summary + tr(" (RINE); RINE and SPAI disagree on %n", nullptr, c.disagree) : summary;
}

QStringList ScanPage::selectedPaths() const
{
    QStringList paths;
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    for (const QModelIndex &index : rows)
        paths << m_filter->mapToSource(index).data(ResultsModel::PathRole).toString();
    return paths;
}

void ScanPage::setCase(const CaseRows &rows)
{
    // A scan with SPAI alone has no heads (one with neither is RINE's, unscored).
    showDetectors(!rows.headSha256s.isEmpty() || rows.spaiSha256.isEmpty(), !rows.spaiSha256.isEmpty());
    m_model->setRows(rows.rows);
    m_histogramTimer->stop();
    m_histogram->setProbabilities(m_model->probabilities());
    m_case->setText(tr("Case <b>%1</b>: %2").arg(rows.caseName.toHtmlEscaped(), rows.casePath.toHtmlEscaped())
                    + (rows.readOnly.isEmpty()
                           ? QString()
                           : tr("<br><span style=\"color: #a86a00\"><b>Read-only.</b> %1 A folder opened now is "
                                "scanned into a new case.</span>")
                                 .arg(rows.readOnly.toHtmlEscaped())));
    // Results of a case that does not verify are never shown as if it did.
    const CaseIntegrity &integrity = rows.integrity;
    QString chain;
    switch (integrity.state) {
    case CaseIntegrity::State::Verified:
        chain = tr("<br><span style=\"color: #2e7d32\">Audit chain verified: %1 entries, head %2.</span>")
                    .arg(integrity.length)
                    .arg(integrity.head.left(16).toHtmlEscaped());
        break;
    case CaseIntegrity::State::NotCovered:
        chain = tr("<br><span style=\"color: #a86a00\"><b>Results not covered by the audit chain.</b> %1</span>")
                    .arg(integrity.problem.toHtmlEscaped());
        break;
    case CaseIntegrity::State::Broken:
        chain = tr("<br><span style=\"color: #b00000\"><b>This case does not verify against its audit chain; the "
                   "results below may have been altered.</b> %1</span>")
                    .arg(integrity.problem.toHtmlEscaped());
        break;
    }
    m_case->setText(m_case->text() + chain);
    m_case->setToolTip(plainToolTip(QStringList{rows.readOnly, integrity.describe()}.join(QLatin1Char('\n')).trimmed()));
}

void ScanPage::mergeRows(const CaseRows &rows)
{
    // The scan's detectors, as its rows name them (SPAI alone: no heads).
    const bool rine = !rows.headSha256s.isEmpty() || rows.spaiSha256.isEmpty(), spai = !rows.spaiSha256.isEmpty();
    if (rine != m_model->rine() || spai != m_model->spai())
        showDetectors(rine, spai);
    m_model->mergeRows(rows.rows);
}

void ScanPage::scanStarted(const QStringList &roots, const QString &casePath)
{
    m_scanning = true;
    m_message->setVisible(false);
    m_model->setRows({});
    showDetectors(true, false); // until rows with SPAI's scores come
    m_openFolder->setEnabled(false);
    m_openCase->setEnabled(false);
    m_cancel->setEnabled(true);
    m_progress->setRange(0, 0);
    m_rate->setText(tr("Listing %1...").arg(roots.join(QStringLiteral(", "))));
    m_case->setText(tr("Scanning into case %1").arg(casePath.toHtmlEscaped()));
}

void ScanPage::showProgress(const ScanProgress &p)
{
    if (p.phase == ScanProgress::Phase::Walking) {
        m_progress->setRange(0, 0);
        m_rate->setText(tr("Listing: %1 files found").arg(QLocale().toString(qulonglong(p.found))));
        return;
    }
    m_progress->setRange(0, int(std::max<std::size_t>(1, p.total)));
    m_progress->setValue(int(p.done));
    m_progress->setFormat(tr("%v / %m files"));
    if (!m_cancel->isEnabled())
        return; // "Cancelling..." stays
    QString spai;
    if (p.spaiPatches > 0 || p.spaiImagePatches > 0) {
        spai = tr(", SPAI %1 patches/s").arg(p.spaiPatchesPerSecond, 0, 'f', 2);
        if (p.spaiImagePatches > 0)
            spai += tr(" (patch %1 of %2 of the image in hand)")
                        .arg(QLocale().toString(qulonglong(p.spaiImageScored)),
                             QLocale().toString(qulonglong(p.spaiImagePatches)));
    }
    m_rate->setText(tr("%1 of %2 files, %3 images/s%4, %5 left")
                        .arg(QLocale().toString(qulonglong(p.done)), QLocale().toString(qulonglong(p.total)))
                        .arg(p.imagesPerSecond, 0, 'f', 2)
                        .arg(spai)
                        .arg(p.etaSeconds < 0 ? tr("time") : tr("about %1").arg(durationText(p.etaSeconds))));
}

void ScanPage::followScan(Job *job, const QStringList &roots, const QString &casePath)
{
    m_scanJob = job;
    scanStarted(roots, casePath);
    job->onProgress<ScanUpdate>(this, [this](const ScanUpdate &update) {
        showProgress(update.progress);
        if (update.hasRows)
            mergeRows(update.rows);
    });
    job->onEnd<ScanFinished>(this, [this](const ScanFinished &finished, const QString &error) {
        scanEnded(finished, error);
    });
}

void ScanPage::scanEnded(const ScanFinished &finished, const QString &error)
{
    m_scanning = false;
    m_cancel->setEnabled(false);
    m_openCase->setEnabled(true);
    setModelReady(m_modelReady);
    m_progress->setRange(0, 1);
    m_progress->setValue(error.isEmpty() ? 1 : 0);
    m_progress->setFormat(error.isEmpty() ? (finished.outcome.cancelled ? tr("Cancelled") : tr("Done")) : tr("Failed"));
    if (!error.isEmpty()) {
        m_rate->clear();
        m_message->setTextFormat(Qt::RichText);
        m_message->setText(tr("<span style=\"color:#c01f1f\">The scan failed: %1</span>").arg(error.toHtmlEscaped()));
        m_message->setVisible(true);
        return;
    }
    const ScanOutcome &o = finished.outcome;
    m_rate->setText(tr("%1 in %2: %3 files listed, %4 examined, %5 through the model, %6 already scored%7. %8")
                        .arg(o.cancelled ? tr("Cancelled") : tr("Finished"), durationText(o.seconds))
                        .arg(o.listed)
                        .arg(o.examined)
                        .arg(o.inferred)
                        .arg(o.alreadyScored)
                        .arg(o.walkEvents ? tr(", %1 walk notes").arg(o.walkEvents) : QString())
                        .arg(caseSummary()));
    if (o.decodesOverTime > 0 || o.deferred > 0) {
        // The scan's budget of decodes past their time limit: said, and what to do when it ran out.
        QString text = tr("%n file(s) took longer to decode than the time limit and failed; this scan lets %1 such "
                          "decodes run on at once.", nullptr, int(o.decodesOverTime))
                           .arg(o.decodeBudget);
        if (o.deferred > 0)
            text += QLatin1Char(' ')
                  + tr("%n file(s) were not examined while they still ran: scan the folder again to examine them.",
                       nullptr, int(o.deferred));
        m_message->setTextFormat(Qt::PlainText);
        m_message->setText(text);
        m_message->setVisible(true);
    }
}

void ScanPage::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls() && event->mimeData()->urls().size() == 1 && event->mimeData()->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void ScanPage::dropEvent(QDropEvent *event)
{
    const QString path = event->mimeData()->urls().first().toLocalFile();
    const QFileInfo info(path);
    if (info.isDir() && m_modelReady && !m_scanning)
        emit openFolderRequested(path);
    else if (info.isFile() && !m_scanning)
        emit openCaseRequested(path);
    event->acceptProposedAction();
}

} // namespace rine
