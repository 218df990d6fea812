#include "MainWindow.h"

#include "model/Detector.h"
#include "util/Version.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("RINE Studio"));
    QApplication::setApplicationName(QStringLiteral("rine-studio"));
    QApplication::setApplicationDisplayName(QStringLiteral("RINE Studio"));
    QApplication::setApplicationVersion(QStringLiteral(RINE_VERSION " (" RINE_GIT_DESCRIBE ")"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("RINE Studio: synthetic image detection for forensic analysts."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.process(app);

    rine::configureCpuThreads();
    rine::MainWindow window;
    window.show();
    return QApplication::exec();
}
