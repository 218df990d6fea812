// Average precision and accuracy against hand calculations; labelled-dataset discovery for
// the flat, ProGAN and test-set layouts.

#include "train/Dataset.h"
#include "train/Metrics.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

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
