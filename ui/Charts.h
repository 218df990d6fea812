#pragma once

#include <qcustomplot.h>

#include "model/HeadTraining.h"
#include "scoring/RobustnessSweep.h"

#include <vector>

namespace rine {

// One bar per transformer block, with axis labels and a tooltip per bar that says what it
// means. Blocks are numbered from 1 (the block nearest the pixels).
class BlockChart : public QCustomPlot {
    Q_OBJECT

public:
    // tooltip: "%1" is the block number, "%2" the value.
    BlockChart(const QString &valueLabel, QString tooltip, QWidget *parent = nullptr);

    void setValues(const std::vector<double> &values);
    void clearValues();
    QCPBars *bars() const { return m_bars; }
    // The tooltip text of the bar under a point, empty when there is none.
    QString tooltipAt(const QPoint &position) const;

protected:
    bool event(QEvent *event) override;

private:
    QCPBars *m_bars;
    QString m_tooltip;
};

// The distribution of probabilities in a scan (20 bins over [0, 1]) with the threshold
// drawn as a line and the inconclusive band shaded.
class ScoreHistogram : public QCustomPlot {
    Q_OBJECT

public:
    explicit ScoreHistogram(QWidget *parent = nullptr);

    void setProbabilities(const std::vector<double> &probabilities);
    void setRule(double threshold, double band);
    QCPBars *bars() const { return m_bars; }
    double thresholdDrawn() const;

private:
    QCPBars *m_bars;
    QCPItemStraightLine *m_threshold;
    QCPItemRect *m_band;
};

// Probability against perturbation strength for one image: one line per perturbation, each
// starting at the original image (step 0) and going through its strengths from mildest to
// strongest (steps 1, 2, ...; the strengths differ in unit, so the legend and the tooltips
// name them). The threshold is drawn as a line and the inconclusive band shaded.
class SweepChart : public QCustomPlot {
    Q_OBJECT

public:
    explicit SweepChart(QWidget *parent = nullptr);

    void setSweep(const SweepResult &result);
    void clearSweep();
    void setRule(double threshold, double band);
    double thresholdDrawn() const;
    // The tooltip text of the point nearest a position (within a few pixels), else empty.
    QString tooltipAt(const QPoint &position) const;

protected:
    bool event(QEvent *event) override;

private:
    QCPItemStraightLine *m_threshold;
    QCPItemRect *m_band;
    std::vector<QStringList> m_labels; // per graph, per step: what the tooltip says
};

// A training run's curves, epoch by epoch: training and validation loss on the left axis,
// validation accuracy and average precision (%) on the right; the best epoch marked.
class TrainingChart : public QCustomPlot {
    Q_OBJECT

public:
    explicit TrainingChart(QWidget *parent = nullptr);

    void addEpoch(const EpochReport &report);
    void clearEpochs();
    QCPGraph *trainLoss() const { return m_trainLoss; }
    QCPGraph *validationLoss() const { return m_validationLoss; }
    QCPGraph *validationAccuracy() const { return m_accuracy; }
    QCPGraph *validationAveragePrecision() const { return m_averagePrecision; }
    double bestEpochDrawn() const; // 0 when none

private:
    QCPGraph *m_trainLoss, *m_validationLoss, *m_accuracy, *m_averagePrecision;
    QCPItemStraightLine *m_best;
    int m_epochs = 0;
    double m_maxLoss = 0;
};

} // namespace rine
