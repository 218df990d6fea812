// rine-cli scan and rine-cli results end to end: a hostile folder accounted for file by
// file, a scan killed with SIGKILL and run again (complete, each content scored once, equal
// to an uninterrupted scan), Ctrl-C, exports, damaged databases.

#include "HostileFolder.h"
#include "RunCli.h"
#include "TestFiles.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cmath>
#include <map>

using namespace rine;

namespace {

const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");

using test::Run;

// As root (CI), the unreadable file must be unreadable to rine-cli too.
const test::RunOptions kAsUser{{}, {}, true};

Run rineCli(const QStringList &arguments) { return test::rineCli(arguments, kAsUser); }

QStringList tinyModel()
{
    return {QStringLiteral("--backbone"), kTiny + "clip_tiny_traced.pt", QStringLiteral("--head"),
            kTiny + "rine_tiny_head.pth", QStringLiteral("--device"), QStringLiteral("cpu"), QStringLiteral("--trust")};
}

// Rows of a query on a case database, read through a connection of our own.
qint64 count(const QString &db, const QString &sql)
{
    qint64 value = -1;
    {
        QSqlDatabase connection = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("probe"));
        connection.setDatabaseName(db);
        connection.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
        if (connection.open()) {
            QSqlQuery query(connection);
            if (query.exec(sql) && query.next())
                value = query.value(0).toLongLong();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("probe"));
    return value;
}

std::map<QString, QJsonObject> filesByPath(const QByteArray &json, const QString &root)
{
    std::map<QString, QJsonObject> out;
    for (const QJsonValue &f : QJsonDocument::fromJson(json).object().value("files").toArray())
        out[QDir(root).relativeFilePath(f.toObject().value("path").toString())] = f.toObject();
    return out;
}

} // namespace

