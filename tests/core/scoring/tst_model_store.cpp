// Downloads against a loopback HTTP server this test starts (never the network): a full
// download verified against a hash computed here; a download cut half-way and resumed with
// an HTTP Range; wrong bytes rejected and kept aside; 404; a slow server cancelled. And the
// trust policy and imports of the model folder.

#include "LoopbackHttpServer.h"
#include "TestFiles.h"

#include "catalog/ModelDownloader.h"
#include "catalog/ModelStore.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace rine;

namespace {

QByteArray randomBytes(int size, unsigned seed)
{
    std::mt19937 random(seed);
    QByteArray out(size, Qt::Uninitialized);
    for (char &c : out)
        c = char(random() & 0xFF);
    return out;
}

QString sha(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");

} // namespace

class TestModelStore : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    test::LoopbackHttpServer m_server;
    const QByteArray m_body = randomBytes(300000, 1);

    DownloadRequest request(const QByteArray &path, const QString &target, const QString &expected)
    {
        DownloadRequest r;
        r.url = QUrl(m_server.url(QString::fromLatin1(path)));
        r.target = m_dir.filePath(target);
        r.expectedSha256 = expected;
        r.expectedSize = m_body.size();
        return r;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void fullDownloadIsVerifiedAndInstalled()
    {
        m_server.route("/full.pth").body = m_body;
        const DownloadOutcome outcome = ModelDownloader::run(request("/full.pth", "full.pth", sha(m_body)));
        QVERIFY2(outcome.ok, qPrintable(outcome.error));
        QCOMPARE(outcome.sha256, sha(m_body));
        QCOMPARE(test::readAll(m_dir.filePath("full.pth")), m_body);
        QVERIFY(!QFile::exists(m_dir.filePath("full.pth.part")));
        QVERIFY(!outcome.resumed);
    }

    void interruptedDownloadResumesWithARange()
    {
        auto &route = m_server.route("/cut.pth");
        route.body = m_body;
        route.cutFirstRequestAfter = 120000;
        DownloadOutcome first = ModelDownloader::run(request("/cut.pth", "cut.pth", sha(m_body)));
        QVERIFY(!first.ok);
        QVERIFY2(first.error.contains("run the download again to resume"), qPrintable(first.error));
        QCOMPARE(QFileInfo(m_dir.filePath("cut.pth.part")).size(), 120000);
        QVERIFY(!QFile::exists(m_dir.filePath("cut.pth"))); // nothing unverified is installed

        const DownloadOutcome second = ModelDownloader::run(request("/cut.pth", "cut.pth", sha(m_body)));
        QVERIFY2(second.ok, qPrintable(second.error));
        QVERIFY(second.resumed);
        // Qt may retry the cut request by itself once; the resume is the last request.
        QVERIFY2(route.ranges.last() == QByteArray("bytes=120000-"), route.ranges.join(" / ").constData());
        QCOMPARE(test::readAll(m_dir.filePath("cut.pth")), m_body);
    }

    void wrongBytesAreKeptAsideAndNeverInstalled()
    {
        m_server.route("/wrong.pth").body = randomBytes(m_body.size(), 2);
        const DownloadOutcome outcome = ModelDownloader::run(request("/wrong.pth", "wrong.pth", sha(m_body)));
        QVERIFY(!outcome.ok);
        QVERIFY2(outcome.error.contains("not the expected one") && outcome.error.contains(sha(m_body)),
                 qPrintable(outcome.error));
        QVERIFY(!QFile::exists(m_dir.filePath("wrong.pth")));
        QVERIFY(!QFile::exists(m_dir.filePath("wrong.pth.part")));
        QVERIFY(outcome.path.contains(".rejected-"));
        QVERIFY(QFile::exists(outcome.path));
    }

    void missingFileIsA404()
    {
        m_server.route("/gone.pth").status = 404;
        const DownloadOutcome outcome = ModelDownloader::run(request("/gone.pth", "gone.pth", sha(m_body)));
        QVERIFY(!outcome.ok);
        QVERIFY2(outcome.error.contains("404") && outcome.error.contains("/gone.pth"), qPrintable(outcome.error));
        QVERIFY(!QFile::exists(m_dir.filePath("gone.pth")));
    }

    void offlineIsSaidPlainly()
    {
        // A port nothing listens on.
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closed.serverPort();
        closed.close();
        DownloadRequest r;
        r.url = QUrl(QStringLiteral("http://127.0.0.1:%1/model.pth").arg(port));
        r.target = m_dir.filePath("offline.pth");
        const DownloadOutcome outcome = ModelDownloader::run(r);
        QVERIFY(!outcome.ok);
        QVERIFY2(outcome.error.contains("cannot reach 127.0.0.1") && outcome.error.contains("offline"),
                 qPrintable(outcome.error));
    }

    void slowDownloadCanBeCancelledAndResumedLater()
    {
        auto &route = m_server.route("/slow.pth");
        route.body = m_body;
        route.trickleBytes = 2000; // 20 KB/s: 15 s for the whole file
        ModelDownloader downloader;
        QSignalSpy finished(&downloader, &ModelDownloader::finished);
        qint64 received = 0;
        connect(&downloader, &ModelDownloader::progress, this, [&](qint64 have, qint64 total, double rate, double eta) {
            received = have;
            QCOMPARE(total, qint64(m_body.size()));
            QVERIFY(rate > 0);
            QVERIFY(eta > 0);
            if (have >= 4000)
                downloader.cancel();
        });
        downloader.start(request("/slow.pth", "slow.pth", sha(m_body)));
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 10000);
        const auto outcome = finished.first().first().value<DownloadOutcome>();
        QVERIFY(outcome.cancelled);
        QVERIFY(!outcome.ok);
        QVERIFY(!QFile::exists(m_dir.filePath("slow.pth")));
        QVERIFY(QFileInfo(m_dir.filePath("slow.pth.part")).size() >= 4000); // kept for a resume
        QVERIFY(received < m_body.size());
    }

