// The desktop application driven through its real widgets, offscreen, with the tiny test
// model: expected probabilities and block importance come from the reference code's outputs
// (tests/data/reference-tiny/reference.json), not from this program.

#include "CaseLockHolder.h"
#include "CaseFormats.h"
#include "JobSpy.h"
#include "RichTextProbe.h"
#include "TestFiles.h"
#include "Charts.h"
#include "EngineController.h"
#include "ImageView.h"
#include "InspectPage.h"
#include "MainWindow.h"
#include "RobustnessPage.h"
#include "ScanPage.h"
#include "report/CaseReport.h"
#include "store/CaseDatabase.h"
#include "catalog/ModelStore.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QSettings>
#include <QComboBox>
#include <QJsonArray>
#include <QLineEdit>
#include <QTabWidget>
#include <QBuffer>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QGraphicsRectItem>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextDocument>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>
#include <QApplication>

#include <random>

using namespace rine;

namespace {

const QString kData = QStringLiteral(RINE_TEST_DATA "/reference-tiny");

StudioOptions tinyModel()
{
    StudioOptions options;
    options.backbone = kData + QStringLiteral("/clip_tiny_traced.pt");
    options.heads = {kData + QStringLiteral("/rine_tiny_head.pth")};
    options.device = DeviceChoice::Cpu;
    return options;
}

QJsonObject reference()
{
    QFile file(kData + QStringLiteral("/reference.json"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read reference.json");
    return QJsonDocument::fromJson(file.readAll()).object();
}

QString sha256Hex(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return QString::fromLatin1(QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex());
}

QString labelText(QWidget *parent, const char *name)
{
    auto *label = parent->findChild<QLabel *>(QString::fromLatin1(name));
    if (!label)
        qFatal("no label %s", name);
    return label->text();
}

// A folder of many small, distinct PNG files: a scan of it lasts long enough to be cancelled.
void makeManyImages(const QString &folder, int count)
{
    std::mt19937 random(7);
    for (int i = 0; i < count; ++i) {
        QImage image(24, 24, QImage::Format_RGB888);
        for (int y = 0; y < 24; ++y)
            for (int x = 0; x < 24; ++x)
                image.setPixel(x, y, qRgb(int(random() % 256), int(random() % 256), int(random() % 256)));
        if (!image.save(QStringLiteral("%1/img%2.png").arg(folder).arg(i, 5, 10, QLatin1Char('0'))))
            qFatal("cannot write test images");
    }
}

QStringList folderListing(const QString &folder)
{
    QStringList out;
    for (const QFileInfo &info : QDir(folder).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden))
        out << QStringLiteral("%1 %2 %3").arg(info.fileName()).arg(info.size()).arg(info.lastModified().toMSecsSinceEpoch());
    return out;
}

} // namespace

class TestStudio : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_many;
    QTemporaryDir m_received;
    QString m_casePath;

