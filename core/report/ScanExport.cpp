#include "ScanExport.h"

#include "report/Provenance.h"
#include "util/Csv.h"
#include "util/QtStrings.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace rine {

namespace {

QString number(double v) { return QString::number(v, 'g', 17); }
QJsonValue orNull(const QString &s) { return s.isEmpty() ? QJsonValue() : QJsonValue(s); }

} // namespace

Result<ScanExport> readScanExport(CaseDatabase &database, qint64 scanId)
{
    auto summary = database.scanSummary(scanId);
    if (!summary)
        return Result<ScanExport>::failure(summary.error());
    auto files = database.fileReports(scanId);
    if (!files)
        return Result<ScanExport>::failure(files.error());
    return ScanExport{database.path(), std::move(summary.value()), std::move(files.value()), database.integrity()};
}

Result<bool> keepDetectors(ScanExport &scan, bool rine, bool spai)
{
    ScanSummary &s = scan.summary;
    const bool ranRine = !s.headSha256s.isEmpty(), ranSpai = !s.spaiSha256.isEmpty();
    const std::string ran = ranRine && ranSpai ? "RINE and SPAI" : ranSpai ? "SPAI alone" : "RINE alone";
    if (!rine && !spai)
        return Result<bool>::failure("no detector asked for: give rine, spai or both");
    if ((rine && !ranRine) || (spai && !ranSpai))
        return Result<bool>::failure("scan " + std::to_string(s.scan.id) + " did not run " + (rine && !ranRine ? "RINE" : "SPAI")
                                     + ": it ran " + ran);
    if (!rine && ranRine) {
        for (FileReport &f : scan.files)
            f.scores.clear();
        s.headSha256s.clear();
        s.backboneSha256.clear();
        s.preprocessing = QString::fromLatin1(kSpaiPreprocessing);
        s.precision = s.spaiPrecision;
        scan.leftOut << QStringLiteral("rine");
    }
    if (!spai && ranSpai) {
        for (FileReport &f : scan.files)
            f.spai.reset();
        s.spaiSha256.clear();
        scan.leftOut << QStringLiteral("spai");
    }
    return true;
}

