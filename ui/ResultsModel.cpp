#include "ResultsModel.h"

#include "PlainText.h"

#include "ThumbnailCache.h"

#include "report/Pictures.h"

#include <QColor>
#include <QFileInfo>
#include <QLocale>

namespace rine {

ResultsModel::ResultsModel(QObject *parent) : QAbstractTableModel(parent) {}

void ResultsModel::setThumbnails(ThumbnailCache *thumbnails)
{
    m_thumbnails = thumbnails;
    connect(thumbnails, &ThumbnailCache::ready, this, [this](const QString &path) {
        auto it = m_rowOfPath.constFind(path);
        if (it != m_rowOfPath.constEnd())
            emit dataChanged(index(*it, Thumbnail), index(*it, Thumbnail), {Qt::DecorationRole});
    });
}

void ResultsModel::setRows(std::vector<FileReport> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    m_rowOfId.clear();
    m_rowOfPath.clear();
    for (int i = 0; i < int(m_rows.size()); ++i) {
        m_rowOfId.insert(m_rows[std::size_t(i)].id, i);
        m_rowOfPath.insert(m_rows[std::size_t(i)].path, i);
    }
    endResetModel();
    emit countsChanged();
}

void ResultsModel::mergeRows(const std::vector<FileReport> &rows)
{
    std::vector<const FileReport *> added;
    for (const FileReport &row : rows) {
        auto it = m_rowOfId.constFind(row.id);
        if (it == m_rowOfId.constEnd()) {
            added.push_back(&row);
            continue;
        }
        m_rows[std::size_t(*it)] = row;
        emit dataChanged(index(*it, 0), index(*it, ColumnCount - 1));
    }
    if (!added.empty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        for (const FileReport *row : added) {
            m_rowOfId.insert(row->id, int(m_rows.size()));
            m_rowOfPath.insert(row->path, int(m_rows.size()));
            m_rows.push_back(*row);
        }
        endInsertRows();
    }
    emit countsChanged();
}

void ResultsModel::setRule(VerdictRule rule)
{
    m_rule = rule;
    if (!m_rows.empty())
        emit dataChanged(index(0, VerdictColumn), index(int(m_rows.size()) - 1, Detectors));
    emit countsChanged();
}

void ResultsModel::setSpai(bool spai)
{
    if (spai == m_spai)
        return;
    m_spai = spai;
    emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
}

void ResultsModel::setRine(bool rine)
{
    if (rine == m_rine)
        return;
    m_rine = rine;
    if (!m_rows.empty())
        emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
    emit countsChanged();
}

QString ResultsModel::agreementName(Agreement agreement)
{
    switch (agreement) {
    case Agreement::Agree: return tr("agree");
    case Agreement::Disagree: return tr("DISAGREE");
    case Agreement::Unsettled: return tr("one inconclusive");
    case Agreement::None: break;
    }
    return {};
}

Verdict ResultsModel::verdictOf(const FileReport &report) const
{
    if (!m_rine)
        return spaiVerdictOf(report);
    return hasScore(report) ? m_rule.of(report.scores.front().probability) : Verdict::None;
}

// SPAI's verdict under the same rule as RINE's: one threshold and band for both detectors,
// as the analyst set them (SPAI's published threshold is 0.5 too).
Verdict ResultsModel::spaiVerdictOf(const FileReport &report) const
{
    return report.spai ? m_rule.of(report.spai->probability) : Verdict::None;
}

ResultsModel::Agreement ResultsModel::agreementOf(const FileReport &report) const
{
    if (!m_rine)
        return Agreement::None; // one detector: nothing to agree with
    const Verdict rine = verdictOf(report), spai = spaiVerdictOf(report);
    if (rine == Verdict::None || spai == Verdict::None)
        return Agreement::None;
    if (rine == Verdict::Inconclusive || spai == Verdict::Inconclusive)
        return Agreement::Unsettled;
    return rine == spai ? Agreement::Agree : Agreement::Disagree;
}

ResultsModel::Counts ResultsModel::counts() const
{
    Counts counts;
    for (const FileReport &row : m_rows) {
        switch (verdictOf(row)) {
        case Verdict::Fake: ++counts.fake; break;
        case Verdict::Real: ++counts.real; break;
        case Verdict::Inconclusive: ++counts.inconclusive; break;
        case Verdict::None: ++counts.notScored; break;
        }
        counts.disagree += agreementOf(row) == Agreement::Disagree;
    }
    return counts;
}

std::vector<double> ResultsModel::probabilities() const
{
    std::vector<double> out;
    for (const FileReport &row : m_rows)
        if (!m_rine && row.spai)
            out.push_back(row.spai->probability);
        else if (m_rine && hasScore(row))
            out.push_back(row.scores.front().probability);
    return out;
}

int ResultsModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

int ResultsModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ResultsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const FileReport &r = m_rows[std::size_t(index.row())];
    const Verdict verdict = verdictOf(r);
    if (role == VerdictRole)
        return int(verdict);
    if (role == StatusRole)
        return r.status;
    if (role == PathRole)
        return r.path;
    if (role == AgreementRole)
        return int(agreementOf(r));
    const int column = index.column();
    const Verdict spai = spaiVerdictOf(r);
    const Agreement agreement = agreementOf(r);
    if (role == Qt::DecorationRole && column == Thumbnail && m_thumbnails &&
        (r.status == QLatin1String("scored") || r.status == QLatin1String("degraded"))) {
        const QImage image = m_thumbnails->get(r.path);
        return image.isNull() ? QVariant() : QVariant(image);
    }
    if (role == Qt::SizeHintRole && column == Thumbnail && m_thumbnails)
        return QSize(m_thumbnails->side() + 4, m_thumbnails->side() + 4);
    if (role == Qt::ToolTipRole) {
        if (column == VerdictColumn && verdict != Verdict::None && m_rine)
            return tr("Probability %1 against threshold %2 with an inconclusive band of %3 on each side")
                .arg(r.scores.front().probability, 0, 'f', 4)
                .arg(m_rule.threshold, 0, 'f', 2)
                .arg(m_rule.band, 0, 'f', 2);
        if (column == SpaiVerdict && spai != Verdict::None)
            return tr("SPAI's probability %1 (over %2 patches) against threshold %3 with an inconclusive band of %4 on "
                      "each side")
                .arg(r.spai->probability, 0, 'f', 4)
                .arg(r.spai->patches.size())
                .arg(m_rule.threshold, 0, 'f', 2)
                .arg(m_rule.band, 0, 'f', 2);
        if (column == Detectors && agreement == Agreement::Disagree)
            return tr("RINE calls it %1 (%2), SPAI %3 (%4). The detectors fail on different generators: look closer "
                      "(Inspect shows SPAI's patches and RINE's blocks).")
                .arg(verdictName(verdict), QString::number(r.scores.front().probability, 'f', 4), verdictName(spai),
                     QString::number(r.spai->probability, 'f', 4));
        if (column == Status && !r.error.isEmpty())
            return plainToolTip(r.error);
        if (column == Status && !r.warnings.isEmpty())
            return plainToolTip(r.warnings.join(QLatin1Char('\n')));
        return plainToolTip(r.path);
    }
    if (role == Qt::ForegroundRole && column == VerdictColumn)
        return verdictColour(verdict);
    if (role == Qt::ForegroundRole && column == SpaiVerdict)
        return verdictColour(spai);
    if (role == Qt::ForegroundRole && column == Detectors && agreement == Agreement::Disagree)
        return QColor(0xb0, 0x5a, 0x00);
    if (role == Qt::TextAlignmentRole && (column == Probability || column == SpaiProbability || column == Size))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != SortRole)
        return {};
    const bool sort = role == SortRole;
    switch (column) {
    case File: return QFileInfo(r.path).fileName();
    case Probability:
        if (!hasScore(r))
            return sort ? QVariant(-1.0) : QVariant();
        return sort ? QVariant(r.scores.front().probability) : QVariant(QString::number(r.scores.front().probability, 'f', 4));
    case VerdictColumn:
        if (!m_rine)
            return {};
        return sort ? QVariant(int(verdict)) : QVariant(verdictName(verdict));
    case SpaiProbability:
        if (!r.spai)
            return sort ? QVariant(-1.0) : QVariant();
        return sort ? QVariant(r.spai->probability) : QVariant(QString::number(r.spai->probability, 'f', 4));
    case SpaiVerdict:
        if (!m_spai)
            return {};
        return sort ? QVariant(int(spai)) : QVariant(verdictName(spai));
    case Detectors: return sort ? QVariant(int(agreement)) : QVariant(agreementName(agreement));
    case Status: return r.status;
    case Size: return sort ? QVariant(r.size) : QVariant(QLocale().formattedDataSize(r.size));
    case Dimensions:
        if (r.width <= 0)
            return sort ? QVariant(0) : QVariant();
        return sort ? QVariant(qint64(r.width) * r.height) : QVariant(QStringLiteral("%1 x %2").arg(r.width).arg(r.height));
    case Folder: return QFileInfo(r.path).path();
    default: return {};
    }
}

