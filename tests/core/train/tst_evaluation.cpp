// Average precision and accuracy against hand calculations; labelled-dataset discovery for
// the flat, ProGAN and test-set layouts.

#include "train/Calibration.h"
#include "train/Dataset.h"
#include "util/Metrics.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace rine;

class TestEvaluation : public QObject {
    Q_OBJECT

private slots:
    void averagePrecisionByHand()
    {
        // Ranked: + - + -. Thresholds: after 1: P 1, R 1/2; after 3: P 2/3, R 1.
        // AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
        QCOMPARE(averagePrecision({0.9, 0.8, 0.7, 0.6}, {1, 0, 1, 0}), 5.0 / 6.0);
        QCOMPARE(averagePrecision({0.9, 0.8, 0.7}, {1, 1, 0}), 1.0); // perfect ranking
        // Tied scores are one threshold: both at once, P 1/2, R 1.
        QCOMPARE(averagePrecision({0.5, 0.5}, {1, 0}), 0.5);
        // - + + : after 2: P 1/2, R 1/2; after 3: P 2/3, R 1 -> 1/4 + 1/3 = 7/12.
        QCOMPARE(averagePrecision({0.9, 0.5, 0.1}, {0, 1, 1}), 7.0 / 12.0);
        QCOMPARE(averagePrecision({0.3, 0.2}, {0, 0}), 0.0);
    }

    void accuracyByHand()
    {
        const Accuracy a = accuracyAt({0.9, 0.4, 0.6, 0.1, 0.5}, {1, 1, 0, 0, 0}, 0.5);
        // fake 0.9 right, fake 0.4 wrong, real 0.6 wrong, real 0.1 right, real 0.5 wrong (>= 0.5 is fake)
        QCOMPARE(a.fakes, 2);
        QCOMPARE(a.reals, 3);
        QCOMPARE(a.overall, 2.0 / 5.0);
        QCOMPARE(a.fake, 0.5);
        QCOMPARE(a.real, 1.0 / 3.0);
    }

    void dataWarnings()
    {
        const std::vector<int> labels{0, 0, 0, 1, 1, 1};
        const std::vector<std::string> jpegs(6, "jpeg");
        const std::vector<double> pixels(6, 65536);
        // Medians 95 (real: 90 95 95) and 75 (fake: 75 75 80): 20 apart.
        auto warnings = datasetWarnings(labels, jpegs, pixels, {95, 90, 95, 75, 80, 75});
        QCOMPARE(warnings.size(), std::size_t(1));
        QVERIFY2(QString::fromStdString(warnings[0]).contains(QStringLiteral("median quality of 95 and fake ones 75")),
                 warnings[0].c_str());
        // Medians 90 and 85: closer than 10, no warning.
        QVERIFY(datasetWarnings(labels, jpegs, pixels, {90, 85, 95, 85, 80, 90}).empty());
        // Formats: PNG real against JPEG fake.
        warnings = datasetWarnings(labels, {"png", "png", "png", "jpeg", "jpeg", "jpeg"}, pixels, {0, 0, 0, 75, 75, 75});
        QCOMPARE(warnings.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(warnings[0]).contains(QStringLiteral("mostly png and fake ones mostly jpeg")));
        // Resolution: 4 megapixels against 1.
        warnings = datasetWarnings(labels, jpegs, {4e6, 4e6, 4e6, 1e6, 1e6, 1e6}, {90, 90, 90, 90, 90, 90});
        QCOMPARE(warnings.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(warnings[0]).contains(QStringLiteral("4.00 megapixels and fake ones 1.00")));
    }

    void wilsonIntervalByHand()
    {
        // 5 of 100, z = 1.96: centre (0.05 + 0.019207) / 1.038415 = 0.066648, margin
        // 1.96 * sqrt(0.000475 + 0.000096) / 1.038415 = 0.045104.
        const auto [low, high] = wilsonInterval(5, 100);
        QVERIFY2(std::abs(low - 0.021544) < 1e-5, qPrintable(QString::number(low, 'g', 8)));
        QVERIFY2(std::abs(high - 0.111752) < 1e-5, qPrintable(QString::number(high, 'g', 8)));
        const auto [zeroLow, zeroHigh] = wilsonInterval(0, 10); // never below 0
        QCOMPARE(zeroLow, 0.0);
        QVERIFY(std::abs(zeroHigh - 0.277533) < 1e-5);
    }

