// Per-image sweeps with the tiny reference model: every crop scored in batches, flips found
// where the score crosses the threshold, deterministic for a seed.

#include "scoring/RobustnessSweep.h"

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

SweepPoint point(double p) { return {0, "", 0, p, p >= 0.5}; }

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