    static void waitForModel(MainWindow &window)
    {
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasModel(), 60000);
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).removeRecursively();
        QDir(ModelStore::defaultDir()).removeRecursively();
        QVERIFY(m_many.isValid());
        makeManyImages(m_many.path(), 1500);
    }

    void asksBeforeLoadingUnlistedModelFiles()
    {
        // The tiny model's hashes are not in the manifest: a dialog asks, and the decision is
        // recorded with each file's SHA-256.
        QVERIFY(ModelStore().trusted().isEmpty());
        MainWindow window(tinyModel());
        window.show();
        QMessageBox *dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((dialog = window.findChild<QMessageBox *>(QStringLiteral("trustDialog"))), 30000);
        QVERIFY(!window.engine()->hasModel());
        QVERIFY(dialog->text().contains(sha256Hex(tinyModel().backbone)));
        auto *trust = dialog->findChild<QPushButton *>(QStringLiteral("trustButton"));
        QVERIFY(trust);
        trust->click();
        waitForModel(window);
        QStringList trusted;
        for (const TrustRecord &record : ModelStore().trusted())
            trusted << record.sha256;
        QVERIFY(trusted.contains(sha256Hex(tinyModel().backbone)));
        QVERIFY(trusted.contains(sha256Hex(tinyModel().heads.first())));
        // The status bar names the model by hash prefix, and the device.
        QVERIFY(labelText(&window, "modelLabel").contains(sha256Hex(tinyModel().heads.first()).left(12)));
        QVERIFY(labelText(&window, "deviceLabel").contains(QStringLiteral("cpu")));
    }

    void thePrecisionAskedForIsLoadedAndShown()
    {
        if (!cpuHasBf16())
            QSKIP("this processor has no AVX512-BF16 or AMX: bf16 is refused here (tst_detector_golden checks bf16 "
                  "itself on every machine)");
        StudioOptions options = tinyModel();
        options.precision = Precision::Bf16;
        MainWindow window(options);
        window.show();
        waitForModel(window);
        QCOMPARE(QString::fromStdString(window.engine()->modelInfo().precision), QStringLiteral("bf16"));
        QVERIFY2(labelText(&window, "deviceLabel").contains(QStringLiteral("bf16")), qPrintable(labelText(&window, "deviceLabel")));
        auto *label = window.findChild<QLabel *>(QStringLiteral("deviceLabel"));
        QVERIFY2(label->toolTip().contains(QStringLiteral("bfloat16")), qPrintable(label->toolTip()));
    }

    void scansAFolderAndCountsVerdicts()
    {
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        ScanPage *page = window.scanPage();
        const QString images = kData + QStringLiteral("/images");
        const QStringList before = folderListing(images);
        test::JobSpy finished(window.engine(), Job::Kind::Scan);
        window.openFolder(images);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(finished.first().error.isEmpty(), qPrintable(finished.first().error));
        const auto outcome = finished.first().as<ScanFinished>();
        QCOMPARE(folderListing(images), before); // the evidence folder is untouched
        m_casePath = outcome.outcome.scanId > 0 ? window.findChild<QLabel *>(QStringLiteral("caseLabel"))->text() : QString();

        // One row per image, each with the reference probability.
        const QJsonObject expected = reference()[QStringLiteral("images")].toObject();
        QCOMPARE(page->model()->rowCount(), expected.size());
        for (int row = 0; row < page->model()->rowCount(); ++row) {
            const FileReport &report = page->model()->report(row);
            const QString name = QFileInfo(report.path).fileName();
            QVERIFY2(!report.scores.empty(), qPrintable(name));
            QVERIFY2(std::abs(report.scores.front().probability - expected[name].toObject()[QStringLiteral("prob")].toDouble()) < 1e-4,
                     qPrintable(name));
        }

        // Threshold 0.50, band 0.05: every reference probability (0.5595 to 0.7875) is >= 0.55.
        auto *slider = page->findChild<QSlider *>(QStringLiteral("thresholdSlider"));
        slider->setValue(50);
        QCOMPARE(labelText(page, "fakeCount"), QStringLiteral("7"));
        QCOMPARE(labelText(page, "inconclusiveCount"), QStringLiteral("0"));
        QCOMPARE(labelText(page, "realCount"), QStringLiteral("0"));
        // 0.60: fake >= 0.65 (0.7875, 0.7808); real < 0.55 (none); the other five inconclusive.
        slider->setValue(60);
        QCOMPARE(labelText(page, "fakeCount"), QStringLiteral("2"));
        QCOMPARE(labelText(page, "inconclusiveCount"), QStringLiteral("5"));
        QCOMPARE(labelText(page, "realCount"), QStringLiteral("0"));
        // 0.70: fake >= 0.75 (2), real < 0.65 (5), inconclusive none.
        slider->setValue(70);
        QCOMPARE(labelText(page, "fakeCount"), QStringLiteral("2"));
        QCOMPARE(labelText(page, "inconclusiveCount"), QStringLiteral("0"));
        QCOMPARE(labelText(page, "realCount"), QStringLiteral("5"));
        QCOMPARE(page->histogram()->thresholdDrawn(), 0.70);
        QTRY_COMPARE(page->histogram()->bars()->data()->size(), 20);
        double total = 0;
        for (auto it = page->histogram()->bars()->data()->constBegin(); it != page->histogram()->bars()->data()->constEnd(); ++it)
            total += it->value;
        QCOMPARE(total, 7.0);

        // Filters: verdict, then text.
        page->filter()->setVerdict(int(Verdict::Fake));
        QCOMPARE(page->filter()->rowCount(), 2);
        page->filter()->setVerdict(-1);
        page->filter()->setText(QStringLiteral("LOGO"));
        QCOMPARE(page->filter()->rowCount(), 1);
        page->filter()->setText({});
        slider->setValue(50);

        // Export from the GUI: the CSV names every file by its hash.
        QTemporaryDir out;
        test::JobSpy exported(window.engine(), Job::Kind::Report);
        window.exportResults(out.filePath(QStringLiteral("results.csv")));
        QTRY_COMPARE(exported.count(), 1);
        QVERIFY(exported.first().error.isEmpty());
        QFile csv(out.filePath(QStringLiteral("results.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QByteArray text = csv.readAll();
        QVERIFY(text.contains(sha256Hex(images + QStringLiteral("/astronaut.png")).toLatin1()));

        // The PDF report, with a detail page for the selected row, from the same window.
        page->filter()->setText(QStringLiteral("logo"));
        page->table()->selectRow(0);
        QCOMPARE(page->selectedPaths(), QStringList{images + QStringLiteral("/logo.png")});
        ReportRequest request;
        request.title = QStringLiteral("GUI report");
        request.analyst = QStringLiteral("Test Analyst");
        request.detailPaths = page->selectedPaths();
        request.pdfPath = out.filePath(QStringLiteral("report.pdf"));
        window.writeReport(request);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 2, 60000);
        QVERIFY2(exported.last().error.isEmpty(), qPrintable(exported.last().error));
        const auto written = exported.last().as<ReportOutcome>();
        QCOMPARE(written.files.size(), std::size_t(1));
        QCOMPARE(written.files.front().sha256, sha256Hex(request.pdfPath));
        QVERIFY(written.pages >= 4); // cover, files, one detail page, methods
        page->filter()->setText({});
    }

    void inspectShowsWhyAnImageScoredAsItDid()
    {
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        test::JobSpy finished(window.engine(), Job::Kind::Scan);
        window.openFolder(kData + QStringLiteral("/images"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);

        // Double-click the astronaut's row.
        ScanPage *page = window.scanPage();
        page->filter()->setText(QStringLiteral("astronaut"));
        QCOMPARE(page->filter()->rowCount(), 1);
        QTableView *table = page->table();
        const QRect cell = table->visualRect(page->filter()->index(0, ResultsModel::File));
        test::JobSpy inspected(window.engine(), Job::Kind::Inspect);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 1, 30000);
        InspectPage *inspect = window.inspectPage();
        QTRY_VERIFY(inspect->isVisible());

        // One bar per block with the reference importance; contributions sum to 1.
        const QJsonArray importance = reference()[QStringLiteral("importance")].toArray();
        QCPBars *bars = inspect->importanceChart()->bars();
        QCOMPARE(bars->data()->size(), importance.size());
        for (int i = 0; i < importance.size(); ++i) {
            QCOMPARE(bars->data()->at(i)->key, double(i + 1));
            QVERIFY(std::abs(bars->data()->at(i)->value - importance[i].toDouble()) < 1e-6);
        }
        QCPBars *contributions = inspect->contributionChart()->bars();
        QCOMPARE(contributions->data()->size(), importance.size());
        double sum = 0;
        for (int i = 0; i < contributions->data()->size(); ++i)
            sum += contributions->data()->at(i)->value;
        QVERIFY(std::abs(sum - 1.0) < 1e-5);
        // A bar's tooltip says what it is.
        const QPoint barTop(inspect->importanceChart()->xAxis->coordToPixel(1),
                            inspect->importanceChart()->yAxis->coordToPixel(importance[0].toDouble() / 2));
        QVERIFY(inspect->importanceChart()->tooltipAt(barTop).startsWith(QStringLiteral("Block 1: learned importance 0.4242")));

        // Probability and verdict, the same as the reference and as the case recorded.
        const double expected = reference()[QStringLiteral("images")].toObject()[QStringLiteral("astronaut.png")].toObject()
                                    [QStringLiteral("prob")].toDouble();
        QVERIFY(std::abs(inspect->result().score.probability - expected) < 1e-4);
        QVERIFY(labelText(inspect, "inspectVerdict").contains(QString::number(expected, 'f', 4)));
        QVERIFY(labelText(inspect, "inspectRecord").contains(QStringLiteral("Same bytes and the same result")));

        // The analysed region: torchvision's center crop of a 512 x 512 image starts at 144.
        QCOMPARE(inspect->view()->regionItems().size(), 1);
        QCOMPARE(inspect->view()->regionItems().first()->rect(), QRectF(144, 144, 224, 224));

        // File facts: the SHA-256 of the bytes on disk.
        const QString facts = inspect->findChild<QTextBrowser *>(QStringLiteral("facts"))->toPlainText();
        QVERIFY(facts.contains(sha256Hex(kData + QStringLiteral("/images/astronaut.png"))));

        // Tile map: 512 = 3 tiles a side (0, 144, 288); the middle tile is the center crop. In
        // the heat map it stands for the pixels from the middle of one overlap (184) to the
        // middle of the next (328).
        auto *tiles = inspect->findChild<QPushButton *>(QStringLiteral("tilesButton"));
        QVERIFY(tiles->isEnabled());
        test::JobSpy tileUpdates(window.engine(), Job::Kind::TileMap);
        tiles->click();
        QTRY_COMPARE_WITH_TIMEOUT(tileUpdates.count(), 1, 60000);
        QCOMPARE(inspect->view()->tileCount(), 9);
        const QGraphicsRectItem *middle = inspect->view()->tileItems().at(4);
        QCOMPARE(middle->rect(), QRectF(184, 184, 144, 144));
        QCOMPARE(middle->data(1).toRectF(), QRectF(144, 144, 224, 224));
        QCOMPARE(inspect->view()->tileItems().at(0)->rect(), QRectF(0, 0, 184, 184));
        QCOMPARE(inspect->view()->tileItems().at(8)->rect(), QRectF(328, 328, 184, 184));
        QVERIFY(std::abs(middle->data(0).toDouble() - expected) < 1e-4);
        QVERIFY(middle->toolTip().contains(QStringLiteral("row 2, column 2")));
    }

    void namesWithMarkupAreShownAsText()
    {
        // Evidence named like markup: every tooltip and label that shows it must show it as
        // text, never as an element Qt would act on (an <img> loads the path it names when the
        // tooltip shows; issue 19, item 4).
        QTemporaryDir evidence;
        const QString picture = kData + QStringLiteral("/images/camera.png");
        const QString folder = evidence.filePath(QStringLiteral("<i>case <u>x"));
        QVERIFY(QDir().mkpath(folder));
        const QString image = folder + QStringLiteral("/<img src=camera>.png");
        const QString broken = folder + QStringLiteral("/<b>broken <img src=x>.png");
        QVERIFY(QFile::copy(picture, image));
        {
            QFile file(broken);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("not an image");
        }
        using test::rendersImage;
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        test::JobSpy finished(window.engine(), Job::Kind::Scan);
        window.openFolder(folder);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QAbstractItemModel *model = window.scanPage()->model();
        QCOMPARE(model->rowCount(), 2);
        for (int row = 0; row < model->rowCount(); ++row)
            for (int column = 0; column < model->columnCount(); ++column) {
                const QString tip = model->data(model->index(row, column), Qt::ToolTipRole).toString();
                QVERIFY2(!rendersImage(tip, Qt::AutoText), qPrintable(tip));
                const QString shown = model->data(model->index(row, column), Qt::DisplayRole).toString();
                QVERIFY2(!rendersImage(shown, Qt::PlainText), qPrintable(shown)); // item views draw text
            }
        test::JobSpy inspected(window.engine(), Job::Kind::Inspect);
        window.openImage(image);
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 1, 30000);
        window.openImage(broken);
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 2, 30000);
        const QStringList rendered = test::imagesRendered(&window);
        QVERIFY2(rendered.isEmpty(), qPrintable(rendered.join(QLatin1Char('\n'))));
    }

    void opensAnImageDirectly()
    {
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        test::JobSpy inspected(window.engine(), Job::Kind::Inspect);
        window.openImage(kData + QStringLiteral("/images/block.png"));
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 1, 30000);
        const double expected = reference()[QStringLiteral("images")].toObject()[QStringLiteral("block.png")].toObject()
                                    [QStringLiteral("prob")].toDouble();
        QVERIFY(std::abs(window.inspectPage()->result().score.probability - expected) < 1e-4);
        // 10 x 10 pixels: zero-padded as torchvision does, the crop starts at -107.
        QCOMPARE(window.inspectPage()->view()->regionItems().first()->rect(), QRectF(-107, -107, 224, 224));

        // A file that is not an image says so and shows no verdict.
        QTemporaryDir dir;
        QFile text(dir.filePath(QStringLiteral("notes.jpg")));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("not an image");
        text.close();
        window.openImage(text.fileName());
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 2, 30000);
        QVERIFY(!window.inspectPage()->result().error.isEmpty());
        QVERIFY(labelText(window.inspectPage(), "inspectRecord").contains(QStringLiteral("notes.jpg")));
    }

    void inspectOutlinesTextureCropsWindows()
    {
        // Settings > TextureCrop: Inspect outlines each kept window once, numbered by rank (the
        // published code's ranking of camera.png, tests/data/texture-crop), its score on hover,
        // and the contribution chart shows the image or one window.
        QSettings().setValue(QStringLiteral("scan/crop"), QStringLiteral("texture"));
        struct Restore {
            ~Restore() { QSettings().remove(QStringLiteral("scan/crop")); } // whatever the outcome
        } restore;
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        test::JobSpy inspected(window.engine(), Job::Kind::Inspect);
        window.openImage(kData + QStringLiteral("/images/camera.png"));
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 1, 30000);
        QFile file(QStringLiteral(RINE_TEST_DATA "/texture-crop/reference.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject camera =
            QJsonDocument::fromJson(file.readAll()).object().value("images").toObject().value("camera.png").toObject();
        QVERIFY(std::abs(window.inspectPage()->result().score.logit - camera.value("logit").toDouble()) < 1e-4);
        // Six distinct windows of ten ranks: 1 and 7 are (224, 224), 5 is (288, 0) alone.
        const auto &outlines = window.inspectPage()->view()->regionItems();
        QCOMPARE(outlines.size(), 6);
        const QTransform toDisplay = window.inspectPage()->result().toDisplay;
        QCOMPARE(outlines[0]->rect(), toDisplay.mapRect(QRectF(224, 224, 224, 224)));
        QVERIFY2(outlines[0]->toolTip().contains(QStringLiteral("rank 1,7")), qPrintable(outlines[0]->toolTip()));
        QVERIFY2(outlines[4]->toolTip().contains(QStringLiteral("(rank 5)")) && outlines[4]->toolTip().contains(QStringLiteral("x 288, y 0")),
                 qPrintable(outlines[4]->toolTip()));
        const double logit5 = camera.value("crop_logits").toArray()[4].toDouble();
        QVERIFY2(outlines[4]->toolTip().contains(QStringLiteral("logit %1").arg(logit5, 0, 'f', 4)), qPrintable(outlines[4]->toolTip()));
        auto *of = window.inspectPage()->findChild<QComboBox *>(QStringLiteral("contributionOf"));
        QVERIFY(of && !of->isHidden());
        QCOMPARE(of->count(), 7); // the image, then the six windows
        auto *chart = window.inspectPage()->contributionChart();
        const auto barValues = [&] {
            std::vector<double> out;
            for (auto it = chart->bars()->data()->constBegin(); it != chart->bars()->data()->constEnd(); ++it)
                out.push_back(it->value);
            return out;
        };
        const std::vector<double> image = barValues();
        QCOMPARE(image, window.inspectPage()->result().score.contributions);
        of->setCurrentIndex(5); // window 5
        QCOMPARE(barValues(), window.inspectPage()->result().windowScores[4].contributions);
        QVERIFY(barValues() != image);
    }

    void sweepsTheInspectedImageOnTheRobustnessPage()
    {
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        test::JobSpy inspected(window.engine(), Job::Kind::Inspect);
        const QString path = kData + QStringLiteral("/images/camera.png");
        window.openImage(path);
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 1, 30000);

        // Opened from Inspect, for the image shown there.
        auto *button = window.inspectPage()->findChild<QPushButton *>(QStringLiteral("robustnessButton"));
        QVERIFY(button && button->isEnabled());
        button->click();
        RobustnessPage *page = window.robustnessPage();
        QCOMPARE(window.findChild<QTabWidget *>(QStringLiteral("pages"))->currentWidget(), page);
        QCOMPARE(page->imagePath(), path);
        QCOMPARE(page->imageSha256(), sha256Hex(path));
        QVERIFY(labelText(page, "robustnessTitle").contains(QStringLiteral("camera.png")));

        // Strengths the analyst typed: JPEG at 90 and 50, blur kernel 3, at the image's own
        // scale (no resize), so the original is scored exactly as the reference code scored it.
        page->choosePreset(QStringLiteral("fine"));
        auto edit = [&](const char *kind, bool use, const QString &text) {
            page->findChild<QCheckBox *>(QStringLiteral("use_%1").arg(QLatin1String(kind)))->setChecked(use);
            page->findChild<QLineEdit *>(QStringLiteral("strengths_%1").arg(QLatin1String(kind)))->setText(text);
        };
        edit("jpeg", true, QStringLiteral("90, abc"));
        auto refused = page->plan();
        QVERIFY(!refused);
        QVERIFY2(QString::fromStdString(refused.error()).contains(QStringLiteral("\"abc\"")), refused.error().c_str());
        edit("blur", true, QStringLiteral("4"));
        edit("jpeg", true, QStringLiteral("90, 50"));
        refused = page->plan();
        QVERIFY(!refused);
        QVERIFY2(QString::fromStdString(refused.error()).contains(QStringLiteral("odd")), refused.error().c_str());
        edit("blur", true, QStringLiteral("3"));
        edit("crop", false, {});
        edit("noise", false, {});
        edit("resize", false, {});
        page->findChild<QCheckBox *>(QStringLiteral("resizeCheck"))->setChecked(false);
        auto plan = page->plan();
        QVERIFY2(plan, plan.error().c_str());
        QCOMPARE(plan->series.size(), std::size_t(2));
        QCOMPARE(plan->series[0].strengths, (std::vector<double>{90, 50}));

        test::JobSpy updates(window.engine(), Job::Kind::Sweep);
        auto *run = page->findChild<QPushButton *>(QStringLiteral("sweepButton"));
        QVERIFY(run->isEnabled());
        run->click();
        QTRY_COMPARE_WITH_TIMEOUT(updates.count(), 1, 60000);
        QVERIFY(updates.last().state == Job::State::Finished);
        QVERIFY(page->hasSweep());

        const double expected = reference()[QStringLiteral("images")].toObject()[QStringLiteral("camera.png")].toObject()
                                    [QStringLiteral("prob")].toDouble();
        const SweepResult &sweep = page->sweep();
        QVERIFY(std::abs(sweep.baselineProbability - expected) < 1e-4);
        QCOMPARE(sweep.crops, 4);
        // The chart: a line per perturbation from the original (step 0) through each strength.
        SweepChart *chart = page->chart();
        QCOMPARE(chart->graphCount(), 2);
        QCOMPARE(chart->graph(0)->data()->size(), 3);
        QCOMPARE(chart->graph(1)->data()->size(), 2);
        QVERIFY(std::abs(chart->graph(0)->data()->at(0)->value - expected) < 1e-4);
        QCOMPARE(chart->graph(0)->data()->at(2)->value, sweep.series[0].points[1].probability);
        QCOMPARE(chart->thresholdDrawn(), 0.5);
        // The previews: the original and each version per row, coloured by verdict.
        QList<QFrame *> previews = page->findChildren<QFrame *>(QStringLiteral("sweepPreview"));
        QCOMPARE(previews.size(), (1 + 2) + (1 + 1));
        for (QFrame *preview : previews)
            QCOMPARE(preview->property("verdict").toString(),
                     verdictName(VerdictRule{}.of(preview->property("probability").toDouble())));

        // A threshold between the original and JPEG 50 flips the verdict at the first JPEG
        // version across it, worked out here from the scores.
        const double p0 = sweep.baselineProbability, p90 = sweep.series[0].points[0].probability,
                     p50 = sweep.series[0].points[1].probability;
        QVERIFY2(std::abs(p50 - p0) > 1e-6, "JPEG 50 did not move the tiny model's score: no flip to test");
        const double threshold = (p0 + p50) / 2;
        const bool crosses90 = (p90 >= threshold) != (p0 >= threshold);
        page->setRule(VerdictRule{threshold, 0.0});
        QCOMPARE(page->sweep().series[0].flipIndex, crosses90 ? 0 : 1);
        const QString flip = QStringLiteral("flips to %1 at JPEG quality <= %2")
                                 .arg(p0 >= threshold ? QStringLiteral("real") : QStringLiteral("fake"))
                                 .arg(crosses90 ? 90 : 50);
        QCOMPARE(QString::fromStdString(page->sweep().series[0].flip), flip);
        QVERIFY2(labelText(page, "robustnessSummary").contains(flip.toHtmlEscaped()), qPrintable(labelText(page, "robustnessSummary")));
        QCOMPARE(chart->thresholdDrawn(), threshold);
        // One marked preview per perturbation whose verdict flips.
        const double p3 = sweep.series[1].points[0].probability;
        const int flips = 1 + ((p3 >= threshold) != (p0 >= threshold) ? 1 : 0);
        int flipped = 0;
        for (QFrame *preview : page->findChildren<QFrame *>(QStringLiteral("sweepPreview")))
            flipped += preview->property("flip").toBool();
        QCOMPARE(flipped, flips);

        // Saved as rine-cli robustness --json writes it.
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("sweep.json"));
        QString error;
        QVERIFY2(page->saveJson(json, error), qPrintable(error));
        QFile file(json);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject saved = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(saved[QStringLiteral("preset")].toString(), QStringLiteral("custom (from fine)"));
        QCOMPARE(saved[QStringLiteral("resize_to_256")].toBool(), false);
        QCOMPARE(saved[QStringLiteral("threshold")].toDouble(), threshold);
        const QJsonObject record = saved[QStringLiteral("records")].toArray().first().toObject();
        QCOMPARE(record[QStringLiteral("sha256")].toString(), sha256Hex(path));
        QVERIFY(std::abs(record[QStringLiteral("baseline")].toObject()[QStringLiteral("probability")].toDouble() - expected) < 1e-4);
        QCOMPARE(saved[QStringLiteral("plan")].toArray().first().toObject()[QStringLiteral("strengths")].toArray(),
                 (QJsonArray{90, 50}));
        QCOMPARE(saved[QStringLiteral("model")].toObject()[QStringLiteral("head_sha256")].toString(),
                 sha256Hex(kData + QStringLiteral("/rine_tiny_head.pth")));

        // Cancel, pressed before the worker starts: nothing is scored, the page says so and
        // shows no stale sweep.
        run->click();
        QCOMPARE(run->text(), QStringLiteral("Cancel"));
        run->click();
        QTRY_COMPARE_WITH_TIMEOUT(updates.count(), 2, 60000);
        QVERIFY(updates.last().state == Job::State::Cancelled);
        QVERIFY(updates.last().as<SweepUpdate>().result.cancelled);
        QVERIFY(!page->hasSweep());
        QVERIFY(page->findChildren<QFrame *>(QStringLiteral("sweepPreview")).isEmpty());
        QCOMPARE(chart->graphCount(), 0);
        QVERIFY(labelText(page, "robustnessSummary").startsWith(QStringLiteral("Cancelled")));
        QCOMPARE(run->text(), QStringLiteral("Run sweep"));
    }

    void showsRotatedPhotosUprightWithTheRegionWhereItWasAnalysed()
    {
        // A 300 x 200 JPEG whose EXIF orientation is 6 (rotate 90 degrees clockwise to view).
        QImage stored(300, 200, QImage::Format_RGB888);
        stored.fill(Qt::darkGreen);
        QByteArray jpeg;
        QBuffer buffer(&jpeg);
        buffer.open(QIODevice::WriteOnly);
        QVERIFY(stored.save(&buffer, "JPEG", 90));
        const QByteArray tiff = QByteArray("MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0", 26);
        const QByteArray app1 = QByteArray("Exif\0\0", 6) + tiff;
        QByteArray segment("\xFF\xE1", 2);
        segment += char((app1.size() + 2) >> 8);
        segment += char((app1.size() + 2) & 0xFF);
        jpeg.insert(2, segment + app1);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("rotated.jpg"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(jpeg);
        file.close();

        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        test::JobSpy inspected(window.engine(), Job::Kind::Inspect);
        window.openImage(path);
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 1, 30000);
        const InspectResult &result = window.inspectPage()->result();
        QCOMPARE(result.facts.orientation, 6);
        QCOMPARE(result.width, 300); // analysed as stored
        QCOMPARE(result.display.size(), QSize(200, 300)); // shown upright
        // Saved by Qt at quality 90: the facts say so, read from the quantization table.
        QCOMPARE(result.jpegQuality, 90);
        const QString facts = window.inspectPage()->findChild<QTextBrowser *>(QStringLiteral("facts"))->toPlainText();
        QVERIFY2(facts.contains(QStringLiteral("JPEG quality")), qPrintable(facts));
        QVERIFY2(facts.contains(QStringLiteral("90 (libjpeg's standard tables at that quality)")), qPrintable(facts));
        // Center crop of the stored 300 x 200 image: x from round(76 / 2) = 38, y from -12
        // (zero-padded). Turned 90 degrees clockwise, (x, y) -> (200 - y, x): x' from -12, y' from 38.
        QCOMPARE(window.inspectPage()->view()->regionItems().first()->rect(), QRectF(-12, 38, 224, 224));
    }

    void cancelsAScanAndKeepsWhatWasDone()
    {
        QTemporaryDir cases;
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        window.newCase(cases.filePath(QStringLiteral("many.sqlite")));
        test::JobSpy rows(window.engine(), Job::Kind::Scan);
        test::JobSpy finished(window.engine(), Job::Kind::Scan);
        window.openFolder(m_many.path());
        QTRY_VERIFY_WITH_TIMEOUT(rows.progressWhere<ScanUpdate>([](const ScanUpdate &u) { return u.hasRows; }) > 0, 60000);
        window.scanPage()->findChild<QPushButton *>(QStringLiteral("cancelScanButton"))->click();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(finished.first().error.isEmpty(), qPrintable(finished.first().error));
        const auto outcome = finished.first().as<ScanFinished>();
        QVERIFY(outcome.outcome.cancelled);
        // Every listed file has a row; those not reached yet read "pending".
        QCOMPARE(window.scanPage()->model()->rowCount(), 1500);
        int kept = 0;
        for (int row = 0; row < 1500; ++row)
            kept += window.scanPage()->model()->report(row).status != QLatin1String("pending");
        QVERIFY2(kept > 0 && kept < 1500, qPrintable(QString::number(kept)));

        // Scanning the same folder into the case again resumes and completes it.
        window.openFolder(m_many.path());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 600000); // minutes under sanitizers
        const auto resumed = finished.last().as<ScanFinished>();
        QVERIFY(resumed.outcome.resumed);
        QVERIFY(!resumed.outcome.cancelled);
        QCOMPARE(window.scanPage()->model()->rowCount(), 1500);
        QCOMPARE(resumed.outcome.examined, std::size_t(1500 - kept));
        for (int row = 0; row < 1500; ++row)
            QCOMPARE(window.scanPage()->model()->report(row).status, QStringLiteral("scored"));
    }

    void closingDuringAScanFinishesTheBatchAndCloses()
    {
        QTemporaryDir cases;
        auto *window = new MainWindow(tinyModel());
        window->show();
        waitForModel(*window);
        window->newCase(cases.filePath(QStringLiteral("close.sqlite")));
        test::JobSpy rows(window->engine(), Job::Kind::Scan);
        window->openFolder(m_many.path());
        QTRY_VERIFY_WITH_TIMEOUT(rows.progressWhere<ScanUpdate>([](const ScanUpdate &u) { return u.hasRows; }) > 0, 60000);
        QVERIFY(window->engine()->running(Job::Kind::Scan));
        window->close();
        QTRY_VERIFY_WITH_TIMEOUT(!window->isVisible(), 60000);
        QVERIFY(!window->engine()->running(Job::Kind::Scan));
        delete window; // joins the worker threads
    }

    void reopensACase()
    {
        QTemporaryDir cases;
        const QString path = cases.filePath(QStringLiteral("reopen.sqlite"));
        {
            MainWindow window(tinyModel());
            window.show();
            waitForModel(window);
            window.newCase(path);
            test::JobSpy finished(window.engine(), Job::Kind::Scan);
            window.openFolder(kData + QStringLiteral("/images"));
            QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        }
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        test::JobSpy opened(window.engine(), Job::Kind::OpenCase);
        window.openCase(path);
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, 30000);
        QCOMPARE(window.scanPage()->model()->rowCount(), 7);
        QCOMPARE(labelText(window.scanPage(), "fakeCount"), QStringLiteral("7"));
        QVERIFY(!window.caseReadOnly());
        QVERIFY(!window.findChild<QAction *>(QStringLiteral("actionAdoptCase"))->isEnabled());
        m_casePath = path;
        QFile::copy(path, m_received.filePath(QStringLiteral("received.sqlite")));
    }

    void refusesToWriteACaseAnotherProcessIsScanning()
    {
        // rine-cli scan (here a process holding the case's lock) is writing to the case: the
        // application neither opens it for writing nor scans into it, and says who holds it.
        const QString busy = m_received.filePath(QStringLiteral("busy.sqlite")); // a copy of the case just made
        QVERIFY(QFile::copy(m_received.filePath(QStringLiteral("received.sqlite")), busy));
        const QString before = sha256Hex(busy);
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        {
            test::CaseLockHolder scanning(busy);
            QVERIFY(scanning.locked());
            // The refusal is shown in a message box: read it as the analyst does, then close it.
            QString shown;
            QTimer closer;
            connect(&closer, &QTimer::timeout, this, [&] {
                if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                    shown = box->text();
                    box->close();
                }
            });
            closer.start(50);
            test::JobSpy failed(window.engine(), Job::Kind::OpenCase);
            window.openCase(busy);
            QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
            const QString error = failed.first().error;
            QCOMPARE(shown, error);
            QVERIFY2(error.contains(QStringLiteral("in use by another process"))
                         && error.contains(QString::number(scanning.pid())),
                     qPrintable(error));

            test::JobSpy finished(window.engine(), Job::Kind::Scan);
            window.newCase(busy);
            window.openFolder(kData + QStringLiteral("/images"));
            QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
            const QString scanError = finished.first().error;
            QVERIFY2(scanError.contains(QStringLiteral("in use by another process")), qPrintable(scanError));
            QCOMPARE(sha256Hex(busy), before);
        }
        test::JobSpy opened(window.engine(), Job::Kind::OpenCase);
        window.openCase(busy); // free again
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, 30000);
        QVERIFY(!window.caseReadOnly());
    }

    void showsThatAnAlteredCaseDoesNotVerifyAndWritesNothingToIt()
    {
        // This installation's own case, with one result changed behind its back.
        const QString path = m_received.filePath(QStringLiteral("altered.sqlite"));
        QVERIFY(QFile::copy(m_received.filePath(QStringLiteral("received.sqlite")), path));
        const QString altered = test::runSql(path, {QStringLiteral("UPDATE results SET probability=0.01 WHERE id=(SELECT min(id) FROM results)")});
        QVERIFY2(altered.isEmpty(), qPrintable(altered));
        const QString before = sha256Hex(path);
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        test::JobSpy opened(window.engine(), Job::Kind::OpenCase);
        window.openCase(path);
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, 30000);
        QVERIFY2(opened.first().error.isEmpty(), qPrintable(opened.first().error));
        QVERIFY(window.caseReadOnly()); // never written: a write would re-record the altered rows
        const QString label = labelText(window.scanPage(), "caseLabel");
        QVERIFY2(label.contains(QStringLiteral("does not verify")) && label.contains(QStringLiteral("results recorded")),
                 qPrintable(label));
        // A report is refused unless asked for, and then says so on every page.
        test::JobSpy written(window.engine(), Job::Kind::Report);
        ReportRequest request;
        request.csvPath = m_received.filePath(QStringLiteral("altered.csv"));
        window.writeReport(request);
        QTRY_COMPARE_WITH_TIMEOUT(written.count(), 1, 60000);
        QVERIFY2(written.first().error.contains(QStringLiteral("does not verify")), qPrintable(written.first().error));
        QVERIFY(!QFile::exists(request.csvPath));
        request.allowUnverified = true;
        window.writeReport(request);
        QTRY_COMPARE_WITH_TIMEOUT(written.count(), 2, 60000);
        QVERIFY2(written.at(1).error.isEmpty(), qPrintable(written.at(1).error));
        QVERIFY(test::readAll(request.csvPath).contains("broken"));
        QCOMPARE(sha256Hex(path), before);
    }

    void opensACaseFromElsewhereReadOnlyUntilAdopted()
    {
        // The case just made, as another installation receives it.
        const QString path = m_received.filePath(QStringLiteral("received.sqlite"));
        QVERIFY(QFile::exists(path));
        const QString before = sha256Hex(path);
        qputenv("RINE_INSTALLATION_ID", "cccccccccccccccccccccccccccccccc");
        MainWindow window(tinyModel());
        window.show();
        waitForModel(window);
        test::JobSpy opened(window.engine(), Job::Kind::OpenCase);
        window.openCase(path);
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, 30000);
        QCOMPARE(window.scanPage()->model()->rowCount(), 7); // read, shown
        QVERIFY(window.caseReadOnly());
        QVERIFY(labelText(window.scanPage(), "caseLabel").contains(QStringLiteral("Read-only")));
        QVERIFY(window.findChild<QAction *>(QStringLiteral("actionAdoptCase"))->isEnabled());
        QVERIFY(!QFile::exists(path + QStringLiteral(".lock"))); // not even locked: nothing writes

        // A report from it is written, and says it is not recorded in the case.
        test::JobSpy written(window.engine(), Job::Kind::Report);
        ReportRequest request;
        request.csvPath = m_received.filePath(QStringLiteral("received.csv"));
        window.writeReport(request);
        QTRY_COMPARE_WITH_TIMEOUT(written.count(), 1, 60000);
        QVERIFY2(written.first().error.isEmpty(), qPrintable(written.first().error));
        QVERIFY(QFile::exists(request.csvPath));
        QVERIFY(written.first().as<ReportOutcome>().notes.join(QLatin1Char(' ')).contains(QStringLiteral("not recorded")));
        QCOMPARE(sha256Hex(path), before); // not a byte changed

        // Adopted: writable, and the audit log says so.
        window.adoptCase();
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 2, 30000);
        QVERIFY(!window.caseReadOnly());
        QVERIFY(!window.findChild<QAction *>(QStringLiteral("actionAdoptCase"))->isEnabled());
        qunsetenv("RINE_INSTALLATION_ID");
        auto read = CaseDatabase::open(path, CaseDatabase::Mode::ReadOnly);
        QVERIFY(read);
        auto log = read.value()->auditLog();
        QVERIFY(log && log->back().action == QStringLiteral("case adopted"));
    }
};

QTEST_MAIN(TestStudio)
#include "tst_studio.moc"
