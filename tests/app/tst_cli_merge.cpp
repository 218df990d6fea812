// rine-cli merge end to end: the shards of a hostile folder merged into one case equal to an
// unsharded scan of it (files in walk order, statuses, contents once, logits, walk events),
// with each shard's audit chain head recorded; shards of different models or preprocessing,
// an index given twice, something that is not a shard and an existing target refused;
// missing, tampered and garbage shards refused unless --allow-partial, which records them and
// leaves a scan that an unsharded scan of the same folder completes.

#include "HostileFolder.h"
#include "RunCli.h"
#include "TestFiles.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace rine;

namespace {

const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");

using test::Run;

// As root (CI), the unreadable file must be unreadable to rine-cli too.
Run rineCli(const QStringList &arguments) { return test::rineCli(arguments, {{}, {}, true}); }

QStringList tinyModel(const QString &head = kTiny + "rine_tiny_head.pth")
{
    return {"--backbone", kTiny + "clip_tiny_traced.pt", "--head", head, "--device", "cpu", "--trust", "--quiet"};
}

QJsonObject json(const QByteArray &bytes) { return QJsonDocument::fromJson(bytes).object(); }

// The merged case's "shards merged" audit entry.
QJsonObject mergeEntry(const QString &db)
{
    const Run audit = rineCli({"audit", "--db", db, "--format", "json"});
    for (const QJsonValue &entry : json(audit.out).value("entries").toArray())
        if (entry.toObject().value("action").toString() == QLatin1String("shards merged"))
            return entry.toObject().value("details").toObject();
    return {};
}

void execOn(const QString &db, const QString &sql)
{
    {
        QSqlDatabase connection = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper"));
        connection.setDatabaseName(db);
        QVERIFY(connection.open());
        QSqlQuery query(connection);
        QVERIFY2(query.exec(sql), qPrintable(sql));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("tamper"));
}

} // namespace