    void pickleAndTorchScriptNeedTrustSafetensorsDoNot()
    {
        ModelStore store(m_dir.filePath("store"));
        const QString traced = kTiny + "clip_tiny_traced.pt";
        auto hash = sha256OfFile(traced);
        QVERIFY(hash);
        QCOMPARE(hash.value(), sha(test::readAll(traced)));
        auto allowed = store.allowed(traced, hash.value());
        QVERIFY(!allowed);
        QVERIFY2(allowed.error().find("--trust") != std::string::npos, allowed.error().c_str());
        QVERIFY(store.trust({hash.value(), traced, "trusted by the user (--trust)", "2026-11-27T00:00:00Z"}));
        QVERIFY(store.allowed(traced, hash.value()));
        QCOMPARE(ModelStore(m_dir.filePath("store")).trusted().size(), 1); // recorded on disk
        QCOMPARE(ModelStore(m_dir.filePath("store")).trusted().first().how, QStringLiteral("trusted by the user (--trust)"));

        // safetensors holds data only: no decision needed.
        QByteArray header("{}");
        QByteArray file(8, 0);
        file[0] = char(header.size());
        const QString safetensors = test::writeFile(m_dir, "weights.safetensors", file + header);
        QCOMPARE(weightFileKind(safetensors), QStringLiteral("safetensors"));
        QVERIFY(store.allowed(safetensors, sha(file + header)));
        // The bundled head is in the manifest.
        QVERIFY(store.allowed(RINE_SOURCE_MODELS "/rine_2class.pth",
                              QStringLiteral("680d301b6d191da85b9dabcebf42cd3df20c5c669fa8320c498f835d02bf5ccb")));
    }

