// The use cases of core/session driven once each, as rine-cli and the application drive them:
// loading models under the trust policy, the preprocessing value, one image analysed, the
// expected-bytes check of tile maps and sweeps, and evaluation on a labelled set. Expected
// values come from the published reference code's outputs (tests/data/reference-tiny) and
// hand calculations.

#include "catalog/ModelStore.h"
#include "session/Evaluation.h"
#include "session/ImageAnalysis.h"
#include "session/ModelSession.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace rine;

namespace {

const QString kData = QStringLiteral(RINE_TEST_DATA "/reference-tiny");
const QString kBackbone = kData + QStringLiteral("/clip_tiny_traced.pt");
const QString kHead = kData + QStringLiteral("/rine_tiny_head.pth");

double referenceProbability(const QString &image)
{
    QFile file(kData + QStringLiteral("/reference.json"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read reference.json");
    return QJsonDocument::fromJson(file.readAll())
        .object()[QStringLiteral("images")]
        .toObject()[image]
        .toObject()[QStringLiteral("prob")]
        .toDouble();
}

QString sha256Hex(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromLatin1(QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex());
}

} // namespace

class TestUseCases : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Detector> m_detector;

    // <root>/<generator>/{0_real,1_fake} from the reference images, plus one broken file.
    QString makeTestSet()
    {
        const QString root = m_dir.filePath(QStringLiteral("testset"));
        const QList<std::pair<QString, QStringList>> layout{
            {QStringLiteral("genA/0_real"), {QStringLiteral("camera.png"), QStringLiteral("coffee.png")}},
            {QStringLiteral("genA/1_fake"), {QStringLiteral("aadlygmazf.jpg"), QStringLiteral("logo.png")}},
            {QStringLiteral("genB/0_real"), {QStringLiteral("astronaut.png"), QStringLiteral("block.png")}},
            {QStringLiteral("genB/1_fake"), {QStringLiteral("zzrybysskm.png")}},
        };
        for (const auto &[folder, images] : layout) {
            QDir().mkpath(root + QLatin1Char('/') + folder);
            for (const QString &image : images)
                QFile::copy(kData + QStringLiteral("/images/") + image, root + QLatin1Char('/') + folder + QLatin1Char('/') + image);
        }
        QFile broken(root + QStringLiteral("/genB/0_real/broken.png"));
        broken.open(QIODevice::WriteOnly);
        broken.write("\x89PNG\r\n\x1a\nnot really");
        return root;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // A fresh model folder: nothing is trusted yet.
        qputenv("RINE_MODEL_STORE", m_dir.filePath(QStringLiteral("store")).toUtf8());
    }

    void untrustedFilesAreAnswerNotError()
    {
        ModelRequest request;
        request.backbone = kBackbone;
        request.heads = {kHead};
        request.device = DeviceChoice::Cpu;
        ModelLoad load = loadModels(request);
        QVERIFY(!load.detector);
        QCOMPARE(int(load.untrusted.size()), 2); // neither tiny file is in the manifest
        QCOMPARE(load.untrusted[0].path, QFileInfo(kBackbone).absoluteFilePath());
        QCOMPARE(load.untrusted[0].sha256, sha256Hex(kBackbone));
        QCOMPARE(load.untrusted[1].sha256, sha256Hex(kHead));
        QVERIFY(!load.untrusted[1].reason.isEmpty());
        QVERIFY(ModelStore().trusted().isEmpty()); // nothing recorded without a decision

        // The user's decision is recorded, and the next load needs none.
        request.trustGivenAs = QStringLiteral("trusted by the user (test)");
        load = loadModels(request);
        QVERIFY2(load.detector, qPrintable(load.error));
        QCOMPARE(ModelStore().trusted().size(), 2);
        QCOMPARE(ModelStore().trusted().front().how, QStringLiteral("trusted by the user (test)"));
        request.trustGivenAs.clear();
        load = loadModels(request);
        QVERIFY2(load.detector, qPrintable(load.error));
        QVERIFY(load.untrusted.empty());
        m_detector = std::move(load.detector);
    }

    void missingFilesAreNamed()
    {
        ModelRequest request;
        request.backbone = kBackbone;
        request.heads = {m_dir.filePath(QStringLiteral("no-such-head.pth"))};
        const ModelLoad load = loadModels(request);
        QVERIFY(!load.detector);
        QVERIFY2(load.error.contains(QStringLiteral("no-such-head.pth")), qPrintable(load.error));
        request.backbone = m_dir.filePath(QStringLiteral("no-such-backbone.pt"));
        QVERIFY(loadModels(request).error.contains(QStringLiteral("no-such-backbone.pt")));
    }

    void backboneAloneForTraining()
    {
        ModelRequest request;
        request.backbone = kBackbone;
        request.device = DeviceChoice::Cpu;
        const ModelLoad load = loadModels(request);
        QVERIFY2(load.detector, qPrintable(load.error));
        QVERIFY(load.detector->info().heads.empty());
        const std::vector<std::uint8_t> crop(std::size_t(load.detector->info().inputSize) * load.detector->info().inputSize * 3, 128);
        QVERIFY(load.detector->features({crop.data()}));
        auto scored = load.detector->score({crop.data()});
        QVERIFY(!scored);
        QVERIFY2(QString::fromStdString(scored.error()).contains(QStringLiteral("no RINE head")), scored.error().c_str());
    }

    void preprocessingNames()
    {
        QCOMPARE(Preprocessing{}.name(), std::string("center224"));
        QCOMPARE((Preprocessing{CropMode::Ten, 336}.name()), std::string("tencrop336"));
        for (const char *name : {"center224", "tencrop224", "center14"}) {
            const auto parsed = Preprocessing::fromName(name);
            QVERIFY2(parsed, name);
            QCOMPARE(parsed->name(), std::string(name));
        }
        for (const char *name : {"", "center", "centre224", "center-1", "center0", "tencrop224x", "center99999",
                                 "<b>center224</b>"})
            QVERIFY2(!Preprocessing::fromName(name), name);
        QVERIFY(!Preprocessing::cropFromOption("textured"));
        QCOMPARE(*Preprocessing::cropFromOption("texture"), CropMode::Texture);
        // 500 x 300: one center region at torchvision's offsets; ten-crop outlines its five.
        const auto center = Preprocessing{}.regions(500, 300);
        QCOMPARE(int(center.size()), 1);
        QCOMPARE(center[0].left, 138); // round((500 - 224) / 2)
        QCOMPARE(center[0].top, 38); // round((300 - 224) / 2)
        QCOMPARE(int((Preprocessing{CropMode::Ten, 224}.regions(500, 300).size())), 5);
    }

    void oneImageAnalysed()
    {
        QVERIFY(m_detector);
        const QString path = kData + QStringLiteral("/images/camera.png");
        const ImageAnalysis analysis = analyseImage(m_detector.get(), path.toStdString(), CropMode::Center);
        QVERIFY2(analysis.image.decoded, analysis.image.error.c_str());
        QCOMPARE(QString::fromStdString(analysis.image.sha256), sha256Hex(path));
        QCOMPARE(qint64(analysis.image.size), QFileInfo(path).size());
        QCOMPARE(int(analysis.regions.size()), 1);
        QCOMPARE(int(analysis.headScores.size()), 1);
        QVERIFY(std::abs(analysis.headScores[0].probability - referenceProbability(QStringLiteral("camera.png"))) < 1e-4);

        // Bytes other than those shown before: refused, nothing scored.
        const ImageAnalysis changed =
            analyseImage(m_detector.get(), path.toStdString(), CropMode::Center, {}, std::string(64, '0'));
        QVERIFY(!changed.image.decoded);
        QVERIFY(changed.headScores.empty());
        QVERIFY2(QString::fromStdString(changed.image.error).contains(QStringLiteral("changed since")),
                 changed.image.error.c_str());
        std::atomic<bool> cancel{false};
        auto tiles = tileMap(*m_detector, path.toStdString(), std::string(64, '0'), 8, cancel);
        QVERIFY(!tiles);
        QVERIFY(QString::fromStdString(tiles.error()).contains(QStringLiteral("changed since")));
        auto sweep = robustnessSweep(*m_detector, {}, path.toStdString(), {}, std::string(64, '0'));
        QVERIFY(!sweep);
    }

    void evaluationHonoursThresholdPerGenerator()
    {
        QVERIFY(m_detector);
        const QString root = makeTestSet();
        auto images = findLabeledImages(root.toStdString());
        QVERIFY(images);
        EvaluationRequest request;
        request.images = images.value();
        request.preprocessing = Preprocessing{CropMode::Center, m_detector->info().inputSize};
        request.threshold = 0.6;
        auto result = evaluate(*m_detector, request);
        QVERIFY2(result, result ? "" : result.error().c_str());
        // By hand from the reference probabilities at 0.6: genA's real camera (0.604) is called
        // fake, coffee (0.581) real, both fakes (0.788, 0.781) fake: 3 of 4, real 1 of 2; its
        // fakes score highest, so AP 1. genB: astronaut (0.601) wrong, block (0.559) right,
        // the fake (0.635) right: 2 of 3; AP 1. The broken file counts as failed in genB.
        QCOMPARE(int(result->byGenerator.size()), 2);
        const GeneratorResult &a = result->byGenerator[0], &b = result->byGenerator[1];
        QCOMPARE(a.name, std::string("genA"));
        QCOMPARE(a.accuracy.overall, 0.75);
        QCOMPARE(a.accuracy.real, 0.5);
        QCOMPARE(a.accuracy.fake, 1.0);
        QCOMPARE(a.averagePrecision, 1.0);
        QCOMPARE(b.name, std::string("genB"));
        QVERIFY(std::abs(b.accuracy.overall - 2.0 / 3.0) < 1e-12);
        QCOMPARE(b.failed, 1);
        QCOMPARE(result->failed, 1);
        QCOMPARE(int(result->errors.size()), 1);
        QVERIFY(std::abs(result->meanAccuracy - (0.75 + 2.0 / 3.0) / 2) < 1e-12);
        QCOMPARE(int(result->scores.size()), 7);

        // At 0.5 every image is called fake: genA 2 of 4, genB 1 of 3.
        request.threshold = 0.5;
        result = evaluate(*m_detector, request);
        QVERIFY(result);
        QCOMPARE(result->byGenerator[0].accuracy.overall, 0.5);
        QVERIFY(std::abs(result->byGenerator[1].accuracy.overall - 1.0 / 3.0) < 1e-12);
    }

    void trainedHeadOnTestSetsAsTheCliMeasures()
    {
        // The wizard's path: the head file on the backbone's features, recorded in a card with
        // the preprocessing and threshold it used.
        QVERIFY(m_detector);
        const QString root = m_dir.filePath(QStringLiteral("testset"));
        const Preprocessing center{CropMode::Center, m_detector->info().inputSize};
        auto evaluation = evaluateTrainedHead(*m_detector, kHead.toStdString(), root.toStdString(), center, 0.6, 3);
        QVERIFY2(evaluation, evaluation ? "" : evaluation.error().c_str());
        QCOMPARE(int(evaluation->byGenerator.size()), 3); // genA, genB, mean
        QCOMPARE(evaluation->byGenerator[0].accuracy, 0.75);
        QVERIFY(std::abs(evaluation->byGenerator[1].accuracy - 2.0 / 3.0) < 1e-12);
        QCOMPARE(evaluation->byGenerator[2].name, std::string("mean"));
        QCOMPARE(evaluation->leftOut, 1);
        QCOMPARE(evaluation->preprocessing, center.name());

        const QString card = m_dir.filePath(QStringLiteral("head.pth.card.json"));
        QFile out(card);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(R"({"head_sha256": "x"})");
        out.close();
        QVERIFY(recordTestEvaluation(card.toStdString(), evaluation.value()));
        QFile in(card);
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QJsonObject test =
            QJsonDocument::fromJson(in.readAll()).object()[QStringLiteral("test_sets")].toArray().first().toObject();
        QCOMPARE(test[QStringLiteral("preprocessing")].toString(), QString::fromStdString(center.name()));
        QCOMPARE(test[QStringLiteral("threshold")].toDouble(), 0.6);
        QCOMPARE(test[QStringLiteral("left_out")].toInt(), 1);

        std::atomic<bool> cancel{true};
        QVERIFY(!evaluateTrainedHead(*m_detector, kHead.toStdString(), root.toStdString(), center, 0.6, 3, &cancel));
    }
};

QTEST_GUILESS_MAIN(TestUseCases)
#include "tst_use_cases.moc"
