// rine-cli train on a small dataset this test makes (smooth pictures as real, noise as fake),
// with the tiny test backbone: the head is written in the published format, described by its
// model card, recorded as trained here (so it scores without --trust), and bad layouts are
// refused with a message.

#include "RunCli.h"
#include "TestFiles.h"

#include <QCryptographicHash>
#include <QDir>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace rine;

namespace {

const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");

void makeImages(const QString &folder, int count, bool fake, unsigned seed)
{
    QDir().mkpath(folder);
    std::mt19937 random(seed);
    for (int i = 0; i < count; ++i) {
        QImage image(96, 96, QImage::Format_RGB888);
        for (int y = 0; y < 96; ++y)
            for (int x = 0; x < 96; ++x) {
                const int base = int((x + y + 7 * i) % 256);
                const int noise = fake ? int(random() % 160) - 80 : 0;
                const int v = std::clamp(base + noise, 0, 255);
                image.setPixel(x, y, qRgb(v, (v + 40 * i) % 256, 255 - v));
            }
        QVERIFY(image.save(QStringLiteral("%1/%2.png").arg(folder).arg(i)));
    }
}

QString sha256Hex(const QString &path)
{
    return QString::fromLatin1(QCryptographicHash::hash(test::readAll(path), QCryptographicHash::Sha256).toHex());
}

} // namespace

