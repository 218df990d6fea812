// The scan engine on a hostile folder with the tiny reference model: every file accounted
// for, each distinct content scored once, logits equal to the published reference code's,
// several heads on one backbone pass, cached features, cancel and resume.

#include "CaseFormats.h"
#include "HostileFolder.h"
#include "TestFiles.h"

#include "scan/ScanEngine.h"
#include "store/CaseDatabase.h"

#include <QBuffer>
#include <QColor>
#include <QCryptographicHash>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <algorithm>
#include <cmath>
#include <map>

using namespace rine;

namespace {

const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");
const std::string kHeadA = (kTiny + "rine_tiny_head.pth").toStdString();
const std::string kHeadB = RINE_TEST_DATA "/rine_tiny_head_b.pth";

std::unique_ptr<Detector> loadTiny(const std::vector<std::string> &heads, Precision precision = Precision::Fp32)
{
    DetectorOptions options;
    options.precision = precision;
    options.emulatedBf16 = true;
    options.backbonePath = (kTiny + "clip_tiny_traced.pt").toStdString();
    options.headPaths = heads;
    options.device = DeviceChoice::Cpu;
    auto detector = Detector::load(options);
    if (!detector)
        qFatal("%s", detector.error().c_str());
    return std::move(detector.value());
}

std::unique_ptr<CaseDatabase> openCase(const QString &path)
{
    auto database = CaseDatabase::open(path, CaseDatabase::Mode::OpenOrCreate);
    if (!database)
        qFatal("%s", database.error().c_str());
    return std::move(database.value());
}

std::unique_ptr<CaseDatabase> openReadOnly(const QString &path)
{
    auto database = CaseDatabase::open(path, CaseDatabase::Mode::ReadOnly);
    if (!database)
        qFatal("%s", database.error().c_str());
    return std::move(database.value());
}

// The first head's score of a file's center crop, on a forward pass of its own.
double scoreAlone(Detector &detector, const QString &path)
{
    FileBytes bytes;
    auto image = readImage(path.toStdString(), bytes);
    if (!image)
        qFatal("%s", image.error().c_str());
    const auto crop = centerCrop(image->rgb, detector.info().inputSize);
    auto score = detector.score({crop.data()});
    if (!score)
        qFatal("%s", score.error().c_str());
    return score.value()[0].logit;
}

} // namespace

