// The main window's frame: menus and shortcuts, the first-run statement when the backbone is
// missing, settings and window state kept between runs.

#include "ExportDialog.h"
#include "MainWindow.h"
#include "ScanPage.h"
#include "SettingsDialog.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QMimeData>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QUrl>
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
            {"actionRobustnessPage", QKeySequence(QStringLiteral("Ctrl+3"))},
            {"actionModelsPage", QKeySequence(QStringLiteral("Ctrl+4"))},
            {"actionRobustnessPage", QKeySequence(QStringLiteral("Ctrl+3"))},
            {"actionModelsPage", QKeySequence(QStringLiteral("Ctrl+4"))},
            {"actionQuit", QKeySequence(QKeySequence::Quit)},
        };
        for (const auto &[name, shortcut] : expected) {
            auto *action = window.findChild<QAction *>(QString::fromLatin1(name));
            QVERIFY2(action, name);
            QCOMPARE(action->shortcut(), shortcut);
        }
        QVERIFY(!window.findChild<QAction *>(QStringLiteral("actionSettings"))->shortcut().isEmpty());

        auto *pages = window.findChild<QTabWidget *>(QStringLiteral("pages"));
        QCOMPARE(pages->count(), 4);
        window.findChild<QAction *>(QStringLiteral("actionInspectPage"))->trigger();
        QCOMPARE(pages->currentIndex(), 1);
        window.findChild<QAction *>(QStringLiteral("actionRobustnessPage"))->trigger();
        QCOMPARE(pages->currentIndex(), 2);
        window.findChild<QAction *>(QStringLiteral("actionModelsPage"))->trigger();
        QCOMPARE(pages->currentIndex(), 3);
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
            window.resize(1000, 720);
            window.scanPage()->findChild<QSlider *>(QStringLiteral("thresholdSlider"))->setValue(63);
            window.close();
        }
        QCOMPARE(QSettings().value(QStringLiteral("verdict/threshold")).toDouble(), 0.63);
        MainWindow again;
        QCOMPARE(again.scanPage()->rule().threshold, 0.63);
        QCOMPARE(again.scanPage()->findChild<QSlider *>(QStringLiteral("thresholdSlider"))->value(), 63);
        QCOMPARE(again.size(), QSize(1000, 720));
    }

    void settingsDialogGivesWhatWasSet()
    {
        StudioSettings start;
        start.casesFolder = QStringLiteral("/cases");
        SettingsDialog dialog(start);
        const auto spins = dialog.findChildren<QDoubleSpinBox *>();
        QCOMPARE(spins.size(), 2);
        spins[0]->setValue(0.7); // threshold
        spins[1]->setValue(0.1); // band
        dialog.findChild<QComboBox *>()->setCurrentIndex(1); // ten-crop
        dialog.findChild<QSpinBox *>()->setValue(32);
        auto *precision = dialog.findChild<QComboBox *>(QStringLiteral("precisionCombo"));
        QVERIFY(precision);
        precision->setCurrentIndex(precision->findData(int(Precision::Auto)));
        auto *outside = dialog.findChild<QCheckBox *>(QStringLiteral("followLinksOutside"));
        QVERIFY(outside && !outside->isChecked()); // off unless asked
        outside->setChecked(true);
        const StudioSettings chosen = dialog.settings();
        QCOMPARE(chosen.rule.threshold, 0.7);
        QCOMPARE(chosen.rule.band, 0.1);
        QCOMPARE(chosen.crop, CropMode::Ten);
        QCOMPARE(chosen.batchSize, 32);
        QCOMPARE(chosen.casesFolder, QStringLiteral("/cases"));
        chosen.save();
        QCOMPARE(StudioSettings::load().crop, CropMode::Ten);
        QCOMPARE(StudioSettings::load().batchSize, 32);
        QCOMPARE(chosen.precision, Precision::Auto);
        QCOMPARE(StudioSettings::load().precision, Precision::Auto);
        QCOMPARE(QSettings().value(QStringLiteral("model/precision")).toString(), QStringLiteral("auto"));
        QVERIFY(chosen.followLinksOutside && StudioSettings::load().followLinksOutside);
        StudioSettings{}.save();
        QVERIFY(!StudioSettings::load().followLinksOutside);
    }

    void exportDialogOfACaseThatDoesNotVerifyAsksFirst()
    {
        ExportDialog dialog(QStringLiteral("case-8"), {}, QStringLiteral("audit log entry 4 (results recorded): <b>rows</b>"));
        auto *allow = dialog.findChild<QCheckBox *>(QStringLiteral("allowUnverified"));
        QVERIFY(allow && !allow->isChecked());
        auto *buttons = dialog.findChild<QDialogButtonBox *>();
        QVERIFY(!buttons->button(QDialogButtonBox::Ok)->isEnabled());
        QVERIFY(!dialog.request().allowUnverified);
        bool shown = false;
        for (QLabel *label : dialog.findChildren<QLabel *>())
            if (label->text().contains(QStringLiteral("<b>rows</b>"))) {
                shown = true;
                QCOMPARE(label->textFormat(), Qt::PlainText); // the reason comes from the case: text, not markup
            }
        QVERIFY(shown);
        allow->setChecked(true);
        QVERIFY(buttons->button(QDialogButtonBox::Ok)->isEnabled());
        QVERIFY(dialog.request().allowUnverified);
    }

    void exportDialogGivesTheRequest()
    {
        const QStringList details{QStringLiteral("/evidence/a.png"), QStringLiteral("/evidence/b.jpg")};
        ExportDialog dialog(QStringLiteral("case-7"), details);
        const auto edits = dialog.findChildren<QLineEdit *>();
        QVERIFY(edits.size() >= 5);
        edits[1]->setText(QStringLiteral("Dana")); // analyst
        const auto boxes = dialog.findChildren<QCheckBox *>();
        QCOMPARE(boxes.size(), 2);
        boxes[1]->setChecked(false); // no JSON
        const ReportRequest request = dialog.request();
        QCOMPARE(request.title, QStringLiteral("Synthetic image analysis: case-7"));
        QCOMPARE(request.analyst, QStringLiteral("Dana"));
        QCOMPARE(request.detailPaths, details);
        QVERIFY(request.pdfPath.endsWith(QStringLiteral("case-7-report.pdf")));
        QVERIFY(request.csvPath.endsWith(QStringLiteral("case-7-report.csv")));
        QVERIFY(request.jsonPath.isEmpty());
    }

    void droppingAFolderOrACaseOpensIt()
    {
        ScanPage page;
        page.setModelReady(true);
        QTemporaryDir dir;
        QSignalSpy folders(&page, &ScanPage::openFolderRequested);
        QSignalSpy cases(&page, &ScanPage::openCaseRequested);
        auto drop = [&](const QString &path) {
            QMimeData data;
            data.setUrls({QUrl::fromLocalFile(path)});
            QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(&page, &enter);
            QVERIFY(enter.isAccepted());
            QDropEvent dropped(QPointF(5, 5), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(&page, &dropped);
        };
        drop(dir.path());
        QCOMPARE(folders.count(), 1);
        QCOMPARE(folders.first().first().toString(), dir.path());
        QFile caseFile(dir.filePath(QStringLiteral("x.sqlite")));
        QVERIFY(caseFile.open(QIODevice::WriteOnly));
        caseFile.close();
        drop(caseFile.fileName());
        QCOMPARE(cases.count(), 1);
        // Without a model a dropped folder is not scanned.
        page.setModelReady(false);
        drop(dir.path());
        QCOMPARE(folders.count(), 1);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
