#include "MainWindow.h"
#include "TrainingWizard.h"

#include "image/ImageDecoder.h"
#include "model/Detector.h"
#include "util/BlasKernels.h"
#include "util/Version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QPixmap>
#include <QTextStream>
#include <QTimer>
#include <QWindow>

#include <cstdio>
#include <cstdlib>

namespace {

const QCommandLineOption kBackbone(QStringLiteral("backbone"),
                                   QStringLiteral("CLIP ViT backbone file (default: $RINE_BACKBONE, else "
                                                  "~/.cache/clip/ViT-L-14.pt, else the model store)."),
                                   QStringLiteral("FILE"));
const QCommandLineOption kHead(QStringLiteral("head"),
                               QStringLiteral("RINE head checkpoint (default: the bundled 2-class head)."),
                               QStringLiteral("FILE"));
const QCommandLineOption kDevice(QStringLiteral("device"),
                                 QStringLiteral("auto (default): CUDA when available, else CPU."),
                                 QStringLiteral("auto|cpu|cuda"), QStringLiteral("auto"));
const QCommandLineOption kPrecision(QStringLiteral("precision"),
                                    QStringLiteral("The backbone's precision, over the Settings' value: standard (fp32 "
                                                   "on the CPU, fp16 on CUDA), auto, fp32, bf16 or fp16 (see rine-cli "
                                                   "score --help)."),
                                    QStringLiteral("standard|auto|fp32|bf16|fp16"));
const QCommandLineOption kSpaiWeights(QStringLiteral("spai-weights"),
                                      QStringLiteral("Run SPAI with this weight file, beside RINE (alone when RINE is "
                                                     "off in Settings and no --backbone or --head is given); over "
                                                     "the Settings' SPAI file; trusted as --head is."),
                                      QStringLiteral("FILE"));
const QCommandLineOption kPage(QStringLiteral("page"),
                               QStringLiteral("The page to show first: scan, inspect, robustness or models."),
                               QStringLiteral("scan|inspect|robustness|models"));
const QCommandLineOption kTileMap(QStringLiteral("tile-map"),
                                  QStringLiteral("With an image to open: also score its tile map (one model pass per "
                                                 "224 x 224 tile)."));
const QCommandLineOption kRobustness(QStringLiteral("robustness"),
                                     QStringLiteral("With an image to open: also run its robustness sweep (the paper "
                                                    "preset) and show the Robustness page."));
const QCommandLineOption kTrain(QStringLiteral("train"),
                                QStringLiteral("Open the training wizard on a dataset folder (train/ and val/ in it)."),
                                QStringLiteral("DIR"));
const QCommandLineOption kScreenshot(
    QStringLiteral("screenshot"),
    QStringLiteral("Show the main window, wait until the model is loaded and the files given are scanned or "
                   "inspected, save a picture of the window to FILE (PNG) and quit (for documentation and "
                   "installation checks; works with QT_QPA_PLATFORM=offscreen)."),
    QStringLiteral("FILE"));

void describe(QCoreApplication &app, QCommandLineParser &parser)
{
    QCoreApplication::setOrganizationName(QStringLiteral("RINE Studio"));
    QCoreApplication::setApplicationName(QStringLiteral("rine-studio"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RINE_VERSION " (" RINE_GIT_DESCRIBE ")"));
    parser.setApplicationDescription(
        QStringLiteral("RINE Studio: synthetic image detection for forensic analysts.\n\n"
                       "Files given are opened: a folder is scanned into a new case, an image is inspected, a "
                       ".sqlite file is opened as a case. Evidence files are only read."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({kBackbone, kHead, kSpaiWeights, kDevice, kPrecision, kPage, kTileMap, kRobustness, kTrain, kScreenshot});
    parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("Folders, images or case databases to open."),
                                 QStringLiteral("[FILE...]"));
    parser.process(app); // prints and exits for --help and --version
}

} // namespace

static int runStudio(int argc, char *argv[])
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

    rine::StudioOptions options;
    options.backbone = parser.value(kBackbone);
    options.heads = parser.values(kHead);
    options.spaiWeights = parser.value(kSpaiWeights);
    const QString device = parser.value(kDevice);
    if (device != QLatin1String("auto") && device != QLatin1String("cpu") && device != QLatin1String("cuda")) {
        QTextStream(stderr) << "rine-studio: --device must be auto, cpu or cuda, not '" << device << "'" << Qt::endl;
        return 2;
    }
    options.device = device == QLatin1String("cpu")    ? rine::DeviceChoice::Cpu
                   : device == QLatin1String("cuda") ? rine::DeviceChoice::Cuda
                                                     : rine::DeviceChoice::Auto;
    if (parser.isSet(kPrecision)) {
        rine::Precision precision;
        if (!rine::precisionFromName(parser.value(kPrecision).toStdString(), precision)) {
            QTextStream(stderr) << "rine-studio: --precision must be standard, auto, fp32, bf16 or fp16, not '"
                                << parser.value(kPrecision) << "'" << Qt::endl;
            return 2;
        }
        options.precision = precision;
    }
    options.open = parser.positionalArguments();
    options.tileMap = parser.isSet(kTileMap);
    options.robustness = parser.isSet(kRobustness);
    const QString page = parser.value(kPage);
    if (!page.isEmpty() && page != QLatin1String("scan") && page != QLatin1String("inspect")
        && page != QLatin1String("robustness") && page != QLatin1String("models")) {
        QTextStream(stderr) << "rine-studio: --page must be scan, inspect, robustness or models, not '" << page << "'"
                            << Qt::endl;
        return 2;
    }

    rine::configureCpuThreads();
    rine::MainWindow window(options);
    if (page == QLatin1String("inspect"))
        window.showPage(rine::Page::Inspect);
    else if (page == QLatin1String("robustness"))
        window.showPage(rine::Page::Robustness);
    else if (page == QLatin1String("models"))
        window.showPage(rine::Page::Models);
    window.show();
    if (parser.isSet(kTrain))
        window.openTrainingWizard()->setDataFolder(parser.value(kTrain));
    if (parser.isSet(kScreenshot)) {
        // Once the window is on screen and settled (model loaded, files opened), or after
        // 10 minutes at the latest.
        auto *poll = new QTimer(&window);
        poll->setInterval(100);
        auto *clock = new QElapsedTimer;
        clock->start();
        QObject::connect(poll, &QTimer::timeout, &window, [&window, poll, clock, path = parser.value(kScreenshot)] {
            const bool exposed = !window.windowHandle() || window.windowHandle()->isExposed();
            if ((!exposed || !window.settled()) && clock->elapsed() < 600000)
                return;
            poll->stop();
            // Thumbnails and queued replots arrive a moment later.
            QElapsedTimer settle;
            settle.start();
            while (settle.elapsed() < 1500)
                QApplication::processEvents(QEventLoop::AllEvents, 50);
            const QPixmap picture = window.grab();
            delete clock;
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

int main(int argc, char *argv[])
{
    // Before anything else: OpenBLAS has chosen its kernels already, and may need a restart
    // to choose the fast ones (core/util/BlasKernels.h).
    rine::ensureFastBlasKernels(argv);
    const int code = runStudio(argc, argv); // the window and the application are gone by now
    // A decode that overran its time limit may still be running on a thread of its own: leave
    // without running static destructors under it (cases and settings are written by now).
    if (rine::stuckDecodes() > 0) {
        std::fflush(nullptr);
        std::_Exit(code);
    }
    return code;
}
