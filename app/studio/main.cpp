#include "MainWindow.h"

#include "model/Detector.h"
#include "util/Version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QTextStream>
#include <QTimer>
#include <QWindow>

namespace {

const QCommandLineOption kScreenshot(
    QStringLiteral("screenshot"),
    QStringLiteral("Show the main window, save a picture of it to FILE (PNG) once it is on screen, and quit "
                   "(for documentation and installation checks; works with QT_QPA_PLATFORM=offscreen)."),
    QStringLiteral("FILE"));

void describe(QCoreApplication &app, QCommandLineParser &parser)
{
    QCoreApplication::setOrganizationName(QStringLiteral("RINE Studio"));
    QCoreApplication::setApplicationName(QStringLiteral("rine-studio"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RINE_VERSION " (" RINE_GIT_DESCRIBE ")"));
    parser.setApplicationDescription(QStringLiteral("RINE Studio: synthetic image detection for forensic analysts."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(kScreenshot);
    parser.process(app); // prints and exits for --help and --version
}

} // namespace

int main(int argc, char *argv[])
{
    // --help and --version answer without a display (over SSH, in scripts): no GUI object is
    // made for them.
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--help" || arg == "-h" || arg == "--help-all" || arg == "--version" || arg == "-v") {
            QCoreApplication app(argc, argv);
            QCommandLineParser parser;
            describe(app, parser);
            return 0;
        }
    }
    QApplication app(argc, argv);
    QApplication::setApplicationDisplayName(QStringLiteral("RINE Studio"));
    QCommandLineParser parser;
    describe(app, parser);
    const QCommandLineOption &screenshot = kScreenshot;

    rine::configureCpuThreads();
    rine::MainWindow window;
    window.show();
    if (parser.isSet(screenshot)) {
        // Once the window is on screen (exposed), or after 10 s at the latest.
        auto *poll = new QTimer(&window);
        poll->setInterval(50);
        QObject::connect(poll, &QTimer::timeout, &window, [&window, poll, path = parser.value(screenshot), attempts = 0]() mutable {
            if (window.windowHandle() && !window.windowHandle()->isExposed() && ++attempts < 200)
                return;
            poll->stop();
            const QPixmap picture = window.grab();
            if (picture.isNull() || !picture.save(path, "PNG")) {
                QTextStream(stderr) << "rine-studio: cannot save the screenshot to " << path << Qt::endl;
                QCoreApplication::exit(1);
                return;
            }
            QTextStream(stdout) << "rine-studio: main window shown (" << picture.width() << "x" << picture.height()
                                << "), saved to " << path << Qt::endl;
            QCoreApplication::exit(0);
        });
        poll->start();
    }
    return QApplication::exec();
}