    void calibrationByHand()
    {
        // Reals 0.1 0.2 0.3 0.4 0.9, fakes 0.35 0.5 0.95; at most 20% of 5 reals = 1 may be
        // called fake: the threshold sits just above the second-highest real score, 0.4.
        const Calibration c = calibrate({0.1, 0.2, 0.3, 0.4, 0.9, 0.35, 0.5, 0.95}, {0, 0, 0, 0, 0, 1, 1, 1}, 0.2);
        QVERIFY(c.threshold > 0.4 && c.threshold < 0.4 + 1e-12);
        QCOMPARE(c.falsePositives, 1); // 0.9
        QCOMPARE(c.truePositives, 2); // 0.5, 0.95
        QCOMPARE(c.fpr, 0.2);
        QCOMPARE(c.tpr, 2.0 / 3.0);
        QVERIFY(c.fprLow < 0.2 && c.fprHigh > 0.2);
        // A target under 1/5 allows no false positive: above the highest real score.
        const Calibration strict = calibrate({0.1, 0.2, 0.3, 0.4, 0.9, 0.35, 0.5, 0.95}, {0, 0, 0, 0, 0, 1, 1, 1}, 0.1);
        QCOMPARE(strict.falsePositives, 0);
        QCOMPARE(strict.truePositives, 1); // only 0.95
    }

    void findsImagesInEachLayout()
    {
        QTemporaryDir dir;
        auto touch = [&](const QString &relative) {
            QDir().mkpath(QFileInfo(dir.filePath(relative)).path());
            QFile file(dir.filePath(relative));
            QVERIFY(file.open(QIODevice::WriteOnly));
        };
        touch("test/progan/airplane/0_real/a.png");
        touch("test/progan/airplane/1_fake/b.png");
        touch("test/progan/cat/1_fake/c.png");
        touch("test/biggan/0_real/d.png");
        touch("test/biggan/1_fake/e.png");
        touch("test/biggan/notes.txt"); // not under a label folder: ignored
        auto found = findLabeledImages(dir.filePath("test").toStdString());
        QVERIFY2(found, found.error().c_str());
        QCOMPARE(found->size(), std::size_t(5));
        QCOMPARE(found->at(0).generator, std::string("biggan"));
        QCOMPARE(found->at(0).label, 0);
        QCOMPARE(found->at(0).category, std::string("biggan"));
        QCOMPARE(found->at(2).generator, std::string("progan"));
        QCOMPARE(found->at(2).category, std::string("airplane"));
        QCOMPARE(found->at(4).label, 1);

        auto cats = findLabeledImages(dir.filePath("test").toStdString(), {"cat"});
        QVERIFY(cats);
        QCOMPARE(cats->size(), std::size_t(1));
        QVERIFY(QString::fromStdString(cats->front().path).endsWith("cat/1_fake/c.png"));

        touch("flat/0_real/x.jpg");
        touch("flat/1_fake/y.jpg");
        auto flat = findLabeledImages(dir.filePath("flat").toStdString());
        QVERIFY(flat);
        QCOMPARE(flat->size(), std::size_t(2));
        QCOMPARE(flat->front().generator, std::string());

        auto none = findLabeledImages(dir.filePath("test/biggan/0_real/d.png").toStdString());
        QVERIFY(!none);
        QVERIFY(QString::fromStdString(none.error()).contains("not a folder"));
        QDir().mkpath(dir.filePath("empty/sub"));
        QVERIFY(!findLabeledImages(dir.filePath("empty").toStdString()));
    }
};

QTEST_GUILESS_MAIN(TestEvaluation)
#include "tst_evaluation.moc"
