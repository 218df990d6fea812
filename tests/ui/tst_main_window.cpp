#include "MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QStandardPaths>
#include <QTest>

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void hasMenusWithShortcuts()
    {
        rine::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.windowTitle(), QStringLiteral("RINE Studio"));
        auto *file = window.findChild<QMenu *>(QStringLiteral("fileMenu"));
        auto *help = window.findChild<QMenu *>(QStringLiteral("helpMenu"));
        QVERIFY(file);
        QVERIFY(help);
        auto *quit = window.findChild<QAction *>(QStringLiteral("actionQuit"));
        QVERIFY(quit);
        QCOMPARE(quit->shortcut(), QKeySequence(QKeySequence::Quit));
        quit->trigger();
        QTRY_VERIFY(!window.isVisible());
    }

    void saysPlainlyWhenTheBackboneIsMissing()
    {
        qputenv("RINE_BACKBONE", "/nonexistent/ViT-L-14.pt");
        rine::MainWindow window;
        auto *status = window.findChild<QLabel *>(QStringLiteral("modelStatus"));
        QVERIFY(status);
        QVERIFY(status->text().contains(QStringLiteral("Backbone missing")));
        QVERIFY(status->text().contains(QStringLiteral("/nonexistent/ViT-L-14.pt")));
        QVERIFY(status->text().contains(QStringLiteral("openaipublic.azureedge.net")));
    }

    void showsTheBackboneWhenPresent()
    {
        const QByteArray path = RINE_TEST_DATA "/reference-tiny/clip_tiny_traced.pt";
        qputenv("RINE_BACKBONE", path);
        rine::MainWindow window;
        auto *status = window.findChild<QLabel *>(QStringLiteral("modelStatus"));
        QVERIFY(status->text().contains(QString::fromUtf8(path)));
        QVERIFY(!status->text().contains(QStringLiteral("Backbone missing")));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