class TestCliScan : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    test::HostileFolder m_hostile;
    QString m_many; // a folder of distinct images, enough for a scan to be interrupted
    static constexpr int kMany = 240;

    // Starts a scan of m_many into db, waits until some but not all results are committed,
    // then sends signal. Returns the exit code (-1: killed by the signal).
    int interruptScan(const QString &db, int signal, QByteArray *err = nullptr)
    {
        QProcess process;
        test::prepare(process, kAsUser);
        process.start(QStringLiteral(RINE_CLI),
                      QStringList{QStringLiteral("scan"), QStringLiteral("--db"), db, QStringLiteral("--batch"),
                                  QStringLiteral("4"), QStringLiteral("--workers"), QStringLiteral("1"), m_many}
                          + tinyModel());
        if (!process.waitForStarted())
            return -2;
        qint64 committed = 0;
        while (process.state() == QProcess::Running) {
            committed = count(db, QStringLiteral("SELECT count(*) FROM results"));
            if (committed >= 8)
                break;
            QTest::qWait(20);
        }
        if (process.state() != QProcess::Running || process.processId() <= 0) {
            // Never kill(0, ...): that would signal this test's whole process group.
            qWarning("the scan ended before it could be interrupted (%lld results): %s", committed,
                     process.readAllStandardError().constData());
            return -3;
        }
        if (committed >= kMany)
            qWarning("the scan committed everything before it could be interrupted");
        ::kill(pid_t(process.processId()), signal);
        process.waitForFinished(120000);
        if (err)
            *err = process.readAllStandardError();
        return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QDir().mkpath(m_dir.filePath("hostile"));
        m_hostile = test::makeHostileFolder(m_dir.filePath("hostile"), kTiny + "images");
        m_many = m_dir.filePath("many");
        QDir().mkpath(m_many);
        for (int i = 0; i < kMany; ++i) {
            QImage image(96 + i % 7, 80 + i % 5, QImage::Format_RGB888);
            for (int y = 0; y < image.height(); ++y)
                for (int x = 0; x < image.width(); ++x)
                    image.setPixel(x, y, qRgb((x * 7 + i * 13) & 255, (y * 5 + i) & 255, (x * y + i * 31) & 255));
            QVERIFY(image.save(QStringLiteral("%1/img%2.png").arg(m_many).arg(i, 4, 10, QLatin1Char('0'))));
        }
    }

    void cleanupTestCase() { m_hostile.restorePermissions(); }

    void hostileFolderIsAccountedFor()
    {
        const QString db = m_dir.filePath("hostile.sqlite"), json = m_dir.filePath("hostile.json"),
                      csv = m_dir.filePath("hostile.csv");
        auto snapshot = [&] {
            QStringList state;
            for (auto it = m_hostile.files.cbegin(); it != m_hostile.files.cend(); ++it) {
                const QFileInfo info(m_hostile.root + "/" + it.key());
                state << it.key() + QString::number(info.size()) + info.lastModified().toString(Qt::ISODateWithMs)
                             + QString::fromLatin1(QCryptographicHash::hash(test::readAll(info.filePath()),
                                                                            QCryptographicHash::Sha256).toHex());
            }
            return state;
        };
        const QStringList before = snapshot();
        const Run run = rineCli(QStringList{"scan", "--db", db, m_hostile.root, "--json", json, "--csv", csv} + tinyModel());
        // Failed files (empty, truncated, bomb, unreadable) and an unreadable folder: status 1.
        QVERIFY2(run.exitCode == 1, run.err.constData());
        QVERIFY2(run.err.contains("files, ") && run.err.contains("images/s"), run.err.constData());
        const auto files = filesByPath(test::readAll(json), m_hostile.root);
        QCOMPARE(files.size(), std::size_t(m_hostile.files.size()));
        for (auto it = m_hostile.files.cbegin(); it != m_hostile.files.cend(); ++it) {
            QVERIFY2(files.count(it.key()), qPrintable(it.key()));
            QCOMPARE(files.at(it.key()).value("status").toString(), it->status);
        }
        // Evidence is never modified, nothing is added beside it.
        QCOMPARE(snapshot(), before);
        int topLevel = 0;
        for (const QString &name : m_hostile.files.keys())
            topLevel += name.contains(QLatin1Char('/')) ? 0 : 1;
        QCOMPARE(QDir(m_hostile.root).entryList(QDir::Files | QDir::Hidden | QDir::System).size(), topLevel);

        const QByteArray table = test::readAll(csv);
        QVERIFY(table.startsWith("path,sha256,size,mtime,status,error"));
        // One row per file (one head), CRLF line ends (RFC 4180); paths are absolute, so a file
        // named "=HYPERLINK(...)" cannot start a cell.
        QCOMPARE(table.count("\r\n"), qsizetype(files.size() + 1));
        QVERIFY(table.contains("/=HYPERLINK(1).png,"));

        // results reads the same back, read-only.
        const Run results = rineCli({"results", "--db", db, "--format", "json"});
        QCOMPARE(results.exitCode, 0);
        QCOMPARE(filesByPath(results.out, m_hostile.root).size(), files.size());
    }

    void killedScanResumesAndScoresEachImageOnce()
    {
        const QString killed = m_dir.filePath("killed.sqlite"), clean = m_dir.filePath("clean.sqlite");
        QCOMPARE(interruptScan(killed, SIGKILL), -1);
        const qint64 before = count(killed, "SELECT count(*) FROM results");
        QVERIFY2(before > 0 && before < kMany, qPrintable(QString::number(before)));

        const Run again = rineCli(QStringList{"scan", "--db", killed, "--batch", "4", m_many} + tinyModel());
        QVERIFY2(again.exitCode == 0, again.err.constData());
        QVERIFY2(again.err.contains("(resumed)"), again.err.constData());
        const Run uninterrupted = rineCli(QStringList{"scan", "--db", clean, "--quiet", m_many} + tinyModel());
        QCOMPARE(uninterrupted.exitCode, 0);

        QCOMPARE(count(killed, "SELECT count(*) FROM files WHERE status='scored'"), qint64(kMany));
        QCOMPARE(count(killed, "SELECT count(*) FROM results"), qint64(kMany));
        // Every committed backbone pass, over both runs, is one distinct image: none twice.
        QCOMPARE(count(killed, "SELECT sum(images_inferred) FROM scans"), qint64(kMany));
        QCOMPARE(count(killed, "SELECT count(*) FROM scans"), qint64(1));

        const auto resumed = filesByPath(rineCli({"results", "--db", killed}).out, m_many);
        const auto reference = filesByPath(rineCli({"results", "--db", clean}).out, m_many);
        QCOMPARE(resumed.size(), std::size_t(kMany));
        QCOMPARE(reference.size(), std::size_t(kMany));
        for (const auto &[path, file] : reference) {
            const QJsonObject other = resumed.at(path);
            QCOMPARE(other.value("sha256").toString(), file.value("sha256").toString());
            const double a = file.value("scores").toArray()[0].toObject().value("logit").toDouble();
            const double b = other.value("scores").toArray()[0].toObject().value("logit").toDouble();
            QVERIFY2(std::abs(a - b) < 1e-5, qPrintable(QStringLiteral("%1: %2 vs %3").arg(path).arg(a).arg(b)));
        }
    }

    void ctrlCCommitsTheBatchInFlightAndExits130()
    {
        const QString db = m_dir.filePath("interrupted.sqlite");
        QByteArray err;
        QCOMPARE(interruptScan(db, SIGINT, &err), 130);
        QVERIFY2(err.contains("interrupted"), err.constData());
        QCOMPARE(count(db, "SELECT count(*) FROM scans WHERE state='cancelled'"), qint64(1));
        const qint64 scored = count(db, "SELECT count(*) FROM results");
        QVERIFY(scored > 0 && scored < kMany);
        QCOMPARE(count(db, "SELECT sum(images_inferred) FROM scans"), scored);

        const Run again = rineCli(QStringList{"scan", "--db", db, "--quiet", m_many} + tinyModel());
        QCOMPARE(again.exitCode, 0);
        QCOMPARE(count(db, "SELECT count(*) FROM results"), qint64(kMany));
        QCOMPARE(count(db, "SELECT sum(images_inferred) FROM scans"), qint64(kMany));
    }

    void benchEndToEndPrintsItsFigures()
    {
        // Figures are printed, never asserted: only that the benchmark runs a real scan.
        const Run run = rineCli({"bench", "--end-to-end", "--images", "6", "--batch", "2", "--seconds", "0.1",
                                 "--backbone", kTiny + "clip_tiny_traced.pt", "--head", kTiny + "rine_tiny_head.pth"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("6 images scored"), run.out.constData());
        for (const char *line : {"backbone alone", "end to end", "ratio", "texture crop", "choosing the windows", "peak memory",
                                 "31 crops in 16 passes"})
            QVERIFY2(run.out.contains(line), run.out.constData());
        // An installation that never trusted these files does not parse them for a benchmark
        // either (before, the end-to-end bench skipped the trust check).
        QTemporaryDir emptyStore;
        test::RunOptions elsewhere;
        elsewhere.env = QProcessEnvironment::systemEnvironment();
        elsewhere.env.insert(QStringLiteral("RINE_MODEL_STORE"), emptyStore.path());
        const Run refused = rineCli({"bench", "--end-to-end", "--images", "2", "--batch", "2", "--seconds", "0.1",
                                     "--backbone", kTiny + "clip_tiny_traced.pt", "--head", kTiny + "rine_tiny_head.pth"},
                                    elsewhere);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("clip_tiny_traced.pt") && refused.err.contains("--trust"), refused.err.constData());
    }

    void decodesOverTheTimeLimitFail()
    {
        // A microsecond: a decode that is not done by the time it is waited for fails, saying why
        // (a 10 x 10 PNG may be decoded before the wait begins: that one is scored). Once the
        // scan's 4 overrun decodes still run, later files are left pending for the next run.
        const QString db = m_dir.filePath("timeout.sqlite"), json = m_dir.filePath("timeout.json");
        Run run = rineCli(QStringList{"scan", "--db", db, kTiny + "images", "--decode-timeout", "0.000001", "--json", json}
                          + tinyModel());
        QVERIFY2(run.exitCode == 1, run.err.constData());
        const auto files = filesByPath(test::readAll(json), kTiny + "images");
        QCOMPARE(files.size(), std::size_t(7));
        int late = 0, deferred = 0;
        for (const auto &[path, file] : files) {
            const QString status = file.value("status").toString(), error = file.value("error").toString();
            if (status == QLatin1String("scored"))
                continue;
            if (status == QLatin1String("pending")) {
                ++deferred;
                continue;
            }
            QCOMPARE(status, QStringLiteral("failed"));
            QVERIFY2(error.contains("took longer than 1e-06 s"), qPrintable(error));
            ++late;
        }
        QVERIFY(late >= 1);
        // The summary says how many went over, the scan's budget, and what to do about deferred files.
        QVERIFY2(run.err.contains(QStringLiteral("%1 file(s) took longer to decode than --decode-timeout (1e-06 s)")
                                      .arg(late)
                                      .toUtf8()),
                 run.err.constData());
        QVERIFY2(run.err.contains("this scan lets 4 such decodes run on at once"), run.err.constData());
        if (deferred > 0)
            QVERIFY2(run.err.contains(QStringLiteral("%1 file(s) not examined").arg(deferred).toUtf8())
                         && run.err.contains("run the same command again to examine them"),
                     run.err.constData());
        run = rineCli(QStringList{"scan", "--db", db, kTiny + "images", "--decode-timeout", "-1"} + tinyModel());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--decode-timeout"), run.err.constData());
    }

    void textureCropScanExportsEachWindow()
    {
        // scan --crop texture: the case's results under the texture preprocessing, each file's
        // kept windows in the JSON and CSV exports as the published code chose and scored them.
        QFile file(QStringLiteral(RINE_TEST_DATA "/texture-crop/reference.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject coffee =
            QJsonDocument::fromJson(file.readAll()).object().value("images").toObject().value("coffee.png").toObject();
        const QString db = m_dir.filePath("texture.sqlite"), json = m_dir.filePath("texture.json"),
                      csv = m_dir.filePath("texture.csv");
        const Run run = rineCli(QStringList{"scan", "--db", db, kTiny + "images", "--crop", "texture", "--json", json,
                                            "--csv", csv} + tinyModel());
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto files = filesByPath(test::readAll(json), kTiny + "images");
        const QJsonObject score = files.at("coffee.png").value("scores").toArray().first().toObject();
        QVERIFY(std::abs(score.value("logit").toDouble() - coffee.value("logit").toDouble()) < 1e-4);
        const QJsonArray windows = score.value("windows").toArray();
        QCOMPARE(windows.size(), 10);
        for (int w = 0; w < 10; ++w)
            QCOMPARE(windows[w].toObject().value("box").toArray(), coffee.value("boxes").toArray()[w].toArray());
        QVERIFY(files.at("block.png").value("scores").toArray().first().toObject().value("windows").toArray().isEmpty());
        const QByteArray table = test::readAll(csv);
        QVERIFY(table.split('\n').first().trimmed().endsWith(",windows"));
        QVERIFY2(table.contains(",texture224x10-stride224-ghe,"), table.left(400).constData());
        QVERIFY(table.contains("224 0 448 224 7.500485"));

        // The report draws the case's windows on the detail page; --crop is not a report's to choose.
        const QString pdf = m_dir.filePath("texture.pdf");
        Run report = rineCli({"report", "--db", db, "--pdf", pdf, "--detail", kTiny + "images/coffee.png"});
        QVERIFY2(report.exitCode == 0 && QFile::exists(pdf), report.err.constData());
        report = rineCli({"report", "--db", db, "--pdf", pdf, "--crop", "texture"});
        QCOMPARE(report.exitCode, 2);
        QVERIFY2(report.err.contains("crop"), report.err.constData()); // an option report does not have
    }

    void shardsSplitTheFilesBetweenThem()
    {
        // Two shards of the reference images: each file in exactly one, the two together all 7.
        QStringList seen;
        for (int shard = 0; shard < 2; ++shard) {
            const QString db = m_dir.filePath(QStringLiteral("shard%1.sqlite").arg(shard)),
                          json = m_dir.filePath(QStringLiteral("shard%1.json").arg(shard));
            const Run run = rineCli(QStringList{"scan", "--db", db, kTiny + "images", "--shard",
                                                QStringLiteral("%1/2").arg(shard), "--json", json} + tinyModel());
            QVERIFY2(run.exitCode == 0, run.err.constData());
            for (const auto &[path, file] : filesByPath(test::readAll(json), kTiny + "images")) {
                QVERIFY2(!seen.contains(path), qPrintable(path));
                seen << path;
            }
        }
        QCOMPARE(seen.size(), 7);
        for (const char *bad : {"2/2", "-1/2", "1", "a/b", "0/0", "1/200000"}) {
            const Run run = rineCli(QStringList{"scan", "--db", m_dir.filePath("shard-bad.sqlite"), kTiny + "images",
                                                "--shard", bad} + tinyModel());
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains("--shard must be I/N"), run.err.constData());
        }
    }

    void aScratchCaseEndsAtItsDbAndIsTakenUpAgain()
    {
        // --scratch: the case is written in a local folder and moved to --db when the scan
        // returns; a second run (a requeued shard) copies --db in and carries on from it.
        QTemporaryDir scratch, shared;
        const QString db = shared.filePath("shard-0-of-2.sqlite");
        Run run = rineCli(QStringList{"scan", "--db", db, "--scratch", scratch.path(), "--shard", "0/2", kTiny + "images"}
                          + tinyModel());
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(QFile::exists(db));
        QVERIFY2(QDir(scratch.path()).entryList({"*.sqlite", "*.sqlite-wal"}, QDir::Files).isEmpty(),
                 qPrintable(QDir(scratch.path()).entryList().join(' ')));
        run = rineCli({"audit", "--db", db});
        QVERIFY2(run.exitCode == 0, run.out.constData());
        const QByteArray first = test::readAll(db);
        QVERIFY(QFile::copy(db, m_dir.filePath("first-run.sqlite")));

        run = rineCli(QStringList{"scan", "--db", db, "--scratch", scratch.path(), "--shard", "0/2", kTiny + "images"}
                      + tinyModel() + QStringList{"--json", m_dir.filePath("scratch.json")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(test::readAll(db) != first); // the second run's entries were added to it...
        const QJsonArray files = QJsonDocument::fromJson(test::readAll(m_dir.filePath("scratch.json"))).object().value("files").toArray();
        QVERIFY(!files.isEmpty());
        run = rineCli({"audit", "--db", db, "--format", "json"});
        QVERIFY2(run.exitCode == 0, run.out.constData());
        // ...to the first run's case, not to a new one: two scans in one chain.
        const QJsonArray entries = QJsonDocument::fromJson(run.out).object().value("entries").toArray();
        int started = 0;
        for (const QJsonValue &e : entries)
            started += e.toObject().value("action").toString() == QLatin1String("scan started");
        QCOMPARE(started, 2);

        // A copy a killed run left in the scratch folder, older than --db (the shard ran on
        // since, elsewhere): --db is taken up, not the stale copy.
        const QString stale = QDir(scratch.path()).filePath("shard-0-of-2.sqlite");
        QVERIFY(QFile::copy(m_dir.filePath("first-run.sqlite"), stale));
        {
            QFile file(stale);
            QVERIFY(file.open(QIODevice::ReadWrite));
            QVERIFY(file.setFileTime(QDateTime::currentDateTime().addSecs(-3600), QFileDevice::FileModificationTime));
        }
        run = rineCli(QStringList{"scan", "--db", db, "--scratch", scratch.path(), "--shard", "0/2", kTiny + "images"}
                      + tinyModel());
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("is older than"), run.err.constData());
        run = rineCli({"audit", "--db", db, "--format", "json"});
        started = 0;
        for (const QJsonValue &e : QJsonDocument::fromJson(run.out).object().value("entries").toArray())
            started += e.toObject().value("action").toString() == QLatin1String("scan started");
        QCOMPARE(started, 3);

        run = rineCli(QStringList{"scan", "--db", db, "--scratch", shared.path(), kTiny + "images"} + tinyModel());
        QCOMPARE(run.exitCode, 2); // the scratch folder is --db's own
        run = rineCli(QStringList{"scan", "--db", db, "--scratch", shared.filePath("none"), kTiny + "images"} + tinyModel());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("is not a folder"), run.err.constData());
    }

    void aCaseIsNeverWrittenInsideTheScannedFolder()
    {
        // --db inside the folder (directly, in a subfolder, or through a link to it): refused
        // before anything is created there (issue 19, item 6).
        QTemporaryDir evidence;
        QVERIFY(QFile::copy(kTiny + "images/logo.png", evidence.filePath(QStringLiteral("logo.png"))));
        QVERIFY(QDir().mkpath(evidence.filePath(QStringLiteral("sub"))));
        QTemporaryDir elsewhere;
        QVERIFY(QFile::link(evidence.path(), elsewhere.filePath(QStringLiteral("link"))));
        auto listing = [&] {
            QStringList names;
            QDirIterator it(evidence.path(), QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot,
                            QDirIterator::Subdirectories);
            while (it.hasNext())
                names << it.next();
            names.sort();
            return names;
        };
        const QStringList before = listing();
        for (const QString &db : {evidence.filePath(QStringLiteral("case.sqlite")),
                                  evidence.filePath(QStringLiteral("sub/case.sqlite")),
                                  elsewhere.filePath(QStringLiteral("link/case.sqlite"))}) {
            const Run run = rineCli(QStringList{"scan", "--db", db, evidence.path()} + tinyModel());
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains("inside") && run.err.contains("keep the case elsewhere"), run.err.constData());
            QCOMPARE(listing(), before);
        }
        // Beside the folder is fine.
        const Run run = rineCli(QStringList{"scan", "--db", elsewhere.filePath(QStringLiteral("case.sqlite")),
                                            evidence.path()} + tinyModel());
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(listing(), before);
    }

    void badDatabasesGiveClearMessages()
    {
        const QString text = test::writeFile(m_dir, "report.sqlite", "not a database");
        Run run = rineCli(QStringList{"scan", "--db", text, m_many} + tinyModel());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("report.sqlite") && run.err.contains("not a RINE Studio case database"),
                 run.err.constData());
        QCOMPARE(test::readAll(text), QByteArray("not a database")); // left as it was

        run = rineCli({"results", "--db", m_dir.filePath("missing.sqlite")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("missing.sqlite"), run.err.constData());

        run = rineCli(QStringList{"scan", m_many} + tinyModel());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--db"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliScan)
#include "tst_cli_scan.moc"
