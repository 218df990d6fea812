// rine-cli as scripts use it: records in argument order, error records for bad files,
// exit codes 0/1/2, JSON and CSV. Expected logits come from the reference outputs.

#include <QCryptographicHash>
#include <QFile>
#include <QDir>
#include <QJsonArray>
#include <QMap>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "RunCli.h"
#include "TestFiles.h"

#include <cmath>

using rine::test::readAll;

namespace {

const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");
const QString kImages = kTiny + QStringLiteral("images/");

QString sha256(const QString &path)
{
    return QString::fromLatin1(QCryptographicHash::hash(readAll(path), QCryptographicHash::Sha256).toHex());
}

using rine::test::Run;

Run rineCli(const QStringList &arguments, const QString &workingDir = {}, const QProcessEnvironment &env = {})
{
    return rine::test::rineCli(arguments, {workingDir, env, false});
}

QStringList tinyModel()
{
    return {QStringLiteral("--backbone"), kTiny + "clip_tiny_traced.pt", QStringLiteral("--head"),
            kTiny + "rine_tiny_head.pth", QStringLiteral("--device"), QStringLiteral("cpu"), QStringLiteral("--trust"), QStringLiteral("--quiet")};
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QJsonObject m_reference;

    QString writeTemp(const QString &name, const QByteArray &data) { return rine::test::writeFile(m_dir, name, data); }

    double referenceLogit(const QString &name)
    {
        return m_reference.value("images").toObject().value(name).toObject().value("logit").toDouble();
    }

private slots:
    void initTestCase()
    {
        m_reference = QJsonDocument::fromJson(readAll(kTiny + "reference.json")).object();
        QVERIFY(!m_reference.isEmpty());
    }

    void helpAndVersion()
    {
        const Run help = rineCli({QStringLiteral("score"), QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains("--backbone"));
        QVERIFY(help.out.contains("--crop"));
        const Run version = rineCli({QStringLiteral("--version")});
        QCOMPARE(version.exitCode, 0);
        QVERIFY(version.out.startsWith("rine-cli "));
        QVERIFY(version.out.contains("LibTorch"));
        QCOMPARE(rineCli({QStringLiteral("frobnicate")}).exitCode, 2);
    }

    void mixedGoodAndBadImages()
    {
        const QByteArray jpeg = readAll(kImages + "aadlygmazf.jpg");
        const QString missing = m_dir.filePath("missing.png");
        const QString text = writeTemp("notes.jpg", "not a picture\n");
        const QString empty = writeTemp("empty.jpg", {});
        const QString truncated = writeTemp("truncated.jpg", jpeg.left(jpeg.size() / 2));
        const QStringList images{kImages + "logo.png", missing, kImages + "aadlygmazf.jpg", text,
                                 kImages + "block.png", empty, truncated, kImages + "camera.png"};
        const Run run = rineCli(QStringList{QStringLiteral("score")} + tinyModel() + QStringList{"--batch", "3"} + images);
        QCOMPARE(run.exitCode, 1); // some failed
        const QJsonObject root = QJsonDocument::fromJson(run.out).object();
        const QJsonArray records = root.value("records").toArray();
        QCOMPARE(records.size(), images.size());
        const QList<bool> ok{true, false, true, false, true, false, false, true};
        for (int i = 0; i < images.size(); ++i) {
            const QJsonObject r = records[i].toObject();
            QCOMPARE(r.value("path").toString(), images[i]); // argument order
            QCOMPARE(r.value("status").toString(), ok[i] ? QStringLiteral("ok") : QStringLiteral("error"));
            if (ok[i]) {
                const QString name = images[i].section('/', -1);
                QVERIFY(std::abs(r.value("logit").toDouble() - referenceLogit(name)) < 1e-4);
                QVERIFY(std::abs(r.value("probability").toDouble() - 1.0 / (1.0 + std::exp(-referenceLogit(name)))) < 1e-4);
                QCOMPARE(r.value("sha256").toString(), sha256(images[i]));
                QCOMPARE(r.value("contributions").toArray().size(), 3);
                QVERIFY(r.value("error").isNull());
            } else {
                QVERIFY(r.value("logit").isNull());
                QVERIFY2(r.value("error").toString().contains(images[i]), qPrintable(r.value("error").toString()));
            }
        }
        QVERIFY(records[3].toObject().value("error").toString().contains("not an image"));
        QVERIFY(records[5].toObject().value("error").toString().contains("empty"));
        QVERIFY(records[6].toObject().value("error").toString().contains("truncated"));
        // Every error is also said on stderr.
        QVERIFY(run.err.contains(missing.toUtf8()));

        const QJsonObject model = root.value("model").toObject();
        QCOMPARE(model.value("blocks").toInt(), 3);
        QCOMPARE(model.value("width").toInt(), 128);
        QCOMPARE(model.value("nproj").toInt(), 2);
        QCOMPARE(model.value("proj_dim").toInt(), 32);
        QCOMPARE(model.value("backbone_sha256").toString(), sha256(kTiny + "clip_tiny_traced.pt"));
        QCOMPARE(model.value("head_sha256").toString(), sha256(kTiny + "rine_tiny_head.pth"));
        const QJsonArray importance = model.value("block_importance").toArray();
        const QJsonArray expected = m_reference.value("importance").toArray();
        QCOMPARE(importance.size(), expected.size());
        for (int l = 0; l < expected.size(); ++l)
            QVERIFY(std::abs(importance[l].toDouble() - expected[l].toDouble()) < 1e-6);
        QVERIFY(root.value("runtime").toObject().value("libtorch").toString().size() > 0);
        QVERIFY(root.value("preprocessing").toObject().value("crop").toString().contains("center crop 224"));
    }

    void allGoodExitsZero()
    {
        const Run run = rineCli(QStringList{QStringLiteral("score")} + tinyModel() + QStringList{kImages + "coffee.png"});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject r = QJsonDocument::fromJson(run.out).object().value("records").toArray().first().toObject();
        QVERIFY(std::abs(r.value("logit").toDouble() - referenceLogit("coffee.png")) < 1e-4);
        QCOMPARE(r.value("width").toInt(), 600);
        QCOMPARE(r.value("height").toInt(), 400);
    }

    void csvOutputToAFile()
    {
        // A file name that a spreadsheet would run as a formula.
        QFile::copy(kImages + "block.png", m_dir.filePath("=HYPERLINK.png"));
        const QString out = m_dir.filePath("scores.csv");
        const Run run = rineCli(QStringList{QStringLiteral("score")} + tinyModel()
                                    + QStringList{"--format", "csv", "--output", out, "=HYPERLINK.png", "absent.png"},
                                m_dir.path());
        QCOMPARE(run.exitCode, 1);
        QVERIFY(run.out.isEmpty());
        const QList<QByteArray> lines = readAll(out).split('\n');
        QCOMPARE(lines.size(), 4); // header, two rows, final newline
        QVERIFY(lines[0].startsWith("path,sha256,status,error,logit,probability,"));
        QVERIFY(lines[0].trimmed().endsWith("contribution_1,contribution_2,contribution_3"));
        QVERIFY(lines[1].startsWith("'=HYPERLINK.png," + sha256(kImages + "block.png").toLatin1() + ",ok,,"));
        const double logit = lines[1].split(',')[4].toDouble();
        QVERIFY(std::abs(logit - referenceLogit("block.png")) < 1e-4);
        QVERIFY(lines[2].startsWith("absent.png,,error,"));
    }

    void tenCropScoresEveryImage()
    {
        const Run run = rineCli(QStringList{QStringLiteral("score")} + tinyModel()
                                + QStringList{"--crop", "ten", kImages + "coffee.png", kImages + "block.png"});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject root = QJsonDocument::fromJson(run.out).object();
        for (const QJsonValue &v : root.value("records").toArray()) {
            const double logit = v.toObject().value("logit").toDouble();
            QVERIFY(std::abs(v.toObject().value("probability").toDouble() - 1.0 / (1.0 + std::exp(-logit))) < 1e-12);
        }
        QVERIFY(root.value("preprocessing").toObject().value("crop").toString().contains("ten-crop"));
    }

    void textureCropScoresTheMostTexturedWindows()
    {
        // The published TextureCrop code's windows and logits (tests/data/texture-crop), in
        // JSON and CSV records; an image under 224 px falls back to its center crop, said.
        QFile file(QStringLiteral(RINE_TEST_DATA "/texture-crop/reference.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject reference = QJsonDocument::fromJson(file.readAll()).object().value("images").toObject();
        const QJsonObject coffee = reference.value("coffee.png").toObject();
        Run run = rineCli(QStringList{QStringLiteral("score")} + tinyModel()
                          + QStringList{"--crop", "texture", kImages + "coffee.png", kImages + "block.png"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject root = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(root.value("preprocessing").toObject().value("name").toString(), QStringLiteral("texture224x10-stride224-ghe"));
        const QJsonArray records = root.value("records").toArray();
        const QJsonObject first = records[0].toObject(), second = records[1].toObject();
        QVERIFY(std::abs(first.value("logit").toDouble() - coffee.value("logit").toDouble()) < 1e-4);
        const QJsonArray windows = first.value("windows").toArray();
        QCOMPARE(windows.size(), 10);
        for (int w = 0; w < 10; ++w) {
            QCOMPARE(windows[w].toObject().value("box").toArray(), coffee.value("boxes").toArray()[w].toArray());
            QVERIFY(std::abs(windows[w].toObject().value("logit").toDouble() - coffee.value("crop_logits").toArray()[w].toDouble()) < 1e-4);
        }
        QVERIFY(std::abs(second.value("logit").toDouble() - reference.value("block.png").toObject().value("logit").toDouble()) < 1e-4);
        QVERIFY(second.value("windows").toArray().isEmpty());
        QVERIFY2(second.value("warnings").toArray().first().toString().contains("center crop"),
                 qPrintable(second.value("warnings").toArray().first().toString()));

        run = rineCli(QStringList{QStringLiteral("score")} + tinyModel()
                      + QStringList{"--crop", "texture", "--format", "csv", kImages + "coffee.png"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QList<QByteArray> lines = run.out.split('\n');
        QVERIFY(lines[0].trimmed().endsWith(",windows"));
        // "left top right bottom entropy logit" per window, rank order, "; " between them.
        const QList<QByteArray> cells = lines[1].trimmed().split(',').last().split(';');
        QCOMPARE(cells.size(), 10);
        QVERIFY2(cells[0].trimmed().startsWith("224 0 448 224 7.500485"), cells[0].constData());
        QVERIFY2(cells[2].trimmed().startsWith("376 0 600 224 6.930249"), cells[2].constData());
        run = rineCli(QStringList{QStringLiteral("score")} + tinyModel() + QStringList{"--crop", "textured", kImages + "coffee.png"});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("center, ten or texture"), run.err.constData());
    }

    void missingBackboneSaysWhereToGetIt()
    {
        const Run run = rineCli({QStringLiteral("score"), QStringLiteral("--backbone"), m_dir.filePath("ViT-L-14.pt"),
                                 kImages + "coffee.png"});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("openaipublic.azureedge.net"), run.err.constData());
        QVERIFY(run.err.contains("b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836"));
        QVERIFY(run.out.isEmpty());
    }

    void unloadableWeightsExitTwo()
    {
        const QString junk = writeTemp("junk.pt", "hello");
        const Run run = rineCli({QStringLiteral("score"), QStringLiteral("--backbone"), junk, kImages + "coffee.png"});
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains(junk.toUtf8()));
        // The bundled ViT-L/14 head does not fit the tiny backbone.
        const Run mismatch = rineCli({QStringLiteral("score"), QStringLiteral("--backbone"), kTiny + "clip_tiny_traced.pt",
                                      QStringLiteral("--trust"), kImages + "coffee.png"});
        QCOMPARE(mismatch.exitCode, 2);
        QVERIFY2(mismatch.err.contains("proj1.1.weight"), mismatch.err.constData());
    }

    void untrustedWeightsAreRefusedUntilTrusted()
    {
        // A model folder of its own: no earlier decision.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        const QString store = m_dir.filePath("trust-store");
        env.insert("RINE_MODEL_STORE", store);
        QStringList args = tinyModel();
        args.removeAll(QStringLiteral("--trust"));
        args = QStringList{QStringLiteral("score")} + args + QStringList{kImages + "camera.png"};
        Run run = rineCli(args, {}, env);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("clip_tiny_traced.pt") && run.err.contains("not a known model file")
                     && run.err.contains("--trust"),
                 run.err.constData());
        QVERIFY(run.out.isEmpty()); // nothing was scored

        run = rineCli(args + QStringList{"--trust"}, {}, env);
        QCOMPARE(run.exitCode, 0);
        const QByteArray record = readAll(store + "/trust.json");
        QVERIFY2(record.contains(sha256(kTiny + "clip_tiny_traced.pt").toUtf8())
                     && record.contains(sha256(kTiny + "rine_tiny_head.pth").toUtf8())
                     && record.contains("trusted by the user (--trust)"),
                 record.constData());
        QCOMPARE(rineCli(args, {}, env).exitCode, 0); // the decision is remembered
    }

    void slowBlasIsWarnedAbout()
    {
        const QStringList args = QStringList{QStringLiteral("score")} + tinyModel() + QStringList{kImages + "block.png"};
        // Set up as the README says, LibTorch runs on OpenBLAS: no warning.
        const Run normal = rineCli(args);
        QCOMPARE(normal.exitCode, 0);
        QVERIFY2(!normal.err.contains("reference BLAS"), normal.err.constData());
        const QString referenceDir = QStringLiteral("/usr/lib/x86_64-linux-gnu/blas");
        if (!QFile::exists(referenceDir + "/libblas.so.3"))
            QSKIP("Debian's reference BLAS (libblas3) is not installed here, so it cannot be forced in");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LD_LIBRARY_PATH"), referenceDir);
        const Run slow = rineCli(args, {}, env);
        QCOMPARE(slow.exitCode, 0);
        QVERIFY2(slow.err.contains("reference BLAS"), slow.err.constData());
        QVERIFY(slow.err.contains("libopenblas0-pthread"));
    }

    void badUsageExitsTwo()
    {
        QCOMPARE(rineCli(QStringList{QStringLiteral("score")} + tinyModel()).exitCode, 2); // no images
        QCOMPARE(rineCli(QStringList{QStringLiteral("score")} + tinyModel() + QStringList{"--crop", "five", kImages + "block.png"}).exitCode, 2);
        QCOMPARE(rineCli(QStringList{QStringLiteral("score")} + tinyModel() + QStringList{"--batch", "0", kImages + "block.png"}).exitCode, 2);
        QCOMPARE(rineCli(QStringList{QStringLiteral("score"), QStringLiteral("--bogus")}).exitCode, 2);
    }

    void robustnessSweepsEachImage()
    {
        const QString out = m_dir.filePath("robustness.json");
        QStringList model = tinyModel();
        model.removeAll(QStringLiteral("--quiet")); // the per-image summaries are wanted here
        const Run run = rineCli(QStringList{QStringLiteral("robustness")} + model
                                + QStringList{"--json", out, kImages + "camera.png", kImages + "missing.png"});
        QCOMPARE(run.exitCode, 1); // one image could not be read
        QVERIFY2(run.err.contains("camera.png: ") && run.err.contains("19 crops in 3 passes"), run.err.constData());
        const QJsonObject root = QJsonDocument::fromJson(readAll(out)).object();
        QCOMPARE(root.value("preset").toString(), QStringLiteral("paper"));
        const QJsonArray records = root.value("records").toArray();
        QCOMPARE(records.size(), 2);
        const QJsonObject camera = records[0].toObject();
        QCOMPARE(camera.value("sha256").toString(), sha256(kImages + "camera.png"));
        const QJsonArray series = camera.value("series").toArray();
        QCOMPARE(series.size(), 4);
        QCOMPARE(series[0].toObject().value("perturbation").toString(), QStringLiteral("jpeg"));
        QCOMPARE(series[0].toObject().value("points").toArray().size(), 6);
        QVERIFY(!camera.value("summary").toString().isEmpty());
        QCOMPARE(records[1].toObject().value("status").toString(), QStringLiteral("error"));
        QCOMPARE(rineCli(QStringList{QStringLiteral("robustness"), "--preset", "coarse", kImages + "camera.png"}
                         + tinyModel()).exitCode, 2);

        // TextureCrop: under the fine preset the baseline is the image at its own scale, so its
        // score is the published code's TextureCrop score of camera.png (tests/data/texture-crop).
        const QString textureOut = m_dir.filePath("robustness-texture.json");
        const Run texture = rineCli(QStringList{"robustness", "--preset", "fine", "--crop", "texture", "--json", textureOut,
                                                kImages + "camera.png"} + tinyModel());
        QVERIFY2(texture.exitCode == 0, texture.err.constData());
        QFile file(QStringLiteral(RINE_TEST_DATA "/texture-crop/reference.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const double expected = QJsonDocument::fromJson(file.readAll()).object().value("images").toObject()
                                    .value("camera.png").toObject().value("logit").toDouble();
        const QJsonObject textureRoot = QJsonDocument::fromJson(readAll(textureOut)).object();
        QCOMPARE(textureRoot.value("preprocessing").toObject().value("name").toString(), QStringLiteral("texture224x10-stride224-ghe"));
        const double baseline = textureRoot.value("records").toArray()[0].toObject().value("baseline").toObject().value("logit").toDouble();
        QVERIFY2(std::abs(baseline - expected) < 1e-4, qPrintable(QStringLiteral("%1 vs %2").arg(baseline).arg(expected)));
        const Run ten = rineCli(QStringList{"robustness", "--crop", "ten", kImages + "camera.png"} + tinyModel());
        QCOMPARE(ten.exitCode, 2);
        QVERIFY2(ten.err.contains("--crop center or texture"), ten.err.constData());
    }

    void evaluateGivesAccuracyAndApPerGenerator()
    {
        // Two "generators" made of the reference images; the expected figures come from the
        // reference logits (reference.json), ranked by hand below.
        QTemporaryDir data;
        const QMap<QString, QStringList> layout{
            {"gan/0_real", {"astronaut.png", "camera.png"}},
            {"gan/1_fake", {"aadlygmazf.jpg", "logo.png"}},
            {"diffusion/0_real", {"coffee.png", "zzrybysskm.png"}},
            {"diffusion/1_fake", {"block.png"}},
        };
        for (auto it = layout.cbegin(); it != layout.cend(); ++it) {
            QDir().mkpath(data.filePath(it.key()));
            for (const QString &name : it.value())
                QVERIFY(QFile::copy(kImages + name, data.filePath(it.key() + "/" + name)));
        }
        const QString out = m_dir.filePath("evaluate.json");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("RINE_MODEL_STORE", m_dir.filePath("calibration-store"));
        const Run run = rineCli(QStringList{"evaluate", "--data", data.path(), "--json", out, "--target-fpr", "0.25",
                                            "--save-calibration"} + tinyModel(), {}, env);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("mean over generators"), run.out.constData());
        const QJsonObject root = QJsonDocument::fromJson(readAll(out)).object();
        const QJsonArray rows = root.value("generators").toArray();
        QCOMPARE(rows.size(), 2);
        // Reference probabilities are all above 0.5: every image is called fake.
        // diffusion: real coffee 0.581, zzrybysskm 0.635; fake block 0.559 -> ranked last: AP = 1/3.
        const QJsonObject diffusion = rows[0].toObject();
        QCOMPARE(diffusion.value("generator").toString(), QStringLiteral("diffusion"));
        QVERIFY(std::abs(diffusion.value("average_precision").toDouble() - 1.0 / 3.0) < 1e-9);
        QVERIFY(std::abs(diffusion.value("accuracy").toDouble() - 1.0 / 3.0) < 1e-9);
        // gan: fake aadlygmazf 0.788, logo 0.781 rank above real camera 0.604, astronaut 0.601: AP = 1.
        const QJsonObject gan = rows[1].toObject();
        QVERIFY(std::abs(gan.value("average_precision").toDouble() - 1.0) < 1e-9);
        QVERIFY(std::abs(gan.value("accuracy").toDouble() - 0.5) < 1e-9);
        QVERIFY(std::abs(gan.value("real_accuracy").toDouble()) < 1e-9);
        QVERIFY(std::abs(root.value("mean_average_precision").toDouble() - (1.0 / 3.0 + 1.0) / 2) < 1e-9);
        // Calibration over all 7: reals 0.601 0.604 0.581 0.635; at most 25% of 4 = 1 may be
        // called fake, so the threshold sits just above the second-highest real, camera's
        // 0.6038; fakes at or above it: aadlygmazf 0.788, logo 0.781 (block 0.559 is not).
        const QJsonObject calibration = root.value("calibration").toObject();
        const double camera = 0.6038055419921875;
        QVERIFY(std::abs(calibration.value("threshold").toDouble() - camera) < 1e-5);
        QCOMPARE(calibration.value("fpr").toArray()[0].toDouble(), 0.25);
        QVERIFY(std::abs(calibration.value("tpr").toArray()[0].toDouble() - 2.0 / 3.0) < 1e-9);
        QVERIFY(readAll(m_dir.filePath("calibration-store/calibrations.json")).contains(sha256(kTiny + "rine_tiny_head.pth").toUtf8()));

        // The same test set with TextureCrop: the figures from the published code's texture
        // probabilities (tests/data/texture-crop): gan reals astronaut 0.668, camera 0.721 rank
        // below fakes aadlygmazf 0.788, logo 0.804 (AP 1); diffusion's fake block 0.559 ranks
        // below reals coffee 0.576, zzrybysskm 0.629 (AP 1/3); every image is called fake.
        const QString textureOut = m_dir.filePath("evaluate-texture.json");
        const Run texture = rineCli(QStringList{"evaluate", "--data", data.path(), "--json", textureOut, "--crop", "texture"}
                                    + tinyModel(), {}, env);
        QVERIFY2(texture.exitCode == 0, texture.err.constData());
        const QJsonObject textureRoot = QJsonDocument::fromJson(readAll(textureOut)).object();
        QCOMPARE(textureRoot.value("preprocessing").toObject().value("name").toString(), QStringLiteral("texture224x10-stride224-ghe"));
        const QJsonArray textureRows = textureRoot.value("generators").toArray();
        QCOMPARE(textureRows.size(), 2);
        QVERIFY(std::abs(textureRows[0].toObject().value("average_precision").toDouble() - 1.0 / 3.0) < 1e-9);
        QVERIFY(std::abs(textureRows[1].toObject().value("average_precision").toDouble() - 1.0) < 1e-9);
        QVERIFY(std::abs(textureRows[1].toObject().value("accuracy").toDouble() - 0.5) < 1e-9);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
