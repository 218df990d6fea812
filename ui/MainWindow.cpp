#include "MainWindow.h"

#include "image/ImageDecoder.h"
#include "model/Detector.h"
#include "scoring/ModelLocator.h"
#include "util/Version.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileInfo>
#include <QIcon>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QVBoxLayout>

namespace rine {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("RINE Studio"));
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/rine-studio.svg")));

    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    auto *title = new QLabel(QStringLiteral("<h2>RINE Studio</h2>"
                                            "<p>Synthetic image detection with RINE (Koutlis &amp; Papadopoulos, "
                                            "ECCV 2024) on a CLIP ViT-L/14 backbone.</p>"),
                             page);
    title->setWordWrap(true);
    m_status = new QLabel(page);
    m_status->setObjectName(QStringLiteral("modelStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(title);
    layout->addWidget(m_status);
    layout->addStretch();
    setCentralWidget(page);

    m_deviceLabel = new QLabel(this);
    m_modelLabel = new QLabel(this);
    statusBar()->addWidget(m_deviceLabel);
    statusBar()->addPermanentWidget(m_modelLabel);

    createMenus();
    refreshModelStatus();

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
    if (!settings.contains(QStringLiteral("mainWindow/geometry")))
        resize(900, 600);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("fileMenu"));
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setObjectName(QStringLiteral("actionQuit"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("helpMenu"));
    QAction *about = help->addAction(tr("&About RINE Studio"), this, &MainWindow::showAbout);
    about->setObjectName(QStringLiteral("actionAbout"));
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::refreshModelStatus()
{
    const QString backbone = ModelLocator::defaultBackbone();
    const QString head = ModelLocator::defaultHead();
    const bool haveBackbone = QFileInfo::exists(backbone);
    QString text;
    if (haveBackbone)
        text += tr("<p><b>Backbone:</b> %1</p>").arg(backbone.toHtmlEscaped());
    else
        text += tr("<p><b>Backbone missing.</b></p><pre style=\"white-space: pre-wrap\">%1</pre>")
                    .arg(ModelLocator::missingBackboneMessage(backbone).toHtmlEscaped());
    text += head.isEmpty() ? tr("<p><b>Head missing:</b> the bundled 2-class head was not found.</p>")
                           : tr("<p><b>Head:</b> %1 (bundled 2-class RINE head)</p>").arg(head.toHtmlEscaped());
    text += tr("<p>Images can be scored now with <tt>rine-cli score</tt>, and folders scanned into a case "
               "database with <tt>rine-cli scan</tt>; the Scan and Inspect pages come in a later release.</p>");
    m_status->setText(text);
    m_deviceLabel->setText(cudaAvailable() ? tr("Device: CUDA") : tr("Device: CPU, %1 threads").arg(cpuThreads()));
    m_modelLabel->setText(haveBackbone ? tr("Backbone found") : tr("Backbone missing"));
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About RINE Studio"),
                       tr("<h3>RINE Studio %1</h3><p>Build %2</p>"
                          "<p>LibTorch %3, OpenCV %4, Qt %5</p>"
                          "<p>Detector: RINE, Koutlis and Papadopoulos, \"Leveraging Representations from "
                          "Intermediate Encoder-Blocks for Synthetic Image Detection\", ECCV 2024. Bundled head "
                          "from mever-team/rine, Apache License 2.0.</p>")
                           .arg(QStringLiteral(RINE_VERSION), QStringLiteral(RINE_GIT_DESCRIBE),
                                QString::fromStdString(libtorchVersion()), QString::fromStdString(opencvVersion()),
                                QString::fromLatin1(qVersion())));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    event->accept();
}

} // namespace rine
