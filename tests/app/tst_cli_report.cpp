// rine-cli report and audit end to end: a scan of files with hostile names, its PDF report read
// back with poppler (pdftotext, pdfinfo, pdftoppm), its CSV read back, the audit log's chain
// verified and then broken on purpose, and a write that cannot succeed. Expected hashes are
// computed here from the files (QCryptographicHash), versions from rine-cli --version.

#include "CaseLockHolder.h"
#include "CaseFormats.h"
#include "RunCli.h"
#include "TestFiles.h"
#include "report/OfflineDocument.h"
#include "report/ScanExport.h"
#include "util/Csv.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace rine;
using namespace rine::test;

namespace {

const QString kData = QStringLiteral(RINE_TEST_DATA "/reference-tiny");

QString sha256Hex(const QString &path)
{
    return QString::fromLatin1(QCryptographicHash::hash(readAll(path), QCryptographicHash::Sha256).toHex());
}

QStringList modelArguments()
{
    return {QStringLiteral("--backbone"), kData + QStringLiteral("/clip_tiny_traced.pt"), QStringLiteral("--head"),
            kData + QStringLiteral("/rine_tiny_head.pth"), QStringLiteral("--trust")};
}

// Runs a poppler tool; empty output when it fails.
QByteArray poppler(const QString &tool, const QStringList &arguments)
{
    QProcess process;
    process.start(tool, arguments);
    if (!process.waitForFinished(120000) || process.exitCode() != 0)
        return {};
    return process.readAllStandardOutput();
}

} // namespace

class TestCliReport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_evidence, m_case;
    QMap<QString, QString> m_names; // hostile name -> reference image it copies

