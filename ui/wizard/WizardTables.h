#pragma once

#include "train/TrainingRun.h"

#include <QString>

#include <string>
#include <vector>

class QTableWidget;
class QTableWidgetItem;

// What the training wizard's pages share: how figures are written and tabled.
namespace rine::wizard {

QString percent(double fraction);
QString duration(double seconds);
// "Training: epoch 3 of 15, image 640 of 1,000" from samples done over all epochs.
QString trainingStep(qint64 done, qint64 total, int epochs);
QTableWidgetItem *cell(const QString &text, bool number = true);
// Tables of figures: read-only, rows as tall as a line of text.
void compact(QTableWidget *table);
QString className(const std::string &name);
// Rows of name, real, fake, accuracy, AP (per class or per generator, then their mean).
void showResults(QTableWidget *table, const std::vector<ClassResult> &results);
QString errorHtml(const QString &text);

} // namespace rine::wizard
