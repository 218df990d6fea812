#include "Commands.h"
#include "ModelOptions.h"

#include "report/CaseReport.h"
#include "session/CaseSession.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <atomic>
#include <csignal>

namespace rine::cli {

namespace {

std::atomic<bool> s_cancel{false};
void onInterrupt(int) { s_cancel = true; }

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
        "not recorded in it, unless --adopt takes the case over.\n"
        "Exit status: 0 written; 2 bad usage, unusable database or a file could not be written (nothing partial "
        "is left)."));
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
    parser.addOptions({db, scan, pdf, csv, json, detail, title, analyst, threshold, band, tileMap, adopt});
    ModelOptions modelOptions(ModelOptions::Heads::One);
    modelOptions.addTo(parser);
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
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
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
        "Prints a case's audit log (who did what when: case created, scans, reports and exports with their "
        "SHA-256) and checks its hash chain: each entry's hash covers its fields and the previous entry's hash, so "
        "an entry changed, removed or reordered after the fact is found. The database is opened read-only.\n"
        "Exit status: 0 the chain is intact; 1 it is broken (the entry is named); 2 bad usage or unusable database."));
    parser.addHelpOption();
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("Case database."), QStringLiteral("CASE.sqlite"));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("Output format (default text)."),
                                    QStringLiteral("text|json"), QStringLiteral("text"));
    parser.addOptions({db, format});
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
                                       {QStringLiteral("hash"), e.hash}});
        out << QJsonDocument(entries).toJson(QJsonDocument::Indented);
    } else {
        for (const AuditEntry &e : log.value())
            out << e.id << '\t' << e.at << '\t' << e.actor << '\t' << e.action << '\t' << e.details << '\t' << e.hash << '\n';
    }
    out.flush();
    auto verified = database.verifyAudit();
    if (!verified) {
        err(cmd, QStringLiteral("BROKEN: ") + QString::fromStdString(verified.error()));
        return SomeFailed;
    }
    err(cmd, QStringLiteral("%1 entries, hash chain intact").arg(log->size()));
    return Success;
}

} // namespace rine::cli
