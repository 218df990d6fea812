#pragma once

#include "store/CaseDatabase.h"

#include <QByteArray>

namespace rine {

// A scan as read back from its case database: what was examined (every file, with its
// SHA-256 and outcome), with what (weights by SHA-256, preprocessing, software, device), and
// the scores of every head.
struct ScanExport {
    QString database;
    ScanSummary summary;
    std::vector<FileReport> files;
};

Result<ScanExport> readScanExport(CaseDatabase &database, qint64 scanId);

QByteArray scanToJson(const ScanExport &scan);

// One CSV cell: quoted when needed (RFC 4180); with neutralise, text that a spreadsheet would
// run as a formula (=, +, -, @, tab, CR first) gets a leading single quote (OWASP).
QString csvCell(QString text, bool neutralise);

// Writes a file atomically (QSaveFile): all of it, or the old file (or none) stays.
Result<bool> writeFileAtomically(const QString &path, const QByteArray &bytes);
// One row per file and head (a file with no score has one row with the score cells empty).
// RFC 4180, UTF-8, formula-looking text cells neutralised as in rine-cli score.
QByteArray scanToCsv(const ScanExport &scan);

} // namespace rine
