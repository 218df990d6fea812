#include "WizardTables.h"

#include "util/QtStrings.h"

#include <QHeaderView>
#include <QLocale>
#include <QObject>
#include <QTableWidget>

#include <algorithm>

namespace rine::wizard {

QString percent(double fraction) { return QStringLiteral("%1%").arg(100 * fraction, 0, 'f', 1); }

QString duration(double seconds)
{
    if (seconds < 90)
        return QObject::tr("%1 s").arg(qMax(1, int(seconds + 0.5)));
    if (seconds < 5400)
        return QObject::tr("%1 min").arg(int(seconds / 60 + 0.5));
    return QObject::tr("%1 h %2 min").arg(int(seconds / 3600)).arg(int(seconds / 60) % 60);
}

QString trainingStep(qint64 done, qint64 total, int epochs)
{
    const qint64 perEpoch = std::max<qint64>(1, total / std::max(1, epochs));
    const qint64 epoch = std::min<qint64>(epochs, done > 0 ? (done - 1) / perEpoch + 1 : 1);
    const qint64 inEpoch = done - (epoch - 1) * perEpoch;
    return QObject::tr("Training: epoch %1 of %2, image %3 of %4")
        .arg(epoch)
        .arg(epochs)
        .arg(QLocale().toString(inEpoch), QLocale().toString(perEpoch));
}

QTableWidgetItem *cell(const QString &text, bool number)
{
    auto *item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    if (number)
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

void compact(QTableWidget *table)
{
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
}

QString className(const std::string &name) { return name.empty() || name == "(all)" ? QObject::tr("(flat layout)") : q(name); }

void showResults(QTableWidget *table, const std::vector<ClassResult> &results)
{
    table->setRowCount(0);
    for (const ClassResult &r : results) {
        const int row = table->rowCount();
        table->insertRow(row);
        table->setItem(row, 0, cell(r.name == "mean" ? QObject::tr("Mean") : className(r.name), false));
        table->setItem(row, 1, cell(QString::number(r.real)));
        table->setItem(row, 2, cell(QString::number(r.fake)));
        table->setItem(row, 3, cell(percent(r.accuracy)));
        table->setItem(row, 4, cell(percent(r.averagePrecision)));
    }
}

QString errorHtml(const QString &text)
{
    return QStringLiteral("<span style='color:#b00020'>%1</span>").arg(text.toHtmlEscaped());
}

} // namespace rine::wizard
