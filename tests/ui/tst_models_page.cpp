// The Models page driven through the real window, offscreen, against a loopback HTTP server
// this test starts (never the network): a download whose hash the manifest leaves open is
// installed and pinned; wrong bytes for a known hash are rejected and kept aside; a slow
// download is cancelled, then resumed with an HTTP Range; 404; verify, import, remove; and
// Set active reloads the detector with the chosen head. Hashes are computed here with
// QCryptographicHash, the backbone's is the one OpenAI publishes.

#include "JobSpy.h"
#include "RichTextProbe.h"
#include "EngineController.h"
#include "LoopbackHttpServer.h"
#include "MainWindow.h"
#include "ModelsPage.h"
#include "catalog/ModelStore.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QTest>
#include <QTextBrowser>

#include <random>

using namespace rine;

namespace {

const QString kData = QStringLiteral(RINE_TEST_DATA "/reference-tiny");
const QString kBackboneSha = QStringLiteral("b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836");

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return file.readAll();
}

QString sha(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

} // namespace

class TestModelsPage : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_home;
    test::LoopbackHttpServer m_server;
    const QByteArray m_head = readAll(kData + QStringLiteral("/rine_tiny_head.pth"));

    static int row(ModelsPage *page, const QString &name)
    {
        for (int r = 0; r < page->state().models.size(); ++r)
            if (page->state().models[r].installed.model.name == name)
                return r;
        return -1;
    }
    static QString status(ModelsPage *page, const QString &name)
    {
        return page->table()->item(row(page, name), 2)->text();
    }
    static QPushButton *button(ModelsPage *page, const char *name)
    {
        return page->findChild<QPushButton *>(QString::fromLatin1(name));
    }
    static QString message(ModelsPage *page) { return page->findChild<QLabel *>(QStringLiteral("modelsMessage"))->text(); }

    // Runs an action and waits for its end.
    template <typename Start>
    static ModelAction act(MainWindow &window, Start start)
    {
        test::JobSpy done(window.engine(), Job::Kind::ModelAction);
        QSignalSpy listed(window.engine(), &EngineController::modelsChanged);
        start();
        if (!QTest::qWaitFor([&] { return !done.isEmpty(); }, 60000))
            qFatal("the model action did not end");
        if (listed.isEmpty())
            listed.wait(10000); // the fresh state that follows every action
        return actionOf(done.first());
    }

    // A model-folder job's end as the action it reports (failed: its message).
    static ModelAction actionOf(const test::JobSpy::End &end)
    {
        if (end.state != Job::State::Failed)
            return end.as<ModelAction>();
        ModelAction failed;
        failed.message = end.error;
        return failed;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("HOME", m_home.path().toUtf8()); // no CLIP cache of this machine's user
        QStandardPaths::setTestModeEnabled(true);
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).removeRecursively();
        QSettings().clear();
        QDir(ModelStore::defaultDir()).removeRecursively();
        // The tiny test model is not in the manifest: trusted here as a user would.
        ModelStore store;
        for (const QString &file : {QStringLiteral("/clip_tiny_traced.pt"), QStringLiteral("/rine_tiny_head.pth")})
            QVERIFY(store.trust({sha(readAll(kData + file)), kData + file, QStringLiteral("trusted by the user (test)"),
                                 QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}));
        m_server.route("/tiny_head.pth").body = m_head;
        m_server.route("/junk.pt").body = QByteArray(200000, 'j');
        m_server.route("/slow.pth").body = m_head;
        m_server.route("/slow.pth").trickleBytes = 2000;
        m_server.route("/missing.pth").status = 404;
        m_server.route("/spai.pth").body = readAll(QStringLiteral(RINE_TEST_DATA "/spai-tiny/spai_tiny_checkpoint.pth"));
        m_server.route("/drive.html").body = "<!DOCTYPE html><html><head><title>Virus scan warning</title></head></html>";
    }

    void managesTheModelFolder()
    {
        StudioOptions options;
        options.backbone = kData + QStringLiteral("/clip_tiny_traced.pt");
        options.heads = {kData + QStringLiteral("/rine_tiny_head.pth")};
        options.device = DeviceChoice::Cpu;
        MainWindow window(options);
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasModel(), 60000);
        ModelsPage *page = window.modelsPage();
        window.findChild<QAction *>(QStringLiteral("actionModelsPage"))->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(page->state().models.size() == 6, 10000);

        // What the manifest knows, and where each file is.
        QCOMPARE(status(page, QStringLiteral("rine-2class")), QStringLiteral("Bundled"));
        QCOMPARE(status(page, QStringLiteral("ViT-L-14")), QStringLiteral("Not installed"));
        QCOMPARE(page->table()->item(row(page, QStringLiteral("ViT-L-14")), 4)->toolTip(), kBackboneSha);
        page->select(QStringLiteral("ViT-L-14"));
        QVERIFY(button(page, "downloadButton")->isEnabled());
        QVERIFY(!button(page, "verifyButton")->isEnabled());
        QVERIFY(!button(page, "activateButton")->isEnabled());
        page->select(QStringLiteral("rine-2class"));
        QVERIFY(!button(page, "downloadButton")->isEnabled()); // bundled
        QVERIFY(!button(page, "removeButton")->isEnabled());

        // Wrong bytes for a published hash: rejected, kept aside, never installed.
        ModelAction action = act(window, [&] { emit page->fetchRequested(QStringLiteral("ViT-L-14"), m_server.url("/junk.pt"), false); });
        QVERIFY(!action.ok);
        QVERIFY2(action.message.contains(kBackboneSha) || action.message.contains(QStringLiteral("SHA-256")),
                 qPrintable(action.message));
        QVERIFY(message(page).contains(QStringLiteral("SHA-256")));
        QVERIFY(!QFile::exists(ModelStore().dir() + QStringLiteral("/ViT-L-14.pt")));
        QVERIFY2(status(page, QStringLiteral("ViT-L-14")).contains(QStringLiteral("1 rejected download")),
                 qPrintable(status(page, QStringLiteral("ViT-L-14"))));

        // 404 says so.
        action = act(window, [&] { emit page->fetchRequested(QStringLiteral("rine-ldm"), m_server.url("/missing.pth"), true); });
        QVERIFY(!action.ok);
        QVERIFY2(action.message.contains(QStringLiteral("404")), qPrintable(action.message));
        QCOMPARE(status(page, QStringLiteral("rine-ldm")), QStringLiteral("Not installed"));

        // A head whose hash the manifest leaves open, from an address other than its authors':
        // refused unless the user pins that copy (the dialog's Yes), before anything is fetched.
        const int requestsBefore = m_server.route("/tiny_head.pth").ranges.size();
        action = act(window, [&] { emit page->fetchRequested(QStringLiteral("rine-1class"), m_server.url("/tiny_head.pth"), false); });
        QVERIFY(!action.ok);
        QVERIFY2(action.message.contains(QStringLiteral("no published SHA-256")) && action.message.contains(QStringLiteral("the application asks")),
                 qPrintable(action.message));
        QCOMPARE(m_server.route("/tiny_head.pth").ranges.size(), requestsBefore);
        QVERIFY(!QFile::exists(ModelStore().dir() + QStringLiteral("/rine_1class.pth")));
        QCOMPARE(status(page, QStringLiteral("rine-1class")), QStringLiteral("Not installed"));
        // Pinned on purpose: installed, its hash pinned and listed.
        action = act(window, [&] { emit page->fetchRequested(QStringLiteral("rine-1class"), m_server.url("/tiny_head.pth"), true); });
        QVERIFY2(action.ok, qPrintable(action.message));
        QVERIFY(action.message.contains(QStringLiteral("pinned")));
        const QString installed = ModelStore().dir() + QStringLiteral("/rine_1class.pth");
        QCOMPARE(readAll(installed), m_head);
        QCOMPARE(status(page, QStringLiteral("rine-1class")), QStringLiteral("Installed"));
        auto *trusted = page->findChild<QTableWidget *>(QStringLiteral("trustedTable"));
        bool pinned = false;
        for (int r = 0; r < trusted->rowCount(); ++r)
            pinned |= trusted->item(r, 0)->text() == sha(m_head)
                   && trusted->item(r, 1)->text().startsWith(QStringLiteral("pinned on first download from http://127.0.0.1"));
        QVERIFY(pinned); // although the same bytes were trusted elsewhere before: the pin is its own record

        // SPAI: the third party's record shown as such; a web page in place of the weights is
        // rejected and nothing pinned; the checkpoint is pinned.
        page->select(QStringLiteral("spai"));
        const QString details = page->findChild<QTextBrowser *>(QStringLiteral("modelDetails"))->toPlainText();
        QVERIFY2(details.contains(QStringLiteral("unverified")) && details.contains(QStringLiteral("934865338")), qPrintable(details));
        action = act(window, [&] { emit page->fetchRequested(QStringLiteral("spai"), m_server.url("/drive.html"), true); });
        QVERIFY(!action.ok);
        QVERIFY2(action.message.contains(QStringLiteral("web page")), qPrintable(action.message));
        QVERIFY(!QFile::exists(ModelStore().dir() + QStringLiteral("/spai.pth")));
        action = act(window, [&] { emit page->fetchRequested(QStringLiteral("spai"), m_server.url("/spai.pth"), true); });
        QVERIFY2(action.ok && action.message.contains(QStringLiteral("pinned")), qPrintable(action.message));
        QCOMPARE(status(page, QStringLiteral("spai")), QStringLiteral("Installed - 1 rejected download(s) kept aside"));
        // Set active: SPAI runs beside RINE from this file (pinned, so no dialog), and Settings
        // remember it.
        page->select(QStringLiteral("spai"));
        QVERIFY(button(page, "activateButton")->isEnabled());
        {
            test::JobSpy loaded(window.engine(), Job::Kind::LoadModel);
            button(page, "activateButton")->click();
            QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
            QTRY_VERIFY(window.engine()->hasModel());
            QVERIFY(window.engine()->spai());
            const QString spaiFile = ModelStore().dir() + QStringLiteral("/spai.pth");
            QCOMPARE(QString::fromStdString(window.engine()->spai()->sha256()),
                     sha(readAll(QStringLiteral(RINE_TEST_DATA "/spai-tiny/spai_tiny_checkpoint.pth"))));
            QVERIFY(QSettings().value(QStringLiteral("detectors/spai")).toBool());
            QCOMPARE(QSettings().value(QStringLiteral("detectors/spai_weights")).toString(), spaiFile);
            QTRY_VERIFY(status(page, QStringLiteral("spai")).contains(QStringLiteral("in use")));
        }

        // Verify hashes the file again.
        page->select(QStringLiteral("rine-1class"));
        QVERIFY(button(page, "verifyButton")->isEnabled());
        action = act(window, [&] { button(page, "verifyButton")->click(); });
        QVERIFY2(action.ok, qPrintable(action.message));
        QVERIFY(action.message.contains(sha(m_head)));

        // Set active: the detector is loaded again with this head, and it is remembered.
        QVERIFY(button(page, "activateButton")->isEnabled());
        test::JobSpy loaded(window.engine(), Job::Kind::LoadModel);
        button(page, "activateButton")->click();
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
        QTRY_VERIFY(window.engine()->hasModel());
        QCOMPARE(QString::fromStdString(window.engine()->modelInfo().heads.front().path), installed);
        QCOMPARE(QString::fromStdString(window.engine()->modelInfo().heads.front().sha256), sha(m_head));
        QCOMPARE(QSettings().value(QStringLiteral("models/head")).toString(), installed);
        QTRY_COMPARE(status(page, QStringLiteral("rine-1class")), QStringLiteral("Installed - in use"));
        page->select(QStringLiteral("rine-1class"));
        QVERIFY(!button(page, "removeButton")->isEnabled()); // in use

        // A slow download, cancelled: what arrived is kept, and the next one resumes from it.
        page->select(QStringLiteral("rine-4class"));
        test::JobSpy done(window.engine(), Job::Kind::ModelAction);
        emit page->fetchRequested(QStringLiteral("rine-4class"), m_server.url("/slow.pth"), true);
        QTRY_VERIFY_WITH_TIMEOUT(done.progress().size() >= 2, 30000);
        auto *bar = page->findChild<QProgressBar *>(QStringLiteral("downloadProgress"));
        QVERIFY(bar->isVisible());
        QVERIFY2(bar->format().contains(QStringLiteral("/s")), qPrintable(bar->format()));
        QVERIFY(button(page, "cancelDownloadButton")->isVisible());
        button(page, "cancelDownloadButton")->click();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        action = actionOf(done.first());
        QVERIFY(action.cancelled && !action.ok);
        QTRY_VERIFY(status(page, QStringLiteral("rine-4class")).contains(QStringLiteral("Download resumes")));
        page->select(QStringLiteral("rine-4class"));
        QCOMPARE(button(page, "downloadButton")->text(), QStringLiteral("Resume download"));
        const qint64 kept = QFileInfo(ModelStore().dir() + QStringLiteral("/rine_4class.pth.part")).size();
        QVERIFY(kept > 0 && kept < m_head.size());

        m_server.route("/slow.pth").trickleBytes = 0;
        action = act(window, [&] { emit page->fetchRequested(QStringLiteral("rine-4class"), m_server.url("/slow.pth"), true); });
        QVERIFY2(action.ok, qPrintable(action.message));
        QVERIFY(action.message.contains(QStringLiteral("resumed")));
        QVERIFY(m_server.route("/slow.pth").ranges.last().startsWith("bytes="));
        QCOMPARE(readAll(ModelStore().dir() + QStringLiteral("/rine_4class.pth")), m_head);

        // Remove deletes it from the model folder.
        page->select(QStringLiteral("rine-4class"));
        QVERIFY(button(page, "removeButton")->isEnabled());
        action = act(window, [&] { button(page, "removeButton")->click(); });
        QVERIFY2(action.ok, qPrintable(action.message));
        QVERIFY(!QFile::exists(ModelStore().dir() + QStringLiteral("/rine_4class.pth")));
        QCOMPARE(status(page, QStringLiteral("rine-4class")), QStringLiteral("Not installed"));

        // A model whose hash the manifest leaves open is not imported unless the user pins the
        // file (the dialog's Yes); then it is copied and its hash pinned.
        action = act(window, [&] { emit page->importRequested(kData + QStringLiteral("/rine_tiny_head.pth"), QStringLiteral("rine-ldm"), false); });
        QVERIFY(!action.ok);
        QVERIFY2(action.message.contains(QStringLiteral("no published SHA-256")), qPrintable(action.message));
        QVERIFY(!QFile::exists(ModelStore().dir() + QStringLiteral("/rine_ldm.pth")));
        action = act(window, [&] { emit page->importRequested(kData + QStringLiteral("/rine_tiny_head.pth"), QStringLiteral("rine-ldm"), true); });
        QVERIFY2(action.ok, qPrintable(action.message));
        QCOMPARE(readAll(ModelStore().dir() + QStringLiteral("/rine_ldm.pth")), m_head);
        QCOMPARE(status(page, QStringLiteral("rine-ldm")), QStringLiteral("Installed"));
    }

    void offersTheDownloadWhenTheBackboneIsMissing()
    {
        QSettings().remove(QStringLiteral("models/head"));
        MainWindow window; // RINE_BACKBONE points nowhere, and there is no CLIP cache
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.settled(), 30000);
        auto *open = window.findChild<QPushButton *>(QStringLiteral("openModelsButton"));
        QVERIFY(open && open->isVisible());
        open->click();
        QCOMPARE(window.findChild<QTabWidget *>(QStringLiteral("pages"))->currentWidget(), window.modelsPage());
        QTRY_COMPARE_WITH_TIMEOUT(window.modelsPage()->selectedName(), QStringLiteral("ViT-L-14"), 10000);
    }

    void namesWithMarkupAreShownAsText()
    {
        // A model folder, a loaded backbone and a pin's source named like markup: the page's
        // labels, tooltips and details show them as text (an <img> loads the path it names).
        const QString store = m_home.filePath(QStringLiteral("<img src=store>models"));
        QVERIFY(QDir().mkpath(store));
        qputenv("RINE_MODEL_STORE", store.toUtf8());
        const QString backbone = m_home.filePath(QStringLiteral("<img src=backbone>.pt"));
        QFile::remove(backbone);
        QVERIFY(QFile::copy(kData + QStringLiteral("/clip_tiny_traced.pt"), backbone));
        QVERIFY(QFile::copy(kData + QStringLiteral("/rine_tiny_head.pth"), store + QStringLiteral("/rine_1class.pth")));
        ModelStore pins(store);
        const QString when = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
        QVERIFY(pins.trust({sha(readAll(backbone)), backbone, QStringLiteral("trusted by <b>the user</b>"), when}));
        QVERIFY(pins.trust({sha(m_head), store + QStringLiteral("/rine_1class.pth"),
                            QStringLiteral("pinned on first download from http://127.0.0.1/<img src=pin>.pth"), when}));
        StudioOptions options;
        options.backbone = backbone;
        options.heads = {kData + QStringLiteral("/rine_tiny_head.pth")};
        options.device = DeviceChoice::Cpu;
        QSettings().remove(QStringLiteral("detectors")); // SPAI, set active above, is not trusted in this folder
        MainWindow window(options);
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasModel(), 60000);
        window.findChild<QAction *>(QStringLiteral("actionModelsPage"))->trigger();
        ModelsPage *page = window.modelsPage();
        QTRY_VERIFY_WITH_TIMEOUT(page->state().storeDir == store && !page->state().models.isEmpty(), 10000);
        page->select(QStringLiteral("rine-1class"));
        auto *details = page->findChild<QTextBrowser *>(QStringLiteral("modelDetails"));
        QVERIFY(details);
        // The strings reached the page, as text.
        QVERIFY2(details->toPlainText().contains(QStringLiteral("<img src=pin>"))
                     && details->toPlainText().contains(store),
                 qPrintable(details->toPlainText()));
        QVERIFY2(page->findChild<QLabel *>(QStringLiteral("modelFolder"))->text().contains(QStringLiteral("&lt;img src=backbone&gt;")),
                 qPrintable(page->findChild<QLabel *>(QStringLiteral("modelFolder"))->text()));
        const QStringList rendered = test::imagesRendered(page);
        QVERIFY2(rendered.isEmpty(), qPrintable(rendered.join(QLatin1Char('\n'))));
        qunsetenv("RINE_MODEL_STORE");
    }
};

QTEST_MAIN(TestModelsPage)
#include "tst_models_page.moc"