    void filesTrainedHereLoadWithoutAsking()
    {
        ModelStore store(m_dir.filePath("trained"));
        // A checkpoint written by our own training: not in the manifest, so refused until
        // recorded as trained here, then allowed by its hash (computed here independently).
        const QString checkpoint = test::writeFile(m_dir, "my_head.pth", test::readAll(RINE_TEST_DATA "/rine_tiny_head_b.pth"));
        const QString hash = sha(test::readAll(checkpoint));
        QVERIFY(!store.allowed(checkpoint, hash));
        QVERIFY(store.trustTrained(checkpoint));
        QVERIFY(store.allowed(checkpoint, hash));
        const QList<TrustRecord> records = ModelStore(m_dir.filePath("trained")).trusted();
        QCOMPARE(records.size(), 1);
        QCOMPARE(records.first().sha256, hash);
        QCOMPARE(records.first().how, QStringLiteral("trained here"));
        QCOMPARE(records.first().path, QFileInfo(checkpoint).absoluteFilePath());
        QVERIFY(!store.trustTrained(m_dir.filePath("missing.pth")));

        // Once per file: the same file again keeps the first record; the same bytes pinned for
        // a known model in another place are a record of their own.
        QVERIFY(store.trustTrained(checkpoint));
        QCOMPARE(store.trusted().size(), 1);
        QVERIFY(store.trust({hash, store.dir() + "/rine_1class.pth", "pinned on first download from http://x", "now"}));
        QCOMPARE(store.trusted().size(), 2);
        KnownModel oneClass;
        oneClass.file = "rine_1class.pth";
        QCOMPARE(store.expectedSha256(oneClass), hash);
    }

    void statesSayWhatADownloadLeftBehind()
    {
        ModelStore store(m_dir.filePath("states"));
        QVERIFY(QDir().mkpath(store.dir()));
        KnownModel backbone = ModelLocator::knownBackbone();
        test::writeFile(m_dir, "states/" + backbone.file + ".part", QByteArray(1234, 'x'));
        test::writeFile(m_dir, "states/" + backbone.file + ".rejected-0123456789ab", QByteArray(10, 'y'));
        bool seenBackbone = false, seenBundled = false;
        for (const ModelState &state : store.states()) {
            if (state.installed.model.name == backbone.name) {
                seenBackbone = true;
                QCOMPARE(state.partialBytes, qint64(1234));
                QCOMPARE(state.rejected.size(), 1);
                QCOMPARE(state.expectedSha256, backbone.sha256);
                QCOMPARE(state.shaSource, QStringLiteral("manifest"));
            }
            if (state.installed.model.name == QLatin1String("rine-2class")) {
                seenBundled = true;
                QCOMPARE(state.installed.where, QStringLiteral("bundled"));
                QCOMPARE(state.fileSize, QFileInfo(RINE_SOURCE_MODELS "/rine_2class.pth").size());
            }
            if (state.installed.model.name == QLatin1String("rine-1class")) // hash left open by the manifest
                QVERIFY(state.expectedSha256.isEmpty() && state.shaSource.isEmpty());
        }
        QVERIFY(seenBackbone && seenBundled);
    }

    void importChecksHashAndShapesBeforeCopying()
    {
        ModelStore store(m_dir.filePath("imports"));
        KnownModel head;
        head.name = "tiny";
        head.role = "head";
        head.file = "tiny_head.pth";
        head.sha256 = sha(test::readAll(kTiny + "rine_tiny_head.pth"));
        auto imported = store.import(kTiny + "rine_tiny_head.pth", head);
        QVERIFY2(imported, imported.error().c_str());
        QCOMPARE(test::readAll(imported.value()), test::readAll(kTiny + "rine_tiny_head.pth"));

        KnownModel other = head;
        other.file = "other.pth";
        auto refused = store.import(RINE_TEST_DATA "/rine_tiny_head_b.pth", other); // another file
        QVERIFY(!refused);
        QVERIFY2(refused.error().find("is not that of tiny") != std::string::npos, refused.error().c_str());
        QVERIFY(!QFile::exists(store.pathOf(other)));

        KnownModel backbone = head; // the right hash, but a head is not a backbone
        backbone.role = "backbone";
        backbone.file = "backbone.pt";
        QVERIFY(!store.import(kTiny + "rine_tiny_head.pth", backbone));
        QVERIFY(!QFile::exists(store.pathOf(backbone)));

        QVERIFY(store.remove(head));
        QVERIFY(!QFile::exists(imported.value()));
        QVERIFY(!store.remove(head));
    }
};

QTEST_GUILESS_MAIN(TestModelStore)
#include "tst_model_store.moc"
