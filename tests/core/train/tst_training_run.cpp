// A whole training run (runTraining) with the tiny test backbone on images this test makes:
// the paper's class sets, counts per class, and training with augmentation. That the
// augmentation really reaches the backbone is checked end to end against an independent
// route: with every draw but the flip switched off (p 1) and 224x224 images (so any 224 crop
// is the whole image), augmented training on the images must write the very head that fast
// mode writes from copies the test mirrored itself.

#include "model/Detector.h"
#include "train/TrainingRun.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace rine;

namespace {

const std::string kTiny = RINE_TEST_DATA "/reference-tiny/";

std::unique_ptr<Detector> tinyDetector()
{
    DetectorOptions options;
    options.backbonePath = kTiny + "clip_tiny_traced.pt";
    options.headPaths = {kTiny + "rine_tiny_head.pth"};
    options.device = DeviceChoice::Cpu;
    auto detector = Detector::load(options);
    if (!detector)
        qFatal("%s", detector.error().c_str());
    return std::move(detector.value());
}

// Smooth pictures as real, noisy ones as fake; mirrored: the same pictures flipped left-right.
void makeImages(const QString &folder, int count, bool fake, unsigned seed, bool mirrored = false)
{
    QDir().mkpath(folder);
    std::mt19937 random(seed);
    for (int i = 0; i < count; ++i) {
        QImage image(224, 224, QImage::Format_RGB888);
        for (int y = 0; y < 224; ++y)
            for (int x = 0; x < 224; ++x) {
                const int noise = fake ? int(random() % 160) - 80 : 0;
                const int v = std::clamp(int((2 * x + y + 9 * i) % 256) + noise, 0, 255);
                image.setPixel(x, y, qRgb(v, (v + 40 * i) % 256, 255 - (x * 255) / 223));
            }
        if (mirrored)
            image = image.mirrored(true, false);
        QVERIFY(image.save(QStringLiteral("%1/%2.png").arg(folder).arg(i)));
    }
}

QByteArray sha256Of(const std::string &path)
{
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex();
}

} // namespace

class TestTrainingRun : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Detector> m_detector;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    TrainingRequest request(const QString &root, const QString &output, bool augment)
    {
        auto data = findTrainingData(root.toStdString());
        if (!data)
            qFatal("%s", data.error().c_str());
        TrainingRequest r;
        r.data = std::move(data.value());
        r.config.epochs = 3;
        r.config.batchSize = 8;
        r.config.seed = 11;
        r.augment = augment;
        r.output = output.toStdString();
        return r;
    }

