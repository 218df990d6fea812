// rine-cli models against a loopback HTTP server this test starts: fetch verified against
// the manifest's hash, a hash pinned on first download, wrong bytes, 404, verify, list,
// remove and import.

#include "LoopbackHttpServer.h"
#include "RunCli.h"
#include "TestFiles.h"

#include <QDir>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rine;

class TestCliModels : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    test::LoopbackHttpServer m_server;
    QString m_store;

    // Runs rine-cli while this test's event loop keeps serving HTTP.
    test::Run models(const QStringList &arguments)
    {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("RINE_MODEL_STORE", m_store);
        process.setProcessEnvironment(env);
        QSignalSpy done(&process, &QProcess::finished);
        process.start(QStringLiteral(RINE_CLI), QStringList{"models"} + arguments);
        if (!QTest::qWaitFor([&] { return done.count() > 0; }, 60000))
            return {};
        return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1, process.readAllStandardOutput(),
                process.readAllStandardError()};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath("store");
        m_server.route("/rine_2class.pth").body = test::readAll(RINE_SOURCE_MODELS "/rine_2class.pth");
        m_server.route("/corrupt.pth").body = QByteArray(1139686, 'x');
        m_server.route("/tiny_head.pth").body = test::readAll(RINE_TEST_DATA "/reference-tiny/rine_tiny_head.pth");
        m_server.route("/missing.pth").status = 404;
        m_server.route("/spai.pth").body = test::readAll(RINE_TEST_DATA "/spai-tiny/spai_tiny_checkpoint.pth");
        // What a file host sends instead of a large file when it wants a browser to confirm.
        m_server.route("/drive.html").body =
            "<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>"
            "<form action=\"https://drive.usercontent.google.com/download\"></form></body></html>";
    }

    void fetchVerifiesAgainstTheManifest()
    {
        test::Run run = models({"fetch", "rine-2class", "--url", m_server.url("/rine_2class.pth")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("installed") && run.out.contains("680d301b6d191da85b9dabcebf42cd3df20c5c669fa8320c498f835d02bf5ccb"),
                 run.out.constData());
        QCOMPARE(test::readAll(m_store + "/rine_2class.pth"), test::readAll(RINE_SOURCE_MODELS "/rine_2class.pth"));

        run = models({"fetch", "rine-2class", "--url", m_server.url("/corrupt.pth")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("not the expected one") && run.err.contains("kept aside"), run.err.constData());
        // The good copy installed before is untouched.
        QCOMPARE(test::readAll(m_store + "/rine_2class.pth"), test::readAll(RINE_SOURCE_MODELS "/rine_2class.pth"));

        run = models({"fetch", "rine-2class", "--url", m_server.url("/missing.pth")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("404"), run.err.constData());
    }

    void openHashesArePinnedOnFirstDownload()
    {
        // A mirror does not decide what a hashless model is, unless the user pins its copy.
        test::Run run = models({"fetch", "rine-1class", "--url", m_server.url("/tiny_head.pth")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("no published SHA-256") && run.err.contains("--trust"), run.err.constData());
        QVERIFY(!QFile::exists(m_store + "/rine_1class.pth"));
        run = models({"fetch", "rine-1class", "--url", m_server.url("/tiny_head.pth"), "--trust"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("pinned"), run.err.constData());
        QVERIFY(test::readAll(m_store + "/trust.json").contains("pinned on first download"));

        run = models({"verify", "rine-1class"});
        QVERIFY2(run.exitCode == 0 && run.out.contains("rine-1class: ok"), run.out.constData());
        run = models({"list"});
        QVERIFY2(run.out.contains("store: " + (m_store + "/rine_1class.pth").toUtf8()), run.out.constData());

        // A damaged copy fails verification.
        QFile file(m_store + "/rine_1class.pth");
        QVERIFY(file.open(QIODevice::ReadWrite));
        file.seek(100);
        file.write("XXXX");
        file.close();
        run = models({"verify", "rine-1class"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains("MISMATCH"), run.out.constData());

        // Remove, then import the right file: it must match the pinned hash.
        QCOMPARE(models({"remove", "rine-1class"}).exitCode, 0);
        QVERIFY(!QFile::exists(m_store + "/rine_1class.pth"));
        run = models({"import", RINE_TEST_DATA "/rine_tiny_head_b.pth", "--as", "rine-1class"});
        QCOMPARE(run.exitCode, 1); // not the pinned file
        run = models({"import", RINE_TEST_DATA "/reference-tiny/rine_tiny_head.pth", "--as", "rine-1class"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(QFile::exists(m_store + "/rine_1class.pth"));
        // A model whose hash the manifest does not publish: refused before the file is parsed,
        // unless the user pins it with --trust.
        run = models({"import", RINE_TEST_DATA "/rine_tiny_head_b.pth", "--as", "rine-ldm"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("no published SHA-256") && run.err.contains("--trust"), run.err.constData());
        QVERIFY(!QFile::exists(m_store + "/rine_ldm.pth"));
        run = models({"import", RINE_TEST_DATA "/rine_tiny_head_b.pth", "--as", "rine-ldm", "--trust"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(QFile::exists(m_store + "/rine_ldm.pth"));
    }

    // SPAI: listed with the third party's record marked unverified; a web page in place of the
    // weights is never pinned; the first verified download is pinned, and an import of another
    // file is then refused.
    void spaiIsPinnedOnItsFirstVerifiedDownload()
    {
        test::Run run = models({"list"});
        QVERIFY2(run.out.contains("spai (detector)") && run.out.contains("recorded by a third party, UNVERIFIED: 934865338 bytes"),
                 run.out.constData());
        QVERIFY2(run.out.contains("drive.usercontent.google.com"), run.out.constData());

        run = models({"fetch", "spai", "--url", m_server.url("/drive.html"), "--trust"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("web page") && run.err.contains("drive.google.com/file/d/") && run.err.contains("kept aside"),
                 run.err.constData());
        QVERIFY(!QFile::exists(m_store + "/spai.pth"));
        QVERIFY(!test::readAll(m_store + "/trust.json").contains("spai.pth"));
        QCOMPARE(QDir(m_store).entryList({"spai.pth.rejected-*"}).size(), 1);

        // A RINE head is not SPAI: its tensors say so.
        run = models({"import", RINE_TEST_DATA "/rine_tiny_head_b.pth", "--as", "spai", "--trust"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY(!QFile::exists(m_store + "/spai.pth"));

        run = models({"fetch", "spai", "--url", m_server.url("/spai.pth"), "--trust"});
        QVERIFY2(run.exitCode == 0 && run.err.contains("pinned"), run.err.constData());
        QCOMPARE(test::readAll(m_store + "/spai.pth"), test::readAll(RINE_TEST_DATA "/spai-tiny/spai_tiny_checkpoint.pth"));
        run = models({"list"});
        QVERIFY2(run.out.contains("store: " + (m_store + "/spai.pth").toUtf8()), run.out.constData());
        // The state dict holds the same weights but is another file: not the pinned one.
        run = models({"import", RINE_TEST_DATA "/spai-tiny/spai_tiny_state_dict.pt", "--as", "spai", "--trust"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("is not that of spai"), run.err.constData());
        run = models({"verify", "spai"});
        QVERIFY2(run.exitCode == 0 && run.out.contains("spai: ok"), run.out.constData());
    }

    void badUsageExitsTwo()
    {
        QCOMPARE(models({"fetch", "no-such-model"}).exitCode, 2);
        QCOMPARE(models({"import", "x.pth"}).exitCode, 2);
        QCOMPARE(models({"frobnicate"}).exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestCliModels)
#include "tst_cli_models.moc"