QByteArray scanToJson(const ScanExport &scan, const VerdictRule &rule)
{
    const ScanSummary &s = scan.summary;
    QJsonArray heads, events, files;
    for (const QString &head : s.headSha256s)
        heads.append(head);
    for (const WalkEvent &event : s.events)
        events.append(QJsonObject{{QStringLiteral("kind"), QString::fromLatin1(walkEventName(event.kind))},
                                  {QStringLiteral("path"), q(event.path)},
                                  {QStringLiteral("message"), q(event.message)}});
    QJsonObject counts;
    for (const FileReport &f : scan.files)
        counts[f.status] = counts.value(f.status).toInt() + 1;
    QJsonArray detectors; // a scan with SPAI alone has no backbone or heads
    if (!s.headSha256s.isEmpty())
        detectors.append(QStringLiteral("rine"));
    if (!s.spaiSha256.isEmpty())
        detectors.append(QStringLiteral("spai"));
    for (const FileReport &f : scan.files) {
        QJsonArray scores;
        for (const FileReport::Score &score : f.scores) {
            QJsonArray contributions;
            for (double c : score.contributions)
                contributions.append(c);
            scores.append(QJsonObject{{QStringLiteral("head_sha256"), score.headSha256},
                                      {QStringLiteral("windows"), textureWindowsJson(score.windows)},
                                      {QStringLiteral("logit"), score.logit},
                                      {QStringLiteral("probability"), score.probability},
                                      {QStringLiteral("verdict"), verdictName(rule.of(score.probability)).toLower()},
                                      {QStringLiteral("contributions"), contributions},
                                      {QStringLiteral("scored_at"), score.scoredAt},
                                      {QStringLiteral("device"), score.device},
                                      {QStringLiteral("backbone_dtype"), score.backboneDtype},
                                      {QStringLiteral("precision"), score.precision},
                                      {QStringLiteral("from_cached_features"), score.fromCachedFeatures}});
        }
        QJsonValue spai;
        if (f.spai) {
            QJsonObject o{{QStringLiteral("logit"), f.spai->logit},
                          {QStringLiteral("probability"), f.spai->probability},
                          {QStringLiteral("patches"), spaiPatchesJson(f.spai->patches)}};
            o.insert(QStringLiteral("weights_sha256"), f.spai->weightsSha256);
            o.insert(QStringLiteral("verdict"), verdictName(rule.of(f.spai->probability)).toLower());
            o.insert(QStringLiteral("scored_at"), f.spai->scoredAt);
            o.insert(QStringLiteral("precision"), f.spai->precision);
            spai = o;
        }
        files.append(QJsonObject{{QStringLiteral("path"), f.path},
                                 {QStringLiteral("size"), f.size},
                                 {QStringLiteral("mtime"), f.mtime},
                                 {QStringLiteral("sha256"), orNull(f.sha256)},
                                 {QStringLiteral("status"), f.status},
                                 {QStringLiteral("error"), orNull(f.error)},
                                 {QStringLiteral("format"), orNull(f.format)},
                                 {QStringLiteral("width"), f.width},
                                 {QStringLiteral("height"), f.height},
                                 {QStringLiteral("warnings"), QJsonArray::fromStringList(f.warnings)},
                                 {QStringLiteral("scores"), scores},
                                 {QStringLiteral("spai"), spai}});
    }
    const QJsonObject root{
        {QStringLiteral("case"), s.caseName},
        {QStringLiteral("database"), scan.database},
        {QStringLiteral("scan"),
         QJsonObject{{QStringLiteral("id"), s.scan.id},
                     {QStringLiteral("state"), s.scan.state},
                     {QStringLiteral("started_at"), s.scan.startedAt},
                     {QStringLiteral("finished_at"), orNull(s.scan.finishedAt)},
                     {QStringLiteral("images_inferred"), s.scan.imagesInferred},
                     {QStringLiteral("settings"), QJsonDocument::fromJson(s.scan.settingsJson.toUtf8()).object()}}},
        {QStringLiteral("models"),
         QJsonObject{{QStringLiteral("detectors"), detectors},
                     {QStringLiteral("left_out"), QJsonArray::fromStringList(scan.leftOut)},
                     {QStringLiteral("backbone_sha256"), orNull(s.backboneSha256)},
                     {QStringLiteral("head_sha256s"), heads},
                     {QStringLiteral("preprocessing"), s.preprocessing},
                     {QStringLiteral("precision"), s.precision},
                     {QStringLiteral("spai_sha256"), orNull(s.spaiSha256)},
                     {QStringLiteral("spai_precision"), s.spaiSha256.isEmpty() ? QJsonValue() : QJsonValue(s.spaiPrecision)}}},
        {QStringLiteral("runtime"),
         QJsonObject{{QStringLiteral("app_version"), q(s.runtime.appVersion)},
                     {QStringLiteral("libtorch"), q(s.runtime.libtorch)},
                     {QStringLiteral("opencv"), q(s.runtime.opencv)},
                     {QStringLiteral("qt"), q(s.runtime.qt)},
                     {QStringLiteral("device"), q(s.runtime.device)},
                     {QStringLiteral("backbone_dtype"), q(s.runtime.backboneDtype)},
                     {QStringLiteral("precision"), q(s.runtime.precision)}}},
        {QStringLiteral("counts"), counts},
        {QStringLiteral("verdict_rule"),
         QJsonObject{{QStringLiteral("threshold"), rule.threshold},
                     {QStringLiteral("band"), rule.band},
                     {QStringLiteral("meaning"), rule.describe()}}},
        {QStringLiteral("integrity"),
         QJsonObject{{QStringLiteral("state"), integrityStateName(scan.integrity.state)},
                     {QStringLiteral("problem"), orNull(scan.integrity.problem)},
                     {QStringLiteral("chain_entries"), scan.integrity.length},
                     {QStringLiteral("chain_head"), scan.integrity.head},
                     {QStringLiteral("head_signer"), orNull(scan.integrity.headSigner)},
                     {QStringLiteral("check"), QStringLiteral("rine-cli audit --db CASE --expect-head %1").arg(scan.integrity.head)}}},
        {QStringLiteral("walk_events"), events},
        {QStringLiteral("files"), files},
        {QStringLiteral("probability_meaning"),
         QStringLiteral("sigmoid of the RINE logit: the detector's score that the image was made by a generative "
                        "model; not a calibrated probability for images unlike its training data")},
    };
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QString textureWindowsCell(const std::vector<WindowScore> &windows)
{
    QStringList cells;
    for (const WindowScore &w : windows)
        cells << QStringLiteral("%1 %2 %3 %4 %5 %6")
                     .arg(w.region.left)
                     .arg(w.region.top)
                     .arg(w.region.left + w.region.size)
                     .arg(w.region.top + w.region.size)
                     .arg(number(w.entropy), number(w.logit));
    return cells.join(QStringLiteral("; "));
}

QJsonArray textureWindowsJson(const std::vector<WindowScore> &windows)
{
    QJsonArray out;
    for (const WindowScore &w : windows)
        out.append(QJsonObject{{QStringLiteral("box"), QJsonArray{w.region.left, w.region.top, w.region.left + w.region.size,
                                                                 w.region.top + w.region.size}},
                               {QStringLiteral("entropy"), w.entropy},
                               {QStringLiteral("logit"), w.logit}});
    return out;
}

QByteArray scanToCsv(const ScanExport &scan, const VerdictRule &rule)
{
    // A scan that ran SPAI: one more row per scored file (SPAI's), and a last column naming
    // each row's detector.
    const bool spai = !scan.summary.spaiSha256.isEmpty();
    // SPAI alone (no heads): a file's row is SPAI's, or one unscored row.
    const bool spaiAlone = spai && scan.summary.headSha256s.isEmpty();
    QStringList header{QStringLiteral("path"),        QStringLiteral("sha256"),          QStringLiteral("size"),
                             QStringLiteral("mtime"),       QStringLiteral("status"),          QStringLiteral("error"),
                             QStringLiteral("format"),      QStringLiteral("width"),           QStringLiteral("height"),
                             QStringLiteral("warnings"),    QStringLiteral("backbone_sha256"), QStringLiteral("head_sha256"),
                             QStringLiteral("preprocessing"), QStringLiteral("precision"),     QStringLiteral("logit"),
                             QStringLiteral("probability"),
                             QStringLiteral("verdict"),     QStringLiteral("threshold"),       QStringLiteral("band"),
                             QStringLiteral("case_integrity"), QStringLiteral("case_chain_entries"),
                             QStringLiteral("case_chain_head"), QStringLiteral("windows")};
    if (spai)
        header << QStringLiteral("detector");
    const QString rine = spaiAlone ? QStringLiteral(",spai") : spai ? QStringLiteral(",rine") : QString();
    const QString threshold = number(rule.threshold), band = number(rule.band);
    // The case's state when exported, on every row: a row copied elsewhere still says it.
    const QString integrity = csvCell(integrityStateName(scan.integrity.state), true) + QLatin1Char(',')
                            + QString::number(scan.integrity.length) + QLatin1Char(',')
                            + csvCell(scan.integrity.head, true);
    QByteArray out = header.join(QLatin1Char(',')).toUtf8() + "\r\n";
    for (const FileReport &f : scan.files) {
        // Every text cell comes from the case database, which may have been received from
        // elsewhere: each passes the formula guard and is quoted as RFC 4180 needs.
        const QStringList common{csvCell(f.path, true),
                                 csvCell(f.sha256, true),
                                 QString::number(f.size),
                                 csvCell(f.mtime, true),
                                 csvCell(f.status, true),
                                 csvCell(f.error, true),
                                 csvCell(f.format, true),
                                 f.width ? QString::number(f.width) : QString(),
                                 f.height ? QString::number(f.height) : QString(),
                                 csvCell(f.warnings.join(QStringLiteral("; ")), true)};
        if (f.scores.empty() && !(spaiAlone && f.spai)) {
            out += (common + QStringList{csvCell(scan.summary.backboneSha256, true), QString(),
                                         csvCell(scan.summary.preprocessing, true),
                                         csvCell(scan.summary.precision, true), QString(), QString(),
                                         verdictName(Verdict::None).toLower(), threshold, band, integrity, QString()})
                       .join(QLatin1Char(','))
                       .toUtf8()
                 + rine.toUtf8() + "\r\n";
            if (!f.spai)
                continue;
        }
        for (const FileReport::Score &score : f.scores)
            out += (common + QStringList{csvCell(scan.summary.backboneSha256, true), csvCell(score.headSha256, true),
                                         csvCell(scan.summary.preprocessing, true),
                                         csvCell(score.precision, true), number(score.logit), number(score.probability),
                                         verdictName(rule.of(score.probability)).toLower(), threshold, band,
                                         integrity, textureWindowsCell(score.windows)})
                       .join(QLatin1Char(','))
                       .toUtf8()
                 + rine.toUtf8() + "\r\n";
        if (f.spai)
            out += (common + QStringList{QString(), csvCell(f.spai->weightsSha256, true),
                                         QString::fromLatin1(kSpaiPreprocessing), csvCell(f.spai->precision, true),
                                         number(f.spai->logit), number(f.spai->probability),
                                         verdictName(rule.of(f.spai->probability)).toLower(), threshold, band,
                                         integrity, QString(), QStringLiteral("spai")})
                       .join(QLatin1Char(','))
                       .toUtf8()
                 + "\r\n";
    }
    return out;
}

} // namespace rine
