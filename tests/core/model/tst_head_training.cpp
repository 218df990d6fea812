// Training a head on per-block features: the loss goes down, a separable toy set is learnt,
// cancel keeps the best epoch, and the checkpoint written loads in the detector (with the tiny
// test backbone, whose width and depth the toy features have) and scores the validation set
// as the trainer measured it.

#include "model/Detector.h"
#include "model/HeadTraining.h"
#include "model/TensorArchive.h"
#include "util/Metrics.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <random>

using namespace rine;

namespace {

const std::string kTiny = RINE_TEST_DATA "/reference-tiny/";

// Gaussian features (3 blocks x 128, the tiny backbone's shape); fakes are shifted by +1.5 on
// the first 64 channels of every block, so a head can separate them.
LabeledFeatures toySet(int count, std::uint64_t seed)
{
    std::mt19937_64 random(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    LabeledFeatures set;
    set.features.count = count;
    set.features.blocks = 3;
    set.features.width = 128;
    set.features.values.resize(std::size_t(count) * 3 * 128);
    for (int i = 0; i < count; ++i) {
        const int label = i % 2;
        set.labels.push_back(label);
        for (int b = 0; b < 3; ++b)
            for (int w = 0; w < 128; ++w)
                set.features.values[(std::size_t(i) * 3 + b) * 128 + w] =
                    normal(random) + (label && w < 64 ? 1.5f : 0.0f);
    }
    return set;
}

} // namespace

class TestHeadTraining : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private slots:
    void presetsAreThePublishedConfigurations()
    {
        HeadTrainingConfig config;
        QVERIFY(headTrainingPreset("1-class", config));
        QCOMPARE(config.xi, 0.1);
        QCOMPARE(config.projDim, 1024);
        QVERIFY(headTrainingPreset("2-class", config));
        QCOMPARE(config.projDim, 128);
        QCOMPARE(config.nproj, 4);
        QVERIFY(headTrainingPreset("4-class", config));
        QCOMPARE(config.nproj, 2);
        QVERIFY(!headTrainingPreset("3-class", config));
        QCOMPARE(HeadTrainingConfig{}.learningRateDrops, (std::vector<int>{6, 11}));
        QCOMPARE(HeadTrainingConfig{}.learningRate, 1e-3);
    }

    void learnsASeparableSetAndWritesALoadableHead()
    {
        const LabeledFeatures train = toySet(256, 1), validation = toySet(128, 2);
        HeadTrainingConfig config;
        config.nproj = 2;
        config.projDim = 32;
        config.epochs = 12;
        config.batchSize = 16;
        config.learningRateDrops = {11};
        const std::string path = m_dir.filePath("trained.pth").toStdString();
        std::vector<EpochReport> seen;
        auto outcome = trainHeadOnFeatures(train, validation, config, path, nullptr,
                                           [&](const EpochReport &report) { seen.push_back(report); });
        QVERIFY2(outcome, outcome.error().c_str());
        QCOMPARE(outcome->epochs.size(), std::size_t(12));
        QCOMPARE(seen.size(), std::size_t(12));
        for (const EpochReport &r : outcome->epochs)
            qInfo("epoch %d lr %g train %.4f valid %.4f acc %.3f ap %.3f", r.epoch, r.learningRate, r.trainLoss,
                  r.validationLoss, r.validationAccuracy, r.validationAveragePrecision);
        QVERIFY2(outcome->epochs.back().trainLoss < outcome->epochs.front().trainLoss, "the training loss did not go down");
        QCOMPARE(outcome->epochs[9].learningRate, 1e-3);
        QCOMPARE(outcome->epochs[10].learningRate, 1e-4); // divided at the start of epoch 11
        const EpochReport &best = outcome->epochs[std::size_t(outcome->bestEpoch - 1)];
        QVERIFY(best.best);
        QVERIFY2(best.validationAccuracy >= 0.95, qPrintable(QString::number(best.validationAccuracy)));
        for (const EpochReport &report : outcome->epochs)
            QVERIFY(report.validationAccuracy <= best.validationAccuracy);

        // The checkpoint: the published names, loaded by the detector with the tiny backbone,
        // scoring the validation features with the accuracy and AP the trainer reported.
        auto archive = readTensorArchive(path);
        QVERIFY2(archive, archive.error().c_str());
        QCOMPARE(QString::fromStdString(archive->tensors.front().first), QStringLiteral("alpha"));
        QVERIFY(archive->find("proj1.1.weight") && archive->find("proj2.4.bias") && archive->find("head.6.weight"));
        QCOMPARE(QString::fromStdString(archive->sha256), QString::fromStdString(outcome->checkpointSha256));
        DetectorOptions options;
        options.backbonePath = kTiny + "clip_tiny_traced.pt";
        options.headPaths = {path};
        options.device = DeviceChoice::Cpu;
        auto detector = Detector::load(options);
        QVERIFY2(detector, detector.error().c_str());
        auto scored = detector.value()->scoreFeatures(validation.features);
        QVERIFY2(scored, scored.error().c_str());
        std::vector<double> scores;
        for (const CropScore &score : scored->front())
            scores.push_back(score.probability);
        QVERIFY(std::abs(accuracyAt(scores, validation.labels, 0.5).overall - best.validationAccuracy) < 1e-9);
        QVERIFY(std::abs(averagePrecision(scores, validation.labels) - best.validationAveragePrecision) < 1e-6);

        // The same seed trains the same head.
        const std::string again = m_dir.filePath("again.pth").toStdString();
        auto repeat = trainHeadOnFeatures(train, validation, config, again);
        QVERIFY(repeat);
        QCOMPARE(QString::fromStdString(repeat->checkpointSha256), QString::fromStdString(outcome->checkpointSha256));
    }

