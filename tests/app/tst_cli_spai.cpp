// rine-cli score --detector spai and --detector rine --detector spai: SPAI's records against
// the upstream code's outputs (tests/data/spai-tiny/reference.json), both detectors in one run
// against each run alone, the trust policy for SPAI's weights, and bad usage.

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "RunCli.h"
#include "TestFiles.h"
#include "util/Csv.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

using rine::test::readAll;
using rine::test::Run;

namespace {

const QString kSpai = QStringLiteral(RINE_TEST_DATA "/spai-tiny/");
const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");
const QString kCheckpoint = kSpai + QStringLiteral("spai_tiny_checkpoint.pth");

QStringList tinyRine()
{
    return {"--backbone", kTiny + "clip_tiny_traced.pt", "--head", kTiny + "rine_tiny_head.pth", "--device", "cpu"};
}

// Two JSON values equal but for numbers, which may differ by `tolerance`: SPAI's scores from a
// scan, whose decode threads share SPAI's passes, against the same images scored one by one
// (a patch's neighbours in a pass move the last bits of the matrix products: ~1e-6).
bool nearlyEqual(const QJsonValue &a, const QJsonValue &b, double tolerance = 5e-6)
{
    if (a.isDouble() && b.isDouble())
        return std::abs(a.toDouble() - b.toDouble()) < tolerance;
    if (a.isArray() && b.isArray()) {
        const QJsonArray x = a.toArray(), y = b.toArray();
        if (x.size() != y.size())
            return false;
        for (qsizetype i = 0; i < x.size(); ++i)
            if (!nearlyEqual(x[i], y[i], tolerance))
                return false;
        return true;
    }
    if (a.isObject() && b.isObject()) {
        const QJsonObject x = a.toObject(), y = b.toObject();
        if (x.keys() != y.keys())
            return false;
        for (const QString &key : x.keys())
            if (!nearlyEqual(x.value(key), y.value(key), tolerance))
                return false;
        return true;
    }
    return a == b;
}

} // namespace

