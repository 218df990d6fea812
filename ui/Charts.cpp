#include "Charts.h"

#include <QHelpEvent>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace rine {

namespace {

void styleAxes(QCustomPlot *plot)
{
    plot->setMinimumHeight(160);
    plot->setBackground(plot->palette().base());
    for (QCPAxis *axis : {plot->xAxis, plot->yAxis}) {
        axis->setLabelColor(plot->palette().color(QPalette::Text));
        axis->setTickLabelColor(plot->palette().color(QPalette::Text));
        axis->setBasePen(QPen(plot->palette().color(QPalette::Mid)));
        axis->setTickPen(QPen(plot->palette().color(QPalette::Mid)));
        axis->setSubTickPen(QPen(plot->palette().color(QPalette::Mid)));
        axis->grid()->setPen(QPen(plot->palette().color(QPalette::Midlight), 0, Qt::DotLine));
    }
}

} // namespace

BlockChart::BlockChart(const QString &valueLabel, QString tooltip, QWidget *parent)
    : QCustomPlot(parent), m_bars(new QCPBars(xAxis, yAxis)), m_tooltip(std::move(tooltip))
{
    styleAxes(this);
    m_bars->setWidth(0.75);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor(0x3a, 0x6e, 0xa5));
    xAxis->setLabel(tr("Transformer block (1 = nearest the pixels)"));
    yAxis->setLabel(valueLabel);
    yAxis->setRange(0, 1);
}

void BlockChart::setValues(const std::vector<double> &values)
{
    QVector<double> keys, heights;
    for (std::size_t i = 0; i < values.size(); ++i) {
        keys << double(i + 1);
        heights << values[i];
    }
    m_bars->setData(keys, heights, true);
    const double top = values.empty() ? 1.0 : *std::max_element(values.begin(), values.end());
    xAxis->setRange(0.3, double(values.size()) + 0.7);
    yAxis->setRange(0, top > 0 ? top * 1.15 : 1.0);
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(values.size() > 12 ? 2.0 : 1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xAxis->setTicker(ticker);
    replot();
}

void BlockChart::clearValues() { setValues({}); }

QString BlockChart::tooltipAt(const QPoint &position) const
{
    const int block = int(std::lround(xAxis->pixelToCoord(position.x())));
    const auto found = m_bars->data()->findBegin(block, false);
    if (found == m_bars->data()->constEnd() || int(std::lround(found->key)) != block)
        return {};
    const double y = yAxis->pixelToCoord(position.y());
    if (y < yAxis->range().lower || y > yAxis->range().upper)
        return {};
    return m_tooltip.arg(block).arg(found->value, 0, 'f', 4);
}

bool BlockChart::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const QString text = tooltipAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QCustomPlot::event(event);
}

ScoreHistogram::ScoreHistogram(QWidget *parent)
    : QCustomPlot(parent), m_bars(new QCPBars(xAxis, yAxis)), m_threshold(new QCPItemStraightLine(this)),
      m_band(new QCPItemRect(this))
{
    styleAxes(this);
    m_bars->setWidth(0.05);
    m_bars->setPen(QPen(palette().color(QPalette::Base)));
    m_bars->setBrush(QColor(0x3a, 0x6e, 0xa5));
    xAxis->setLabel(tr("Probability of being generated"));
    yAxis->setLabel(tr("Images"));
    xAxis->setRange(0, 1);
    QSharedPointer<QCPAxisTickerFixed> whole(new QCPAxisTickerFixed); // image counts are whole numbers
    whole->setTickStep(1.0);
    whole->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    yAxis->setTicker(whole);
    m_band->setPen(Qt::NoPen);
    m_band->setBrush(QColor(0xe0, 0xa0, 0x00, 60));
    m_band->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_band->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_threshold->setPen(QPen(QColor(0xc0, 0x1f, 0x1f), 2));
    setRule(0.5, 0.05);
    setProbabilities({});
}

void ScoreHistogram::setProbabilities(const std::vector<double> &probabilities)
{
    QVector<double> keys, counts(20, 0.0);
    for (int i = 0; i < 20; ++i)
        keys << 0.025 + 0.05 * i;
    for (double p : probabilities)
        counts[std::clamp(int(p * 20), 0, 19)] += 1;
    m_bars->setData(keys, counts, true);
    const double top = *std::max_element(counts.begin(), counts.end());
    yAxis->setRange(0, std::max(1.0, top * 1.1));
    replot(QCustomPlot::rpQueuedReplot);
}

void ScoreHistogram::setRule(double threshold, double band)
{
    m_threshold->point1->setCoords(threshold, 0);
    m_threshold->point2->setCoords(threshold, 1);
    m_band->topLeft->setCoords(std::max(0.0, threshold - band), 0);
    m_band->bottomRight->setCoords(std::min(1.0, threshold + band), 1);
    replot(QCustomPlot::rpQueuedReplot);
}

double ScoreHistogram::thresholdDrawn() const { return m_threshold->point1->coords().x(); }

