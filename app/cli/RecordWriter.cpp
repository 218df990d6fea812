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
        QJsonObject o{
            {QStringLiteral("path"), q(r.path)},
            {QStringLiteral("sha256"), r.sha256.empty() ? QJsonValue() : QJsonValue(q(r.sha256))},
            {QStringLiteral("status"), r.ok ? QStringLiteral("ok") : QStringLiteral("error")},
            {QStringLiteral("error"), r.ok ? QJsonValue() : QJsonValue(q(r.error))},
            {QStringLiteral("logit"), r.ok ? QJsonValue(r.logit) : QJsonValue()},
            {QStringLiteral("probability"), r.ok ? QJsonValue(r.probability) : QJsonValue()},
            {QStringLiteral("contributions"), numbersJson(r.contributions)},
            {QStringLiteral("format"), r.format.empty() ? QJsonValue() : QJsonValue(q(r.format))},
            {QStringLiteral("width"), r.width},
            {QStringLiteral("height"), r.height},
            {QStringLiteral("warnings"), warnings},
        };
        if (run.crop == CropMode::Texture)
            o.insert(QStringLiteral("windows"), textureWindowsJson(r.windows));
        records.append(o);
    }
    QJsonObject root = provenanceJson(run.model, run.crop);
    root.insert(QStringLiteral("model"), modelJson(run.model));
    root.insert(QStringLiteral("records"), records);
    root.insert(QStringLiteral("contributions_meaning"),
                QStringLiteral("per image: the share of each block in the pooled representation z, "
                               "||softmax(alpha)[l] * proj1(K)[l]|| normalised over blocks"));
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QByteArray toCsv(const RunRecord &run)
{
    QStringList header{QStringLiteral("path"), QStringLiteral("sha256"), QStringLiteral("status"),
                       QStringLiteral("error"), QStringLiteral("logit"), QStringLiteral("probability"),
                       QStringLiteral("format"), QStringLiteral("width"), QStringLiteral("height"),
                       QStringLiteral("warnings")};
    for (int l = 1; l <= run.model.blocks; ++l)
        header << QStringLiteral("contribution_%1").arg(l);
    if (run.crop == CropMode::Texture)
        header << QStringLiteral("windows");
    QByteArray out = header.join(QLatin1Char(',')).toUtf8() + "\r\n";
    for (const ImageRecord &r : run.records) {
        QStringList warnings;
        for (const auto &w : r.warnings)
            warnings << q(w);
        QStringList row{csvCell(q(r.path), true),
                        csvCell(q(r.sha256), true),
                        r.ok ? QStringLiteral("ok") : QStringLiteral("error"),
                        csvCell(q(r.error), true),
                        r.ok ? number(r.logit) : QString(),
                        r.ok ? number(r.probability) : QString(),
                        csvCell(q(r.format), true),
                        r.ok ? QString::number(r.width) : QString(),
                        r.ok ? QString::number(r.height) : QString(),
                        csvCell(warnings.join(QStringLiteral("; ")), true)};
        for (int l = 0; l < run.model.blocks; ++l)
            row << (r.ok && l < int(r.contributions.size()) ? number(r.contributions[std::size_t(l)]) : QString());
        if (run.crop == CropMode::Texture)
            row << textureWindowsCell(r.windows);
        out += row.join(QLatin1Char(',')).toUtf8() + "\r\n";
    }
    return out;
}

} // namespace rine::cli
