#include "util/FileBytes.h"
#include "util/Sha256.h"

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <sys/time.h>

#include <random>

using rine::Sha256;

class TestSha256 : public QObject {
    Q_OBJECT

private slots:
    // Expected digests: FIPS 180-4 examples (NIST CSRC), not this code.
    void knownVectors_data()
    {
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<QString>("digest");
        QTest::newRow("empty") << QByteArray() << "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        QTest::newRow("abc") << QByteArray("abc") << "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        QTest::newRow("448 bits") << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                                  << "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
        QTest::newRow("million a") << QByteArray(1000000, 'a')
                                   << "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    }
    void knownVectors()
    {
        QFETCH(QByteArray, message);
        QFETCH(QString, digest);
        Sha256::setHardwareEnabled(false);
        QCOMPARE(QString::fromStdString(Sha256::hex(message.constData(), std::size_t(message.size()))), digest);
        Sha256::setHardwareEnabled(true);
        QCOMPARE(QString::fromStdString(Sha256::hex(message.constData(), std::size_t(message.size()))), digest);
        // Fed in uneven pieces, the digest must not change.
        Sha256 pieces;
        for (int at = 0; at < message.size(); at += 37)
            pieces.update(message.constData() + at, std::size_t(std::min(37, int(message.size()) - at)));
        QCOMPARE(QString::fromStdString(pieces.hexDigest()), digest);
    }

    void hardwareAndPortablePathsAgree()
    {
        if (!Sha256::hardwareAvailable())
            qInfo("this processor has no SHA extensions: only the portable path runs here");
        std::mt19937 random(1234);
        for (int length : {0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 100003}) {
            QByteArray data(length, Qt::Uninitialized);
            for (char &c : data)
                c = char(random());
            Sha256::setHardwareEnabled(false);
            const std::string portable = Sha256::hex(data.constData(), std::size_t(length));
            Sha256::setHardwareEnabled(true);
            const std::string accelerated = Sha256::hex(data.constData(), std::size_t(length));
            QCOMPARE(accelerated, portable);
            // And both agree with Qt's independent implementation.
            QCOMPARE(QString::fromStdString(portable),
                     QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex()));
        }
    }

    void bundledHeadHash()
    {
        // The SHA-256 published with the fixture (shared/fixtures/README.md).
        auto bytes = rine::readFileBytes(RINE_SOURCE_MODELS "/rine_2class.pth", 1u << 30);
        QVERIFY2(bytes.ok(), bytes.error().c_str());
        QCOMPARE(QString::fromStdString(bytes->sha256),
                 QStringLiteral("680d301b6d191da85b9dabcebf42cd3df20c5c669fa8320c498f835d02bf5ccb"));
    }

    void readingEvidenceLeavesItsAccessTimeAlone()
    {
        // With relatime (the usual mount option), reading a file whose access time is over a
        // day old updates it; evidence is opened with O_NOATIME (we own the file), so it stays.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("evidence.png"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("evidence bytes");
        file.close();
        const timeval times[2] = {{::time(nullptr) - 3 * 86400, 0}, {::time(nullptr) - 4 * 86400, 0}};
        QVERIFY(::utimes(QFile::encodeName(path).constData(), times) == 0);
        auto bytes = rine::readFileBytes(path.toStdString(), 1024);
        QVERIFY2(bytes, bytes ? "" : bytes.error().c_str());
        QCOMPARE(bytes->data.size(), std::size_t(14));
        struct stat info {};
        QVERIFY(::stat(QFile::encodeName(path).constData(), &info) == 0);
        QCOMPARE(qint64(info.st_atim.tv_sec), qint64(times[0].tv_sec));
    }
};

QTEST_GUILESS_MAIN(TestSha256)
#include "tst_sha256.moc"
