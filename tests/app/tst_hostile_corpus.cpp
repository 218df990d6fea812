// The hostile-input corpus scanned by rine-cli: every file ends scored, degraded, failed or
// unsupported as its entry allows, nothing crashes, and the scan stays within a time and
// memory bound (printed; generous, so that only a hang or an unbounded allocation trips it).

#include "HostileCorpus.h"
#include "RunCli.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>

using namespace rine::test;

class TestHostileCorpus : public QObject {
    Q_OBJECT

private slots:
    void everyFileEndsWellWithinBounds()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("hostile"));
        const std::vector<HostileFile> files = writeHostileCorpus(folder, QStringLiteral(RINE_TEST_DATA));
        const QString data = QStringLiteral(RINE_TEST_DATA "/reference-tiny");
        const QString json = dir.filePath(QStringLiteral("scan.json"));
        QElapsedTimer clock;
        clock.start();
        const Run run = rineCli({QStringLiteral("scan"), QStringLiteral("--db"), dir.filePath(QStringLiteral("case.sqlite")),
                                 QStringLiteral("--backbone"), data + QStringLiteral("/clip_tiny_traced.pt"),
                                 QStringLiteral("--head"), data + QStringLiteral("/rine_tiny_head.pth"),
                                 QStringLiteral("--trust"), QStringLiteral("--quiet"), QStringLiteral("--json"), json, folder});
        const double seconds = clock.elapsed() / 1000.0;
        rusage usage{};
        getrusage(RUSAGE_CHILDREN, &usage);
        const double peakMiB = double(usage.ru_maxrss) / 1024.0;
        qInfo("hostile corpus: %zu files scanned in %.1f s (bound 300 s), peak memory of the scan %.0f MiB (bound 3072 MiB)",
              files.size(), seconds, peakMiB);
        QVERIFY2(run.exitCode == 0 || run.exitCode == 1, run.err.constData()); // 1: some files failed, as they should
        QVERIFY(seconds < 300);
        QVERIFY(peakMiB < 3072);

        QFile file(json);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QMap<QString, QJsonObject> byName;
        for (const QJsonValue &value : QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("files")].toArray()) {
            const QJsonObject record = value.toObject();
            byName[QFileInfo(record[QStringLiteral("path")].toString()).fileName()] = record;
        }
        QCOMPARE(byName.size(), int(files.size()));
        for (const HostileFile &expected : files) {
            QVERIFY2(byName.contains(expected.name), qPrintable(expected.name));
            const QJsonObject record = byName[expected.name];
            const QString status = record[QStringLiteral("status")].toString();
            QVERIFY2(expected.allowed.contains(status),
                     qPrintable(QStringLiteral("%1 (%2) ended %3: %4").arg(expected.name, expected.why, status,
                                                                          record[QStringLiteral("error")].toString())));
        }
        // The specific outcomes a user relies on.
        QVERIFY(byName[QStringLiteral("bomb-65500x65500.jpg")][QStringLiteral("error")].toString().contains(QStringLiteral("limit")));
        // A damaged BMP header: OpenCV's limit, said in one sentence rather than an assertion dump.
        const QString bmp = byName[QStringLiteral("flipped.bmp")][QStringLiteral("error")].toString();
        QVERIFY2(!bmp.contains(QLatin1Char('\n')) && !bmp.contains(QStringLiteral("Assertion")), qPrintable(bmp));
        QVERIFY(byName[QStringLiteral("three-pages.tif")][QStringLiteral("warnings")].toArray().first().toString().contains(QStringLiteral("3 pages")));
    }
};

QTEST_GUILESS_MAIN(TestHostileCorpus)
#include "tst_hostile_corpus.moc"