private slots:
    void initTestCase()
    {
        for (const char *tool : {"pdftotext", "pdfinfo", "pdftoppm"})
            if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty())
                QFAIL(qPrintable(QStringLiteral("%1 is missing: install poppler-utils (installer/install-deps.sh does)")
                                     .arg(QString::fromLatin1(tool))));
        QVERIFY(m_dir.isValid());
        m_evidence = m_dir.filePath(QStringLiteral("evidence"));
        QVERIFY(QDir().mkpath(m_evidence));
        m_names = {{QStringLiteral("a,b.png"), QStringLiteral("astronaut.png")},
                   {QStringLiteral("quote\"d.png"), QStringLiteral("block.png")},
                   {QStringLiteral("new\nline.png"), QStringLiteral("camera.png")},
                   {QStringLiteral("=HYPERLINK(1).png"), QStringLiteral("coffee.png")},
                   {QStringLiteral("\u00fcn\u00efc\u00f8d\u00e9 \u5199\u771f.png"), QStringLiteral("logo.png")},
                   {QStringLiteral("'quoted.png"), QStringLiteral("zzrybysskm.png")},
                   {QStringLiteral("@at; -minus.jpg"), QStringLiteral("aadlygmazf.jpg")}};
        for (auto it = m_names.cbegin(); it != m_names.cend(); ++it)
            QVERIFY(QFile::copy(kData + QStringLiteral("/images/") + it.value(), m_evidence + QLatin1Char('/') + it.key()));
        m_case = m_dir.filePath(QStringLiteral("case.sqlite"));
        const Run scan = rineCli(QStringList{QStringLiteral("scan"), QStringLiteral("--db"), m_case} + modelArguments() +
                                 QStringList{m_evidence});
        QVERIFY2(scan.exitCode == 0, scan.err.constData());
    }

    void writesAPdfThatNamesEveryHashAndVersion()
    {
        const QString pdf = m_dir.filePath(QStringLiteral("report.pdf"));
        const QString detailA = m_evidence + QStringLiteral("/a,b.png"), detailB = m_evidence + QStringLiteral("/new\nline.png");
        const Run run = rineCli(QStringList{QStringLiteral("report"), QStringLiteral("--db"), m_case, QStringLiteral("--pdf"), pdf,
                                            QStringLiteral("--title"), QStringLiteral("Case 42 analysis"),
                                            QStringLiteral("--analyst"), QStringLiteral("Dana Analyst"),
                                            QStringLiteral("--detail"), detailA, QStringLiteral("--detail"), detailB,
                                            QStringLiteral("--tile-map")} +
                                modelArguments());
        QVERIFY2(run.exitCode == 0, run.err.constData());
        // stdout: the report's SHA-256 and path, as sha256sum prints them.
        QCOMPARE(QString::fromUtf8(run.out).trimmed(), sha256Hex(pdf) + QStringLiteral("  ") + pdf);

        // Text: hashes of every evidence file and of both weight files; the versions.
        const QString text = QString::fromUtf8(poppler(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")}));
        QVERIFY(!text.isEmpty());
        for (auto it = m_names.cbegin(); it != m_names.cend(); ++it)
            QVERIFY2(text.contains(sha256Hex(m_evidence + QLatin1Char('/') + it.key())), qPrintable(it.key()));
        QVERIFY(text.contains(sha256Hex(kData + QStringLiteral("/clip_tiny_traced.pt"))));
        QVERIFY(text.contains(sha256Hex(kData + QStringLiteral("/rine_tiny_head.pth"))));
        const Run version = rineCli({QStringLiteral("--version")});
        const QRegularExpression versions(QStringLiteral("rine-cli (\\S+) .*LibTorch (\\S+), OpenCV (\\S+), Qt (\\S+)"),
                                          QRegularExpression::DotMatchesEverythingOption);
        const auto match = versions.match(QString::fromUtf8(version.out));
        QVERIFY(match.hasMatch());
        QVERIFY(text.contains(QStringLiteral("RINE Studio ") + match.captured(1)));
        QVERIFY(text.contains(QStringLiteral("LibTorch ") + match.captured(2).chopped(1))); // "1.13.0,"
        QVERIFY(text.contains(QStringLiteral("OpenCV ") + match.captured(3).chopped(1)));
        QVERIFY(text.contains(QStringLiteral("Qt ") + match.captured(4)));
        QVERIFY(text.contains(QStringLiteral("Dana Analyst")));
        QVERIFY(text.contains(QStringLiteral("Methods and limits")));
        QVERIFY(text.contains(QStringLiteral("Detail: a,b.png")));
        QVERIFY(text.contains(QStringLiteral("tile map, 9 tiles"))); // a 512 x 512 image: 3 x 3 tiles
        QVERIFY(text.contains(QStringLiteral("Case case - Case 42 analysis"))); // the footer

        // Every page renders, and each one says which page it is.
        const QByteArray info = poppler(QStringLiteral("pdfinfo"), {pdf});
        const auto pages = QRegularExpression(QStringLiteral("Pages:\\s+(\\d+)")).match(QString::fromUtf8(info));
        QVERIFY(pages.hasMatch());
        const int count = pages.captured(1).toInt();
        QVERIFY(count >= 5); // cover, files, two detail pages, methods
        for (int page = 1; page <= count; ++page)
            QVERIFY(text.contains(QStringLiteral("Page %1 of %2").arg(page).arg(count)));
        const QString prefix = m_dir.filePath(QStringLiteral("page"));
        poppler(QStringLiteral("pdftoppm"), {QStringLiteral("-r"), QStringLiteral("30"), QStringLiteral("-png"), pdf, prefix});
        const QStringList rendered = QDir(m_dir.path()).entryList({QStringLiteral("page-*.png")});
        QCOMPARE(rendered.size(), count);
        for (const QString &png : rendered)
            QVERIFY(QFileInfo(m_dir.filePath(png)).size() > 500);

        // The audit log holds the report's hash, and its chain is intact.
        const Run audit = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), m_case, QStringLiteral("--format"),
                                   QStringLiteral("json")});
        QCOMPARE(audit.exitCode, 0);
        const QJsonArray entries = QJsonDocument::fromJson(audit.out).object()[QStringLiteral("entries")].toArray();
        QVERIFY(!entries.isEmpty());
        const QJsonObject last = entries.last().toObject();
        QCOMPARE(last[QStringLiteral("action")].toString(), QStringLiteral("PDF report written"));
        QCOMPARE(last[QStringLiteral("details")].toObject()[QStringLiteral("sha256")].toString(), sha256Hex(pdf));
        QCOMPARE(entries.first().toObject()[QStringLiteral("action")].toString(), QStringLiteral("case created"));
        // The case verifies, and the head printed is the last entry's hash.
        const QJsonObject integrity = QJsonDocument::fromJson(audit.out).object()[QStringLiteral("integrity")].toObject();
        QCOMPARE(integrity[QStringLiteral("state")].toString(), QStringLiteral("verified"));
        QCOMPARE(integrity[QStringLiteral("chain_head")].toString(), last[QStringLiteral("hash")].toString());
        QCOMPARE(integrity[QStringLiteral("chain_length")].toInt(), entries.size());
    }

    void aPdfOfAScanWithBothDetectorsShowsEachAndWhereTheyDisagree()
    {
        // Four images both references scored, one under a name with markup. RINE's
        // probabilities come from the reference code, SPAI's from the upstream code; which
        // files the detectors call differently is worked out here from the two.
        const QString spaiData = QStringLiteral(RINE_TEST_DATA "/spai-tiny");
        const QString evidence = m_dir.filePath(QStringLiteral("both"));
        QVERIFY(QDir().mkpath(evidence));
        const QMap<QString, QString> names = {{QStringLiteral("<b>astro<i>.png"), QStringLiteral("astronaut.png")},
                                              {QStringLiteral("block.png"), QStringLiteral("block.png")},
                                              {QStringLiteral("logo.png"), QStringLiteral("logo.png")},
                                              {QStringLiteral("aadlygmazf.jpg"), QStringLiteral("aadlygmazf.jpg")}};
        for (auto it = names.cbegin(); it != names.cend(); ++it)
            QVERIFY(QFile::copy(spaiData + QStringLiteral("/images/") + it.value(), evidence + QLatin1Char('/') + it.key()));
        const QString weights = spaiData + QStringLiteral("/spai_tiny_checkpoint.pth");
        const QString casePath = m_dir.filePath(QStringLiteral("both.sqlite"));
        const QStringList detectors = {QStringLiteral("--detector"), QStringLiteral("rine"), QStringLiteral("--detector"),
                                       QStringLiteral("spai"), QStringLiteral("--spai-weights"), weights};
        const Run scan = rineCli(QStringList{QStringLiteral("scan"), QStringLiteral("--db"), casePath} + modelArguments()
                                 + detectors + QStringList{evidence});
        QVERIFY2(scan.exitCode == 0, scan.err.constData());
        const QString pdf = m_dir.filePath(QStringLiteral("both.pdf"));
        const Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), casePath, QStringLiteral("--pdf"), pdf,
                                 QStringLiteral("--detail"), evidence + QStringLiteral("/logo.png")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString text = QString::fromUtf8(poppler(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")})).simplified();
        QVERIFY(!text.isEmpty());

        auto images = [](const QString &folder) {
            return QJsonDocument::fromJson(readAll(folder + QStringLiteral("/reference.json"))).object()
                .value(QStringLiteral("images")).toObject();
        };
        const QJsonObject rine = images(kData), spai = images(spaiData);
        auto verdict = [](double p) { return p >= 0.55 ? 1 : p < 0.45 ? -1 : 0; }; // the default rule, 0.5 +/- 0.05
        int disagree = 0, spaiFake = 0, spaiReal = 0;
        for (auto it = names.cbegin(); it != names.cend(); ++it) {
            const double r = rine[it.value()].toObject()[QStringLiteral("prob")].toDouble();
            const double p = spai[it.value()].toObject()[QStringLiteral("prob")].toDouble();
            disagree += verdict(r) * verdict(p) == -1;
            spaiFake += verdict(p) == 1;
            spaiReal += verdict(p) == -1;
            QVERIFY2(text.contains(QString::number(p, 'f', 4)), qPrintable(it.key())); // SPAI's probability per file
            QVERIFY2(text.contains(QString::number(r, 'f', 4)), qPrintable(it.key())); // and RINE's
        }
        QCOMPARE(disagree, 3);
        QVERIFY2(text.contains(QStringLiteral("SPAI's, under the same rule: %1 fake, 0 inconclusive, %2 real")
                                   .arg(spaiFake)
                                   .arg(spaiReal)),
                 qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("The detectors disagree on %1 ").arg(disagree)));
        QCOMPARE(text.count(QStringLiteral("DISAGREE")), disagree); // one mark per file in the table
        QVERIFY(text.contains(QStringLiteral("<b>astro<i>.png"))); // markup in a name is shown as text
        QVERIFY(text.contains(sha256Hex(weights)));
        QVERIFY(text.contains(QStringLiteral("SPAI probability")));
        // The detail page: SPAI's patches, by attention; the methods: both detectors and their limits.
        QVERIFY(text.contains(QStringLiteral("SPAI's patches (4 of 4, by attention)")));
        const double strongest = spai[QStringLiteral("logo.png")].toObject()[QStringLiteral("attention_mean_over_heads")]
                                     .toArray()[2].toDouble(); // 0.3289: patch 3 draws most
        QVERIFY2(text.contains(QStringLiteral("3 0 224 %1").arg(strongest, 0, 'f', 4)), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("The second detector. SPAI")));
        QVERIFY(text.contains(QStringLiteral("SPAI's limits.")));
        QVERIFY(text.contains(QStringLiteral("When the detectors disagree.")));

        // --detector spai: SPAI's results alone, RINE's named as left out (not "not run").
        const QString spaiPdf = m_dir.filePath(QStringLiteral("both-spai.pdf")), spaiJson = m_dir.filePath(QStringLiteral("both-spai.json"));
        Run only = rineCli({QStringLiteral("report"), QStringLiteral("--db"), casePath, QStringLiteral("--detector"),
                            QStringLiteral("spai"), QStringLiteral("--pdf"), spaiPdf, QStringLiteral("--json"), spaiJson});
        QVERIFY2(only.exitCode == 0, only.err.constData());
        QVERIFY2(only.err.contains("RINE's results are left out of this report"), only.err.constData());
        const QString spaiText = QString::fromUtf8(poppler(QStringLiteral("pdftotext"), {spaiPdf, QStringLiteral("-")})).simplified();
        QVERIFY(spaiText.contains(QStringLiteral("Those verdicts are SPAI's: RINE's results are left out of this report.")));
        QVERIFY(spaiText.contains(QStringLiteral("Under the verdict rule: %1 fake, 0 inconclusive, %2 real")
                                      .arg(spaiFake)
                                      .arg(spaiReal)));
        for (const char *absent : {"RINE probability", "RINE head", "DISAGREE", "SPAI alone (RINE was not run)"})
            QVERIFY2(!spaiText.contains(QLatin1String(absent)), absent);
        const QJsonObject spaiDocument = QJsonDocument::fromJson(readAll(spaiJson)).object();
        QCOMPARE(spaiDocument[QStringLiteral("models")].toObject()[QStringLiteral("detectors")].toArray(),
                 QJsonArray{QStringLiteral("spai")});
        QCOMPARE(spaiDocument[QStringLiteral("models")].toObject()[QStringLiteral("left_out")].toArray(),
                 QJsonArray{QStringLiteral("rine")});
        for (const QJsonValue &file : spaiDocument[QStringLiteral("files")].toArray()) {
            QVERIFY(file.toObject()[QStringLiteral("scores")].toArray().isEmpty());
            const QString name = QFileInfo(file.toObject()[QStringLiteral("path")].toString()).fileName();
            QCOMPARE(QString::number(file.toObject()[QStringLiteral("spai")].toObject()[QStringLiteral("probability")].toDouble(), 'f', 4),
                     QString::number(spai[names.value(name)].toObject()[QStringLiteral("prob")].toDouble(), 'f', 4));
        }
        // --detector rine: no SPAI row in the CSV; a detector the scan did not run is refused.
        const QString rineCsv = m_dir.filePath(QStringLiteral("both-rine.csv"));
        only = rineCli({QStringLiteral("report"), QStringLiteral("--db"), casePath, QStringLiteral("--detector"),
                        QStringLiteral("rine"), QStringLiteral("--csv"), rineCsv});
        QVERIFY2(only.exitCode == 0, only.err.constData());
        auto rows = parseCsv(readAll(rineCsv));
        QVERIFY(rows);
        QCOMPARE(rows->size(), std::size_t(1 + names.size())); // one RINE row per file, no SPAI row
        QVERIFY(!rows->front().contains(QStringLiteral("detector")));
        only = rineCli({QStringLiteral("report"), QStringLiteral("--db"), m_case, QStringLiteral("--detector"),
                        QStringLiteral("spai"), QStringLiteral("--json"), m_dir.filePath(QStringLiteral("none.json"))});
        QCOMPARE(only.exitCode, 2);
        QVERIFY2(only.err.contains("did not run SPAI: it ran RINE alone"), only.err.constData());
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("none.json"))));
    }

    // A scan with SPAI alone (no backbone needed: this test's RINE_BACKBONE names no file): the
    // verdicts, counts, histogram and table are SPAI's, the methods describe SPAI, and nothing
    // names a backbone, a RINE head or a disagreement. Expected values: the upstream code's.
    void aPdfOfAScanWithSpaiAloneShowsSpaisVerdicts()
    {
        const QString spaiData = QStringLiteral(RINE_TEST_DATA "/spai-tiny");
        const QString evidence = m_dir.filePath(QStringLiteral("spai-alone"));
        QVERIFY(QDir().mkpath(evidence));
        const QStringList names{QStringLiteral("astronaut.png"), QStringLiteral("block.png"), QStringLiteral("logo.png"),
                                QStringLiteral("aadlygmazf.jpg")};
        for (const QString &name : names)
            QVERIFY(QFile::copy(spaiData + QStringLiteral("/images/") + name, evidence + QLatin1Char('/') + name));
        const QString casePath = m_dir.filePath(QStringLiteral("spai-alone.sqlite"));
        const Run scan = rineCli({QStringLiteral("scan"), QStringLiteral("--db"), casePath, QStringLiteral("--detector"),
                                  QStringLiteral("spai"), QStringLiteral("--spai-weights"),
                                  spaiData + QStringLiteral("/spai_tiny_checkpoint.pth"), QStringLiteral("--trust"),
                                  QStringLiteral("--quiet"), evidence});
        QVERIFY2(scan.exitCode == 0, scan.err.constData());
        const QString pdf = m_dir.filePath(QStringLiteral("spai-alone.pdf"));
        const Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), casePath, QStringLiteral("--pdf"), pdf,
                                 QStringLiteral("--detail"), evidence + QStringLiteral("/logo.png")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString text = QString::fromUtf8(poppler(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")})).simplified();
        const QJsonObject spai = QJsonDocument::fromJson(readAll(spaiData + QStringLiteral("/reference.json"))).object()
                                     .value(QStringLiteral("images")).toObject();
        int fake = 0, real = 0, inconclusive = 0;
        for (const QString &name : names) {
            const double p = spai[name].toObject()[QStringLiteral("prob")].toDouble();
            fake += p >= 0.55; // the default rule, 0.5 +/- 0.05
            real += p < 0.45;
            inconclusive += p >= 0.45 && p < 0.55;
            QVERIFY2(text.contains(QString::number(p, 'f', 4)), qPrintable(name));
        }
        QVERIFY2(text.contains(QStringLiteral("Under the verdict rule: %1 fake, %2 inconclusive, %3 real, 0 not scored.")
                                   .arg(fake)
                                   .arg(inconclusive)
                                   .arg(real)),
                 qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("Those verdicts are SPAI's: this scan ran SPAI alone.")));
        QVERIFY(text.contains(QStringLiteral("SPAI alone (RINE was not run)")));
        QVERIFY(text.contains(QStringLiteral("SPAI probability")));
        QVERIFY(text.contains(QStringLiteral("SPAI's patches (4 of 4, by attention)")));
        QVERIFY(text.contains(QStringLiteral("What the score is. SPAI")));
        // The detail picture has SPAI's patches drawn over it (no tile map: SPAI alone has none).
        QVERIFY(text.contains(QStringLiteral("SPAI's patches, numbered as in the table below")));
        for (const char *absent : {"RINE probability", "RINE head", "Backbone", "DISAGREE", "When the detectors disagree",
                                   "Not scored", "The second detector", "Dashed", "tile map"})
            QVERIFY2(!text.contains(QLatin1String(absent)), absent);
    }

    void csvRoundTripsHostileNames()
    {
        const QString csv = m_dir.filePath(QStringLiteral("files.csv"));
        const Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), m_case, QStringLiteral("--csv"), csv,
                                 QStringLiteral("--threshold"), QStringLiteral("0.7"), QStringLiteral("--band"),
                                 QStringLiteral("0")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QByteArray bytes = readAll(csv);
        // Formula-looking names are neutralised in the raw text (OWASP): no cell starts with = or @.
        QVERIFY(bytes.contains("'=HYPERLINK(1).png") || bytes.contains("/=HYPERLINK(1).png"));
        QVERIFY(!QString::fromUtf8(bytes).contains(QRegularExpression(QStringLiteral("(^|,)[=@+]"),
                                                                       QRegularExpression::MultilineOption)));
        auto records = parseCsv(bytes);
        QVERIFY2(records, records ? "" : records.error().c_str());
        QCOMPARE(records->size(), std::size_t(1 + m_names.size()));
        const QStringList header = records->front();
        const int path = int(header.indexOf(QStringLiteral("path"))), sha = int(header.indexOf(QStringLiteral("sha256")));
        const int verdict = int(header.indexOf(QStringLiteral("verdict"))), probability = int(header.indexOf(QStringLiteral("probability")));
        QVERIFY(path >= 0 && sha >= 0 && verdict >= 0 && probability >= 0);
        QSet<QString> seen;
        for (std::size_t i = 1; i < records->size(); ++i) {
            const QStringList &record = records.value()[i];
            QCOMPARE(record.size(), header.size());
            const QString original = csvText(record[path]);
            const QString name = QFileInfo(original).fileName();
            QVERIFY2(m_names.contains(name), qPrintable(original));
            seen.insert(name);
            QCOMPARE(record[sha], sha256Hex(original));
            // Threshold 0.7, no band: the two reference probabilities above 0.7 are fake.
            const double p = record[probability].toDouble();
            QCOMPARE(record[verdict], p >= 0.7 ? QStringLiteral("fake") : QStringLiteral("real"));
        }
        QCOMPARE(seen.size(), m_names.size());
    }

    void everyCsvCellOfAReceivedCaseIsGuardedAndQuoted()
    {
        // A received case whose text fields hold formulas, commas, quotes and line breaks where
        // hashes, times, statuses, formats and the preprocessing belong (issue 19, item 3).
        QTemporaryDir copy;
        const QString received = copy.filePath(QStringLiteral("received.sqlite"));
        QVERIFY(QFile::copy(m_case, received));
        const QString formula = QStringLiteral("=HYPERLINK(\"http://127.0.0.1/x\",\"a,b\")");
        const QString format = QStringLiteral("@SUM(1)\n,\"png\"");
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("hostile"));
            db.setDatabaseName(received);
            QVERIFY(db.open());
            QSqlQuery query(db);
            query.prepare(QStringLiteral("UPDATE files SET mtime=?"));
            query.addBindValue(formula);
            QVERIFY(query.exec());
            query.prepare(QStringLiteral("UPDATE contents SET format=?"));
            query.addBindValue(format);
            QVERIFY(query.exec());
            query.prepare(QStringLiteral("UPDATE scans SET preprocessing=?"));
            query.addBindValue(QStringLiteral("-1+2"));
            QVERIFY(query.exec());
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("hostile"));
        const Run run = rineCli({QStringLiteral("results"), QStringLiteral("--db"), received, QStringLiteral("--format"),
                                 QStringLiteral("csv")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(!QString::fromUtf8(run.out).contains(QRegularExpression(QStringLiteral("(^|,)\"?([=@+]|-(?![0-9.]))"),
                                                                         QRegularExpression::MultilineOption)),
                 run.out.constData());
        auto records = parseCsv(run.out);
        QVERIFY2(records, records ? "" : records.error().c_str());
        const QStringList header = records->front();
        const int mtime = int(header.indexOf(QStringLiteral("mtime"))), formatColumn = int(header.indexOf(QStringLiteral("format")));
        const int preprocessing = int(header.indexOf(QStringLiteral("preprocessing")));
        QVERIFY(mtime >= 0 && formatColumn >= 0 && preprocessing >= 0);
        QVERIFY(records->size() > 1);
        for (std::size_t i = 1; i < records->size(); ++i) {
            const QStringList &record = records.value()[i];
            QCOMPARE(record.size(), header.size());
            QCOMPARE(csvText(record[mtime]), formula);
            QCOMPARE(csvText(record[preprocessing]), QStringLiteral("-1+2"));
            if (!record[formatColumn].isEmpty())
                QCOMPARE(csvText(record[formatColumn]), format);
        }
    }

    void hashesOfAReceivedCaseAreCheckedBeforeThePdfShowsThem()
    {
        // Markup where a hash belongs is shown as text and said not to be a hash: the PDF
        // loads nothing it names (issue 19, item 3).
        QTemporaryDir copy;
        const QString received = copy.filePath(QStringLiteral("received.sqlite"));
        QVERIFY(QFile::copy(m_case, received));
        const QString markup = QStringLiteral("<img src=\"%1\">").arg(kData + QStringLiteral("/images/logo.png"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("hashes"));
            db.setDatabaseName(received);
            QVERIFY(db.open());
            QSqlQuery query(db);
            query.prepare(QStringLiteral("UPDATE scans SET backbone_sha256=?"));
            query.addBindValue(markup);
            QVERIFY(query.exec());
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("hashes"));
        const QString pdf = copy.filePath(QStringLiteral("received.pdf"));
        // The altered scan no longer matches its audit entry: no report unless asked for, and
        // then it says so.
        const Run refused = rineCli({QStringLiteral("report"), QStringLiteral("--db"), received, QStringLiteral("--pdf"), pdf});
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("does not verify") && refused.err.contains("rows it wrote do not match"),
                 refused.err.constData());
        QVERIFY(!QFile::exists(pdf));
        const Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), received, QStringLiteral("--pdf"), pdf,
                                 QStringLiteral("--allow-unverified")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString text = QString::fromUtf8(poppler(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")})).simplified();
        QVERIFY2(text.contains(QStringLiteral("not a SHA-256")) && text.contains(QStringLiteral("<img src=")),
                 qPrintable(text.left(3000)));
        QVERIFY2(text.contains(QStringLiteral("DOES NOT VERIFY")), qPrintable(text.left(3000)));
        // No image was drawn for it: the cover holds as many images as the unaltered case's.
        const QString plain = copy.filePath(QStringLiteral("plain.pdf"));
        const QString unaltered = copy.filePath(QStringLiteral("unaltered.sqlite"));
        QVERIFY(QFile::copy(m_case, unaltered));
        QVERIFY(rineCli({QStringLiteral("report"), QStringLiteral("--db"), unaltered, QStringLiteral("--pdf"), plain}).exitCode == 0);
        auto coverImages = [](const QString &file) {
            return QString::fromUtf8(poppler(QStringLiteral("pdfimages"), {QStringLiteral("-list"), QStringLiteral("-f"),
                                                                           QStringLiteral("1"), QStringLiteral("-l"),
                                                                           QStringLiteral("1"), file}))
                .trimmed()
                .split(QLatin1Char('\n'))
                .size();
        };
        QCOMPARE(coverImages(pdf), coverImages(plain));
    }

    void aChangedResultIsFoundThoughTheLogLooksIntact()
    {
        // Issue 19's first finding: one probability turned from fake to real, and the last
        // audit entry deleted. Before, `audit` still said "hash chain intact".
        QTemporaryDir copy;
        const QString tampered = copy.filePath(QStringLiteral("tampered.sqlite"));
        QVERIFY(QFile::copy(m_case, tampered));
        QCOMPARE(rineCli({QStringLiteral("audit"), QStringLiteral("--db"), tampered}).exitCode, 0);
        QString error = test::runSql(tampered, {QStringLiteral("UPDATE results SET probability=0.01, logit=-4.6 WHERE id=(SELECT min(id) FROM results)"),
                                         QStringLiteral("DELETE FROM audit_log WHERE id=(SELECT max(id) FROM audit_log)")});
        QVERIFY2(error.isEmpty(), qPrintable(error));
        Run run = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), tampered});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("BROKEN") && run.err.contains("results recorded")
                     && run.err.contains("rows it wrote do not match"),
                 run.err.constData());

        // A result added under an entry that wrote none is found, and named.
        QVERIFY(QFile::remove(tampered) && QFile::copy(m_case, tampered));
        error = test::runSql(tampered, {QStringLiteral("INSERT INTO results(sha256, backbone_sha256, head_sha256, preprocessing, "
                                                "logit, probability, contributions, device, backbone_dtype, "
                                                "from_cached_features, scan_id, scored_at, precision, audit_id) SELECT "
                                                "'ff', backbone_sha256, head_sha256, preprocessing, 3, 0.95, '[]', device, "
                                                "backbone_dtype, 0, scan_id, scored_at, precision, (SELECT max(id) FROM "
                                                "audit_log) FROM results LIMIT 1")});
        QVERIFY2(error.isEmpty(), qPrintable(error));
        run = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), tampered});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("0 rows recorded, 1 found"), run.err.constData());

        // A row that claims no entry at all.
        QVERIFY(QFile::remove(tampered) && QFile::copy(m_case, tampered));
        QVERIFY(test::runSql(tampered, {QStringLiteral("UPDATE files SET audit_id=NULL WHERE id=(SELECT min(id) FROM files)")}).isEmpty());
        run = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), tampered});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("a row of files belongs to no entry"), run.err.constData());

        // The whole chain recomputed after the change (hashes and digests are public
        // arithmetic) cannot be signed without this installation's key: removing the
        // signatures is found, and so is a signature that is not of its entry.
        QVERIFY(QFile::remove(tampered) && QFile::copy(m_case, tampered));
        QVERIFY(test::runSql(tampered, {QStringLiteral("UPDATE audit_log SET signature=NULL, signer=NULL WHERE id=3")}).isEmpty());
        run = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), tampered});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("entry 3") && run.err.contains("not signed"), run.err.constData());
        QVERIFY(QFile::remove(tampered) && QFile::copy(m_case, tampered));
        QVERIFY(test::runSql(tampered, {QStringLiteral("UPDATE audit_log SET signature=(SELECT signature FROM audit_log WHERE id=2) WHERE id=3")}).isEmpty());
        run = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), tampered});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("entry 3") && run.err.contains("signature does not verify"), run.err.constData());
    }

    void theChainHeadAnExportPrintedFindsATruncatedCase()
    {
        QTemporaryDir copy;
        const QString exported = copy.filePath(QStringLiteral("exported.sqlite"));
        QVERIFY(QFile::copy(m_case, exported));
        const QString json = copy.filePath(QStringLiteral("export.json")), csv = copy.filePath(QStringLiteral("export.csv"));
        Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), exported, QStringLiteral("--json"), json,
                           QStringLiteral("--csv"), csv});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject integrity = QJsonDocument::fromJson(readAll(json)).object()[QStringLiteral("integrity")].toObject();
        QCOMPARE(integrity[QStringLiteral("state")].toString(), QStringLiteral("verified"));
        const QString head = integrity[QStringLiteral("chain_head")].toString();
        const int length = integrity[QStringLiteral("chain_entries")].toInt();
        QVERIFY(head.size() == 64 && length > 3);
        // The CSV carries the same head on every row.
        auto records = parseCsv(readAll(csv));
        QVERIFY(records && records->size() > 1);
        const int headColumn = int(records->front().indexOf(QStringLiteral("case_chain_head")));
        QVERIFY(headColumn >= 0);
        for (std::size_t i = 1; i < records->size(); ++i)
            QCOMPARE(records.value()[i][headColumn], head);
        // The export's own entries come after the head it printed; the case still holds it.
        run = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), exported, QStringLiteral("--expect-head"), head});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains(QStringLiteral("entry %1 of %2").arg(length).arg(length + 2).toUtf8()), run.err.constData());
        // Cut back to before the head: every remaining entry verifies, but the head is gone.
        QVERIFY(test::runSql(exported, {QStringLiteral("DELETE FROM audit_log WHERE id >= %1").arg(length)}).isEmpty());
        run = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), exported, QStringLiteral("--expect-head"), head});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("does not contain the chain head"), run.err.constData());
        QCOMPARE(rineCli({QStringLiteral("audit"), QStringLiteral("--db"), exported, QStringLiteral("--expect-head"),
                          QStringLiteral("<b>")}).exitCode, 2);
    }

    void aReceivedCaseStaysByteIdenticalThroughEveryCommand()
    {
        // Another installation (its own id and signing key) only reads the case: no command
        // changes a byte of it or leaves a file beside it (before, `scan --db` opened it for
        // writing first, and SQLite's read-only mode still made -wal and -shm).
        QTemporaryDir received, elsewhereData, out;
        const QString path = received.filePath(QStringLiteral("received.sqlite"));
        QVERIFY(QFile::copy(m_case, path));
        const QByteArray before = test::readAll(path);
        RunOptions elsewhere;
        elsewhere.env = QProcessEnvironment::systemEnvironment();
        elsewhere.env.insert(QStringLiteral("RINE_INSTALLATION_ID"), QStringLiteral("fedcba9876543210fedcba9876543210"));
        elsewhere.env.insert(QStringLiteral("RINE_SIGNING_KEY"), elsewhereData.filePath(QStringLiteral("key.pem")));
        const QList<QStringList> commands{
            {QStringLiteral("audit"), QStringLiteral("--db"), path},
            {QStringLiteral("results"), QStringLiteral("--db"), path, QStringLiteral("--list")},
            {QStringLiteral("results"), QStringLiteral("--db"), path, QStringLiteral("--format"), QStringLiteral("csv")},
            {QStringLiteral("report"), QStringLiteral("--db"), path, QStringLiteral("--csv"), out.filePath(QStringLiteral("r.csv"))},
            QStringList{QStringLiteral("scan"), QStringLiteral("--db"), path} + modelArguments() + QStringList{m_evidence},
        };
        for (const QStringList &command : commands) {
            const Run run = rineCli(command, elsewhere);
            if (command.first() == QLatin1String("scan")) {
                QCOMPARE(run.exitCode, 2); // refused: not this installation's case
                QVERIFY2(run.err.contains("adopt"), run.err.constData());
            } else {
                QVERIFY2(run.exitCode == 0, run.err.constData());
            }
            QVERIFY2(test::readAll(path) == before, qPrintable(command.join(QLatin1Char(' '))));
            QCOMPARE(QDir(received.path()).entryList(QDir::Files | QDir::Hidden | QDir::System),
                     QStringList{QStringLiteral("received.sqlite")});
        }
    }

    void aHeadNamedByAReceivedCaseIsParsedOnlyWhenTrusted()
    {
        // The report reads the scan's head for its block importance at the path the case names.
        // An installation that does not trust that file (not in its manifest, never trusted
        // there) does not parse it: the case may have been sent with a booby-trapped file there.
        QTemporaryDir elsewhereStore, out;
        RunOptions elsewhere;
        elsewhere.env = QProcessEnvironment::systemEnvironment();
        elsewhere.env.insert(QStringLiteral("RINE_MODEL_STORE"), elsewhereStore.path());
        Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), m_case, QStringLiteral("--pdf"),
                           out.filePath(QStringLiteral("untrusted.pdf"))},
                          elsewhere);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("not a weight file this installation trusts"), run.err.constData());
        // Here, where it was trusted for the scan, the importance is shown (no such note).
        run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), m_case, QStringLiteral("--pdf"),
                       out.filePath(QStringLiteral("trusted.pdf"))});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(!run.err.contains("block importance is not shown"), run.err.constData());
    }

    void theReportDocumentLoadsNoFileItNames()
    {
        // Whatever markup reaches the PDF's document, it reads no file and no URL: an image
        // that exists on this machine, named by path and by file: URL, is not loaded.
        const QString logo = kData + QStringLiteral("/images/logo.png");
        OfflineDocument document;
        document.setHtml(QStringLiteral("<p><img src=\"%1\"><img src=\"file://%1\"><img src=\"http://127.0.0.1:9/x.png\"></p>")
                             .arg(logo));
        QVERIFY(!document.resource(QTextDocument::ImageResource, QUrl::fromLocalFile(logo)).isValid());
        QVERIFY2(!document.refused().isEmpty(), "the document was never asked for the images");
        // What the report adds itself is shown.
        document.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("rine:own")), QImage(4, 4, QImage::Format_RGB32));
        QVERIFY(document.resource(QTextDocument::ImageResource, QUrl(QStringLiteral("rine:own"))).isValid());
    }

    void aBrokenAuditChainIsFound()
    {
        QTemporaryDir copy;
        const QString tampered = copy.filePath(QStringLiteral("tampered.sqlite"));
        QVERIFY(QFile::copy(m_case, tampered));
        QVERIFY(rineCli({QStringLiteral("audit"), QStringLiteral("--db"), tampered}).exitCode == 0);
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper"));
            db.setDatabaseName(tampered);
            QVERIFY(db.open());
            QSqlQuery query(db);
            QVERIFY(query.exec(QStringLiteral("UPDATE audit_log SET actor='someone else' WHERE id=2")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("tamper"));
        const Run changed = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), tampered});
        QCOMPARE(changed.exitCode, 1);
        QVERIFY2(changed.err.contains("BROKEN") && changed.err.contains("entry 2") && changed.err.contains("changed"),
                 changed.err.constData());
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper2"));
            db.setDatabaseName(tampered);
            QVERIFY(db.open());
            QSqlQuery query(db);
            QVERIFY(query.exec(QStringLiteral("UPDATE audit_log SET actor=(SELECT actor FROM audit_log WHERE id=1) WHERE id=2")));
            QVERIFY(query.exec(QStringLiteral("DELETE FROM audit_log WHERE id=3")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("tamper2"));
        const Run removed = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), tampered});
        QCOMPARE(removed.exitCode, 1);
        QVERIFY2(removed.err.contains("entry 4") && removed.err.contains("removed"), removed.err.constData());
    }

    void anOldCaseIsUpgradedWithAnAuditEntry()
    {
        QTemporaryDir copy;
        const QString old = copy.filePath(QStringLiteral("old.sqlite"));
        QVERIFY(QFile::copy(m_case, old));
        const QString downgraded = test::downgradeToFormat2(old);
        QVERIFY2(downgraded.isEmpty(), qPrintable(downgraded));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("old"));
            db.setDatabaseName(old);
            QVERIFY(db.open());
            QSqlQuery query(db);
            QVERIFY(query.exec(QStringLiteral("DROP TABLE audit_log")));
            QVERIFY(query.exec(QStringLiteral("PRAGMA user_version=1"))); // the format before the audit log
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("old"));
        // Not made here (no installation recorded): read, never written, and the report says so.
        const QByteArray before = test::readAll(old);
        Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), old, QStringLiteral("--json"),
                           copy.filePath(QStringLiteral("read.json"))});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("opened read-only") && run.err.contains("not recorded"), run.err.constData());
        QVERIFY(QFile::exists(copy.filePath(QStringLiteral("read.json"))));
        QCOMPARE(test::readAll(old), before);

        // Adopted: upgraded, the adoption recorded, then the export.
        run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), old, QStringLiteral("--adopt"),
                       QStringLiteral("--json"), copy.filePath(QStringLiteral("old.json"))});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const Run audit = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), old, QStringLiteral("--format"),
                                   QStringLiteral("json")});
        QCOMPARE(audit.exitCode, 0);
        const QJsonArray entries = QJsonDocument::fromJson(audit.out).object()[QStringLiteral("entries")].toArray();
        QCOMPARE(entries.size(), 3);
        QCOMPARE(entries[0].toObject()[QStringLiteral("action")].toString(), QStringLiteral("case format upgraded"));
        QCOMPARE(entries[1].toObject()[QStringLiteral("action")].toString(), QStringLiteral("case adopted"));
        QCOMPARE(entries[2].toObject()[QStringLiteral("action")].toString(), QStringLiteral("JSON export written"));
    }

    void aCaseFromAnotherInstallationIsOnlyRead()
    {
        // m_case was made by this test's installation; another one only reads it until it adopts it.
        QTemporaryDir copy;
        const QString received = copy.filePath(QStringLiteral("received.sqlite"));
        QVERIFY(QFile::copy(m_case, received));
        const QByteArray before = test::readAll(received);
        RunOptions elsewhere;
        elsewhere.env = QProcessEnvironment::systemEnvironment();
        elsewhere.env.insert(QStringLiteral("RINE_INSTALLATION_ID"), QStringLiteral("0123456789abcdef0123456789abcdef"));
        const QString pdf = copy.filePath(QStringLiteral("received.pdf"));
        Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), received, QStringLiteral("--pdf"), pdf}, elsewhere);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("another RINE Studio installation"), run.err.constData());
        QCOMPARE(test::readAll(received), before); // not a byte changed
        const QString text = QString::fromUtf8(poppler(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")})).simplified();
        QVERIFY2(text.contains(QStringLiteral("not recorded in its audit log")), qPrintable(text.right(2000)));

        run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), received, QStringLiteral("--adopt"),
                       QStringLiteral("--csv"), copy.filePath(QStringLiteral("received.csv"))},
                      elsewhere);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const Run audit = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), received, QStringLiteral("--format"),
                                   QStringLiteral("json")});
        QCOMPARE(audit.exitCode, 0); // the chain still verifies
        const QJsonArray entries = QJsonDocument::fromJson(audit.out).object()[QStringLiteral("entries")].toArray();
        const QJsonObject adopted = entries[entries.size() - 2].toObject();
        QCOMPARE(adopted[QStringLiteral("action")].toString(), QStringLiteral("case adopted"));
        const QJsonObject details = adopted[QStringLiteral("details")].toObject();
        QCOMPARE(details[QStringLiteral("installation")].toString(), QStringLiteral("0123456789abcdef0123456789abcdef"));
        QVERIFY(!details[QStringLiteral("previous_installation")].toString().isEmpty());
        // Now the first installation is the one that only reads it.
        run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), received, QStringLiteral("--csv"),
                       copy.filePath(QStringLiteral("again.csv"))});
        QVERIFY2(run.err.contains("opened read-only"), run.err.constData());
    }

    void aCaseAnotherProcessIsScanningIsNotWritten()
    {
        // Reports append to the audit log, so they take the case's lock as scans do; before, a
        // report wrote its entries beside a scan running in another process.
        QTemporaryDir copy;
        const QString busy = copy.filePath(QStringLiteral("busy.sqlite"));
        QVERIFY(QFile::copy(m_case, busy));
        const QByteArray before = test::readAll(busy);
        const QString csv = copy.filePath(QStringLiteral("busy.csv"));
        {
            test::CaseLockHolder scanning(busy);
            QVERIFY(scanning.locked());
            const Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), busy, QStringLiteral("--csv"), csv});
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains("in use by another process") && run.err.contains(busy.toUtf8()),
                     run.err.constData());
            QVERIFY(!QFile::exists(csv));
            QCOMPARE(test::readAll(busy), before);
            // Reading is not writing: audit still answers.
            QCOMPARE(rineCli({QStringLiteral("audit"), QStringLiteral("--db"), busy}).exitCode, 0);
        }
        const Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), busy, QStringLiteral("--csv"), csv});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(QFile::exists(csv));
    }

    void aFailedWriteLeavesNothingAndSaysWhy()
    {
        QTemporaryDir target;
        QVERIFY(QFile::setPermissions(target.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
        const QString pdf = target.filePath(QStringLiteral("report.pdf"));
        RunOptions options;
        options.withoutPermissionOverride = true;
        const Run run = rineCli({QStringLiteral("report"), QStringLiteral("--db"), m_case, QStringLiteral("--pdf"), pdf}, options);
        QFile::setPermissions(target.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(pdf.toUtf8()) && run.err.contains("cannot write"), run.err.constData());
        QCOMPARE(QDir(target.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
        // Nothing was recorded for a report that does not exist.
        const Run audit = rineCli({QStringLiteral("audit"), QStringLiteral("--db"), m_case});
        QVERIFY(!audit.out.contains(pdf.toUtf8()));
    }
};

QTEST_GUILESS_MAIN(TestCliReport)
#include "tst_cli_report.moc"
