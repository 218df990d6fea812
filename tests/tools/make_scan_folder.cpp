// Writes an evidence folder for the cluster test (tests/slurm/run.sh): COUNT distinct images
// in nested folders, copies of some of them elsewhere (the same content under other paths, so
// other shards), names with spaces, quotes and markup, and the hostile corpus
// (tests/HostileCorpus.h) in hostile/.  usage: make_scan_folder FOLDER COUNT
#include "HostileCorpus.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QTextStream>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    bool ok = false;
    const int count = argc == 3 ? QByteArray(argv[2]).toInt(&ok) : 0;
    if (!ok || count < 1 || count > 100000) {
        QTextStream(stderr) << "usage: make_scan_folder FOLDER COUNT" << Qt::endl;
        return 2;
    }
    const QString root = QString::fromLocal8Bit(argv[1]);
    const QStringList odd{QStringLiteral("name with spaces"), QStringLiteral("quote's \"double\""),
                          QStringLiteral("<img src=x onerror=alert(1)>"), QStringLiteral("$(echo no)"), QStringLiteral("ünïcödé")};
    int files = 0;
    for (int i = 0; i < count; ++i) {
        const QString folder = root + QStringLiteral("/set%1/part%2").arg(i % 5).arg(i % 3);
        QDir().mkpath(folder);
        QImage image(200 + i % 11, 150 + i % 7, QImage::Format_RGB888);
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                image.setPixel(x, y, qRgb((x * 3 + i * 17) & 255, (y * 5 + i * 7) & 255, (x * y / 7 + i * 31) & 255));
        const QString name = i < odd.size() ? odd[i] + QStringLiteral(" %1").arg(i) : QStringLiteral("img%1").arg(i, 5, 10, QLatin1Char('0'));
        const QString path = folder + QLatin1Char('/') + name + (i % 4 == 0 ? QStringLiteral(".jpg") : QStringLiteral(".png"));
        if (!image.save(path)) {
            QTextStream(stderr) << "cannot write " << path << Qt::endl;
            return 1;
        }
        ++files;
        if (i % 25 == 0) { // the same bytes elsewhere
            QDir().mkpath(root + QStringLiteral("/copies"));
            if (!QFile::copy(path, root + QStringLiteral("/copies/copy-of-%1").arg(QFileInfo(path).fileName())))
                return 1;
            ++files;
        }
    }
    files += int(rine::test::writeHostileCorpus(root + QStringLiteral("/hostile"), QStringLiteral(RINE_TEST_DATA)).size());
    QTextStream(stdout) << files << Qt::endl;
    return 0;
}
