#pragma once

#include "model/Detector.h"
#include "report/Provenance.h"
#include "scoring/ImageScorer.h"

#include <QByteArray>
#include <QJsonObject>
#include <vector>

namespace rine::cli {

struct RunRecord {
    bool rine = true; // RINE scored the images (model and crop describe it)
    const SpaiDetector *spai = nullptr; // SPAI scored them too, or alone
    ModelInfo model;
    CropMode crop = CropMode::Center;
    std::vector<ImageRecord> records;
};

using rine::modelJson;
using rine::provenanceJson;

QByteArray toJson(const RunRecord &run);

// Writes to path atomically (QSaveFile), or to standard output when path is empty.
bool writeText(const QString &path, const QByteArray &text, QString &error);
// RFC 4180, UTF-8. Text cells that a spreadsheet would run as a formula (=, +, -, @, tab,
// CR first) are prefixed with a single quote, as OWASP recommends.
QByteArray toCsv(const RunRecord &run);

} // namespace rine::cli
