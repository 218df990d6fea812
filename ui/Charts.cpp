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

} // namespace rine
