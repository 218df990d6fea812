// Benchmark, not a test: how responsive the window stays while it scans a large folder.
// Makes N small distinct images (default 10,000; first argument), scans them with the tiny
// test model through the real window, and prints the files per second, how long the GUI
// thread was ever kept from its event loop (a 10 ms timer's longest late tick), and the
// table's row count. Nothing is asserted: these machines are shared and noisy.

#include "EngineController.h"
#include "MainWindow.h"
#include "ScanPage.h"
#include "catalog/ModelStore.h"

#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <functional>

#include <cstdio>
#include <random>

using namespace rine;

int main(int argc, char *argv[])
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    const int count = argc > 1 ? std::max(1, atoi(argv[1])) : 10000;
    QTextStream out(stdout);

    QTemporaryDir folder, cases;
    std::mt19937 random(3);
    for (int i = 0; i < count; ++i) {
        QImage image(32, 32, QImage::Format_RGB888);
        for (int y = 0; y < 32; ++y)
            for (int x = 0; x < 32; ++x)
                image.setPixel(x, y, qRgb(int(random() % 256), int(random() % 256), int(random() % 256)));
        const QString subfolder = QStringLiteral("%1/%2").arg(folder.path()).arg(i / 1000); // 1,000 files a folder
        if (!QDir().mkpath(subfolder) || !image.save(QStringLiteral("%1/img%2.png").arg(subfolder).arg(i))) {
            out << "bench_scan_responsiveness: cannot write test images in " << subfolder << Qt::endl;
            return 1;
        }
    }

    const QString data = QStringLiteral(RINE_TEST_DATA "/reference-tiny");
    StudioOptions options;
    options.backbone = data + QStringLiteral("/clip_tiny_traced.pt");
    options.heads = {data + QStringLiteral("/rine_tiny_head.pth")};
    options.device = DeviceChoice::Cpu;
    ModelStore store;
    for (const QString &file : {options.backbone, options.heads.first()})
        store.trust({sha256OfFile(file).value(), file, QStringLiteral("benchmark"),
                     QDateTime::currentDateTimeUtc().toString(Qt::ISODate)});

    MainWindow window(options);
    window.resize(1280, 800);
    window.show();
    QElapsedTimer clock;
    qint64 lastTick = 0, worstLate = 0, ticks = 0;
    QTimer probe;
    probe.setInterval(10);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        if (ticks++ > 0)
            worstLate = std::max(worstLate, now - lastTick - 10);
        lastTick = now;
        // Scroll as a user would, so that thumbnails are requested.
        if (ticks % 50 == 0)
            window.scanPage()->table()->scrollToBottom();
    });
    std::function<void(Job *)> scanEnded;
    // Once the model has loaded, one scan through the window; its end stops the clock.
    QObject::connect(window.engine(), &EngineController::jobStarted, [&](Job *job) {
        if (job->kind() == Job::Kind::Scan)
            QObject::connect(job, &Job::ended, [&](Job *ended) { scanEnded(ended); });
    });
    QObject::connect(window.engine(), &EngineController::idle, [&] {
        if (!window.engine()->hasModel() || clock.isValid())
            return;
        window.newCase(cases.filePath(QStringLiteral("bench.sqlite")));
        clock.start();
        probe.start();
        window.openFolder(folder.path());
    });
    scanEnded = [&](Job *finished) {
        probe.stop();
        const double seconds = clock.elapsed() / 1000.0;
        out << "bench_scan_responsiveness: " << count << " files scanned through the window in " << seconds << " s ("
            << count / seconds << " files/s, tiny model)\n"
            << "bench_scan_responsiveness: longest GUI-thread stall " << worstLate << " ms (10 ms timer, " << ticks
            << " ticks)\n"
            << "bench_scan_responsiveness: table rows " << window.scanPage()->model()->rowCount()
            << (finished->state() == Job::State::Finished ? QString() : QStringLiteral(", the scan did not finish"))
            << Qt::endl;
        QTimer::singleShot(0, &app, &QCoreApplication::quit);
    };
    return QApplication::exec();
}
