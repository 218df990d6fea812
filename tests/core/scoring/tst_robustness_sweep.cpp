// Per-image sweeps with the tiny reference model: every crop scored in batches, flips found
// where the score crosses the threshold, deterministic for a seed.

#include "scoring/RobustnessSweep.h"

#include "image/ImageDecoder.h"
#include "model/SpaiDetector.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace rine;

namespace {

const std::string kTiny = RINE_TEST_DATA "/reference-tiny/";

std::unique_ptr<Detector> tiny()
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

SweepPoint point(double p) { return {0, "", 0, p, p >= 0.5, {}}; }

double referenceProbability(const QString &image)
{
    QFile file(QString::fromStdString(kTiny) + QStringLiteral("reference.json"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read reference.json");
    return QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("images")].toObject()[image].toObject()
        [QStringLiteral("prob")].toDouble();
}

} // namespace

class TestRobustnessSweep : public QObject {
    Q_OBJECT

private slots:
    void firstFlipIsTheFirstChangedVerdict()
    {
        QCOMPARE(firstFlip(true, {point(0.9), point(0.7), point(0.4), point(0.6)}), 2);
        QCOMPARE(firstFlip(false, {point(0.1), point(0.55)}), 1);
        QCOMPARE(firstFlip(true, {point(0.9), point(0.51)}), -1);
        QCOMPARE(firstFlip(false, {}), -1);
    }

    void movingTheThresholdRedrawsTheFlips()
    {
        SweepResult r;
        r.baselineProbability = 0.7;
        r.series.push_back({PerturbationKind::Jpeg, {point(0.65), point(0.4), point(0.3)}, -1, {}});
        r.series[0].points[0].strength = 75;
        r.series[0].points[1].strength = 45;
        r.series[0].points[2].strength = 30;
        r.series.push_back({PerturbationKind::Noise, {point(0.66)}, -1, {}});
        r.series[1].points[0].strength = 5;

        applyThreshold(r, 0.5); // 0.7 fake; 0.4 is the first real
        QCOMPARE(r.series[0].flipIndex, 1);
        QCOMPARE(r.series[0].flip, std::string("flips to real at JPEG quality <= 45"));
        QCOMPARE(r.series[1].flipIndex, -1);
        QCOMPARE(r.summary, r.series[0].flip);

        applyThreshold(r, 0.25); // everything fake
        QCOMPARE(r.summary, std::string("stable under all tested perturbations"));
        QVERIFY(r.series[0].flip.empty());

        applyThreshold(r, 0.68); // 0.7 fake, 0.65 and 0.66 real
        QCOMPARE(r.series[0].flipIndex, 0);
        QCOMPARE(r.summary, std::string("flips to real at JPEG quality <= 75; flips to real at noise sigma >= 5"));

        applyThreshold(r, 0.9); // 0.7 real: nothing reaches 0.9
        QVERIFY(!r.baselineFake);
        QCOMPARE(r.summary, std::string("stable under all tested perturbations"));
    }

    void presetsHoldThePapersRanges()
    {
        const SweepPlan paper = robustnessPreset("paper");
        QCOMPARE(paper.series.size(), std::size_t(4));
        QVERIFY(paper.resizeTo256);
        QCOMPARE(paper.series[1].strengths, (std::vector<double>{3, 5, 7, 9})); // blur kernels
        QCOMPARE(paper.series[0].strengths.front(), 75.0); // JPEG quality 75 down to 10
        QCOMPARE(paper.series[0].strengths.back(), 10.0);
        QVERIFY(robustnessPreset("fine").series.size() == 5);
        QVERIFY(robustnessPreset("coarse").name.empty());
    }

