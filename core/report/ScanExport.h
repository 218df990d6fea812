#pragma once

#include "report/Verdict.h"
#include "store/CaseDatabase.h"

#include <QByteArray>
#include <QJsonArray>

namespace rine {

// A scan as read back from its case database: what was examined (every file, with its
// SHA-256 and outcome), with what (weights by SHA-256, preprocessing, software, device), and
// the scores of every head.
struct ScanExport {
    QString database;
    ScanSummary summary;
    std::vector<FileReport> files;
    // The case checked against its audit chain when it was read: exports carry its state,
    // chain length and head (`rine-cli audit --expect-head` checks a case against it later).
    CaseIntegrity integrity;
    // Detectors the scan ran whose results this export leaves out, as asked ("rine", "spai";
    // keepDetectors). The JSON names them in models.left_out.
    QStringList leftOut;
};

Result<ScanExport> readScanExport(CaseDatabase &database, qint64 scanId);

// Keeps only the results of the detectors asked for (rine, spai: at least one): the others'
// scores are dropped from every file and their models from the summary, and named in
// leftOut. With RINE left out, the summary's preprocessing and precision are SPAI's, as a
// scan with SPAI alone records them. Fails, saying what the scan ran, when it did not run a
// detector asked for.
Result<bool> keepDetectors(ScanExport &scan, bool rine, bool spai);

QByteArray scanToJson(const ScanExport &scan, const VerdictRule &rule = {});

// One row per file and head (a file with no score has one row with the score cells empty).
// RFC 4180, UTF-8, formula-looking text cells neutralised as in rine-cli score.
// Columns: path, sha256, size, mtime, status, error, format, width, height, warnings,
// backbone_sha256, head_sha256, preprocessing, precision, logit, probability, verdict, threshold,
// band, case_integrity, case_chain_entries, case_chain_head (the last three the same on every row).
QByteArray scanToCsv(const ScanExport &scan, const VerdictRule &rule = {});

// TextureCrop's kept windows, rank order, as exports write them: JSON objects {box: [left, top,
// right, bottom], entropy, logit}; one CSV cell "left top right bottom entropy logit; ...".
QJsonArray textureWindowsJson(const std::vector<WindowScore> &windows);
QString textureWindowsCell(const std::vector<WindowScore> &windows);

} // namespace rine