class TestCliTrain : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    test::RunOptions m_env;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_env.env = QProcessEnvironment::systemEnvironment();
        m_env.env.insert(QStringLiteral("RINE_MODEL_STORE"), m_dir.filePath(QStringLiteral("store")));
        const QString root = m_dir.filePath(QStringLiteral("data"));
        makeImages(root + "/train/horse/0_real", 12, false, 1);
        makeImages(root + "/train/horse/1_fake", 12, true, 2);
        makeImages(root + "/val/horse/0_real", 6, false, 3);
        makeImages(root + "/val/horse/1_fake", 6, true, 4);
        makeImages(root + "/train/car/0_real", 4, false, 5); // not selected below
    }

    void trainsAHeadThatLoadsAsOurs()
    {
        const QString head = m_dir.filePath(QStringLiteral("my_head.pth"));
        const test::Run run = test::rineCli(
            {QStringLiteral("train"), QStringLiteral("--data"), m_dir.filePath(QStringLiteral("data")),
             QStringLiteral("--classes"), QStringLiteral("horse"), QStringLiteral("--output"), head,
             QStringLiteral("--epochs"), QStringLiteral("3"), QStringLiteral("--train-batch"), QStringLiteral("8"),
             QStringLiteral("--backbone"), kTiny + "clip_tiny_traced.pt", QStringLiteral("--device"),
             QStringLiteral("cpu"), QStringLiteral("--trust")},
            m_env);
        // No head is loaded: before, the bundled ViT-L/14 head was, and refused this tiny backbone.
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("epoch 3/3"), run.err.constData());
        // stdout: the head's SHA-256 and path, as sha256sum prints them.
        QCOMPARE(QString::fromUtf8(run.out).trimmed(), sha256Hex(head) + QStringLiteral("  ") + head);

        // The model card: data counted per class and label, every epoch, the backbone's hash.
        const QJsonObject card = QJsonDocument::fromJson(test::readAll(head + QStringLiteral(".card.json"))).object();
        QCOMPARE(card[QStringLiteral("head_sha256")].toString(), sha256Hex(head));
        QCOMPARE(card[QStringLiteral("backbone_sha256")].toString(), sha256Hex(kTiny + "clip_tiny_traced.pt"));
        const QJsonObject trainCounts = card[QStringLiteral("data")].toObject()[QStringLiteral("train")].toObject();
        QCOMPARE(trainCounts.keys(), QStringList{QStringLiteral("horse")}); // car left out by --classes
        QCOMPARE(trainCounts[QStringLiteral("horse")].toObject()[QStringLiteral("real")].toInt(), 12);
        QCOMPARE(trainCounts[QStringLiteral("horse")].toObject()[QStringLiteral("fake")].toInt(), 12);
        QCOMPARE(card[QStringLiteral("epochs")].toArray().size(), 3);
        QCOMPARE(card[QStringLiteral("configuration")].toObject()[QStringLiteral("preset")].toString(),
                 QStringLiteral("2-class"));
        QCOMPARE(card[QStringLiteral("architecture")].toObject()[QStringLiteral("proj_dim")].toInt(), 128);
        QCOMPARE(card[QStringLiteral("mode")].toObject()[QStringLiteral("name")].toString(), QStringLiteral("fast"));

        // Recorded as trained here: it scores without --trust.
        const test::Run score = test::rineCli({QStringLiteral("score"), QStringLiteral("--backbone"),
                                               kTiny + "clip_tiny_traced.pt", QStringLiteral("--head"), head,
                                               QStringLiteral("--device"), QStringLiteral("cpu"),
                                               kTiny + "images/camera.png"},
                                              m_env);
        QVERIFY2(score.exitCode == 0, score.err.constData());
        const QJsonObject record = QJsonDocument::fromJson(score.out).object()[QStringLiteral("records")].toArray().first().toObject();
        const double p = record[QStringLiteral("probability")].toDouble();
        QVERIFY(p > 0 && p < 1);
    }

    void paperClassSetWithAugmentation()
    {
        // --classes 1-class is the paper's horse-only set and brings its preset (xi 0.1,
        // nproj 4, P 1024); --augment trains with the published augmentation.
        const QString head = m_dir.filePath(QStringLiteral("augmented.pth"));
        const test::Run run = test::rineCli(
            {QStringLiteral("train"), QStringLiteral("--data"), m_dir.filePath(QStringLiteral("data")),
             QStringLiteral("--classes"), QStringLiteral("1-class"), QStringLiteral("--augment"),
             QStringLiteral("--output"), head, QStringLiteral("--epochs"), QStringLiteral("2"),
             QStringLiteral("--train-batch"), QStringLiteral("8"), QStringLiteral("--backbone"),
             kTiny + "clip_tiny_traced.pt", QStringLiteral("--device"), QStringLiteral("cpu"), QStringLiteral("--trust")},
            m_env);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject card = QJsonDocument::fromJson(test::readAll(head + QStringLiteral(".card.json"))).object();
        QCOMPARE(card[QStringLiteral("configuration")].toObject()[QStringLiteral("preset")].toString(),
                 QStringLiteral("1-class"));
        QCOMPARE(card[QStringLiteral("configuration")].toObject()[QStringLiteral("xi")].toDouble(), 0.1);
        QCOMPARE(card[QStringLiteral("architecture")].toObject()[QStringLiteral("proj_dim")].toInt(), 1024);
        QCOMPARE(card[QStringLiteral("mode")].toObject()[QStringLiteral("name")].toString(), QStringLiteral("augmented"));
        QCOMPARE(card[QStringLiteral("data")].toObject()[QStringLiteral("train")].toObject().keys(),
                 QStringList{QStringLiteral("horse")});
        QCOMPARE(card[QStringLiteral("epochs")].toArray().size(), 2);
    }

    void benchTrainingPrintsItsFigures()
    {
        // Figures are printed, never asserted: only that every preset trains and is reported.
        const test::Run run = test::rineCli({QStringLiteral("bench"), QStringLiteral("--training"),
                                             QStringLiteral("--samples"), QStringLiteral("16"), QStringLiteral("--epochs"),
                                             QStringLiteral("1")},
                                            m_env);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        for (const char *line : {"16 samples", "1-class", "2-class", "4-class", "samples/s", "peak memory"})
            QVERIFY2(run.out.contains(line), run.out.constData());
    }

    void badDataIsRefused()
    {
        const QString head = m_dir.filePath(QStringLiteral("never.pth"));
        const QStringList model{QStringLiteral("--backbone"), kTiny + "clip_tiny_traced.pt", QStringLiteral("--device"),
                                QStringLiteral("cpu"), QStringLiteral("--trust")};
        // No val/ folder.
        const QString lonely = m_dir.filePath(QStringLiteral("lonely"));
        makeImages(lonely + "/train/0_real", 2, false, 6);
        makeImages(lonely + "/train/1_fake", 2, true, 7);
        test::Run run = test::rineCli(QStringList{QStringLiteral("train"), QStringLiteral("--data"), lonely,
                                                  QStringLiteral("--output"), head} + model,
                                      m_env);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("val"), run.err.constData());
        QVERIFY(!QFile::exists(head));

        run = test::rineCli({QStringLiteral("train"), QStringLiteral("--data"), lonely, QStringLiteral("--output"), head,
                             QStringLiteral("--preset"), QStringLiteral("3-class")},
                            m_env);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--preset"), run.err.constData());

        // train takes no head: --head and --crop are not its options.
        run = test::rineCli(QStringList{QStringLiteral("train"), QStringLiteral("--data"), lonely, QStringLiteral("--output"),
                                  head, QStringLiteral("--head"), kTiny + "rine_tiny_head.pth"} + model,
                      m_env);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("Unknown option 'head'"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliTrain)
#include "tst_cli_train.moc"