class TestScanEngine : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QJsonObject m_reference;
    test::HostileFolder m_folder;
    std::unique_ptr<Detector> m_detectorA;

    QByteArray m_slowPng; // slowImages' picture, encoded once

    QString dbPath(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)); }

    std::map<QString, FileReport> reports(CaseDatabase &database, qint64 scanId)
    {
        auto files = database.fileReports(scanId);
        if (!files)
            qFatal("%s", files.error().c_str());
        std::map<QString, FileReport> out;
        for (const FileReport &f : files.value())
            out[QDir(m_folder.root).relativeFilePath(f.path)] = f;
        return out;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QStandardPaths::setTestModeEnabled(true); // the installation id goes to the test's data folder
        m_reference = QJsonDocument::fromJson(test::readAll(kTiny + "reference.json")).object();
        QVERIFY2(test::dropPermissionOverride(), "could not drop root's permission override");
        QDir().mkpath(m_dir.filePath("evidence"));
        m_folder = test::makeHostileFolder(m_dir.filePath("evidence"), kTiny + "images");
        m_detectorA = loadTiny({kHeadA});
    }

    void cleanupTestCase() { m_folder.restorePermissions(); }

    void everyFileEndsWithItsExpectedStatus()
    {
        auto database = openCase(dbPath("hostile.sqlite"));
        ScanEngine engine(*m_detectorA, *database);
        ScanRequest request;
        request.roots = {m_folder.root.toStdString()};
        request.batchSize = 3;
        std::atomic<bool> cancel{false};
        auto outcome = engine.run(request, cancel, {});
        QVERIFY2(outcome, outcome.error().c_str());
        QVERIFY(!outcome->cancelled);
        QCOMPARE(outcome->listed, std::size_t(m_folder.files.size()));
        // Duplicates are hashed, not run: the backbone saw each distinct image once.
        QCOMPARE(outcome->inferred, std::size_t(m_folder.distinctImages));

        const auto files = reports(*database, outcome->scanId);
        QCOMPARE(files.size(), std::size_t(m_folder.files.size()));
        const QJsonObject images = m_reference.value("images").toObject();
        for (auto it = m_folder.files.cbegin(); it != m_folder.files.cend(); ++it) {
            const QString &name = it.key();
            QVERIFY2(files.count(name), qPrintable("not listed: " + name));
            const FileReport &report = files.at(name);
            QVERIFY2(report.status == it->status,
                     qPrintable(name + ": " + report.status + " (" + report.error + "), expected " + it->status));
            if (!it->errorContains.isEmpty())
                QVERIFY2(report.error.contains(it->errorContains), qPrintable(name + ": " + report.error));
            if (!it->reference.isEmpty()) {
                QCOMPARE(report.scores.size(), std::size_t(1));
                const double expected = images.value(it->reference).toObject().value("logit").toDouble();
                QVERIFY2(std::abs(report.scores[0].logit - expected) < 1e-4,
                         qPrintable(QStringLiteral("%1: logit %2, reference %3").arg(name).arg(report.scores[0].logit).arg(expected)));
            } else {
                QVERIFY(report.scores.empty());
            }
        }
        // Same bytes at two paths: one hash, one result.
        QCOMPARE(files.at("sub/copy of evidence.jpg").sha256, files.at("aadlygmazf.jpg").sha256);

        auto summary = database->scanSummary(outcome->scanId);
        QVERIFY(summary);
        std::map<std::string, std::string> events;
        for (const WalkEvent &event : summary->events)
            events[QDir(m_folder.root).relativeFilePath(QString::fromStdString(event.path)).toStdString()] =
                walkEventName(event.kind);
        QCOMPARE(events["sealed"], std::string("unreadable_folder"));
        QCOMPARE(events["sub/up"], std::string("symlink_loop"));
        QCOMPARE(events["sub/a"], std::string("symlink_loop"));
        QCOMPARE(events["sub/b"], std::string("symlink_loop"));
        // Every row the scan wrote (scan, models, files, walk events, contents, results) is
        // covered by the entry that wrote it, and the signed chain verifies.
        const CaseIntegrity integrity = database->integrity();
        QVERIFY2(integrity.verified(), qPrintable(integrity.describe()));
        QVERIFY(integrity.signers.size() == 1 && integrity.headSigner == integrity.signers.front());
    }

    void rescanScoresNothingTwice()
    {
        auto database = openCase(dbPath("hostile.sqlite"));
        ScanEngine engine(*m_detectorA, *database);
        ScanRequest request;
        request.roots = {m_folder.root.toStdString()};
        std::atomic<bool> cancel{false};
        auto outcome = engine.run(request, cancel, {});
        QVERIFY2(outcome, outcome.error().c_str());
        QVERIFY(!outcome->resumed); // the first scan completed: this is a new one
        QCOMPARE(outcome->inferred, std::size_t(0));
        // the 7 images and the 2 duplicates had results already
        QCOMPARE(outcome->alreadyScored, std::size_t(m_folder.distinctImages + 2));
        const auto files = reports(*database, outcome->scanId);
        QCOMPARE(files.at("logo.png").status, QStringLiteral("degraded"));
        QCOMPARE(files.at("camera.png").scores.size(), std::size_t(1));
        const CaseIntegrity integrity = database->integrity();
        QVERIFY2(integrity.verified(), qPrintable(integrity.describe()));
    }

    void twoHeadsShareOneBackbonePass()
    {
        auto detector = loadTiny({kHeadA, kHeadB});
        auto onlyB = loadTiny({kHeadB});
        auto database = openCase(dbPath("heads.sqlite"));
        ScanEngine engine(*detector, *database);
        ScanRequest request;
        request.roots = {(kTiny + "images").toStdString()};
        std::atomic<bool> cancel{false};
        auto outcome = engine.run(request, cancel, {});
        QVERIFY2(outcome, outcome.error().c_str());
        QCOMPARE(outcome->inferred, std::size_t(m_folder.distinctImages));
        const QJsonObject images = m_reference.value("images").toObject();
        auto files = database->fileReports(outcome->scanId);
        QVERIFY(files);
        for (const FileReport &f : files.value()) {
            QCOMPARE(f.scores.size(), std::size_t(2));
            const QString name = QFileInfo(f.path).fileName();
            QVERIFY(std::abs(f.scores[0].logit - images.value(name).toObject().value("logit").toDouble()) < 1e-4);
            // Head B alone, on its own forward pass, gives the same score (within the fp32
            // differences of another batch size).
            const double alone = scoreAlone(*onlyB, f.path);
            QVERIFY2(std::abs(f.scores[1].logit - alone) < 1e-5,
                     qPrintable(QStringLiteral("%1: %2 vs %3").arg(name).arg(f.scores[1].logit, 0, 'g', 10).arg(alone, 0, 'g', 10)));
            QVERIFY(std::abs(f.scores[1].logit - f.scores[0].logit) > 1e-3); // B really is another head
        }
    }

    void cachedFeaturesSkipTheBackbone()
    {
        auto database = openCase(dbPath("cache.sqlite"));
        ScanRequest request;
        request.roots = {(kTiny + "images").toStdString()};
        request.cacheFeatures = true;
        std::atomic<bool> cancel{false};
        {
            ScanEngine engine(*m_detectorA, *database);
            auto outcome = engine.run(request, cancel, {});
            QVERIFY2(outcome, outcome.error().c_str());
            QCOMPARE(outcome->inferred, std::size_t(m_folder.distinctImages));
        }
        auto onlyB = loadTiny({kHeadB});
        ScanEngine engine(*onlyB, *database);
        auto outcome = engine.run(request, cancel, {});
        QVERIFY2(outcome, outcome.error().c_str());
        QCOMPARE(outcome->inferred, std::size_t(0));
        QCOMPARE(outcome->fromCache, std::size_t(m_folder.distinctImages));
        auto files = database->fileReports(outcome->scanId);
        QVERIFY(files);
        for (const FileReport &f : files.value()) {
            QCOMPARE(f.scores.size(), std::size_t(1));
            QVERIFY(f.scores[0].fromCachedFeatures);
            const double fresh = scoreAlone(*onlyB, f.path);
            QVERIFY2(std::abs(f.scores[0].logit - fresh) < 1e-5,
                     qPrintable(QStringLiteral("%1: %2 vs %3").arg(f.path).arg(f.scores[0].logit, 0, 'g', 10).arg(fresh, 0, 'g', 10)));
        }
    }

    void textureCropScansStoreEachWindow()
    {
        // TextureCrop in a scan: each file's score and kept windows as the published code's
        // (tests/data/texture-crop), the windows kept in the case (format 5) and covered by the
        // chain; a second head scored from cached features gets the same windows.
        QFile file(QStringLiteral(RINE_TEST_DATA "/texture-crop/reference.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject reference = QJsonDocument::fromJson(file.readAll()).object().value("images").toObject();
        const QString path = dbPath("texture.sqlite");
        auto database = openCase(path);
        ScanRequest request;
        request.roots = {(kTiny + "images").toStdString()};
        request.crop = CropMode::Texture;
        request.batchSize = 3;
        request.cacheFeatures = true;
        std::atomic<bool> cancel{false};
        qint64 scanId = 0;
        {
            ScanEngine engine(*m_detectorA, *database);
            auto outcome = engine.run(request, cancel, {});
            QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
            QCOMPARE(outcome->inferred, std::size_t(7));
            scanId = outcome->scanId;
        }
        auto check = [&](qint64 scan, bool cached) {
            auto files = database->fileReports(scan);
            QVERIFY(files);
            QCOMPARE(files->size(), std::size_t(7));
            for (const FileReport &f : files.value()) {
                const QString name = QFileInfo(f.path).fileName();
                const QJsonObject expected = reference.value(name).toObject();
                QCOMPARE(f.scores.size(), std::size_t(1));
                const FileReport::Score &score = f.scores[0];
                QCOMPARE(score.fromCachedFeatures, cached);
                if (expected.contains("fallback")) {
                    QVERIFY(score.windows.empty());
                    QVERIFY2(f.warnings.join(' ').contains("center crop"), qPrintable(f.warnings.join(' ')));
                    continue;
                }
                const QJsonArray boxes = expected.value("boxes").toArray();
                QCOMPARE(score.windows.size(), std::size_t(boxes.size()));
                for (int w = 0; w < boxes.size(); ++w) {
                    const WindowScore &window = score.windows[std::size_t(w)];
                    QCOMPARE(window.region.left, boxes[w].toArray()[0].toInt());
                    QCOMPARE(window.region.top, boxes[w].toArray()[1].toInt());
                    QVERIFY(std::abs(window.entropy - expected.value("entropy").toArray()[w].toDouble()) < 1e-6);
                    if (!cached)
                        QVERIFY(std::abs(window.logit - expected.value("crop_logits").toArray()[w].toDouble()) < 1e-4);
                }
                if (!cached)
                    QVERIFY2(std::abs(score.logit - expected.value("logit").toDouble()) < 1e-4, qPrintable(name));
            }
        };
        check(scanId, false);
        auto onlyB = loadTiny({kHeadB});
        {
            ScanEngine engine(*onlyB, *database);
            auto outcome = engine.run(request, cancel, {});
            QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
            QCOMPARE(outcome->inferred, std::size_t(0));
            QCOMPARE(outcome->fromCache, std::size_t(7)); // block.png too: its features are those of its center crop
            check(outcome->scanId, true);
        }
        CaseIntegrity integrity = database->integrity();
        QVERIFY2(integrity.verified(), qPrintable(integrity.describe()));
        // A window's logit altered behind the program's back: the case no longer verifies.
        database.reset();
        QCOMPARE(test::runSql(path, {QStringLiteral("UPDATE windows SET logit = logit + 1 WHERE rank = 1")}), QString());
        database = openReadOnly(path);
        integrity = database->integrity();
        QVERIFY(!integrity.verified());
        QVERIFY2(integrity.describe().contains("results recorded"), qPrintable(integrity.describe()));
    }

    void aFormat4CaseVerifiesAndUpgradesToFormat5()
    {
        const QString path = dbPath("format4.sqlite");
        {
            auto database = openCase(path);
            ScanRequest request;
            request.roots = {(kTiny + "images").toStdString()};
            std::atomic<bool> cancel{false};
            ScanEngine engine(*m_detectorA, *database);
            QVERIFY(engine.run(request, cancel, {}));
        }
        QCOMPARE(test::downgradeToFormat4(path), QString());
        {
            auto readOnly = openReadOnly(path); // no windows table: still verifies
            const CaseIntegrity integrity = readOnly->integrity();
            QVERIFY2(integrity.verified(), qPrintable(integrity.describe()));
            QVERIFY(readOnly->fileReports(1));
        }
        auto database = openCase(path); // a writable open upgrades it
        const CaseIntegrity integrity = database->integrity();
        QVERIFY2(integrity.verified(), qPrintable(integrity.describe()));
        auto log = database->auditLog();
        QVERIFY(log);
        QCOMPARE(log->back().action, QStringLiteral("case format upgraded"));
        QVERIFY(log->back().details.contains("\"from\":4"));
        ScanRequest request;
        request.roots = {(kTiny + "images").toStdString()};
        request.crop = CropMode::Texture;
        std::atomic<bool> cancel{false};
        ScanEngine engine(*m_detectorA, *database);
        auto outcome = engine.run(request, cancel, {});
        QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
        auto files = database->fileReports(outcome->scanId);
        QVERIFY(files && !files->front().scores.empty());
        QVERIFY(database->integrity().verified());
    }

    // Format 6: a format-5 case (RINE's results only) still verifies, upgrades, keeps its RINE
    // results and takes SPAI's beside them; SPAI's score of each content is the one it gives
    // alone; the chain covers SPAI's rows (their detector and patches).
    void aFormat5CaseUpgradesAndTakesSpaiResults()
    {
        const QString path = dbPath("format5.sqlite");
        const QString images = QStringLiteral(RINE_TEST_DATA "/spai-tiny/images");
        ScanRequest request;
        request.roots = {images.toStdString()};
        request.workers = 1;
        std::atomic<bool> cancel{false};
        {
            auto database = openCase(path);
            QVERIFY(ScanEngine(*m_detectorA, *database).run(request, cancel, {}));
        }
        QCOMPARE(test::downgradeToFormat5(path), QString());
        {
            auto readOnly = openReadOnly(path);
            QCOMPARE(readOnly->formatVersion(), 5);
            QVERIFY2(readOnly->integrity().verified(), qPrintable(readOnly->integrity().describe()));
        }
        SpaiOptions options;
        options.path = RINE_TEST_DATA "/spai-tiny/spai_tiny_checkpoint.pth";
        auto spai = SpaiDetector::load(options);
        QVERIFY2(spai, spai ? "" : spai.error().c_str());
        std::map<QString, double> rineBefore;
        {
            auto database = openCase(path); // upgrades
            QCOMPARE(database->formatVersion(), 6);
            auto log = database->auditLog();
            QVERIFY(log && log->back().details.contains("\"from\":5"));
            auto before = database->fileReports(1); // kept: value() refers into it
            QVERIFY(before);
            for (const FileReport &f : before.value())
                rineBefore[f.path] = f.scores.at(0).logit;
            auto outcome = ScanEngine(*m_detectorA, *database, spai->get()).run(request, cancel, {});
            QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
            QVERIFY2(database->integrity().verified(), qPrintable(database->integrity().describe()));
            auto files = database->fileReports(outcome->scanId);
            QVERIFY(files);
            QCOMPARE(files->size(), std::size_t(8));
            for (const FileReport &f : files.value()) {
                QVERIFY2(f.spai.has_value(), qPrintable(f.path));
                QCOMPARE(f.scores.at(0).logit, rineBefore[f.path]); // kept, not scored again
                FileBytes bytes;
                auto image = readImage(f.path.toStdString(), bytes);
                QVERIFY(image);
                const SpaiScore alone = spai.value()->score(image->rgb.pixels.data(), image->rgb.width,
                                                            image->rgb.height, std::size_t(image->rgb.width) * 3);
                QCOMPARE(f.spai->logit, alone.logit);
                QCOMPARE(f.spai->patches.size(), alone.patches.size());
                for (std::size_t i = 0; i < alone.patches.size(); ++i) {
                    QCOMPARE(f.spai->patches[i].top, alone.patches[i].top);
                    QCOMPARE(f.spai->patches[i].left, alone.patches[i].left);
                    QCOMPARE(f.spai->patches[i].soloLogit, alone.patches[i].soloLogit);
                    QCOMPARE(f.spai->patches[i].attention, alone.patches[i].attention);
                }
            }
            // Run again: every content is known to both detectors, nothing is inferred.
            auto again = ScanEngine(*m_detectorA, *database, spai->get()).run(request, cancel, {});
            QVERIFY(again);
            QCOMPARE(again->inferred, std::size_t(0));

            // SPAI in bf16 (emulated where the processor lacks it) is another identity: scored
            // again, stored beside the fp32 results, each scan reading back its own.
            SpaiOptions reduced = options;
            reduced.precision = Precision::Bf16;
            reduced.emulatedBf16 = true;
            auto spaiBf16 = SpaiDetector::load(reduced);
            QVERIFY2(spaiBf16, spaiBf16 ? "" : spaiBf16.error().c_str());
            auto bf16 = ScanEngine(*m_detectorA, *database, spaiBf16->get()).run(request, cancel, {});
            QVERIFY2(bf16, bf16 ? "" : bf16.error().c_str());
            auto summary = database->scanSummary(bf16->scanId);
            QVERIFY(summary);
            QCOMPARE(summary->spaiPrecision, QStringLiteral("bf16"));
            QVERIFY(summary->scan.settingsJson.contains("\"spai_precision\":\"bf16\""));
            auto reducedFiles = database->fileReports(bf16->scanId);
            QVERIFY(reducedFiles);
            QCOMPARE(reducedFiles->size(), std::size_t(8));
            for (const FileReport &f : reducedFiles.value()) {
                QVERIFY2(f.spai.has_value(), qPrintable(f.path));
                QCOMPARE(f.spai->precision, QStringLiteral("bf16"));
                FileBytes bytes;
                auto image = readImage(f.path.toStdString(), bytes);
                QVERIFY(image);
                const SpaiScore alone = spaiBf16.value()->score(image->rgb.pixels.data(), image->rgb.width,
                                                                image->rgb.height, std::size_t(image->rgb.width) * 3);
                QCOMPARE(f.spai->logit, alone.logit);
                QCOMPARE(f.spai->patches.size(), alone.patches.size());
            }
            auto firstSummary = database->scanSummary(outcome->scanId);
            QVERIFY(firstSummary);
            QCOMPARE(firstSummary->spaiPrecision, QStringLiteral("fp32"));
            QVERIFY(!firstSummary->scan.settingsJson.contains("spai_precision")); // fp32: identity as before
            auto fp32Files = database->fileReports(outcome->scanId);
            QVERIFY(fp32Files);
            for (const FileReport &f : fp32Files.value())
                QCOMPARE(f.spai->precision, QStringLiteral("fp32"));
            QVERIFY2(database->integrity().verified(), qPrintable(database->integrity().describe()));
        }
        // What the chain covers: a SPAI result relabelled as RINE's, a patch's numbers.
        for (const QString &tamper : {QStringLiteral("UPDATE results SET detector='rine' WHERE detector='spai' AND id="
                                                     "(SELECT min(id) FROM results WHERE detector='spai')"),
                                      QStringLiteral("UPDATE spai_patches SET solo_logit=solo_logit+1 WHERE rank=1 AND "
                                                     "sha256=(SELECT min(sha256) FROM spai_patches)")}) {
            const QString copy = dbPath("tampered.sqlite");
            QFile::remove(copy);
            QVERIFY(QFile::copy(path, copy));
            QCOMPARE(test::runSql(copy, {tamper}), QString());
            auto readOnly = openReadOnly(copy);
            QVERIFY2(!readOnly->integrity().verified(), qPrintable(tamper));
        }
    }

    // The ETA of a scan with SPAI, by hand. 10 files, 4 done with 20 patches, the image in hand
    // at 3 of 12, 5 patches of a scored image not yet committed: 28 patches in 14 s, 2 per
    // second. Per file (20 + 12) / 5 = 6.4; 5 files not begun: 32 patches, less the 5 spent,
    // 27; with the 9 left of the image in hand, 36 patches: 18 s.
    void spaiEtaCountsPatches()
    {
        SpaiEta eta;
        eta.files = 10;
        eta.filesDone = 4;
        eta.patchesOfFilesDone = 20;
        eta.patchesScored = 28;
        eta.inHandScored = 3;
        eta.inHandPatches = 12;
        eta.seconds = 14;
        QCOMPARE(spaiEtaSeconds(eta), 18.0);
        // One 50-megapixel image (1,020 patches), 40 scored in 20 s: 980 left at 2/s, 490 s,
        // where counting files would know nothing until the image is done.
        eta = {};
        eta.files = 1;
        eta.patchesScored = 40;
        eta.inHandScored = 40;
        eta.inHandPatches = 1020;
        eta.seconds = 20;
        QCOMPARE(spaiEtaSeconds(eta), 490.0);
        // Nothing scored yet: not known.
        eta = {};
        eta.files = 3;
        eta.seconds = 5;
        QCOMPARE(spaiEtaSeconds(eta), -1.0);
        // All done: nothing left.
        eta.filesDone = 3;
        eta.patchesOfFilesDone = eta.patchesScored = 15;
        QCOMPARE(spaiEtaSeconds(eta), 0.0);
    }

    // A scan with SPAI reports its patches: spai-tiny's 8 images hold 4 x 5 (five crops of the
    // four small ones) + 4 + 4 + 6 + 12 (grids at stride 224 of 512 x 512, 500 x 500, 741 x 500
    // and 1000 x 872) = 46. A cancel while SPAI scores leaves files pending, never failed or
    // half-scored, and the rerun scores every file with both detectors.
    void spaiProgressCountsPatchesAndACancelLeavesFilesPending()
    {
        const std::string images = RINE_TEST_DATA "/spai-tiny/images";
        SpaiOptions options;
        options.path = RINE_TEST_DATA "/spai-tiny/spai_tiny_checkpoint.pth";
        auto spai = SpaiDetector::load(options);
        QVERIFY2(spai, spai ? "" : spai.error().c_str());
        ScanRequest request;
        request.roots = {images};
        request.workers = 2;
        std::atomic<bool> cancel{false};
        {
            auto database = openCase(dbPath("spai-progress.sqlite"));
            std::vector<ScanProgress> seen;
            auto outcome = ScanEngine(*m_detectorA, *database, spai->get()).run(request, cancel, [&](const ScanProgress &p) {
                if (p.phase == ScanProgress::Phase::Scanning)
                    seen.push_back(p);
            });
            QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
            QVERIFY(!seen.empty());
            for (const ScanProgress &p : seen) {
                QVERIFY(p.spaiImageScored <= p.spaiImagePatches);
                QVERIFY(p.spaiImagePatches == 0 || p.spaiImagePatches == 4 || p.spaiImagePatches == 5
                        || p.spaiImagePatches == 6 || p.spaiImagePatches == 12);
            }
            QCOMPARE(seen.back().spaiPatches, std::size_t(46));
            QCOMPARE(seen.back().spaiImagePatches, std::size_t(0));
            QVERIFY(seen.back().spaiPatchesPerSecond > 0);
            QCOMPARE(seen.back().etaSeconds, 0.0);
        }
        auto database = openCase(dbPath("spai-cancelled.sqlite"));
        ScanEngine engine(*m_detectorA, *database, spai->get());
        auto first = engine.run(request, cancel, [&](const ScanProgress &p) {
            if (p.phase == ScanProgress::Phase::Scanning)
                cancel = true; // while the first images are in SPAI's hands
        });
        QVERIFY2(first, first ? "" : first.error().c_str());
        QVERIFY(first->cancelled);
        auto files = database->fileReports(first->scanId);
        QVERIFY(files);
        for (const FileReport &f : files.value()) {
            QVERIFY2(f.status == QLatin1String("pending") || (f.spai.has_value() && !f.scores.empty()),
                     qPrintable(f.path + ": " + f.status + " " + f.error));
        }
        cancel = false;
        auto second = engine.run(request, cancel, {});
        QVERIFY2(second, second ? "" : second.error().c_str());
        QVERIFY(!second->cancelled);
        files = database->fileReports(second->scanId);
        QVERIFY(files);
        QCOMPARE(files->size(), std::size_t(8));
        for (const FileReport &f : files.value())
            QVERIFY2(f.spai.has_value() && !f.scores.empty(), qPrintable(f.path + ": " + f.status + " " + f.error));
        QVERIFY2(database->integrity().verified(), qPrintable(database->integrity().describe()));
    }

    // SPAI alone over the hostile folder: no backbone, heads or crops. Every file ends as it does
    // with RINE where its outcome is the file's own (read, format, decode), every image carries
    // SPAI's score of the whole image and nothing of RINE's, the scan's identity names SPAI's
    // weights, preprocessing and precision and no backbone, and the case verifies. Run again,
    // nothing is scored twice; cached features (RINE's) are refused before anything is written.
    void spaiAloneScansWithoutRine()
    {
        SpaiOptions options;
        options.path = RINE_TEST_DATA "/spai-tiny/spai_tiny_checkpoint.pth";
        auto spai = SpaiDetector::load(options);
        QVERIFY2(spai, spai ? "" : spai.error().c_str());
        auto database = openCase(dbPath("spai-alone.sqlite"));
        ScanRequest request;
        request.roots = {m_folder.root.toStdString()};
        request.workers = 3;
        std::atomic<bool> cancel{false};
        std::vector<ScanProgress> seen;
        auto outcome = ScanEngine(*spai.value(), *database).run(request, cancel, [&](const ScanProgress &p) {
            if (p.phase == ScanProgress::Phase::Scanning)
                seen.push_back(p);
        });
        QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
        QCOMPARE(outcome->listed, std::size_t(m_folder.files.size()));
        QCOMPARE(outcome->inferred, std::size_t(m_folder.distinctImages)); // SPAI's images
        QVERIFY(!seen.empty() && seen.back().spaiPatches > 0);

        auto summary = database->scanSummary(outcome->scanId);
        QVERIFY(summary);
        QCOMPARE(summary->backboneSha256, QString());
        QVERIFY(summary->headSha256s.isEmpty());
        QCOMPARE(summary->spaiSha256, QString::fromStdString(spai.value()->sha256()));
        QCOMPARE(summary->preprocessing, QStringLiteral("spai-patches224"));
        QCOMPARE(summary->precision, QStringLiteral("fp32"));
        QCOMPARE(summary->runtime.device, std::string("cpu"));
        const QJsonObject settings = QJsonDocument::fromJson(summary->scan.settingsJson.toUtf8()).object();
        QCOMPARE(settings.value("backbone_sha256").toString(), QString());
        QVERIFY(settings.value("head_sha256s").toArray().isEmpty());

        const auto files = reports(*database, outcome->scanId);
        QCOMPARE(files.size(), std::size_t(m_folder.files.size()));
        int scored = 0;
        for (auto it = m_folder.files.cbegin(); it != m_folder.files.cend(); ++it) {
            const FileReport &report = files.at(it.key());
            QVERIFY2(report.scores.empty(), qPrintable(it.key())); // nothing of RINE's
            const bool image = it->status == QLatin1String("scored") || it->status == QLatin1String("degraded");
            if (!image) {
                QVERIFY2(report.status == it->status,
                         qPrintable(it.key() + ": " + report.status + ", expected " + it->status));
                QVERIFY(!report.spai);
                continue;
            }
            // Degraded follows the decoder's warnings; RINE's crop warnings do not apply.
            QVERIFY2(report.status == QLatin1String("scored") || report.status == QLatin1String("degraded"),
                     qPrintable(it.key() + ": " + report.status + " (" + report.error + ")"));
            QVERIFY2(report.spai.has_value(), qPrintable(it.key()));
            FileBytes bytes;
            auto decoded = readImage(report.path.toStdString(), bytes);
            QVERIFY(decoded);
            const SpaiScore alone = spai.value()->score(decoded->rgb.pixels.data(), decoded->rgb.width,
                                                        decoded->rgb.height, std::size_t(decoded->rgb.width) * 3);
            // The scan's images share SPAI's passes, which moves the last bits (docs/model-fidelity.md).
            QVERIFY2(std::abs(report.spai->logit - alone.logit) < 5e-6,
                     qPrintable(QStringLiteral("%1: %2 against %3 alone").arg(it.key()).arg(report.spai->logit).arg(alone.logit)));
            QCOMPARE(report.spai->patches.size(), alone.patches.size());
            ++scored;
        }
        QVERIFY(scored >= m_folder.distinctImages);
        QCOMPARE(files.at("sub/copy of evidence.jpg").spai->logit, files.at("aadlygmazf.jpg").spai->logit);
        QVERIFY2(database->integrity().verified(), qPrintable(database->integrity().describe()));

        auto again = ScanEngine(*spai.value(), *database).run(request, cancel, {});
        QVERIFY2(again, again ? "" : again.error().c_str());
        QCOMPARE(again->inferred, std::size_t(0));
        QCOMPARE(again->alreadyScored, std::size_t(m_folder.distinctImages + 2)); // and the two copies

        request.cacheFeatures = true;
        auto refused = ScanEngine(*spai.value(), *database).run(request, cancel, {});
        QVERIFY(!refused);
        QVERIFY2(QString::fromStdString(refused.error()).contains("SPAI alone"), refused.error().c_str());
        auto scans = database->scans();
        QVERIFY(scans);
        QCOMPARE(scans->size(), std::size_t(2)); // the refused one began nothing
    }

    void shardsHoldEveryFileOnceWithTheUnshardedResults()
    {
        // A file's shard: the first 8 bytes of the SHA-256 of its path relative to its root, mod N.
        const auto byHand = [](const QString &relative, int count) {
            const QByteArray digest = QCryptographicHash::hash(relative.toUtf8(), QCryptographicHash::Sha256);
            quint64 value = 0;
            for (int i = 0; i < 8; ++i)
                value = (value << 8) | quint8(digest[i]);
            return int(value % quint64(count));
        };
        for (const QString &relative : {QStringLiteral("a.png"), QStringLiteral("x.jpg/camera again.png"),
                                        QStringLiteral("deep/er/\u00e9t\u00e9.jpg")})
            for (int count : {2, 3, 7, 1000})
                QCOMPARE(shardOf(("/evidence/root/" + relative).toStdString(), {"/tmp", "/evidence/root"}, count),
                         byHand(relative, count));
        QCOMPARE(shardOf("/evidence/one.png", {"/evidence/one.png"}, 5), byHand(QStringLiteral("one.png"), 5));

        // Three shards of the hostile folder against one unsharded scan of it.
        ScanRequest request;
        request.roots = {m_folder.root.toStdString()};
        std::atomic<bool> cancel{false};
        auto whole = openCase(dbPath("unsharded.sqlite"));
        auto all = ScanEngine(*m_detectorA, *whole).run(request, cancel, {});
        QVERIFY2(all, all ? "" : all.error().c_str());
        const auto expected = reports(*whole, all->scanId);
        std::map<QString, FileReport> union_;
        request.shardCount = 3;
        for (int shard = 0; shard < 3; ++shard) {
            request.shardIndex = shard;
            auto database = openCase(dbPath(qPrintable(QStringLiteral("shard-%1.sqlite").arg(shard))));
            auto outcome = ScanEngine(*m_detectorA, *database).run(request, cancel, {});
            QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
            for (const auto &[path, report] : reports(*database, outcome->scanId)) {
                QVERIFY2(!union_.count(path), qPrintable(path)); // in one shard only
                QCOMPARE(byHand(path, 3), shard);
                union_[path] = report;
            }
            auto summary = database->scanSummary(outcome->scanId);
            QVERIFY(summary);
            QVERIFY2(summary->scan.settingsJson.contains(QStringLiteral("\"shard\":\"%1/3\"").arg(shard)), qPrintable(summary->scan.settingsJson));
            QVERIFY(database->integrity().verified());
        }
        QCOMPARE(union_.size(), expected.size());
        for (const auto &[path, report] : expected) {
            QVERIFY2(union_.count(path), qPrintable(path));
            const FileReport &got = union_.at(path);
            QCOMPARE(got.status, report.status);
            QCOMPARE(got.sha256, report.sha256);
            QCOMPARE(got.scores.size(), report.scores.size());
            // Within float rounding: a shard batches other images together, and the matrix
            // products' blocking (so the last bits) follows the batch.
            for (std::size_t h = 0; h < got.scores.size(); ++h)
                QVERIFY2(std::abs(got.scores[h].logit - report.scores[h].logit) < 1e-5, qPrintable(path));
        }
        request.shardIndex = 3; // no such shard
        auto database = openCase(dbPath("shard-bad.sqlite"));
        auto refused = ScanEngine(*m_detectorA, *database).run(request, cancel, {});
        QVERIFY(!refused);
        QVERIFY2(QString::fromStdString(refused.error()).contains("numbered 0 to 2"), refused.error().c_str());
    }

    void resultsOfAnotherPrecisionAreOtherResults()
    {
        // bf16 first, then fp32 on the same content: fp32 scores every image again, and the
        // case holds both, each read back with its own precision.
        auto bf16 = loadTiny({kHeadA}, Precision::Bf16);
        auto database = openCase(dbPath("precisions.sqlite"));
        ScanRequest request;
        request.roots = {(kTiny + "images").toStdString()};
        request.cacheFeatures = true;
        std::atomic<bool> cancel{false};
        qint64 bf16Scan = 0;
        {
            ScanEngine engine(*bf16, *database);
            auto outcome = engine.run(request, cancel, {});
            QVERIFY2(outcome, outcome.error().c_str());
            QCOMPARE(outcome->inferred, std::size_t(m_folder.distinctImages));
            bf16Scan = outcome->scanId;
        }
        ScanEngine engine(*m_detectorA, *database);
        auto outcome = engine.run(request, cancel, {});
        QVERIFY2(outcome, outcome.error().c_str());
        QVERIFY(!outcome->resumed);
        QCOMPARE(outcome->inferred, std::size_t(m_folder.distinctImages)); // not the bf16 results, nor their features
        QCOMPARE(outcome->fromCache, std::size_t(0));
        const QJsonObject images = m_reference.value("images").toObject();
        auto summary = database->scanSummary(bf16Scan);
        QVERIFY(summary);
        QCOMPARE(summary->precision, QStringLiteral("bf16"));
        auto bf16Files = database->fileReports(bf16Scan);
        auto fp32Files = database->fileReports(outcome->scanId);
        QVERIFY(bf16Files && fp32Files);
        double largest = 0;
        for (std::size_t i = 0; i < fp32Files->size(); ++i) {
            const FileReport &a = bf16Files.value()[i], &b = fp32Files.value()[i];
            QCOMPARE(a.scores.size(), std::size_t(1));
            QCOMPARE(b.scores.size(), std::size_t(1));
            QCOMPARE(a.scores[0].precision, QStringLiteral("bf16"));
            QCOMPARE(b.scores[0].precision, QStringLiteral("fp32"));
            const double reference = images.value(QFileInfo(b.path).fileName()).toObject().value("logit").toDouble();
            QVERIFY(std::abs(b.scores[0].logit - reference) < 1e-4); // fp32's own, not bf16's
            largest = std::max(largest, std::abs(a.scores[0].logit - b.scores[0].logit));
        }
        QVERIFY2(largest > 1e-5, "the bf16 scan's results equal fp32's");
    }

    void aFormat2CaseUpgradesWithItsPrecisionsAndKeepsItsResults()
    {
        // A case of format 2: results computed on the CPU (fp32) before precisions were a choice.
        const QString path = dbPath("format2.sqlite");
        ScanRequest request;
        request.roots = {(kTiny + "images").toStdString()};
        request.cacheFeatures = true;
        std::atomic<bool> cancel{false};
        {
            auto database = openCase(path);
            ScanEngine engine(*m_detectorA, *database);
            auto outcome = engine.run(request, cancel, {});
            QVERIFY2(outcome, outcome.error().c_str());
        }
        const QString downgraded = test::downgradeToFormat2(path);
        QVERIFY2(downgraded.isEmpty(), qPrintable(downgraded));
        {
            // Read-only: results read with the precision their device implies, nothing written.
            const QByteArray before = test::readAll(path);
            auto database = CaseDatabase::open(path, CaseDatabase::Mode::ReadOnly);
            QVERIFY2(database, database ? "" : database.error().c_str());
            auto scans = database.value()->scans();
            QVERIFY(scans && !scans->empty());
            auto files = database.value()->fileReports(scans->front().id);
            QVERIFY(files);
            QCOMPARE(files->front().scores.size(), std::size_t(1));
            QCOMPARE(files->front().scores[0].precision, QStringLiteral("fp32"));
            database.value().reset();
            QCOMPARE(test::readAll(path), before);
        }
        // Opened for writing: upgraded to the current format, every result kept as fp32, so an fp32 scan
        // scores nothing again and its cached features are reused.
        openCase(path).reset();
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("upgraded"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery query(db);
            QVERIFY(query.exec(QStringLiteral("PRAGMA user_version")) && query.next());
            QCOMPARE(query.value(0).toInt(), CaseDatabase::kSchemaVersion);
            QVERIFY(query.exec(QStringLiteral("SELECT count(*), min(precision), max(precision) FROM results")) && query.next());
            QCOMPARE(query.value(0).toInt(), m_folder.distinctImages);
            QCOMPARE(query.value(1).toString(), QStringLiteral("fp32"));
            QCOMPARE(query.value(2).toString(), QStringLiteral("fp32"));
            QVERIFY(query.exec(QStringLiteral("SELECT count(*) FROM features WHERE precision='fp32'")) && query.next());
            QCOMPARE(query.value(0).toInt(), m_folder.distinctImages);
            QVERIFY(query.exec(QStringLiteral("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1")) && query.next());
            QCOMPARE(query.value(0).toString(), QStringLiteral("case format upgraded"));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("upgraded"));
        auto database = openCase(path);
        ScanEngine engine(*m_detectorA, *database);
        auto outcome = engine.run(request, cancel, {});
        QVERIFY2(outcome, outcome.error().c_str());
        QCOMPARE(outcome->inferred, std::size_t(0));
        QCOMPARE(outcome->alreadyScored, std::size_t(m_folder.distinctImages));
        auto bf16 = loadTiny({kHeadA}, Precision::Bf16);
        ScanEngine bf16Engine(*bf16, *database);
        outcome = bf16Engine.run(request, cancel, {});
        QVERIFY2(outcome, outcome.error().c_str());
        QCOMPARE(outcome->inferred, std::size_t(m_folder.distinctImages));
    }

    void cancelCommitsAndTheRerunResumes()
    {
        auto database = openCase(dbPath("resume.sqlite"));
        ScanRequest request;
        request.roots = {m_folder.root.toStdString()};
        request.batchSize = 2;
        request.workers = 1;
        std::atomic<bool> cancel{false};
        ScanEngine engine(*m_detectorA, *database);
        // Cancel as soon as the first batch is committed.
        auto first = engine.run(request, cancel, [&](const ScanProgress &p) {
            if (p.phase == ScanProgress::Phase::Scanning && p.inferred >= 2)
                cancel = true;
        });
        QVERIFY2(first, first.error().c_str());
        QVERIFY(first->cancelled);
        QVERIFY(first->inferred >= 2 && first->inferred < std::size_t(m_folder.distinctImages));
        auto scans = database->scans();
        QVERIFY(scans);
        QCOMPARE(scans->back().state, QStringLiteral("cancelled"));

        cancel = false;
        auto second = engine.run(request, cancel, {});
        QVERIFY2(second, second.error().c_str());
        QVERIFY(second->resumed);
        QCOMPARE(second->scanId, first->scanId);
        // Together the two runs put each distinct image through the backbone exactly once.
        QCOMPARE(first->inferred + second->inferred, std::size_t(m_folder.distinctImages));
        QVERIFY(second->examined < std::size_t(m_folder.files.size())); // what the first run committed is not redone
        const auto files = reports(*database, second->scanId);
        for (auto it = m_folder.files.cbegin(); it != m_folder.files.cend(); ++it)
            QVERIFY2(files.at(it.key()).status == it->status, qPrintable(it.key()));
        // The resumed scan took over rows of the first run's entries (its scan row, its pending
        // files): those entries' remaining rows were re-recorded, so all still verify.
        const CaseIntegrity integrity = database->integrity();
        QVERIFY2(integrity.verified(), qPrintable(integrity.describe()));
    }

    void aFileWhoseDecodeKilledTheProgramTwiceIsFailedNotRetried()
    {
        // The first run is stopped after its first batch, as if the process had died while
        // decoding two files: their lines are left open in the decode journal beside the case.
        // One was in flight at a death for the first time (a kill -9 may just have caught it):
        // decoded again. The other had been in flight at the death before too (marked S): failed.
        const QString path = dbPath("killed.sqlite");
        auto database = openCase(path);
        ScanRequest request;
        request.roots = {(kTiny + "images").toStdString()};
        request.batchSize = 2;
        request.workers = 1;
        std::atomic<bool> cancel{false};
        ScanEngine engine(*m_detectorA, *database);
        auto first = engine.run(request, cancel, [&](const ScanProgress &p) {
            if (p.phase == ScanProgress::Phase::Scanning && p.inferred >= 2)
                cancel = true;
        });
        QVERIFY2(first && first->cancelled, first ? "" : first.error().c_str());
        QVERIFY(!QFile::exists(path + ".decoding")); // a run that returns leaves no journal
        auto files = database->fileReports(first->scanId);
        QVERIFY(files);
        std::vector<FileReport> pending;
        for (const FileReport &f : files.value())
            if (f.status == QLatin1String("pending"))
                pending.push_back(f);
        QVERIFY(pending.size() >= 2);
        const FileReport *victim = &pending[0], *once = &pending[1];
        const auto shaOf = [](const QString &file) {
            return QString::fromLatin1(QCryptographicHash::hash(test::readAll(file), QCryptographicHash::Sha256).toHex());
        };
        const QString sha = shaOf(victim->path);
        {
            QFile journal(path + ".decoding");
            QVERIFY(journal.open(QIODevice::WriteOnly));
            journal.write(QStringLiteral("S %1 %2 %3\nB %1 %2 %3\nB %1 %4 %5\nB %1 999999 %3\nE %1 999999\n")
                              .arg(first->scanId)
                              .arg(victim->id)
                              .arg(sha)
                              .arg(once->id)
                              .arg(shaOf(once->path))
                              .toLatin1());
        }
        cancel = false;
        auto second = engine.run(request, cancel, {});
        QVERIFY2(second, second ? "" : second.error().c_str());
        QCOMPARE(second->stoppedInDecode, std::size_t(1));
        auto after = database->fileReports(second->scanId, {victim->id});
        QVERIFY(after && after->size() == 1);
        QCOMPARE(after->front().status, QStringLiteral("failed"));
        QVERIFY2(after->front().error.contains("stopped the program twice while being decoded"), qPrintable(after->front().error));
        QCOMPARE(after->front().sha256, sha);
        auto retried = database->fileReports(second->scanId, {once->id});
        QVERIFY(retried && retried->size() == 1);
        QCOMPARE(retried->front().status, QStringLiteral("scored"));
        QVERIFY(!QFile::exists(path + ".decoding"));
        const CaseIntegrity integrity = database->integrity();
        QVERIFY2(integrity.verified(), qPrintable(integrity.describe()));
    }

    // Images whose decode takes a tenth of a second or more (36 megapixels) but whose files are
    // small (one colour, compressed), so that reading and hashing the next file is quick next to
    // the decodes still running; each with bytes of its own.
    QString slowImages(const QString &name, int count)
    {
        const QString folder = m_dir.filePath(name);
        QDir().mkpath(folder);
        if (m_slowPng.isEmpty()) {
            QImage image(6000, 6000, QImage::Format_RGB888);
            image.fill(QColor(90, 120, 150));
            QBuffer buffer(&m_slowPng);
            buffer.open(QIODevice::WriteOnly);
            if (!image.save(&buffer, "PNG"))
                qFatal("cannot encode a test image");
        }
        for (int i = 0; i < count; ++i) {
            // The same pixels, other bytes: a tEXt chunk of its own before IEND (the last 12 bytes).
            const QByteArray body = "tEXtn\0" + QByteArray::number(i);
            QByteArray chunk;
            for (int shift = 24; shift >= 0; shift -= 8)
                chunk.append(char((body.size() - 4) >> shift));
            chunk += body;
            const quint32 crc = crc32(body);
            for (int shift = 24; shift >= 0; shift -= 8)
                chunk.append(char(crc >> shift));
            QByteArray png = m_slowPng;
            png.insert(png.size() - 12, chunk);
            QFile file(folder + QStringLiteral("/slow-%1.png").arg(i));
            if (!file.open(QIODevice::WriteOnly) || file.write(png) != png.size())
                qFatal("cannot write a test image");
        }
        return folder;
    }

    // A scan of `folder`, one file at a time, in which every decode overruns a 1 ms limit, with
    // a budget of its own: `capacity` such decodes at once, a file waiting `wait` s for room.
    static ScanRequest overrunningScan(const QString &folder, int capacity, double wait)
    {
        ScanRequest request;
        request.roots = {folder.toStdString()};
        request.workers = 1;
        request.limits.timeoutSeconds = 0.001;
        request.limits.budget = std::make_shared<DecodeBudget>(capacity, wait);
        return request;
    }

    static quint32 crc32(const QByteArray &bytes) // PNG's CRC (ISO 3309), bit by bit
    {
        quint32 crc = 0xffffffffu;
        for (const char c : bytes) {
            crc ^= quint8(c);
            for (int k = 0; k < 8; ++k)
                crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
        }
        return crc ^ 0xffffffffu;
    }

    void stuckDecodesCountAgainstTheScanAndTheRestIsExaminedLater()
    {
        // Every decode overruns a 1 ms limit. The scan's budget lets 2 run on at once; a file
        // that finds it full waits 1 ms for one to end, then is left pending, and so are the
        // files after it while the budget stays full. The scan is "incomplete", says so, and
        // its next run examines them.
        auto database = openCase(dbPath("deferred.sqlite"));
        ScanRequest request = overrunningScan(slowImages("slow-deferred", 6), 2, 0.001);
        std::atomic<bool> cancel{false};
        ScanEngine engine(*m_detectorA, *database);
        auto first = engine.run(request, cancel, {});
        QVERIFY2(first, first ? "" : first.error().c_str());
        QCOMPARE(first->decodeBudget, 2);
        QVERIFY(first->decodesOverTime >= 2);
        QVERIFY(first->deferred >= 1);
        QCOMPARE(first->decodesOverTime + first->deferred, std::size_t(6));
        QCOMPARE(first->inferred, std::size_t(0));
        auto scans = database->scans();
        QVERIFY(scans);
        QCOMPARE(scans->back().state, QStringLiteral("incomplete"));
        auto files = database->fileReports(first->scanId);
        QVERIFY(files);
        std::size_t pending = 0, overTime = 0;
        for (const FileReport &f : files.value()) {
            if (f.status == QLatin1String("pending"))
                ++pending;
            else if (f.status == QLatin1String("failed") && f.error.contains(QLatin1String("took longer than 0.001 s")))
                ++overTime;
            else
                QFAIL(qPrintable(f.path + ": " + f.status + ": " + f.error));
        }
        QCOMPARE(pending, first->deferred);
        QCOMPARE(overTime, first->decodesOverTime);
        // The audit log's entry for the end of the scan carries the figures.
        auto entries = database->auditLog();
        QVERIFY(entries);
        const QJsonObject decoding = QJsonDocument::fromJson(entries->back().details.toUtf8()).object()
                                         .value(QStringLiteral("decoding")).toObject();
        QCOMPARE(entries->back().action, QStringLiteral("scan incomplete"));
        QCOMPARE(decoding.value(QStringLiteral("stuck_budget")).toInt(), 2);
        QCOMPARE(decoding.value(QStringLiteral("deferred")).toInt(), int(first->deferred));
        QCOMPARE(decoding.value(QStringLiteral("over_time")).toInt(), int(first->decodesOverTime));

        // The same scan again, with no time limit: it resumes and examines what it left.
        request.limits.timeoutSeconds = 0;
        auto second = engine.run(request, cancel, {});
        QVERIFY2(second, second ? "" : second.error().c_str());
        QVERIFY(second->resumed);
        QCOMPARE(second->scanId, first->scanId);
        QCOMPARE(second->deferred, std::size_t(0));
        QCOMPARE(second->inferred, first->deferred);
        scans = database->scans();
        QVERIFY(scans);
        QCOMPARE(scans->back().state, QStringLiteral("completed"));
        files = database->fileReports(first->scanId);
        QVERIFY(files);
        std::size_t scored = 0;
        for (const FileReport &f : files.value())
            scored += f.status == QLatin1String("scored");
        QCOMPARE(scored, first->deferred);
        const CaseIntegrity integrity = database->integrity();
        QVERIFY2(integrity.verified(), qPrintable(integrity.describe()));
        QTRY_COMPARE_WITH_TIMEOUT(stuckDecodes(), 0, 120000);
    }

    void aFileWaitsForAStuckDecodeToEndInsteadOfFailing()
    {
        // A budget of one, and room waited for as long as it takes: each file waits for the
        // previous one's overrun decode to end, then is decoded (and overruns) in turn. None is
        // refused for want of room, and none is left pending.
        auto database = openCase(dbPath("waiting.sqlite"));
        const ScanRequest request = overrunningScan(slowImages("slow-waiting", 3), 1, 600);
        std::atomic<bool> cancel{false};
        ScanEngine engine(*m_detectorA, *database);
        auto outcome = engine.run(request, cancel, {});
        QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
        QCOMPARE(outcome->deferred, std::size_t(0));
        QCOMPARE(outcome->decodesOverTime, std::size_t(3));
        auto files = database->fileReports(outcome->scanId);
        QVERIFY(files);
        QCOMPARE(files->size(), std::size_t(3));
        for (const FileReport &f : files.value())
            QVERIFY2(f.status == QLatin1String("failed") && f.error.contains(QLatin1String("took longer than")),
                     qPrintable(f.path + ": " + f.status + ": " + f.error));
        auto scans = database->scans();
        QVERIFY(scans);
        QCOMPARE(scans->back().state, QStringLiteral("completed"));
        // The process does not end under a decode still running on its own thread.
        QTRY_COMPARE_WITH_TIMEOUT(stuckDecodes(), 0, 120000);
    }

    void aFileThatVanishesMidScanIsReported()
    {
        const QString folder = m_dir.filePath("vanishing");
        QDir().mkpath(folder);
        const QStringList names = QDir(kTiny + "images").entryList(QDir::Files, QDir::Name);
        for (const QString &name : names)
            QVERIFY(QFile::copy(kTiny + "images/" + name, folder + "/" + name));
        auto database = openCase(dbPath("vanishing.sqlite"));
        ScanEngine engine(*m_detectorA, *database);
        ScanRequest request;
        request.roots = {folder.toStdString()};
        request.batchSize = 1;
        request.workers = 1; // with a queue of 3, the reader is at most 4 files ahead
        std::atomic<bool> cancel{false};
        const QString last = folder + "/" + names.back();
        auto outcome = engine.run(request, cancel, [&](const ScanProgress &p) {
            if (p.phase == ScanProgress::Phase::Scanning && p.done == 0)
                QFile::remove(last); // listed by the walk, gone before it is read
        });
        QVERIFY2(outcome, outcome.error().c_str());
        const auto files = database->fileReports(outcome->scanId);
        QVERIFY(files);
        QCOMPARE(files->size(), std::size_t(names.size()));
        QCOMPARE(files->back().path, last);
        QCOMPARE(files->back().status, QStringLiteral("failed"));
        QVERIFY2(files->back().error.contains("vanished during the scan"), qPrintable(files->back().error));
        QCOMPARE(outcome->inferred, std::size_t(names.size() - 1));
        const CaseIntegrity integrity = database->integrity();
        QVERIFY2(integrity.verified(), qPrintable(integrity.describe()));
    }

    void damagedOrForeignDatabasesAreRefused()
    {
        const QString text = test::writeFile(m_dir, "notes.sqlite", "these are notes, not a database\n");
        auto opened = CaseDatabase::open(text, CaseDatabase::Mode::OpenOrCreate);
        QVERIFY(!opened);
        QVERIFY2(QString::fromStdString(opened.error()).contains("not a RINE Studio case database"), opened.error().c_str());

        // Another program's SQLite database.
        const QString foreign = m_dir.filePath("foreign.sqlite");
        {
            QSqlDatabase other = QSqlDatabase::addDatabase("QSQLITE", "foreign");
            other.setDatabaseName(foreign);
            QVERIFY(other.open());
            QVERIFY(QSqlQuery(other).exec("CREATE TABLE t(x)"));
            other.close();
        }
        QSqlDatabase::removeDatabase("foreign");
        opened = CaseDatabase::open(foreign, CaseDatabase::Mode::OpenOrCreate);
        QVERIFY(!opened);
        QVERIFY2(QString::fromStdString(opened.error()).contains("not a RINE Studio case"), opened.error().c_str());

        // One of ours with its pages overwritten in the middle.
        const QString damaged = m_dir.filePath("damaged.sqlite");
        QVERIFY(QFile::copy(dbPath("hostile.sqlite"), damaged));
        QFile file(damaged);
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.size() > 8192);
        // The b-tree header of every page after the first: what a bad disk sector does.
        for (qint64 page = 4096; page + 16 <= file.size(); page += 4096) {
            file.seek(page);
            file.write(QByteArray(16, '\x5a'));
        }
        file.close();
        QFile::remove(damaged + "-wal");
        QFile::remove(damaged + "-shm");
        opened = CaseDatabase::open(damaged, CaseDatabase::Mode::OpenOrCreate);
        QVERIFY(!opened);
        QVERIFY2(QString::fromStdString(opened.error()).contains("damaged"), opened.error().c_str());
        QVERIFY2(QString::fromStdString(opened.error()).contains(damaged.toStdString().c_str()), opened.error().c_str());
    }

    void receivedCasesAreOnlyRead()
    {
        const QString path = m_dir.filePath("received.sqlite");
        qputenv("RINE_INSTALLATION_ID", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        {
            auto made = CaseDatabase::open(path, CaseDatabase::Mode::OpenOrCreate);
            QVERIFY2(made, made.error().c_str());
            QCOMPARE(made.value()->owner(), QStringLiteral("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
            QVERIFY(made.value()->whyNotWritable().isEmpty());
        }
        QVERIFY(CaseDatabase::open(path, CaseDatabase::Mode::OpenExisting)); // ours: writable

        // Another installation reads it, but does not write to it unless it adopts it.
        qputenv("RINE_INSTALLATION_ID", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        auto refused = CaseDatabase::open(path, CaseDatabase::Mode::OpenExisting);
        QVERIFY(!refused);
        QVERIFY2(refused.error().find("another RINE Studio installation (aaaaaaaa") != std::string::npos
                     && refused.error().find("adopt") != std::string::npos,
                 refused.error().c_str());
        {
            auto read = CaseDatabase::open(path, CaseDatabase::Mode::ReadOnly);
            QVERIFY2(read, read.error().c_str());
            QVERIFY(read.value()->readOnly());
            QVERIFY(!read.value()->whyNotWritable().isEmpty());
            QVERIFY(!read.value()->appendAudit("tampering", {})); // the connection itself is read-only
        }
        {
            auto adopted = CaseDatabase::open(path, CaseDatabase::Mode::OpenExisting, {}, true);
            QVERIFY2(adopted, adopted.error().c_str());
            QCOMPARE(adopted.value()->owner(), QStringLiteral("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
            auto log = adopted.value()->auditLog();
            QVERIFY(log && log->back().action == QStringLiteral("case adopted"));
            QVERIFY(log->back().details.contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); // whose it was
            QVERIFY(adopted.value()->verifyAudit());
        }
        QVERIFY(CaseDatabase::open(path, CaseDatabase::Mode::OpenExisting)); // now ours

        // An audit log changed after the fact: never written to, adopted or not.
        {
            QSqlDatabase raw = QSqlDatabase::addDatabase("QSQLITE", "tamper");
            raw.setDatabaseName(path);
            QVERIFY(raw.open());
            QVERIFY(QSqlQuery(raw).exec("UPDATE audit_log SET actor = 'someone@else' WHERE id = 1"));
            raw.close();
        }
        QSqlDatabase::removeDatabase("tamper");
        for (bool adopt : {false, true}) {
            auto altered = CaseDatabase::open(path, CaseDatabase::Mode::OpenExisting, {}, adopt);
            QVERIFY(!altered);
            QVERIFY2(altered.error().find("does not verify against its audit log") != std::string::npos, altered.error().c_str());
        }
        QVERIFY(CaseDatabase::open(path, CaseDatabase::Mode::ReadOnly)); // still readable

        // Without the variable, the identity is made once and kept in the data folder.
        qunsetenv("RINE_INSTALLATION_ID");
        const QString id = CaseDatabase::installationId();
        QCOMPARE(id.size(), 32);
        QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{32}$")).match(id).hasMatch());
        QCOMPARE(CaseDatabase::installationId(), id);
        QFile kept(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
                   + QStringLiteral("/rine-studio/installation-id"));
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromLatin1(kept.readAll()).trimmed(), id);
    }
};

QTEST_GUILESS_MAIN(TestScanEngine)
#include "tst_scan_engine.moc"