namespace {

QString strengthText(PerturbationKind kind, double strength)
{
    switch (kind) {
    case PerturbationKind::Crop: return QStringLiteral("%1%").arg(100 * strength, 0, 'g', 4);
    case PerturbationKind::Resize: return QStringLiteral("x%1").arg(strength, 0, 'g', 4);
    default: return QString::number(strength, 'g', 4);
    }
}

// "JPEG quality 75 -> 10": the kind, then the mildest and the strongest strength.
QString seriesTitle(const SweepSeries &series)
{
    QString name;
    switch (series.kind) {
    case PerturbationKind::Jpeg: name = SweepChart::tr("JPEG quality"); break;
    case PerturbationKind::Blur: name = SweepChart::tr("Blur kernel"); break;
    case PerturbationKind::Crop: name = SweepChart::tr("Crop"); break;
    case PerturbationKind::Noise: name = SweepChart::tr("Noise sigma"); break;
    case PerturbationKind::Resize: name = SweepChart::tr("Resize"); break;
    }
    if (series.points.empty())
        return name;
    const QString first = strengthText(series.kind, series.points.front().strength);
    if (series.points.size() == 1)
        return QStringLiteral("%1 %2").arg(name, first);
    return QStringLiteral("%1 %2 \u2192 %3").arg(name, first, strengthText(series.kind, series.points.back().strength));
}

} // namespace

SweepChart::SweepChart(QWidget *parent)
    : QCustomPlot(parent), m_threshold(new QCPItemStraightLine(this)), m_band(new QCPItemRect(this))
{
    styleAxes(this);
    setMinimumHeight(120); // under the perturbation settings: the window still fits 1000 x 700
    xAxis->setLabel(tr("Severity step (0 = the original image; strengths in the legend)"));
    yAxis->setLabel(tr("Probability generated"));
    yAxis->setRange(0, 1);
    QSharedPointer<QCPAxisTickerFixed> steps(new QCPAxisTickerFixed);
    steps->setTickStep(1.0);
    steps->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xAxis->setTicker(steps);
    m_band->setPen(Qt::NoPen);
    m_band->setBrush(QColor(0xe0, 0xa0, 0x00, 60));
    m_band->topLeft->setTypeX(QCPItemPosition::ptAxisRectRatio);
    m_band->bottomRight->setTypeX(QCPItemPosition::ptAxisRectRatio);
    m_threshold->setPen(QPen(QColor(0xc0, 0x1f, 0x1f), 2, Qt::DashLine));
    legend->setVisible(true);
    legend->setBrush(QColor(255, 255, 255, 210));
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignLeft);
    setRule(0.5, 0.05);
    clearSweep();
}

void SweepChart::clearSweep()
{
    clearGraphs();
    m_labels.clear();
    xAxis->setRange(-0.3, 6.3);
    replot(QCustomPlot::rpQueuedReplot);
}

void SweepChart::setSweep(const SweepResult &result)
{
    clearGraphs();
    m_labels.clear();
    // Colours told apart by people with the common colour-vision deficiencies (Okabe-Ito).
    static const QColor colours[] = {QColor(0x00, 0x72, 0xb2), QColor(0xe6, 0x9f, 0x00), QColor(0x00, 0x9e, 0x73),
                                     QColor(0xcc, 0x79, 0xa7), QColor(0x56, 0xb4, 0xe9), QColor(0xd5, 0x5e, 0x00)};
    static const QCPScatterStyle::ScatterShape shapes[] = {QCPScatterStyle::ssCircle, QCPScatterStyle::ssSquare,
                                                           QCPScatterStyle::ssTriangle, QCPScatterStyle::ssDiamond,
                                                           QCPScatterStyle::ssCross, QCPScatterStyle::ssPlus};
    int longest = 1;
    const QString original = tr("Original image: %1").arg(result.baselineProbability, 0, 'f', 4);
    for (std::size_t s = 0; s < result.series.size(); ++s) {
        const SweepSeries &series = result.series[s];
        QCPGraph *graph = addGraph();
        const QColor colour = colours[s % 6];
        graph->setPen(QPen(colour, 2));
        graph->setScatterStyle(QCPScatterStyle(shapes[s % 6], colour, colour, 7));
        graph->setName(seriesTitle(series));
        QVector<double> keys{0}, values{result.baselineProbability};
        QStringList labels{original};
        for (std::size_t i = 0; i < series.points.size(); ++i) {
            const SweepPoint &point = series.points[i];
            keys << double(i + 1);
            values << point.probability;
            labels << tr("%1: %2%3")
                          .arg(QString::fromStdString(point.label))
                          .arg(point.probability, 0, 'f', 4)
                          .arg(int(i) == series.flipIndex ? tr(" (the verdict flips here)") : QString());
        }
        graph->setData(keys, values, true);
        m_labels.push_back(labels);
        longest = std::max(longest, int(series.points.size()));
    }
    xAxis->setRange(-0.3, longest + 0.3);
    replot(QCustomPlot::rpQueuedReplot);
}

