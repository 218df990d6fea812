// The main window's frame: menus and shortcuts, the first-run statement when the backbone is
// missing, settings and window state kept between runs.

#include "MainWindow.h"
#include "ScanPage.h"

#include <QAction>
#include <QApplication>
#include <QFrame>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>

using namespace rine;

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        qputenv("RINE_BACKBONE", "/nonexistent/ViT-L-14.pt");
    }

    void hasMenusWithShortcuts()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.windowTitle(), QStringLiteral("RINE Studio"));
        QVERIFY(window.findChild<QMenu *>(QStringLiteral("fileMenu")));
        QVERIFY(window.findChild<QMenu *>(QStringLiteral("helpMenu")));
        const std::pair<const char *, QKeySequence> expected[] = {
            {"actionOpenFolder", QKeySequence(QStringLiteral("Ctrl+Shift+O"))},
            {"actionOpenImage", QKeySequence(QKeySequence::Open)},
            {"actionOpenCase", QKeySequence(QStringLiteral("Ctrl+Shift+C"))},
            {"actionNewCase", QKeySequence(QKeySequence::New)},
            {"actionExport", QKeySequence(QStringLiteral("Ctrl+E"))},
            {"actionScanPage", QKeySequence(QStringLiteral("Ctrl+1"))},
            {"actionInspectPage", QKeySequence(QStringLiteral("Ctrl+2"))},
            {"actionQuit", QKeySequence(QKeySequence::Quit)},
        };
        for (const auto &[name, shortcut] : expected) {
            auto *action = window.findChild<QAction *>(QString::fromLatin1(name));
            QVERIFY2(action, name);
            QCOMPARE(action->shortcut(), shortcut);
        }
        QVERIFY(!window.findChild<QAction *>(QStringLiteral("actionSettings"))->shortcut().isEmpty());

        auto *pages = window.findChild<QTabWidget *>(QStringLiteral("pages"));
        QCOMPARE(pages->count(), 2);
        window.findChild<QAction *>(QStringLiteral("actionInspectPage"))->trigger();
        QCOMPARE(pages->currentIndex(), 1);
        window.findChild<QAction *>(QStringLiteral("actionScanPage"))->trigger();
        QCOMPARE(pages->currentIndex(), 0);

        window.findChild<QAction *>(QStringLiteral("actionQuit"))->trigger();
        QTRY_VERIFY(!window.isVisible());
    }

    void saysPlainlyWhenTheBackboneIsMissing()
    {
        MainWindow window;
        window.show();
        auto *status = window.findChild<QLabel *>(QStringLiteral("modelStatus"));
        QVERIFY(status);
        QVERIFY(window.findChild<QFrame *>(QStringLiteral("modelBanner"))->isVisible());
        QVERIFY(status->text().contains(QStringLiteral("Backbone missing")));
        QVERIFY(status->text().contains(QStringLiteral("/nonexistent/ViT-L-14.pt")));
        QVERIFY(status->text().contains(QStringLiteral("openaipublic.azureedge.net")));
        QVERIFY(window.findChild<QPushButton *>(QStringLiteral("locateBackboneButton"))->isVisible());
        // Nothing pretends to work without a model: scanning is off, opening a case is not.
        QVERIFY(!window.scanPage()->findChild<QPushButton *>(QStringLiteral("openFolderButton"))->isEnabled());
        QVERIFY(window.scanPage()->findChild<QPushButton *>(QStringLiteral("openCaseButton"))->isEnabled());
        QVERIFY(window.settled());
        QCOMPARE(window.findChild<QLabel *>(QStringLiteral("modelLabel"))->text(), QStringLiteral("Backbone missing"));
    }

    void keepsTheThresholdAndWindowStateBetweenRuns()
    {
        {
            MainWindow window;
            window.show();
            window.resize(1000, 700);
            window.scanPage()->findChild<QSlider *>(QStringLiteral("thresholdSlider"))->setValue(63);
            window.close();
        }
        QCOMPARE(QSettings().value(QStringLiteral("verdict/threshold")).toDouble(), 0.63);
        MainWindow again;
        QCOMPARE(again.scanPage()->rule().threshold, 0.63);
        QCOMPARE(again.scanPage()->findChild<QSlider *>(QStringLiteral("thresholdSlider"))->value(), 63);
        QCOMPARE(again.size(), QSize(1000, 700));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
