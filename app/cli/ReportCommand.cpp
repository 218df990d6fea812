#include "Commands.h"
#include "Interrupt.h"
#include "ModelOptions.h"

#include "report/CaseReport.h"
#include "session/CaseSession.h"
#include "store/CaseSigning.h"
#include "util/QtStrings.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <atomic>
#include <csignal>

namespace rine::cli {

namespace {

std::atomic<bool> s_cancel{false};

void err(const char *command, const QString &text)
{
    QTextStream(stderr) << "rine-cli " << command << ": " << text << Qt::endl;
}

bool parseUnit(const QString &text, double low, double high, double &value)
{
    bool ok = false;
    value = text.toDouble(&ok);
    return ok && value >= low && value <= high;
}

} // namespace

int runReport(const QStringList &arguments)
{
    const char *cmd = "report";
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes a case's report: a PDF (cover with the software, device and every weight file's SHA-256; summary "
        "with counts and the score histogram; a table of every file with its SHA-256, probability and verdict; "
        "detail pages with the analysed region, block importance and contributions, tile map and metadata; methods "
        "and limits) and CSV/JSON exports. Files are written atomically and each one's SHA-256 is printed and "
        "appended to the case's audit log. Evidence files are only read, and checked against their recorded "
        "SHA-256. A case received from another installation (or altered) is only read: its report is written but "
        "not recorded in it, unless --adopt takes the case over. The case is first verified against its audit "
        "chain (as rine-cli audit does); every file written carries the result, the chain's length and its head. "
        "A case that does not verify gets no report unless --allow-unverified, and then every page says so.\n"
        "Exit status: 0 written; 2 bad usage, unusable database, a case that does not verify, or a file could not "
        "be written (nothing partial is left)."));
    parser.addHelpOption();
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("Case database."), QStringLiteral("CASE.sqlite"));
    const QCommandLineOption scan(QStringLiteral("scan"), QStringLiteral("Scan id (default: the latest; see rine-cli "
                                                                         "results --list)."),
                                  QStringLiteral("ID"));
    const QCommandLineOption pdf(QStringLiteral("pdf"), QStringLiteral("Write the PDF report to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption csv(QStringLiteral("csv"), QStringLiteral("Write the CSV export to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Write the JSON export to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption detail(QStringLiteral("detail"),
                                    QStringLiteral("Give this file of the scan a detail page (path as scanned; repeat "
                                                   "for several)."),
                                    QStringLiteral("PATH"));
    const QCommandLineOption title(QStringLiteral("title"), QStringLiteral("Report title."), QStringLiteral("TEXT"));
    const QCommandLineOption analyst(QStringLiteral("analyst"), QStringLiteral("Analyst's name, on the cover."),
                                     QStringLiteral("NAME"));
    const QCommandLineOption threshold(QStringLiteral("threshold"),
                                       QStringLiteral("Verdict threshold (default 0.5)."), QStringLiteral("P"),
                                       QStringLiteral("0.5"));
    const QCommandLineOption band(QStringLiteral("band"),
                                  QStringLiteral("Inconclusive band on each side of the threshold (default 0.05)."),
                                  QStringLiteral("B"), QStringLiteral("0.05"));
    const QCommandLineOption tileMap(QStringLiteral("tile-map"),
                                     QStringLiteral("Load the model (--backbone, --head, ...) and draw a tile map on "
                                                    "each detail page; the model must be the one that scored the "
                                                    "scan."));
    const QCommandLineOption adopt(QStringLiteral("adopt"),
                                   QStringLiteral("Take over a case made by another installation (recorded in its "
                                                  "audit log as \"case adopted\"), so that this report is recorded "
                                                  "in it."));
    const QCommandLineOption allowUnverified(
        QStringLiteral("allow-unverified"),
        QStringLiteral("Write the report of a case that does not verify against its audit chain; its cover, every "
                       "page and the exports say that it does not, and why."));
    const QCommandLineOption detectors(
        QStringLiteral("detector"),
        QStringLiteral("rine or spai: report this detector's results of the scan (repeatable; default: every detector "
                       "the scan ran). One the scan ran that is left out is named in the report's notes and the JSON's "
                       "models.left_out."),
        QStringLiteral("rine|spai"));
    parser.addOptions({db, scan, pdf, csv, json, detail, title, analyst, threshold, band, detectors, tileMap, adopt,
                       allowUnverified});
    ModelOptions modelOptions(ModelOptions::Heads::One);
    modelOptions.withoutCrop().addTo(parser);
    if (!parser.parse(arguments)) {
        err(cmd, parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli report [options] --db CASE.sqlite --pdf FILE"));
        return Success;
    }
    if (!parser.isSet(db)) {
        err(cmd, QStringLiteral("--db CASE.sqlite is required"));
        return UsageOrSetup;
    }
    if (!parser.isSet(pdf) && !parser.isSet(csv) && !parser.isSet(json)) {
        err(cmd, QStringLiteral("give at least one of --pdf, --csv, --json"));
        return UsageOrSetup;
    }
    ReportRequest request;
    if (!parseUnit(parser.value(threshold), 0.01, 0.99, request.rule.threshold)) {
        err(cmd, QStringLiteral("--threshold must be a number from 0.01 to 0.99"));
        return UsageOrSetup;
    }
    if (!parseUnit(parser.value(band), 0.0, 0.25, request.rule.band)) {
        err(cmd, QStringLiteral("--band must be a number from 0 to 0.25"));
        return UsageOrSetup;
    }
    if (parser.isSet(detectors)) {
        for (const QString &d : parser.values(detectors))
            if (d != QLatin1String("rine") && d != QLatin1String("spai")) {
                err(cmd, QStringLiteral("--detector must be rine or spai, not '%1'").arg(d));
                return UsageOrSetup;
            }
        request.detectors = parser.values(detectors);
    }
    std::shared_ptr<Detector> detector;
    if (parser.isSet(tileMap)) {
        QString error;
        std::unique_ptr<Detector> loaded = modelOptions.readAndLoad(parser, error);
        if (!loaded) {
            err(cmd, error);
            return UsageOrSetup;
        }
        detector = std::move(loaded);
    }
    // Read first: a case that is not ours (or whose audit log is broken) is never written to;
    // one that is gets the case's lock, as every writer does.
    auto session = CaseSession::openForUse(parser.value(db), parser.isSet(adopt));
    if (!session) {
        err(cmd, QString::fromStdString(session.error()));
        return UsageOrSetup;
    }
    if (!session.value()->writable())
        err(cmd, QStringLiteral("note: ") + session.value()->readOnlyReason());
    CaseDatabase &database = session.value()->database();
    auto scans = database.scans();
    if (!scans || scans->empty()) {
        err(cmd, scans ? QStringLiteral("%1 holds no scan yet").arg(parser.value(db)) : QString::fromStdString(scans.error()));
        return UsageOrSetup;
    }
    request.scanId = scans->back().id;
    if (parser.isSet(scan)) {
        bool ok = false;
        request.scanId = parser.value(scan).toLongLong(&ok);
        if (!ok) {
            err(cmd, QStringLiteral("--scan must be a scan id (see rine-cli results --list)"));
            return UsageOrSetup;
        }
    }
    request.title = parser.value(title);
    request.analyst = parser.value(analyst);
    request.detailPaths = parser.values(detail);
    request.pdfPath = parser.value(pdf);
    request.csvPath = parser.value(csv);
    request.jsonPath = parser.value(json);
    request.allowUnverified = parser.isSet(allowUnverified);
    stopOnInterrupt(s_cancel, "\nrine-cli report: interrupted; stopping without writing anything (press Ctrl-C again "
                              "to stop at once)\n");
    QString lastStage;
    auto outcome = CaseReport::write(database, request, detector, s_cancel,
                                     [&](const QString &stage, int done, int total) {
                                         if (stage != lastStage || done == total)
                                             QTextStream(stderr) << "rine-cli report: " << stage << " " << done << "/"
                                                                 << total << Qt::endl;
                                         lastStage = stage;
                                     });
    if (!outcome) {
        err(cmd, QString::fromStdString(outcome.error()));
        return UsageOrSetup;
    }
    for (const QString &note : outcome->notes)
        err(cmd, QStringLiteral("note: ") + note);
    QTextStream out(stdout);
    for (const WrittenFile &file : outcome->files)
        out << file.sha256 << "  " << file.path << "\n";
    if (outcome->pages > 0)
        err(cmd, QStringLiteral("PDF: %1 pages; SHA-256s recorded in the case's audit log").arg(outcome->pages));
    return Success;
}

int runAudit(const QStringList &arguments)
{
    const char *cmd = "audit";
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Prints a case's audit log (who did what when: case created, scans, results recorded, reports and exports "
        "with their SHA-256) and verifies the case against it: each entry's hash covers its fields and the previous "
        "entry's hash; each entry is signed with the Ed25519 key of the installation that wrote it; and every row "
        "that carries evidence or a result (scans, files, contents, results, features, models, walk events) must "
        "match the digest that the entry which wrote it recorded. A changed, added or removed row or entry is found "
        "and the first entry that does not match is named. A truncated or wholly recomputed log is found with "
        "--expect-head, given the chain head that a report or export printed. The database is opened read-only "
        "and left byte-identical.\n"
        "Exit status: 0 the case verifies (or is intact but of a format before 4, whose rows the log does not "
        "cover: said on stderr); 1 it does not (what failed is named); 2 bad usage or unusable database."));
    parser.addHelpOption();
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("Case database."), QStringLiteral("CASE.sqlite"));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("Output format (default text)."),
                                    QStringLiteral("text|json"), QStringLiteral("text"));
    const QCommandLineOption expectHead(
        QStringLiteral("expect-head"),
        QStringLiteral("The chain head a report or export of this case printed: the case must still contain that entry "
                       "(not truncated, not recomputed since)."),
        QStringLiteral("SHA256"));
    const QCommandLineOption expectSigner(
        QStringLiteral("expect-signer"),
        QStringLiteral("The fingerprint of the installation key that must have signed every entry from the first "
                       "signed one on (printed by reports and by `rine-cli --version`)."),
        QStringLiteral("FINGERPRINT"));
    parser.addOptions({db, format, expectHead, expectSigner});
    if (!parser.parse(arguments)) {
        err(cmd, parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli audit [options] --db CASE.sqlite"));
        return Success;
    }
    if (!parser.isSet(db)) {
        err(cmd, QStringLiteral("--db CASE.sqlite is required"));
        return UsageOrSetup;
    }
    const QString expectedHead = parser.value(expectHead).trimmed().toLower();
    if (parser.isSet(expectHead) && !isSha256Hex(expectedHead)) {
        err(cmd, QStringLiteral("--expect-head takes the 64 hexadecimal digits of a chain head"));
        return UsageOrSetup;
    }
    const QString expectedSigner = parser.value(expectSigner).trimmed().toLower();
    if (parser.isSet(expectSigner) && !isSha256Hex(expectedSigner)) {
        err(cmd, QStringLiteral("--expect-signer takes the 64 hexadecimal digits of a key fingerprint"));
        return UsageOrSetup;
    }
    auto session = CaseSession::open(parser.value(db), CaseSession::Access::Read);
    if (!session) {
        err(cmd, QString::fromStdString(session.error()));
        return UsageOrSetup;
    }
    CaseDatabase &database = session.value()->database();
    auto log = database.auditLog();
    if (!log) {
        err(cmd, QString::fromStdString(log.error()));
        return UsageOrSetup;
    }
    CaseIntegrity integrity = database.integrity();
    // What the options ask, checked against the log as it is.
    QStringList failures;
    if (!integrity.verified() && integrity.state == CaseIntegrity::State::Broken)
        failures << integrity.problem;
    if (parser.isSet(expectHead)) {
        qint64 position = 0;
        for (const AuditEntry &e : log.value())
            if (e.hash == expectedHead)
                position = e.id;
        if (position == 0)
            failures << QStringLiteral("the case does not contain the chain head %1 that was expected: its audit log was "
                                       "truncated or recomputed since that head was printed")
                            .arg(expectedHead);
        else
            err(cmd, QStringLiteral("the expected chain head is entry %1 of %2").arg(position).arg(log->size()));
    }
    if (parser.isSet(expectSigner)) {
        bool any = false;
        for (const AuditEntry &e : log.value()) {
            if (e.signer.isEmpty())
                continue;
            any = true;
            if (CaseSigner::fingerprintOf(e.signer) != expectedSigner) {
                failures << QStringLiteral("audit log entry %1 (%2) was signed by key %3, not by the expected %4")
                                .arg(e.id)
                                .arg(e.action, CaseSigner::fingerprintOf(e.signer), expectedSigner);
                break;
            }
        }
        if (!any)
            failures << QStringLiteral("no entry of the case is signed");
    }
    // Which signer is this installation, when it has a key: a read-only command makes none.
    QString ours;
    if (QFileInfo::exists(CaseSigner::keyPath()))
        if (auto thisInstallation = CaseSigner::installation(); thisInstallation)
            ours = thisInstallation.value()->fingerprint();
    QTextStream out(stdout);
    if (parser.value(format) == QLatin1String("json")) {
        QJsonArray entries;
        for (const AuditEntry &e : log.value())
            entries.append(QJsonObject{{QStringLiteral("id"), e.id},
                                       {QStringLiteral("at"), e.at},
                                       {QStringLiteral("actor"), e.actor},
                                       {QStringLiteral("action"), e.action},
                                       {QStringLiteral("details"), QJsonDocument::fromJson(e.details.toUtf8()).object()},
                                       {QStringLiteral("previous_hash"), e.previousHash},
                                       {QStringLiteral("hash"), e.hash},
                                       {QStringLiteral("signer"), CaseSigner::fingerprintOf(e.signer)}});
        QJsonArray signers;
        for (const QString &signer : integrity.signers)
            signers.append(signer);
        const QJsonObject root{
            {QStringLiteral("entries"), entries},
            {QStringLiteral("integrity"),
             QJsonObject{{QStringLiteral("state"), integrityStateName(integrity.state)},
                         {QStringLiteral("problems"), QJsonArray::fromStringList(failures)},
                         {QStringLiteral("note"), integrity.state == CaseIntegrity::State::NotCovered
                                                      ? QJsonValue(integrity.problem) : QJsonValue()},
                         {QStringLiteral("chain_length"), integrity.length},
                         {QStringLiteral("chain_head"), integrity.head},
                         {QStringLiteral("head_signer"), integrity.headSigner},
                         {QStringLiteral("signers"), signers},
                         {QStringLiteral("this_installation_key"), ours}}}};
        out << QJsonDocument(root).toJson(QJsonDocument::Indented);
    } else {
        for (const AuditEntry &e : log.value())
            out << e.id << '\t' << e.at << '\t' << e.actor << '\t' << e.action << '\t' << e.details << '\t' << e.hash << '\n';
    }
    out.flush();
    for (const QString &signer : integrity.signers)
        err(cmd, QStringLiteral("signed by key %1%2").arg(signer, signer == ours ? QStringLiteral(" (this installation)")
                                                                                  : QStringLiteral(" (another installation)")));
    if (!failures.isEmpty()) {
        for (const QString &failure : failures)
            err(cmd, QStringLiteral("BROKEN: ") + failure);
        return SomeFailed;
    }
    if (integrity.state == CaseIntegrity::State::NotCovered) {
        err(cmd, QStringLiteral("%1 entries, hash chain intact, chain head %2; NOT COVERED: %3")
                     .arg(integrity.length)
                     .arg(integrity.head, integrity.problem));
        return Success;
    }
    err(cmd, QStringLiteral("%1 entries, hash chain intact, signatures valid, every row matches its entry; chain head %2")
                 .arg(integrity.length)
                 .arg(integrity.head));
    return Success;
}

} // namespace rine::cli