private slots:
    void initTestCase()
    {
        qputenv("RINE_MODEL_STORE", path(QStringLiteral("store")).toUtf8());
        m_detector = tinyDetector();
        QCOMPARE(m_detector->info().inputSize, 224);
        for (bool mirrored : {false, true}) {
            const QString root = path(mirrored ? QStringLiteral("mirrored") : QStringLiteral("plain"));
            makeImages(root + "/train/horse/0_real", 8, false, 1, mirrored);
            makeImages(root + "/train/horse/1_fake", 8, true, 2, mirrored);
            // Validation is never augmented: the same (unmirrored) images in both datasets.
            makeImages(root + "/val/horse/0_real", 4, false, 3);
            makeImages(root + "/val/horse/1_fake", 4, true, 4);
        }
        const QString classes = path(QStringLiteral("classes"));
        for (const char *name : {"car", "cat", "chair", "horse", "sheep"}) {
            makeImages(classes + "/train/" + name + "/0_real", 2, false, 5);
            makeImages(classes + "/train/" + name + "/1_fake", 3, true, 6);
            makeImages(classes + "/val/" + name + "/0_real", 1, false, 7);
            makeImages(classes + "/val/" + name + "/1_fake", 1, true, 8);
        }
    }

    void paperClassSets()
    {
        std::vector<std::string> classes;
        QVERIFY(paperClassSet("1-class", classes));
        QCOMPARE(classes, std::vector<std::string>{"horse"});
        QVERIFY(paperClassSet("2-class", classes));
        QCOMPARE(classes, (std::vector<std::string>{"chair", "horse"}));
        QVERIFY(paperClassSet("4-class", classes));
        QCOMPARE(classes, (std::vector<std::string>{"car", "cat", "chair", "horse"}));
        QVERIFY(!paperClassSet("3-class", classes));

        paperClassSet("4-class", classes);
        auto data = findTrainingData(path(QStringLiteral("classes")).toStdString(), classes);
        QVERIFY2(data, data ? "" : data.error().c_str());
        QCOMPARE(trainingClasses(data.value()), (std::vector<std::string>{"car", "cat", "chair", "horse"}));
        const ClassCounts counts = countByClass(data->train);
        QCOMPARE(counts.size(), std::size_t(4)); // sheep left out
        QCOMPARE(counts.at("cat")[0], 2);
        QCOMPARE(counts.at("cat")[1], 3);
        QCOMPARE(data->validation.size(), std::size_t(8));
        // Choosing from a dataset already found gives the same images as walking for them.
        auto all = findTrainingData(path(QStringLiteral("classes")).toStdString());
        QVERIFY(all);
        auto selected = selectClasses(all.value(), classes);
        QVERIFY(selected);
        QCOMPARE(selected->train.size(), data->train.size());
        QCOMPARE(selected->validation.size(), data->validation.size());
        QCOMPARE(selected->train.back().path, data->train.back().path);
        auto none = selectClasses(all.value(), {"dog"});
        QVERIFY(!none);
        QVERIFY2(none.error().find("of the chosen classes") != std::string::npos, none.error().c_str());
    }

    void missingSplitsAreRefused()
    {
        const QString lonely = path(QStringLiteral("lonely"));
        makeImages(lonely + "/train/0_real", 1, false, 9);
        makeImages(lonely + "/train/1_fake", 1, true, 9);
        auto data = findTrainingData(lonely.toStdString());
        QVERIFY(!data);
        QVERIFY2(data.error().find("no val/ folder") != std::string::npos, data.error().c_str());
        makeImages(lonely + "/val/0_real", 1, false, 9); // no fake validation image
        data = findTrainingData(lonely.toStdString());
        QVERIFY(!data);
        QVERIFY2(data.error().find("real (0_real) and fake (1_fake)") != std::string::npos, data.error().c_str());
    }

    void augmentationReachesTheBackbone()
    {
        // Only the flip, always.
        TrainingAugmentation flipOnly;
        flipOnly.blurProbability = 0;
        flipOnly.jpegProbability = 0;
        flipOnly.flipProbability = 1;

        TrainingRequest augmented = request(path(QStringLiteral("plain")), path(QStringLiteral("augmented.pth")), true);
        augmented.augmentation = flipOnly;
        int epochs = 0;
        std::size_t lastBatch = 0, totalBatches = 0;
        TrainingEvents events;
        events.epoch = [&](const EpochReport &) { ++epochs; };
        events.step = [&](TrainingStage stage, std::size_t done, std::size_t total) {
            if (stage == TrainingStage::Training)
                lastBatch = done, totalBatches = total;
        };
        auto withFlip = runTraining(*m_detector, augmented, nullptr, events);
        QVERIFY2(withFlip, withFlip ? "" : withFlip.error().c_str());
        QCOMPARE(epochs, 3);
        QCOMPARE(totalBatches, std::size_t(3 * 16)); // 16 images a epoch, 3 epochs
        QCOMPARE(lastBatch, totalBatches);

        auto fast = runTraining(*m_detector,
                                request(path(QStringLiteral("mirrored")), path(QStringLiteral("fast.pth")), false));
        QVERIFY2(fast, fast ? "" : fast.error().c_str());
        QCOMPARE(withFlip->training.checkpointSha256, fast->training.checkpointSha256);
        QCOMPARE(QByteArray::fromStdString(withFlip->training.checkpointSha256), sha256Of(augmented.output));

        // Fast mode on the unmirrored images trains on other features: another head.
        auto plain = runTraining(*m_detector,
                                 request(path(QStringLiteral("plain")), path(QStringLiteral("plain.pth")), false));
        QVERIFY(plain);
        QVERIFY(plain->training.checkpointSha256 != fast->training.checkpointSha256);
    }

    void publishedAugmentationIsSeededAndRecorded()
    {
        // The published draws (blur, JPEG, flip): reproducible from the seed, different from
        // fast mode, and said so in the model card.
        TrainingRequest first = request(path(QStringLiteral("plain")), path(QStringLiteral("a.pth")), true);
        TrainingRequest second = first;
        second.output = path(QStringLiteral("b.pth")).toStdString();
        auto a = runTraining(*m_detector, first);
        auto b = runTraining(*m_detector, second);
        QVERIFY2(a && b, a ? "" : a.error().c_str());
        QCOMPARE(a->training.checkpointSha256, b->training.checkpointSha256);
        TrainingRequest fast = first;
        fast.augment = false;
        fast.output = path(QStringLiteral("c.pth")).toStdString();
        auto c = runTraining(*m_detector, fast);
        QVERIFY(c);
        QVERIFY(a->training.checkpointSha256 != c->training.checkpointSha256);

        const QJsonObject card =
            QJsonDocument::fromJson([&] {
                QFile file(QString::fromStdString(a->cardPath));
                return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
            }())
                .object();
        const QJsonObject mode = card[QStringLiteral("mode")].toObject();
        QCOMPARE(mode[QStringLiteral("name")].toString(), QStringLiteral("augmented"));
        QCOMPARE(mode[QStringLiteral("max_blur_sigma")].toDouble(), 3.0);
        QCOMPARE(mode[QStringLiteral("jpeg_qualities")].toArray(), (QJsonArray{30, 100}));
        QCOMPARE(card[QStringLiteral("head_sha256")].toString(), QString::fromStdString(a->training.checkpointSha256));
        QCOMPARE(card[QStringLiteral("epochs")].toArray().size(), 3);
    }

    void validationByClassMatchesTheScores()
    {
        // Per-class validation results of the best epoch, checked against the scores the
        // written head gives those images (loaded afresh, scored by the detector).
        std::vector<std::string> classes;
        paperClassSet("2-class", classes);
        auto data = findTrainingData(path(QStringLiteral("classes")).toStdString(), classes);
        QVERIFY(data);
        TrainingRequest r;
        r.data = data.value();
        r.config.epochs = 2;
        r.config.batchSize = 4;
        r.output = path(QStringLiteral("two.pth")).toStdString();
        auto outcome = runTraining(*m_detector, r);
        QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
        QCOMPARE(outcome->validationByClass.size(), std::size_t(3)); // chair, horse, mean
        QCOMPARE(outcome->validationByClass[0].name, std::string("chair"));
        QCOMPARE(outcome->validationByClass[2].name, std::string("mean"));

        DetectorOptions options;
        options.backbonePath = kTiny + "clip_tiny_traced.pt";
        options.headPaths = {r.output};
        options.device = DeviceChoice::Cpu;
        auto trained = Detector::load(options);
        QVERIFY2(trained, trained ? "" : trained.error().c_str());
        for (std::size_t c = 0; c < 2; ++c) {
            int right = 0, total = 0;
            for (const LabeledImage &image : data->validation) {
                if (image.category != outcome->validationByClass[c].name)
                    continue;
                FileBytes bytes;
                auto decoded = readImage(image.path, bytes);
                QVERIFY(decoded);
                const std::vector<std::uint8_t> crop = centerCrop(decoded->rgb, 224);
                auto scores = trained.value()->score({crop.data()});
                QVERIFY(scores);
                right += int((scores->front().probability >= 0.5) == (image.label == 1));
                ++total;
            }
            QCOMPARE(outcome->validationByClass[c].accuracy, double(right) / total);
        }
    }
};

QTEST_MAIN(TestTrainingRun)
#include "tst_training_run.moc"
