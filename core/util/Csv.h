#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <vector>

// CSV as the exports write and the tests read it (Qt Core; compiled into rine_core).

namespace rine {

// One CSV cell: quoted when needed (RFC 4180); with neutralise, text that a spreadsheet would
// run as a formula (=, +, -, @, tab, CR first) gets a leading single quote (OWASP), and so
// does text that starts with a single quote, so that csvText() gives back the original.
QString csvCell(QString text, bool neutralise);
// The text of a neutralised cell as it was before csvCell.
QString csvText(const QString &cell);
// RFC 4180 records (quoted fields may hold commas, quotes and line breaks). A malformed
// record (a quote inside an unquoted field, an unterminated quote) is an error.
Result<std::vector<QStringList>> parseCsv(const QByteArray &bytes);

} // namespace rine