    void sweepRunsInBatchesAndFindsTheFlip()
    {
        auto detector = tiny();
        const SweepPlan plan = robustnessPreset("paper");
        RobustnessSweep::Options options;
        options.batchSize = 8;
        options.seed = 5;
        auto first = RobustnessSweep(*detector, options).run(kTiny + "images/camera.png", plan);
        QVERIFY2(first, first.error().c_str());
        QCOMPARE(first->crops, 1 + 6 + 4 + 4 + 4);
        QCOMPARE(first->forwardPasses, 3); // 19 crops at 8 a pass, not 19 calls

        auto again = RobustnessSweep(*detector, options).run(kTiny + "images/camera.png", plan);
        QVERIFY(again);
        for (std::size_t s = 0; s < first->series.size(); ++s)
            for (std::size_t i = 0; i < first->series[s].points.size(); ++i)
                QCOMPARE(again->series[s].points[i].probability, first->series[s].points[i].probability);

        // A threshold between the baseline and the JPEG point that moved most must flip the
        // verdict at the first JPEG point on the other side of it.
        const SweepSeries &jpeg = first->series[0];
        const double p0 = first->baselineProbability;
        double farthest = p0;
        for (const SweepPoint &p : jpeg.points)
            if (std::abs(p.probability - p0) > std::abs(farthest - p0))
                farthest = p.probability;
        QVERIFY2(std::abs(farthest - p0) > 1e-4, "JPEG moved the tiny model's score too little to test a flip");
        options.threshold = (p0 + farthest) / 2;
        auto flipped = RobustnessSweep(*detector, options).run(kTiny + "images/camera.png", plan);
        QVERIFY(flipped);
        int expected = -1;
        for (std::size_t i = 0; i < jpeg.points.size() && expected < 0; ++i)
            if ((jpeg.points[i].probability >= options.threshold) != (p0 >= options.threshold))
                expected = int(i);
        QCOMPARE(flipped->series[0].flipIndex, expected);
        const std::string text = flipped->series[0].flip;
        QVERIFY2(text.find("JPEG quality <= " + std::to_string(int(jpeg.points[std::size_t(expected)].strength))) != std::string::npos,
                 text.c_str());
        QVERIFY2(flipped->summary.find(text) != std::string::npos, flipped->summary.c_str());

        options.threshold = 0.999; // nothing reaches it: every verdict is real, nothing flips
        auto stable = RobustnessSweep(*detector, options).run(kTiny + "images/camera.png", plan);
        QVERIFY(stable);
        QCOMPARE(stable->summary, std::string("stable under all tested perturbations"));
    }

    void strengthsOutOfRangeAreRefusedBeforeAnyWork()
    {
        QVERIFY(checkStrength(PerturbationKind::Jpeg, 1).empty());
        QVERIFY(checkStrength(PerturbationKind::Jpeg, 100).empty());
        QVERIFY(!checkStrength(PerturbationKind::Jpeg, 0).empty());
        QVERIFY(!checkStrength(PerturbationKind::Jpeg, 101).empty());
        QVERIFY(checkStrength(PerturbationKind::Blur, 9).empty());
        QVERIFY(!checkStrength(PerturbationKind::Blur, 4).empty()); // even kernel
        QVERIFY(!checkStrength(PerturbationKind::Crop, 0.95).empty());
        QVERIFY(!checkStrength(PerturbationKind::Noise, -1).empty());
        QVERIFY(!checkStrength(PerturbationKind::Resize, 0.01).empty());
        QVERIFY(!checkStrength(PerturbationKind::Noise, std::nan("")).empty());

        SweepPlan plan{"custom", {{PerturbationKind::Jpeg, {75}}, {PerturbationKind::Blur, {3, 4}}}, false};
        const std::string wrong = checkPlan(plan);
        QVERIFY2(wrong.find("blur") != std::string::npos && wrong.find("got 4") != std::string::npos, wrong.c_str());
        QVERIFY(checkPlan(SweepPlan{"empty", {}, false}).find("no perturbation") != std::string::npos);
        QVERIFY(checkPlan(robustnessPreset("paper")).empty());
        QVERIFY(checkPlan(robustnessPreset("fine")).empty());

        auto detector = tiny();
        auto refused = RobustnessSweep(*detector, {}).run(kTiny + "images/camera.png", plan);
        QVERIFY(!refused);
        QVERIFY2(refused.error().find("camera.png") != std::string::npos, refused.error().c_str());
    }

