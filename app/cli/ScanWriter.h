#pragma once

#include "store/CaseDatabase.h"

#include <QByteArray>

namespace rine::cli {

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
// One row per file and head (a file with no score has one row with the score cells empty).
// RFC 4180, UTF-8, formula-looking text cells neutralised as in rine-cli score.
QByteArray scanToCsv(const ScanExport &scan);

} // namespace rine::cli