QVariant ResultsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Thumbnail: return QString();
    case File: return tr("File");
    case Probability: return m_spai ? tr("RINE probability") : tr("Probability");
    case VerdictColumn: return m_spai ? tr("RINE verdict") : tr("Verdict");
    case SpaiProbability: return tr("SPAI probability");
    case SpaiVerdict: return tr("SPAI verdict");
    case Detectors: return tr("Detectors");
    case Status: return tr("Status");
    case Size: return tr("Size");
    case Dimensions: return tr("Dimensions");
    case Folder: return tr("Folder");
    default: return {};
    }
}

ResultsFilter::ResultsFilter(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(ResultsModel::SortRole);
    setDynamicSortFilter(true);
}

void ResultsFilter::setVerdict(int verdict)
{
    m_verdict = verdict;
    invalidateFilter();
}

void ResultsFilter::setStatus(const QString &status)
{
    m_status = status;
    invalidateFilter();
}

void ResultsFilter::setText(const QString &text)
{
    m_text = text;
    invalidateFilter();
}

bool ResultsFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (m_verdict == kDisagree) {
        if (index.data(ResultsModel::AgreementRole).toInt() != int(ResultsModel::Agreement::Disagree))
            return false;
    } else if (m_verdict >= 0 && index.data(ResultsModel::VerdictRole).toInt() != m_verdict) {
        return false;
    }
    if (!m_status.isEmpty() && index.data(ResultsModel::StatusRole).toString() != m_status)
        return false;
    if (!m_text.isEmpty() && !index.data(ResultsModel::PathRole).toString().contains(m_text, Qt::CaseInsensitive))
        return false;
    return true;
}

} // namespace rine