    void sweepKeepsWhatItScoredAndReportsProgress()
    {
        // Without the protocol's resize, the baseline crop is the image's plain center crop:
        // the published reference crop, scoring as the reference code scored it.
        auto detector = tiny();
        const SweepPlan plan{"custom", {{PerturbationKind::Noise, {5, 10}}, {PerturbationKind::Jpeg, {50}}}, false};
        RobustnessSweep::Options options;
        options.keepCrops = true;
        options.batchSize = 2;
        std::vector<std::pair<int, int>> calls;
        options.progress = [&](int done, int total) { calls.emplace_back(done, total); };
        auto result = RobustnessSweep(*detector, options).run(kTiny + "images/camera.png", plan);
        QVERIFY2(result, result.error().c_str());
        QVERIFY(!result->cancelled);
        QCOMPARE(result->cropSize, 224);

        FileBytes bytes;
        auto reference = readImage(kTiny + "crops/camera.png.ppm", bytes);
        QVERIFY(reference);
        QVERIFY(result->baselineCrop == reference->rgb.pixels);
        QVERIFY(std::abs(result->baselineProbability - referenceProbability(QStringLiteral("camera.png"))) < 1e-4);
        for (const SweepSeries &series : result->series)
            for (const SweepPoint &point : series.points) {
                QCOMPARE(point.crop.size(), std::size_t(224 * 224 * 3));
                QVERIFY(point.crop != result->baselineCrop); // noise and JPEG change pixels
            }

        // 4 crops: 4 prepared, then 2 batches of 2 scored; the count only rises, to the total.
        QCOMPARE(calls.size(), std::size_t(4 + 2));
        for (std::size_t i = 0; i < calls.size(); ++i) {
            QCOMPARE(calls[i].second, 8);
            if (i)
                QVERIFY(calls[i].first > calls[i - 1].first);
        }
        QCOMPARE(calls.back().first, 8);

        options.keepCrops = false;
        auto lean = RobustnessSweep(*detector, options).run(kTiny + "images/camera.png", plan);
        QVERIFY(lean && lean->baselineCrop.empty() && lean->series[0].points[0].crop.empty());
    }

    void cancelStopsTheSweepWithoutScores()
    {
        auto detector = tiny();
        std::atomic<bool> cancel{false};
        RobustnessSweep::Options options;
        options.cancel = &cancel;
        options.batchSize = 4;
        int calls = 0;
        options.progress = [&](int, int) {
            if (++calls == 3) // while perturbations are being prepared
                cancel = true;
        };
        auto result = RobustnessSweep(*detector, options).run(kTiny + "images/camera.png", robustnessPreset("paper"));
        QVERIFY2(result, result.error().c_str());
        QVERIFY(result->cancelled);
        QCOMPARE(result->forwardPasses, 0);
        for (const SweepSeries &series : result->series)
            QVERIFY(series.points.empty());
        QCOMPARE(calls, 3);
    }

    // SPAI scores a large image in many passes: a cancel stops it between two, not after the
    // image. Set before the sweep, no pass runs at all (before, the baseline ran in full).
    void spaiCancelStopsBetweenPasses()
    {
        SpaiOptions spaiOptions;
        spaiOptions.path = RINE_TEST_DATA "/spai-tiny/spai_tiny_state_dict.pt";
        spaiOptions.config.heads = 3;
        spaiOptions.config.layers = {0, 1, 2, 3};
        auto spai = SpaiDetector::load(spaiOptions);
        QVERIFY2(spai, spai ? "" : spai.error().c_str());
        const std::string image = RINE_TEST_DATA "/spai-tiny/images/hubble_deep_field.jpg"; // 12 patches, 3 passes
        const SweepPlan plan{"custom", {{PerturbationKind::Noise, {5}}}, false};
        std::atomic<bool> cancel{false};
        RobustnessSweep::Options options;
        options.cancel = &cancel;
        auto whole = RobustnessSweep(*spai.value(), options).run(image, plan);
        QVERIFY2(whole, whole.error().c_str());
        QCOMPARE(whole->forwardPasses, 2);
        QCOMPARE(spai.value()->passes(), std::size_t(6));

        cancel = true;
        auto stopped = RobustnessSweep(*spai.value(), options).run(image, plan);
        QVERIFY2(stopped, stopped.error().c_str());
        QVERIFY(stopped->cancelled);
        QCOMPARE(stopped->forwardPasses, 0);
        QCOMPARE(spai.value()->passes(), std::size_t(6));
        for (const SweepSeries &series : stopped->series)
            QVERIFY(series.points.empty());
    }

    void unreadableImagesFailClearly()
    {
        auto detector = tiny();
        auto result = RobustnessSweep(*detector, {}).run("/nonexistent/picture.png", robustnessPreset("paper"));
        QVERIFY(!result);
        QVERIFY2(result.error().find("/nonexistent/picture.png") != std::string::npos, result.error().c_str());
    }
};

QTEST_GUILESS_MAIN(TestRobustnessSweep)
#include "tst_robustness_sweep.moc"
