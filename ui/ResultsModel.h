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
    enum Column { Thumbnail, File, Probability, VerdictColumn, Status, Size, Dimensions, Folder, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, VerdictRole, StatusRole, PathRole };

    explicit ResultsModel(QObject *parent = nullptr);

    void setThumbnails(ThumbnailCache *thumbnails);
    void setRows(std::vector<FileReport> rows);
    void mergeRows(const std::vector<FileReport> &rows);
    void setRule(VerdictRule rule);
    VerdictRule rule() const { return m_rule; }

    struct Counts {
        int fake = 0, real = 0, inconclusive = 0, notScored = 0;
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
    std::vector<FileReport> m_rows;
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
    void setVerdict(int verdict); // -1: all, else a Verdict
    void setStatus(const QString &status); // "": all
    void setText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    int m_verdict = -1;
    QString m_status, m_text;
};

} // namespace rine
