#pragma once

#include "report/Verdict.h"
#include "store/CaseDatabase.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSortFilterProxyModel>

#include <vector>

namespace rine {

class ThumbnailCache;

// The files of one scan, one row each, merged by file id as the scan commits them. Verdicts
// follow the rule, which the threshold slider changes live.
class ResultsModel : public QAbstractTableModel {
    Q_OBJECT

public:
    // Probability and VerdictColumn are RINE's (its first head); the Spai… columns and
    // Detectors show only for a scan that ran SPAI (ScanPage hides them otherwise).
    enum Column {
        Thumbnail,
        File,
        Probability,
        VerdictColumn,
        SpaiProbability,
        SpaiVerdict,
        Detectors,
        Status,
        Size,
        Dimensions,
        Folder,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, VerdictRole, StatusRole, PathRole, AgreementRole };
    // How RINE's and SPAI's verdicts stand to each other (the Detectors column).
    enum class Agreement {
        None, // not both scored
        Agree, // the same verdict
        Disagree, // one says generated, the other real
        Unsettled, // at least one is inconclusive
    };
    static QString agreementName(Agreement agreement);

    explicit ResultsModel(QObject *parent = nullptr);

    void setThumbnails(ThumbnailCache *thumbnails);
    void setRows(std::vector<FileReport> rows);
    void mergeRows(const std::vector<FileReport> &rows);
    void setRule(VerdictRule rule);
    VerdictRule rule() const { return m_rule; }
    // The rows carry SPAI's scores (the scan ran SPAI): the headers name each detector.
    void setSpai(bool spai);
    bool spai() const { return m_spai; }
    // The scan ran RINE (the default). Without it (SPAI alone), a row's verdict, the counts and
    // the probabilities are SPAI's.
    void setRine(bool rine);
    bool rine() const { return m_rine; }

    struct Counts {
        int fake = 0, real = 0, inconclusive = 0, notScored = 0; // RINE's verdicts (SPAI alone: SPAI's)
        int disagree = 0; // RINE and SPAI call the image differently
    };
    Counts counts() const;
    std::vector<double> probabilities() const; // of the rows that have a score
    const FileReport &report(int row) const { return m_rows[std::size_t(row)]; }
    static bool hasScore(const FileReport &report) { return !report.scores.empty(); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

signals:
    void countsChanged();

private:
    Verdict verdictOf(const FileReport &report) const;
    Verdict spaiVerdictOf(const FileReport &report) const;
    Agreement agreementOf(const FileReport &report) const;
    std::vector<FileReport> m_rows;
    bool m_spai = false;
    bool m_rine = true;
    QHash<qint64, int> m_rowOfId;
    QHash<QString, int> m_rowOfPath;
    VerdictRule m_rule;
    ThumbnailCache *m_thumbnails = nullptr;
};

// What the table shows: filtered by verdict, status and text, sorted by value.
class ResultsFilter : public QSortFilterProxyModel {
    Q_OBJECT

public:
    explicit ResultsFilter(QObject *parent = nullptr);
    void setVerdict(int verdict); // -1: all, kDisagree: the detectors disagree, else a Verdict
    static constexpr int kDisagree = 100;
    void setStatus(const QString &status); // "": all
    void setText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    int m_verdict = -1;
    QString m_status, m_text;
};

} // namespace rine