void SweepChart::setRule(double threshold, double band)
{
    m_threshold->point1->setCoords(0, threshold);
    m_threshold->point2->setCoords(1, threshold);
    m_band->topLeft->setCoords(0, std::min(1.0, threshold + band));
    m_band->bottomRight->setCoords(1, std::max(0.0, threshold - band));
    replot(QCustomPlot::rpQueuedReplot);
}

double SweepChart::thresholdDrawn() const { return m_threshold->point1->coords().y(); }

QString SweepChart::tooltipAt(const QPoint &position) const
{
    double best = 8.0; // pixels
    QString text;
    for (int g = 0; g < graphCount() && std::size_t(g) < m_labels.size(); ++g) {
        const QCPGraph *graph = this->graph(g);
        int i = 0;
        for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it, ++i) {
            const double dx = xAxis->coordToPixel(it->key) - position.x();
            const double dy = yAxis->coordToPixel(it->value) - position.y();
            const double distance = std::hypot(dx, dy);
            if (distance < best && i < m_labels[std::size_t(g)].size()) {
                best = distance;
                text = m_labels[std::size_t(g)][i];
            }
        }
    }
    return text;
}

bool SweepChart::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const QString text = tooltipAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QCustomPlot::event(event);
}

TrainingChart::TrainingChart(QWidget *parent) : QCustomPlot(parent)
{
    setMinimumHeight(220);
    xAxis->setLabel(tr("Epoch"));
    yAxis->setLabel(tr("Loss"));
    yAxis2->setVisible(true);
    yAxis2->setLabel(tr("Validation accuracy, AP (%)"));
    yAxis2->setRange(0, 100);
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xAxis->setTicker(ticker);
    xAxis->setRange(0.5, 5.5);
    yAxis->setRange(0, 1);
    // Okabe-Ito colours; losses solid, validation figures on the right axis dashed.
    auto graph = [this](QCPAxis *valueAxis, const QColor &colour, Qt::PenStyle style, QCPScatterStyle::ScatterShape shape,
                        const QString &name) {
        QCPGraph *g = addGraph(xAxis, valueAxis);
        g->setPen(QPen(colour, 2, style));
        g->setScatterStyle(QCPScatterStyle(shape, colour, colour, 6));
        g->setName(name);
        return g;
    };
    m_trainLoss = graph(yAxis, QColor(0x00, 0x72, 0xb2), Qt::SolidLine, QCPScatterStyle::ssCircle, tr("Training loss"));
    m_validationLoss =
        graph(yAxis, QColor(0xd5, 0x5e, 0x00), Qt::SolidLine, QCPScatterStyle::ssSquare, tr("Validation loss"));
    m_accuracy = graph(yAxis2, QColor(0x00, 0x9e, 0x73), Qt::DashLine, QCPScatterStyle::ssTriangle,
                       tr("Validation accuracy (%)"));
    m_averagePrecision = graph(yAxis2, QColor(0xcc, 0x79, 0xa7), Qt::DashLine, QCPScatterStyle::ssDiamond,
                               tr("Validation AP (%)"));
    m_best = new QCPItemStraightLine(this);
    m_best->setPen(QPen(QColor(0x55, 0x55, 0x55), 1, Qt::DotLine));
    m_best->setVisible(false);
    legend->setVisible(true);
    legend->setFont(QFont(font().family(), 8));
    legend->setBrush(QColor(255, 255, 255, 190)); // the curves show through
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
}

void TrainingChart::addEpoch(const EpochReport &report)
{
    m_trainLoss->addData(report.epoch, report.trainLoss);
    m_validationLoss->addData(report.epoch, report.validationLoss);
    m_accuracy->addData(report.epoch, 100 * report.validationAccuracy);
    m_averagePrecision->addData(report.epoch, 100 * report.validationAveragePrecision);
    m_epochs = std::max(m_epochs, report.epoch);
    m_maxLoss = std::max({m_maxLoss, report.trainLoss, report.validationLoss});
    if (report.best) {
        m_best->point1->setCoords(report.epoch, 0);
        m_best->point2->setCoords(report.epoch, 1);
        m_best->setVisible(true);
    }
    xAxis->setRange(0.5, std::max(5, m_epochs) + 0.5);
    yAxis->setRange(0, m_maxLoss > 0 ? 1.1 * m_maxLoss : 1);
    replot(QCustomPlot::rpQueuedReplot);
}

void TrainingChart::clearEpochs()
{
    for (QCPGraph *g : {m_trainLoss, m_validationLoss, m_accuracy, m_averagePrecision})
        g->data()->clear();
    m_best->setVisible(false);
    m_epochs = 0;
    m_maxLoss = 0;
    xAxis->setRange(0.5, 5.5);
    yAxis->setRange(0, 1);
    replot(QCustomPlot::rpQueuedReplot);
}

double TrainingChart::bestEpochDrawn() const { return m_best->visible() ? m_best->point1->coords().x() : 0; }

} // namespace rine
