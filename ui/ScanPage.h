#pragma once

#include "EngineTypes.h"
#include "Job.h"
#include "ResultsModel.h"

#include <QPointer>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QTableView;
class QTimer;

namespace rine {

class ScoreHistogram;
class ThumbnailCache;

// A folder scanned into a case: progress with rate and ETA, the results table (sortable,
// filterable, thumbnails made lazily off the GUI thread), the threshold and inconclusive
// band with live counts, and the histogram of scores. Double-click opens Inspect.
class ScanPage : public QWidget {
    Q_OBJECT

public:
    explicit ScanPage(QWidget *parent = nullptr);

    ResultsModel *model() const { return m_model; }
    ResultsFilter *filter() const { return m_filter; }
    QTableView *table() const { return m_table; }
    ScoreHistogram *histogram() const { return m_histogram; }

    void setRule(VerdictRule rule);
    VerdictRule rule() const { return m_model->rule(); }
    void setModelReady(bool ready);
    void setCase(const CaseRows &rows); // replaces the rows
    void mergeRows(const CaseRows &rows);
    // A scan job into the shown case: its progress and committed rows are shown as they come,
    // and the page's Cancel cancels it.
    void followScan(Job *job, const QStringList &roots, const QString &casePath);
    QString caseSummary() const;
    QStringList selectedPaths() const; // rows selected in the table, in table order

signals:
    void openFolderRequested(const QString &folder); // empty: ask
    void openCaseRequested(const QString &path); // empty: ask
    void inspectRequested(const rine::FileReport &report);
    void ruleChanged(const rine::VerdictRule &rule);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void scanStarted(const QStringList &roots, const QString &casePath);
    void showProgress(const ScanProgress &progress);
    void scanEnded(const ScanFinished &finished, const QString &error = {});
    QPointer<Job> m_scanJob;
    void updateCounts();
    // Which detectors the case's scan ran: RINE's columns, SPAI's, and with both their
    // agreement, count and filter.
    void showDetectors(bool rine, bool spai);

    ResultsModel *m_model;
    ResultsFilter *m_filter;
    ThumbnailCache *m_thumbnails;
    QTableView *m_table;
    QPushButton *m_openFolder, *m_openCase, *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_rate, *m_case, *m_message;
    QComboBox *m_verdictFilter, *m_statusFilter;
    QLineEdit *m_search;
    QSlider *m_threshold;
    QLabel *m_thresholdValue;
    QDoubleSpinBox *m_band;
    QLabel *m_fakeCount, *m_realCount, *m_inconclusiveCount, *m_notScoredCount, *m_disagreeCount, *m_disagreeLabel;
    ScoreHistogram *m_histogram;
    QTimer *m_histogramTimer;
    bool m_modelReady = false;
    bool m_scanning = false;
};

// "2 h 05 min", "3 min 20 s", "12 s".
QString durationText(double seconds);

} // namespace rine