class TestCliSpai : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QJsonObject m_reference; // per image
    QStringList m_images; // the 8 reference images
    QProcessEnvironment m_env;

    Run cli(const QStringList &arguments) { return rine::test::rineCli(arguments, {{}, m_env, false}); }

    static QJsonObject parse(const Run &run) { return QJsonDocument::fromJson(run.out).object(); }

    // Merges the shards into <name>.sqlite, checks that the merged case verifies, and reads its
    // JSON export.
    void mergeShards(const QStringList &shards, const QString &name, QJsonObject &exported)
    {
        const QString merged = m_dir.filePath(name + ".sqlite"), json = m_dir.filePath(name + ".json");
        Run run = cli(QStringList{"merge", "--db", merged} + shards);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        run = cli({"audit", "--db", merged});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        run = cli({"report", "--db", merged, "--json", json});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        exported = QJsonDocument::fromJson(readAll(json)).object();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_reference = QJsonDocument::fromJson(readAll(kSpai + "reference.json")).object().value("images").toObject();
        QCOMPARE(m_reference.size(), 8);
        for (const QString &name : m_reference.keys())
            m_images << kSpai + "images/" + name;
        // A model folder and trust records of this test's own.
        m_env = QProcessEnvironment::systemEnvironment();
        m_env.insert("RINE_MODEL_STORE", m_dir.filePath("store"));
        m_env.insert("XDG_DATA_HOME", m_dir.filePath("data"));
        m_env.remove("RINE_SPAI_WEIGHTS");
    }

    // Every record: the upstream logit within 5e-5, the layout and each patch's corner exactly.
    void spaiScoresAsTheUpstreamCode()
    {
        const Run run = cli(QStringList{"score", "--detector", "spai", "--spai-weights", kCheckpoint, "--trust", "--quiet"}
                            + m_images);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject root = parse(run);
        QCOMPARE(root.value("detectors").toArray(), QJsonArray{"spai"});
        QCOMPARE(root.value("spai").toObject().value("weights_sha256").toString(),
                 QString::fromLatin1(QCryptographicHash::hash(readAll(kCheckpoint), QCryptographicHash::Sha256).toHex()));
        QVERIFY(!root.contains("model")); // RINE did not run
        const QJsonArray records = root.value("records").toArray();
        QCOMPARE(records.size(), 8);
        for (int i = 0; i < records.size(); ++i) {
            const QJsonObject record = records[i].toObject();
            const QString name = QFileInfo(record.value("path").toString()).fileName();
            const QJsonObject expected = m_reference.value(name).toObject();
            QCOMPARE(record.value("status").toString(), QStringLiteral("ok"));
            QVERIFY(record.value("probability").isNull()); // the top-level score is RINE's
            const QJsonObject spai = record.value("scores").toObject().value("spai").toObject();
            const double logit = spai.value("logit").toDouble();
            QVERIFY2(std::abs(logit - expected.value("logit").toDouble()) < 5e-5,
                     qPrintable(QStringLiteral("%1: %2 vs %3").arg(name).arg(logit).arg(expected.value("logit").toDouble())));
            QVERIFY(std::abs(spai.value("probability").toDouble() - expected.value("prob").toDouble()) < 2e-5);
            QCOMPARE(spai.value("patch_mode").toString(), expected.value("patch_mode").toString());
            QCOMPARE(spai.value("padding").toArray(), expected.value("padding_top_bottom_left_right").toArray());
            const QJsonArray patches = spai.value("patches").toArray();
            const QJsonArray expectedPatches = expected.value("patches").toArray();
            QCOMPARE(patches.size(), expected.value("num_patches").toInt());
            for (int p = 0; p < patches.size(); ++p) {
                const QJsonArray corner = expectedPatches[p].toObject().value("top_left").toArray();
                QCOMPARE(patches[p].toObject().value("top").toInt(), corner[0].toInt());
                QCOMPARE(patches[p].toObject().value("left").toInt(), corner[1].toInt());
                QVERIFY(std::abs(patches[p].toObject().value("attention_mean").toDouble()
                                 - expected.value("attention_mean_over_heads").toArray()[p].toDouble())
                        < 1e-4);
                QVERIFY(std::abs(patches[p].toObject().value("solo_logit").toDouble()
                                 - expectedPatches[p].toObject().value("solo_logit").toDouble())
                        < 5e-5);
            }
        }
    }

    // Both detectors in one run: each image read once, and each detector's scores those it
    // gives alone (the same batches, so equal to the last bit).
    void bothDetectorsEqualEachAlone()
    {
        const QStringList images{m_images[0], m_images[3], m_images[4], kTiny + "images/coffee.png"};
        const Run both = cli(QStringList{"score", "--detector", "rine", "--detector", "spai", "--spai-weights", kCheckpoint,
                                         "--trust", "--quiet", "--batch", "2"}
                             + tinyRine() + images);
        QVERIFY2(both.exitCode == 0, both.err.constData());
        const Run rine = cli(QStringList{"score", "--trust", "--quiet", "--batch", "2"} + tinyRine() + images);
        QVERIFY2(rine.exitCode == 0, rine.err.constData());
        const Run spai = cli(QStringList{"score", "--detector", "spai", "--spai-weights", kCheckpoint, "--trust", "--quiet"} + images);
        QVERIFY2(spai.exitCode == 0, spai.err.constData());
        const QJsonArray b = parse(both).value("records").toArray(), r = parse(rine).value("records").toArray(),
                         s = parse(spai).value("records").toArray();
        QCOMPARE(parse(both).value("detectors").toArray(), (QJsonArray{"rine", "spai"}));
        QCOMPARE(b.size(), 4);
        for (int i = 0; i < b.size(); ++i) {
            const QJsonObject scores = b[i].toObject().value("scores").toObject();
            QCOMPARE(b[i].toObject().value("sha256"), r[i].toObject().value("sha256"));
            QCOMPARE(scores.value("rine").toObject().value("logit").toDouble(), r[i].toObject().value("logit").toDouble());
            QCOMPARE(b[i].toObject().value("logit").toDouble(), r[i].toObject().value("logit").toDouble());
            QCOMPARE(b[i].toObject().value("contributions"), r[i].toObject().value("contributions"));
            QCOMPARE(scores.value("spai"), s[i].toObject().value("scores").toObject().value("spai"));
        }
        // CSV: RINE's columns, then SPAI's.
        const Run csv = cli(QStringList{"score", "--detector", "rine", "--detector", "spai", "--spai-weights", kCheckpoint,
                                        "--trust", "--quiet", "--format", "csv"}
                            + tinyRine() + QStringList{m_images[3]});
        QVERIFY2(csv.exitCode == 0, csv.err.constData());
        const QList<QByteArray> lines = csv.out.split('\n');
        QVERIFY2(lines[0].startsWith("path,sha256,status,error,logit,probability,") && lines[0].contains(",spai_logit,spai_probability,spai_patch_mode,spai_patches"),
                 lines[0].constData());
        const QByteArray expected = QByteArray::number(m_reference.value(QFileInfo(m_images[3]).fileName()).toObject().value("num_patches").toInt());
        QVERIFY2(lines[1].trimmed().endsWith("," + expected), lines[1].constData());
    }

    // SPAI's checkpoint is a pickle: loaded only when known, pinned or trusted on purpose.
    void spaiWeightsFollowTheTrustPolicy()
    {
        const QString copy = m_dir.filePath("elsewhere.pth");
        QVERIFY(QFile::copy(kSpai + "spai_tiny_state_dict.pt", copy));
        Run run = cli({"score", "--detector", "spai", "--spai-weights", copy, "--quiet", m_images[0]});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("elsewhere.pth") && run.err.contains("--trust"), run.err.constData());
        QVERIFY(run.out.isEmpty());

        // Where the default file is missing: say how to get it.
        run = cli({"score", "--detector", "spai", "--quiet", m_images[0]});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("spai.pth") && run.err.contains("rine-cli models fetch spai"), run.err.constData());

        // A web page saved as the weights, trusted by mistake: refused with the file named.
        const QString page = rine::test::writeFile(m_dir, "spai_page.pth",
                                                   "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>");
        run = cli({"score", "--detector", "spai", "--spai-weights", page, "--trust", "--quiet", m_images[0]});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("spai_page.pth"), run.err.constData());
        // RINE's head given as SPAI's weights: its tensors are not SPAI's.
        run = cli({"score", "--detector", "spai", "--spai-weights", kTiny + "rine_tiny_head.pth", "--trust", "--quiet",
                   m_images[0]});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("rine_tiny_head.pth"), run.err.constData());
    }

    // rine-cli robustness --detector spai: SPAI sweeps the image whole; its baseline (the fine
    // preset keeps the image's resolution) is the upstream logit, each point is scored, and with
    // both detectors RINE's record is the one it gives alone.
    void robustnessSweepsEither()
    {
        const QString chelsea = kSpai + "images/chelsea_449x300.png";
        const QString both = m_dir.filePath("both.json"), alone = m_dir.filePath("alone.json");
        Run run = cli(QStringList{"robustness", "--detector", "rine", "--detector", "spai", "--spai-weights", kCheckpoint,
                                  "--trust", "--quiet", "--preset", "fine", "--json", both}
                      + tinyRine() + QStringList{chelsea});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        run = cli(QStringList{"robustness", "--trust", "--quiet", "--preset", "fine", "--json", alone} + tinyRine()
                  + QStringList{chelsea});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject document = QJsonDocument::fromJson(readAll(both)).object();
        QCOMPARE(document.value("detectors").toArray(), (QJsonArray{"rine", "spai"}));
        QVERIFY(document.contains("model") && document.contains("spai"));
        const QJsonArray records = document.value("records").toArray();
        QCOMPARE(records.size(), 2);
        QJsonObject rine = records[0].toObject(), spai = records[1].toObject();
        QCOMPARE(rine.value("detector").toString(), QStringLiteral("rine"));
        QCOMPARE(spai.value("detector").toString(), QStringLiteral("spai"));
        QJsonObject rineAlone = QJsonDocument::fromJson(readAll(alone)).object().value("records").toArray()[0].toObject();
        rine.remove("seconds");
        rineAlone.remove("seconds");
        QCOMPARE(rine, rineAlone);
        const double expected = m_reference.value("chelsea_449x300.png").toObject().value("logit").toDouble();
        QVERIFY(std::abs(spai.value("baseline").toObject().value("logit").toDouble() - expected) < 5e-5);
        int points = 0;
        for (const QJsonValue &series : spai.value("series").toArray())
            for (const QJsonValue &point : series.toObject().value("points").toArray()) {
                ++points;
                const double p = point.toObject().value("probability").toDouble();
                QVERIFY(p > 0 && p < 1);
                QCOMPARE(point.toObject().value("verdict").toString(), p >= 0.5 ? QStringLiteral("fake") : QStringLiteral("real"));
            }
        QCOMPARE(spai.value("forward_passes").toInt(), points + 1);
        QCOMPARE(rine.value("series").toArray().size(), spai.value("series").toArray().size());
    }

    // rine-cli evaluate --detector spai: accuracy and average precision from the upstream
    // probabilities, worked out here; with both detectors, RINE's evaluation is the one it
    // gives alone.
    void evaluateMeasuresEither()
    {
        // 4 real, 4 fake, in the flat layout.
        QDir root(m_dir.filePath("eval"));
        QVERIFY(root.mkpath("0_real") && root.mkpath("1_fake"));
        const QStringList names = m_reference.keys();
        std::vector<std::pair<double, int>> expected; // upstream probability, label
        for (int i = 0; i < names.size(); ++i) {
            const int label = i % 2;
            QVERIFY(QFile::copy(kSpai + "images/" + names[i], root.filePath((label ? "1_fake/" : "0_real/") + names[i])));
            expected.push_back({m_reference.value(names[i]).toObject().value("prob").toDouble(), label});
        }
        int correct = 0;
        for (const auto &[p, label] : expected)
            correct += (p >= 0.5) == (label == 1) ? 1 : 0;
        // Average precision: the precision at each fake's rank, averaged over the fakes.
        std::sort(expected.begin(), expected.end(), [](auto a, auto b) { return a.first > b.first; });
        double ap = 0;
        int fakesSeen = 0;
        for (std::size_t i = 0; i < expected.size(); ++i)
            if (expected[i].second == 1)
                ap += double(++fakesSeen) / double(i + 1) / 4.0;

        const QString both = m_dir.filePath("eval-both.json"), alone = m_dir.filePath("eval-rine.json");
        Run run = cli(QStringList{"evaluate", "--data", root.path(), "--detector", "rine", "--detector", "spai",
                                  "--spai-weights", kCheckpoint, "--trust", "--quiet", "--json", both}
                      + tinyRine());
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("RINE\n") && run.out.contains("SPAI\n"), run.out.constData());
        run = cli(QStringList{"evaluate", "--data", root.path(), "--trust", "--quiet", "--json", alone} + tinyRine());
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject document = QJsonDocument::fromJson(readAll(both)).object();
        QCOMPARE(document.value("detectors").toArray(), (QJsonArray{"rine", "spai"}));
        const QJsonArray evaluations = document.value("evaluations").toArray();
        QCOMPARE(evaluations.size(), 2);
        const QJsonObject spai = evaluations[1].toObject();
        QCOMPARE(spai.value("detector").toString(), QStringLiteral("spai"));
        const QJsonObject row = spai.value("generators").toArray()[0].toObject();
        QCOMPARE(row.value("real").toInt(), 4);
        QCOMPARE(row.value("fake").toInt(), 4);
        QCOMPARE(row.value("accuracy").toDouble(), correct / 8.0);
        QVERIFY(std::abs(spai.value("mean_average_precision").toDouble() - ap) < 1e-12);
        // RINE's, with SPAI beside it, as alone; and at the root, as before SPAI.
        const QJsonObject rineAlone = QJsonDocument::fromJson(readAll(alone)).object();
        QCOMPARE(evaluations[0].toObject().value("generators"), rineAlone.value("generators"));
        QCOMPARE(document.value("generators"), rineAlone.value("generators"));
        QCOMPARE(document.value("mean_average_precision"), rineAlone.value("mean_average_precision"));
    }

    // rine-cli scan --detector rine --detector spai: the case (format 6) holds SPAI's score of
    // each content beside RINE's, each equal to what score gives alone (RINE's to the last bit,
    // SPAI's within 5e-6: the scan's images share SPAI's passes), and verifies.
    void scanWithBothDetectors()
    {
        QDir evidence(m_dir.filePath("evidence"));
        QVERIFY(evidence.mkpath("."));
        const QStringList images{m_images[0], m_images[3], m_images[5]};
        for (const QString &image : images)
            QVERIFY(QFile::copy(image, evidence.filePath(QFileInfo(image).fileName())));
        const QString db = m_dir.filePath("both.sqlite"), json = m_dir.filePath("both-scan.json");
        const QString progress = m_dir.filePath("both-progress.json");
        Run run = cli(QStringList{"scan", "--db", db, "--detector", "rine", "--detector", "spai", "--spai-weights",
                                  kCheckpoint, "--trust", "--quiet", "--batch", "1", "--progress", progress}
                      + tinyRine() + QStringList{evidence.path()});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        // The progress counts SPAI's patches: every patch of the three images, as the upstream
        // code laid them out; none left in hand, no time left.
        qint64 patches = 0;
        for (const QString &image : images)
            patches += m_reference.value(QFileInfo(image).fileName()).toObject().value("num_patches").toInteger();
        const QJsonObject last = QJsonDocument::fromJson(readAll(progress)).object();
        QCOMPARE(last.value("state").toString(), QStringLiteral("completed"));
        QCOMPARE(last.value("spai_patches").toInteger(), patches);
        QCOMPARE(last.value("spai_image_patches").toInteger(), qint64(0));
        QVERIFY(last.value("spai_patches_per_second").toDouble() > 0);
        QCOMPARE(last.value("eta_seconds").toDouble(), 0.0);
        run = cli({"report", "--db", db, "--json", json});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const Run alone = cli(QStringList{"score", "--detector", "rine", "--detector", "spai", "--spai-weights", kCheckpoint,
                                          "--trust", "--quiet", "--batch", "1"}
                              + tinyRine() + images);
        QVERIFY2(alone.exitCode == 0, alone.err.constData());
        std::map<QString, QJsonObject> scored;
        for (const QJsonValue &r : parse(alone).value("records").toArray())
            scored[r.toObject().value("sha256").toString()] = r.toObject();
        const QJsonArray files = QJsonDocument::fromJson(readAll(json)).object().value("files").toArray();
        QCOMPARE(files.size(), 3);
        for (const QJsonValue &value : files) {
            const QJsonObject file = value.toObject();
            const QJsonObject expected = scored.at(file.value("sha256").toString());
            const QJsonObject spai = file.value("spai").toObject();
            const QJsonObject spaiAlone = expected.value("scores").toObject().value("spai").toObject();
            QVERIFY(nearlyEqual(spai.value("logit"), spaiAlone.value("logit")));
            QVERIFY(!spai.value("patches").toArray().isEmpty());
            QVERIFY(nearlyEqual(spai.value("patches"), spaiAlone.value("patches")));
            QCOMPARE(file.value("scores").toArray()[0].toObject().value("logit").toDouble(), expected.value("logit").toDouble());
        }
        run = cli({"audit", "--db", db});
        QVERIFY2(run.exitCode == 0, run.err.constData());

        // In two shards, merged: the same files with the same scores from both detectors,
        // SPAI's patches included, as the scan in one piece; the merged case verifies.
        QStringList shards;
        for (const char *shard : {"0/2", "1/2"}) {
            shards << m_dir.filePath(QStringLiteral("shard-%1.sqlite").arg(QLatin1Char(shard[0])));
            run = cli(QStringList{"scan", "--db", shards.last(), "--detector", "rine", "--detector", "spai",
                                  "--spai-weights", kCheckpoint, "--trust", "--quiet", "--batch", "1", "--shard", shard}
                      + tinyRine() + QStringList{evidence.path()});
            QVERIFY2(run.exitCode == 0, run.err.constData());
        }
        QJsonObject pieces;
        mergeShards(shards, "merged", pieces);
        if (QTest::currentTestFailed())
            return;
        const QJsonObject whole = QJsonDocument::fromJson(readAll(json)).object();
        QCOMPARE(pieces.value("models").toObject().value("spai_sha256"), whole.value("models").toObject().value("spai_sha256"));
        QVERIFY(!whole.value("models").toObject().value("spai_sha256").toString().isEmpty());
        std::map<QString, QJsonObject> byPath;
        for (const QJsonValue &value : whole.value("files").toArray())
            byPath[value.toObject().value("path").toString()] = value.toObject();
        const QJsonArray mergedFiles = pieces.value("files").toArray();
        QCOMPARE(mergedFiles.size(), 3);
        for (const QJsonValue &value : mergedFiles) {
            const QJsonObject file = value.toObject();
            const QJsonObject expected = byPath.at(file.value("path").toString());
            QCOMPARE(file.value("sha256"), expected.value("sha256"));
            QVERIFY(nearlyEqual(file.value("spai").toObject().value("logit"), expected.value("spai").toObject().value("logit")));
            QVERIFY(nearlyEqual(file.value("spai").toObject().value("patches"), expected.value("spai").toObject().value("patches")));
            QCOMPARE(file.value("scores").toArray()[0].toObject().value("logit"),
                     expected.value("scores").toArray()[0].toObject().value("logit"));
        }
    }

    // rine-cli scan --detector spai: SPAI alone, without RINE's backbone (this test's
    // RINE_BACKBONE names no file). The case holds SPAI's score of each content, equal within
    // 5e-6 to what score gives alone, and nothing of RINE's; its exports say SPAI ran alone; it
    // verifies; a second run scores nothing twice; two shards merge into the same scores.
    void scanWithSpaiAlone()
    {
        QDir evidence(m_dir.filePath("evidence-spai"));
        QVERIFY(evidence.mkpath("."));
        const QStringList images{m_images[1], m_images[4], m_images[6]};
        for (const QString &image : images)
            QVERIFY(QFile::copy(image, evidence.filePath(QFileInfo(image).fileName())));
        {
            QFile notes(evidence.filePath("notes.txt"));
            QVERIFY(notes.open(QIODevice::WriteOnly) && notes.write("not an image") > 0);
        }
        const QString db = m_dir.filePath("spai-alone.sqlite"), json = m_dir.filePath("spai-alone.json"),
                      csv = m_dir.filePath("spai-alone.csv");
        const QStringList spaiAlone{"--detector", "spai", "--spai-weights", kCheckpoint, "--trust"};

        // Checked as rine-cli slurm checks it: SPAI's file, preprocessing and precision; no backbone.
        Run run = cli(QStringList{"scan", "--check"} + spaiAlone + QStringList{evidence.path()});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString weightsSha = QString::fromLatin1(
            QCryptographicHash::hash(readAll(kCheckpoint), QCryptographicHash::Sha256).toHex());
        QVERIFY2(run.out.startsWith(("spai " + weightsSha + " ").toUtf8()), run.out.constData());
        QVERIFY2(run.out.contains("\npreprocessing spai-patches224\nprecision fp32\n"), run.out.constData());
        QVERIFY(!run.out.contains("backbone"));

        // RINE's cached features mean nothing without RINE: refused before a case is written.
        run = cli(QStringList{"scan", "--db", db, "--cache-features", "--quiet"} + spaiAlone + QStringList{evidence.path()});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--cache-features"), run.err.constData());
        QVERIFY(!QFile::exists(db));

        run = cli(QStringList{"scan", "--db", db, "--quiet", "--json", json, "--csv", csv} + spaiAlone
                  + QStringList{evidence.path()});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const Run alone = cli(QStringList{"score", "--quiet"} + spaiAlone + images);
        QVERIFY2(alone.exitCode == 0, alone.err.constData());
        std::map<QString, QJsonObject> scored; // by SHA-256
        for (const QJsonValue &r : parse(alone).value("records").toArray())
            scored[r.toObject().value("sha256").toString()] = r.toObject().value("scores").toObject().value("spai").toObject();
        QCOMPARE(scored.size(), std::size_t(3));

        const QJsonObject document = QJsonDocument::fromJson(readAll(json)).object();
        const QJsonObject models = document.value("models").toObject();
        QCOMPARE(models.value("detectors").toArray(), QJsonArray{"spai"});
        QVERIFY(models.value("backbone_sha256").isNull());
        QVERIFY(models.value("head_sha256s").toArray().isEmpty());
        QCOMPARE(models.value("spai_sha256").toString(), weightsSha);
        QCOMPARE(models.value("preprocessing").toString(), QStringLiteral("spai-patches224"));
        QCOMPARE(document.value("runtime").toObject().value("device").toString(), QStringLiteral("cpu"));
        const QJsonArray files = document.value("files").toArray();
        QCOMPARE(files.size(), 4);
        std::map<QString, double> probabilityByName;
        for (const QJsonValue &value : files) {
            const QJsonObject file = value.toObject();
            const QString name = QFileInfo(file.value("path").toString()).fileName();
            QVERIFY2(file.value("scores").toArray().isEmpty(), qPrintable(name)); // nothing of RINE's
            if (name == QLatin1String("notes.txt")) {
                QCOMPARE(file.value("status").toString(), QStringLiteral("unsupported"));
                QVERIFY(file.value("spai").isNull());
                continue;
            }
            const QJsonObject spai = file.value("spai").toObject();
            const QJsonObject expected = scored.at(file.value("sha256").toString());
            QVERIFY2(nearlyEqual(spai.value("logit"), expected.value("logit")), qPrintable(name));
            QVERIFY2(nearlyEqual(spai.value("patches"), expected.value("patches")), qPrintable(name));
            // And against the upstream code's output for the image.
            const double reference = m_reference.value(name).toObject().value("logit").toDouble();
            QVERIFY2(std::abs(spai.value("logit").toDouble() - reference) < 5e-5, qPrintable(name));
            probabilityByName[name] = spai.value("probability").toDouble();
        }
        // The CSV: one row per file, each SPAI's (the unsupported file's unscored), no RINE row.
        auto records = rine::parseCsv(readAll(csv));
        QVERIFY2(records, records ? "" : records.error().c_str());
        QCOMPARE(records->size(), std::size_t(1 + 4));
        const QStringList header = records->front();
        const int detector = int(header.indexOf("detector")), probability = int(header.indexOf("probability")),
                  path = int(header.indexOf("path")), backbone = int(header.indexOf("backbone_sha256"));
        QVERIFY(detector >= 0 && probability >= 0 && path >= 0 && backbone >= 0);
        for (std::size_t i = 1; i < records->size(); ++i) {
            const QStringList &row = records.value()[i];
            QCOMPARE(row[detector], QStringLiteral("spai"));
            QCOMPARE(row[backbone], QString());
            const QString name = QFileInfo(row[path]).fileName();
            if (name == QLatin1String("notes.txt"))
                QCOMPARE(row[probability], QString());
            else
                QCOMPARE(row[probability].toDouble(), probabilityByName.at(name));
        }
        run = cli({"audit", "--db", db});
        QVERIFY2(run.exitCode == 0, run.err.constData());

        // Again: every content is known to SPAI, nothing is scored twice.
        run = cli(QStringList{"scan", "--db", db} + spaiAlone + QStringList{evidence.path()});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("0 images scored by SPAI, 0 from cached features, 3 already scored"), run.err.constData());

        // In two shards, merged: the same files with the same scores; the merged case verifies.
        QStringList shards;
        for (const char *shard : {"0/2", "1/2"}) {
            shards << m_dir.filePath(QStringLiteral("spai-shard-%1.sqlite").arg(QLatin1Char(shard[0])));
            run = cli(QStringList{"scan", "--db", shards.last(), "--quiet", "--shard", shard} + spaiAlone
                      + QStringList{evidence.path()});
            QVERIFY2(run.exitCode == 0, run.err.constData());
        }
        QJsonObject pieces;
        mergeShards(shards, "spai-merged", pieces);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(pieces.value("models").toObject().value("detectors").toArray(), QJsonArray{"spai"});
        QCOMPARE(pieces.value("files").toArray().size(), 4);
        for (const QJsonValue &value : pieces.value("files").toArray()) {
            const QJsonObject file = value.toObject();
            if (file.value("status").toString() == QLatin1String("unsupported"))
                continue;
            QVERIFY(nearlyEqual(file.value("spai").toObject().value("logit"),
                                scored.at(file.value("sha256").toString()).value("logit")));
        }
    }

    void benchSpaiPrintsItsFigures()
    {
        // Figures are printed, never asserted as limits. What is asserted is the arithmetic:
        // the published SPAI (ViT-B/16: 197 tokens t, 768 wide w, 3072 hidden, 12 blocks;
        // twelve projectors 768 -> 1024 -> 1024 over the 196 patch tokens), counted by hand
        // at 2 FLOP per multiply-add:
        //   patch embedding 2 x 196 x (3 x 16 x 16) x 768 = 0.231 GFLOP;
        //   a block 24 t w^2 + 4 t^2 w = 2.908 GFLOP, twelve 34.895 GFLOP;
        //   projectors 12 x 2 x 196 x (768 x 1024 + 1024 x 1024) = 8.632 GFLOP;
        // three passes (the patch, its low and its high frequencies): 3 x 43.758 = 131.3 GFLOP
        // per patch. A 1000 x 1000 image has floor((1000 - 224) / 224) + 1 = 4 patches a side.
        // SPAI runs on the CPU: fp16 (CUDA's) is refused, not ignored.
        const Run fp16 = cli({"bench", "--spai", "--precision", "fp16"});
        QCOMPARE(fp16.exitCode, 2);
        QVERIFY2(fp16.err.contains("fp32 or bf16"), fp16.err.constData());
#if defined(__SANITIZE_ADDRESS__)
        QSKIP("the full-size run (ViT-B/16 and ViT-L/14, random weights) takes over five minutes under "
              "AddressSanitizer; the release run of this test checks its figures");
#endif
        const Run run = cli({"bench", "--spai", "--batch", "1", "--seconds", "0.1"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        for (const char *line : {"131.3 GFLOP per patch", "a 1000 x 1000 image (16 patches) in", "RINE (ViT-L/14",
                                 "images/s at batch 8", "best fp32 matrix product here", "peak memory"})
            QVERIFY2(run.out.contains(line), run.out.constData());
        const QRegularExpression rates(QStringLiteral("([0-9.]+) patches/s.*\\n.*\\n.*\\n  ([0-9.]+) images/s"));
        const QRegularExpressionMatch match = rates.match(QString::fromUtf8(run.out));
        QVERIFY2(match.hasMatch(), run.out.constData());
        QVERIFY(match.captured(1).toDouble() > 0 && match.captured(2).toDouble() > 0);
    }

    void badUsageExitsTwo()
    {
        QCOMPARE(cli({"score", "--detector", "dire", "--quiet", m_images[0]}).exitCode, 2);
        QCOMPARE(cli({"score", "--detector", "spai", "--detector", "spai", "--spai-weights", kCheckpoint, m_images[0]}).exitCode, 2);
        const Run run = cli(QStringList{"score", "--spai-weights", kCheckpoint, "--quiet"} + tinyRine() + QStringList{m_images[0]});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--detector spai"), run.err.constData());
        const Run help = cli({"score", "--help"});
        QVERIFY(help.out.contains("--detector") && help.out.contains("--spai-weights"));
    }
};

QTEST_GUILESS_MAIN(TestCliSpai)
#include "tst_cli_spai.moc"
