#include "RecordWriter.h"

#include "report/Provenance.h"
#include "report/ScanExport.h"
#include "util/AtomicFile.h"
#include "util/Csv.h"

#include "image/ImageDecoder.h"
#include "util/Version.h"
#include "util/QtStrings.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

namespace rine::cli {

namespace {



QString number(double v) { return QString::number(v, 'g', 17); }

} // namespace

bool writeText(const QString &path, const QByteArray &text, QString &error)
{
    if (!path.isEmpty()) {
        auto written = writeFileAtomically(path, text);
        if (!written)
            error = QString::fromStdString(written.error());
        return bool(written);
    }
    QFile out;
    if (!out.open(stdout, QIODevice::WriteOnly) || out.write(text) != text.size()) {
        error = QStringLiteral("cannot write to standard output");
        return false;
    }
    return true;
}

QByteArray toJson(const RunRecord &run)
{
    QJsonArray records;
    for (const ImageRecord &r : run.records) {
        QJsonArray warnings;
        for (const auto &w : r.warnings)
            warnings.append(q(w));
        // logit, probability and contributions: RINE's, as records had them before SPAI.
        QJsonObject o{
            {QStringLiteral("path"), q(r.path)},
            {QStringLiteral("sha256"), r.sha256.empty() ? QJsonValue() : QJsonValue(q(r.sha256))},
            {QStringLiteral("status"), r.ok ? QStringLiteral("ok") : QStringLiteral("error")},
            {QStringLiteral("error"), r.error.empty() ? QJsonValue() : QJsonValue(q(r.error))},
            {QStringLiteral("logit"), r.rineScored ? QJsonValue(r.logit) : QJsonValue()},
            {QStringLiteral("probability"), r.rineScored ? QJsonValue(r.probability) : QJsonValue()},
            {QStringLiteral("contributions"), numbersJson(r.contributions)},
            {QStringLiteral("format"), r.format.empty() ? QJsonValue() : QJsonValue(q(r.format))},
            {QStringLiteral("width"), r.width},
            {QStringLiteral("height"), r.height},
            {QStringLiteral("warnings"), warnings},
        };
        if (run.rine && run.crop == CropMode::Texture)
            o.insert(QStringLiteral("windows"), textureWindowsJson(r.windows));
        // Each detector's score under its name.
        QJsonObject scores;
        if (run.rine)
            scores.insert(QStringLiteral("rine"), r.rineScored ? QJsonValue(QJsonObject{{QStringLiteral("logit"), r.logit},
                                                                                   {QStringLiteral("probability"), r.probability}})
                                                               : QJsonValue());
        if (run.spai)
            scores.insert(QStringLiteral("spai"), r.spai ? QJsonValue(spaiScoreJson(*r.spai)) : QJsonValue());
        o.insert(QStringLiteral("scores"), scores);
        records.append(o);
    }
    QJsonObject root;
    QJsonArray detectors;
    if (run.rine) {
        root = provenanceJson(run.model, run.crop);
        root.insert(QStringLiteral("model"), modelJson(run.model));
        root.insert(QStringLiteral("contributions_meaning"),
                    QStringLiteral("per image: the share of each block in the pooled representation z, "
                                   "||softmax(alpha)[l] * proj1(K)[l]|| normalised over blocks"));
        detectors.append(QStringLiteral("rine"));
    }
    if (run.spai) {
        root.insert(QStringLiteral("spai"), spaiJson(*run.spai));
        detectors.append(QStringLiteral("spai"));
    }
    root.insert(QStringLiteral("detectors"), detectors);
    root.insert(QStringLiteral("records"), records);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QByteArray toCsv(const RunRecord &run)
{
    QStringList header{QStringLiteral("path"), QStringLiteral("sha256"), QStringLiteral("status"), QStringLiteral("error")};
    if (run.rine)
        header << QStringLiteral("logit") << QStringLiteral("probability");
    header << QStringLiteral("format") << QStringLiteral("width") << QStringLiteral("height") << QStringLiteral("warnings");
    if (run.rine)
        for (int l = 1; l <= run.model.blocks; ++l)
            header << QStringLiteral("contribution_%1").arg(l);
    if (run.rine && run.crop == CropMode::Texture)
        header << QStringLiteral("windows");
    if (run.spai)
        header << QStringLiteral("spai_logit") << QStringLiteral("spai_probability") << QStringLiteral("spai_patch_mode")
               << QStringLiteral("spai_patches");
    QByteArray out = header.join(QLatin1Char(',')).toUtf8() + "\r\n";
    for (const ImageRecord &r : run.records) {
        QStringList warnings;
        for (const auto &w : r.warnings)
            warnings << q(w);
        QStringList row{csvCell(q(r.path), true), csvCell(q(r.sha256), true),
                        r.ok ? QStringLiteral("ok") : QStringLiteral("error"), csvCell(q(r.error), true)};
        if (run.rine)
            row << (r.rineScored ? number(r.logit) : QString()) << (r.rineScored ? number(r.probability) : QString());
        row << csvCell(q(r.format), true) << (r.format.empty() ? QString() : QString::number(r.width))
            << (r.format.empty() ? QString() : QString::number(r.height)) << csvCell(warnings.join(QStringLiteral("; ")), true);
        if (run.rine)
            for (int l = 0; l < run.model.blocks; ++l)
                row << (r.rineScored && l < int(r.contributions.size()) ? number(r.contributions[std::size_t(l)]) : QString());
        if (run.rine && run.crop == CropMode::Texture)
            row << textureWindowsCell(r.windows);
        if (run.spai) {
            if (r.spai)
                row << number(r.spai->logit) << number(r.spai->probability)
                    << (r.spai->layout.fiveCrop ? QStringLiteral("five_crop") : QStringLiteral("grid"))
                    << QString::number(r.spai->patches.size());
            else
                row << QString() << QString() << QString() << QString();
        }
        out += row.join(QLatin1Char(',')).toUtf8() + "\r\n";
    }
    return out;
}

} // namespace rine::cli