    void cancelKeepsTheBestEpochSoFar()
    {
        const LabeledFeatures train = toySet(64, 3), validation = toySet(32, 4);
        HeadTrainingConfig config;
        config.nproj = 1;
        config.projDim = 16;
        config.epochs = 10;
        config.batchSize = 16;
        std::atomic<bool> cancel{false};
        const std::string path = m_dir.filePath("cancelled.pth").toStdString();
        auto outcome = trainHeadOnFeatures(train, validation, config, path, &cancel, [&](const EpochReport &report) {
            if (report.epoch == 2)
                cancel = true;
        });
        QVERIFY2(outcome, outcome.error().c_str());
        QVERIFY(outcome->cancelled);
        QCOMPARE(outcome->epochs.size(), std::size_t(2));
        QVERIFY(outcome->bestEpoch >= 1 && outcome->bestEpoch <= 2);
        QVERIFY(readTensorArchive(path));

        // Cancelled before any epoch ended: nothing is written, and it says so.
        const std::string none = m_dir.filePath("none.pth").toStdString();
        auto early = trainHeadOnFeatures(train, validation, config, none, &cancel);
        QVERIFY(!early);
        QVERIFY2(early.error().find("nothing was written") != std::string::npos, early.error().c_str());
        QVERIFY(!QFile::exists(QString::fromStdString(none)));
    }

    void aSourceThatSeesTheCancelKeepsTheBestEpoch()
    {
        // Training with augmentation: the source of features sees a cancel in the middle of a
        // batch (minutes on a CPU) and fails; that is the cancel, not an error.
        const LabeledFeatures train = toySet(64, 3), validation = toySet(32, 4);
        HeadTrainingConfig config;
        config.nproj = 1;
        config.projDim = 16;
        config.epochs = 10;
        config.batchSize = 16;
        std::atomic<bool> cancel{false};
        TrainingSamples samples;
        samples.labels = train.labels;
        int calls = 0;
        samples.features = [&](const std::vector<std::int64_t> &indices, int epoch) -> Result<BlockFeatures> {
            ++calls;
            if (epoch == 3 && calls % 4 == 2) { // the second batch of epoch 3
                cancel = true;
                return Result<BlockFeatures>::failure("cancelled");
            }
            return selectFeatures(train.features, indices);
        };
        const std::string path = m_dir.filePath("source-cancelled.pth").toStdString();
        auto outcome = trainHead(samples, validation, config, path, &cancel);
        QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
        QVERIFY(outcome->cancelled);
        QCOMPARE(outcome->epochs.size(), std::size_t(2));
        QVERIFY(readTensorArchive(path));

        // A failing source without a cancel is an error, said as the source said it.
        samples.features = [](const std::vector<std::int64_t> &, int) -> Result<BlockFeatures> {
            return Result<BlockFeatures>::failure("x.png: gone");
        };
        cancel = false;
        auto failed = trainHead(samples, validation, config, m_dir.filePath("failed.pth").toStdString(), &cancel);
        QVERIFY(!failed);
        QCOMPARE(failed.error(), std::string("x.png: gone"));
    }

    void badInputIsRefused()
    {
        LabeledFeatures train = toySet(8, 5), validation = toySet(8, 6);
        validation.features.width = 64; // another backbone
        validation.features.values.resize(std::size_t(8) * 3 * 64);
        auto refused = trainHeadOnFeatures(train, validation, {}, m_dir.filePath("x.pth").toStdString());
        QVERIFY(!refused);
        QVERIFY2(refused.error().find("different backbones") != std::string::npos, refused.error().c_str());
        train.labels[0] = 2;
        refused = trainHeadOnFeatures(train, toySet(8, 6), {}, m_dir.filePath("x.pth").toStdString());
        QVERIFY(!refused);
        QVERIFY2(refused.error().find("label") != std::string::npos, refused.error().c_str());
    }
};

QTEST_GUILESS_MAIN(TestHeadTraining)
#include "tst_head_training.moc"