class TestCliMerge : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    test::HostileFolder m_hostile;
    QJsonObject m_whole; // rine-cli results of an unsharded scan of the hostile folder
    QStringList m_shards; // 3 shards of it

    QString path(const QString &name) const { return m_dir.filePath(name); }

    QString scanShard(const QString &name, const QString &shard, const QStringList &extra = {})
    {
        const QString db = path(name);
        const Run run = rineCli(QStringList{"scan", "--db", db, "--shard", shard, m_hostile.root} + tinyModel() + extra);
        // 1: the hostile folder has files that fail and a folder that cannot be read.
        if (run.exitCode != 1 && run.exitCode != 0)
            qWarning("%s", run.err.constData());
        return db;
    }

    // Files, statuses, SHA-256s, errors and logits as an unsharded scan has them, in its order.
    void compareWithWhole(const QJsonObject &merged)
    {
        const QJsonArray a = m_whole.value("files").toArray(), b = merged.value("files").toArray();
        QCOMPARE(b.size(), a.size());
        for (qsizetype i = 0; i < a.size(); ++i) {
            const QJsonObject x = a[i].toObject(), y = b[i].toObject();
            const QString name = x.value("path").toString();
            QCOMPARE(y.value("path").toString(), name); // walk order
            QCOMPARE(y.value("status").toString(), x.value("status").toString());
            QCOMPARE(y.value("sha256").toString(), x.value("sha256").toString());
            QCOMPARE(y.value("error").toString(), x.value("error").toString());
            const QJsonArray sx = x.value("scores").toArray(), sy = y.value("scores").toArray();
            QCOMPARE(sy.size(), sx.size());
            for (qsizetype k = 0; k < sx.size(); ++k) {
                // Equal up to the last bits: a shard batches other images together.
                const double lx = sx[k].toObject().value("logit").toDouble(), ly = sy[k].toObject().value("logit").toDouble();
                QVERIFY2(std::abs(lx - ly) < 1e-5, qPrintable(QStringLiteral("%1: %2 vs %3").arg(name).arg(lx).arg(ly)));
            }
        }
        QCOMPARE(merged.value("walk_events").toArray().size(), m_whole.value("walk_events").toArray().size());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QDir().mkpath(path("hostile"));
        m_hostile = test::makeHostileFolder(path("hostile"), kTiny + "images");
        const Run whole = rineCli(QStringList{"scan", "--db", path("whole.sqlite"), m_hostile.root} + tinyModel());
        QCOMPARE(whole.exitCode, 1);
        m_whole = json(rineCli({"results", "--db", path("whole.sqlite")}).out);
        QCOMPARE(m_whole.value("files").toArray().size(), qsizetype(m_hostile.files.size()));
        for (int i = 0; i < 3; ++i)
            m_shards << scanShard(QStringLiteral("shard%1.sqlite").arg(i), QStringLiteral("%1/3").arg(i));
    }

    void cleanupTestCase() { m_hostile.restorePermissions(); }

    void mergedShardsEqualAnUnshardedScan()
    {
        const QString db = path("merged.sqlite");
        const Run run = rineCli(QStringList{"merge", "--db", db} + m_shards);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("3 of 3 shards") && run.err.contains("scan completed"), run.err.constData());
        const QJsonObject merged = json(rineCli({"results", "--db", db}).out);
        compareWithWhole(merged);
        // Each distinct content once, however many shards held it.
        QSet<QString> distinct;
        for (const QJsonValue &f : m_whole.value("files").toArray())
            if (!f.toObject().value("sha256").toString().isEmpty())
                distinct.insert(f.toObject().value("sha256").toString());
        const QJsonObject details = mergeEntry(db);
        QCOMPARE(details.value("merged").toObject().value("contents").toInt(), int(distinct.size()));

        // The merged case verifies, and records each shard's chain head as the shard has it.
        Run audit = rineCli({"audit", "--db", db});
        QVERIFY2(audit.exitCode == 0, audit.err.constData());
        const QJsonArray shards = details.value("shards").toArray();
        QCOMPARE(shards.size(), 3);
        for (int i = 0; i < 3; ++i) {
            const QJsonObject shard = shards[i].toObject();
            QCOMPARE(shard.value("shard").toString(), QStringLiteral("%1/3").arg(i));
            const QJsonObject own = json(rineCli({"audit", "--db", m_shards[i], "--format", "json"}).out);
            QCOMPARE(shard.value("audit").toObject().value("head").toString(),
                     own.value("integrity").toObject().value("chain_head").toString());
            QCOMPARE(shard.value("file_sha256").toString(),
                     QString::fromLatin1(QCryptographicHash::hash(test::readAll(m_shards[i]), QCryptographicHash::Sha256).toHex()));
            QVERIFY(shard.value("settings").toObject().contains("precision"));
            QVERIFY(!shard.value("runtime").toObject().value("libtorch").toString().isEmpty());
            QCOMPARE(shard.value("models").toArray().size(), 2);
        }
        // It reports like any other case.
        const Run report = rineCli({"report", "--db", db, "--pdf", path("merged.pdf"), "--csv", path("merged.csv")});
        QVERIFY2(report.exitCode == 0, report.err.constData());
        QVERIFY(QFileInfo(path("merged.pdf")).size() > 1000);

        // merge writes a new case only.
        const QByteArray before = test::readAll(db);
        const Run again = rineCli(QStringList{"merge", "--db", db} + m_shards);
        QCOMPARE(again.exitCode, 2);
        QVERIFY2(again.err.contains("exists"), again.err.constData());
        QCOMPARE(test::readAll(db), before);
    }

    void textureWindowsAndCachedFeaturesAreMergedWithTheirResults()
    {
        // TextureCrop's kept windows and the cached features travel with each result.
        const QStringList options{"--crop", "texture", "--cache-features"};
        const QString images = kTiny + "images";
        Run run = rineCli(QStringList{"scan", "--db", path("tex-whole.sqlite"), images} + tinyModel() + options);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QStringList shards;
        for (int i = 0; i < 2; ++i) {
            shards << path(QStringLiteral("tex%1.sqlite").arg(i));
            run = rineCli(QStringList{"scan", "--db", shards.last(), "--shard", QStringLiteral("%1/2").arg(i), images}
                          + tinyModel() + options);
            QVERIFY2(run.exitCode == 0, run.err.constData());
        }
        run = rineCli(QStringList{"merge", "--db", path("tex-merged.sqlite")} + shards);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(mergeEntry(path("tex-merged.sqlite")).value("merged").toObject().value("features").toInt(), 7);
        const QJsonArray a = json(rineCli({"results", "--db", path("tex-whole.sqlite")}).out).value("files").toArray();
        const QJsonArray b = json(rineCli({"results", "--db", path("tex-merged.sqlite")}).out).value("files").toArray();
        QCOMPARE(b.size(), 7);
        QCOMPARE(b.size(), a.size());
        qsizetype windows = 0;
        for (qsizetype i = 0; i < a.size(); ++i) {
            const QJsonArray wa = a[i].toObject().value("scores").toArray()[0].toObject().value("windows").toArray();
            const QJsonArray wb = b[i].toObject().value("scores").toArray()[0].toObject().value("windows").toArray();
            QCOMPARE(wb.size(), wa.size()); // 10, or none for an image under 224 px (the center crop)
            windows += wb.size();
            for (qsizetype k = 0; k < wa.size(); ++k) {
                QCOMPARE(wb[k].toObject().value("x").toInt(), wa[k].toObject().value("x").toInt());
                QCOMPARE(wb[k].toObject().value("y").toInt(), wa[k].toObject().value("y").toInt());
                QVERIFY(std::abs(wb[k].toObject().value("logit").toDouble() - wa[k].toObject().value("logit").toDouble()) < 1e-5);
            }
        }
        QCOMPARE(windows, 60); // six of the seven images are 224 px or more
        QCOMPARE(rineCli({"audit", "--db", path("tex-merged.sqlite")}).exitCode, 0);
    }

    void shardsOfDifferentScansAreRefused()
    {
        // Another head, another crop, another shard count: refused even with --allow-partial.
        const QString otherHead = scanShard("head-b.sqlite", "1/3", {"--head", QStringLiteral(RINE_TEST_DATA "/rine_tiny_head_b.pth")});
        const QString otherCrop = scanShard("ten.sqlite", "1/3", {"--crop", "ten"});
        const QString otherCount = scanShard("of2.sqlite", "1/2");
        const struct {
            QString shard;
            const char *says;
        } cases[] = {{otherHead, "heads (SHA-256) differ"},
                     {otherCrop, "preprocessing (crop) differ"},
                     {otherCount, "not shards of the same scan"}};
        for (const auto &c : cases)
            for (const bool partial : {false, true}) {
                const QString db = path("refused.sqlite");
                QStringList args{"merge", "--db", db, m_shards[0], c.shard, m_shards[2]};
                if (partial)
                    args << "--allow-partial";
                const Run run = rineCli(args);
                QCOMPARE(run.exitCode, 2);
                QVERIFY2(run.err.contains(c.says), run.err.constData());
                QVERIFY(!QFile::exists(db));
                QCOMPARE(QDir(m_dir.path()).entryList({"refused.sqlite*"}).size(), 0); // no temporary left
            }
        // The same shard twice (a copy), and a case that is not a shard.
        QVERIFY(QFile::copy(m_shards[1], path("copy.sqlite")));
        Run run = rineCli({"merge", "--db", path("refused.sqlite"), m_shards[0], m_shards[1], path("copy.sqlite"), m_shards[2]});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("are both shard 1 of 3"), run.err.constData());
        run = rineCli({"merge", "--db", path("refused.sqlite"), m_shards[0], m_shards[1], m_shards[1]});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("given twice"), run.err.constData());
        run = rineCli({"merge", "--db", path("refused.sqlite"), "--allow-partial", path("whole.sqlite"), m_shards[0]});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("not a shard"), run.err.constData());
        QVERIFY(!QFile::exists(path("refused.sqlite")));
    }

    void missingOrUnverifiableShardsNeedAllowPartial()
    {
        // Shard 1 tampered with (one logit changed), shard 2 missing, and a file that is not a
        // case named as a shard.
        const QString tampered = path("tampered.sqlite");
        QVERIFY(QFile::copy(m_shards[1], tampered));
        execOn(tampered, "UPDATE results SET logit = logit + 1 WHERE id = (SELECT min(id) FROM results)");
        const QString garbage = test::writeFile(m_dir, "garbage.sqlite", "<script>not a case</script>");
        const QString db = path("partial.sqlite");
        Run run = rineCli({"merge", "--db", db, m_shards[0], tampered});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("shards 1, 2 of 3 missing") && run.err.contains("does not verify")
                     && run.err.contains("--allow-partial"),
                 run.err.constData());
        QVERIFY(!QFile::exists(db));

        run = rineCli({"merge", "--db", db, "--allow-partial", m_shards[0], tampered, garbage});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("partial") && run.err.contains("tampered.sqlite")
                     && run.err.contains("garbage.sqlite"),
                 run.err.constData());
        const QJsonObject details = mergeEntry(db);
        QCOMPARE(details.value("missing_shards").toArray(), (QJsonArray{1, 2}));
        QCOMPARE(details.value("left_out").toArray().size(), 2);
        QVERIFY(details.value("allow_partial").toBool());
        QCOMPARE(rineCli({"audit", "--db", db}).exitCode, 0);
        const QJsonObject partial = json(rineCli({"results", "--db", db}).out);
        QCOMPARE(partial.value("scan").toObject().value("state").toString(), QStringLiteral("incomplete"));
        QVERIFY(partial.value("files").toArray().size() < m_whole.value("files").toArray().size());

        // An unsharded scan of the same folder into the merged case completes it.
        run = rineCli(QStringList{"scan", "--db", db, m_hostile.root} + tinyModel());
        QVERIFY2(run.exitCode == 1, run.err.constData());
        const QJsonObject completed = json(rineCli({"results", "--db", db}).out);
        QCOMPARE(completed.value("scan").toObject().value("state").toString(), QStringLiteral("completed"));
        QCOMPARE(completed.value("scan").toObject().value("id").toInt(), partial.value("scan").toObject().value("id").toInt());
        const QJsonArray a = m_whole.value("files").toArray(), b = completed.value("files").toArray();
        QCOMPARE(b.size(), a.size());
        QSet<QString> paths;
        for (const QJsonValue &f : b)
            paths.insert(f.toObject().value("path").toString() + f.toObject().value("status").toString());
        for (const QJsonValue &f : a)
            QVERIFY2(paths.contains(f.toObject().value("path").toString() + f.toObject().value("status").toString()),
                     qPrintable(f.toObject().value("path").toString()));
    }
};

QTEST_GUILESS_MAIN(TestCliMerge)
#include "tst_cli_merge.moc"
