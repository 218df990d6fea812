// The training wizard driven through the real window, offscreen, with the tiny test backbone
// on a dataset this test makes: the images are counted per class, split and label as made
// here; the paper's class sets select their classes and bring their preset; training draws
// one point per epoch; the evaluation shows the per-class results, which are checked against
// the written head scoring the validation images afresh; the SHA-256 shown is the file's;
// Finish makes the head the active one. Cancel keeps the best epoch so far; a folder without
// val/ is refused with a message and no way forward.

#include "JobSpy.h"
#include "RichTextProbe.h"
#include "Charts.h"
#include "EngineController.h"
#include "MainWindow.h"
#include "ModelsPage.h"
#include "TrainingWizard.h"
#include "catalog/ModelStore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace rine;

namespace {

const QString kData = QStringLiteral(RINE_TEST_DATA "/reference-tiny");

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return file.readAll();
}

QString sha(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

// Smooth pictures as real, noisy ones as fake.
void makeImages(const QString &folder, int count, bool fake, unsigned seed)
{
    QDir().mkpath(folder);
    std::mt19937 random(seed);
    for (int i = 0; i < count; ++i) {
        QImage image(96, 96, QImage::Format_RGB888);
        for (int y = 0; y < 96; ++y)
            for (int x = 0; x < 96; ++x) {
                const int noise = fake ? int(random() % 160) - 80 : 0;
                const int v = std::clamp(int((x + y + 7 * i) % 256) + noise, 0, 255);
                image.setPixel(x, y, qRgb(v, (v + 40 * i) % 256, 255 - v));
            }
        QVERIFY(image.save(QStringLiteral("%1/%2.png").arg(folder).arg(i)));
    }
}

// For the README (docs/make-screenshots.sh): pictures of the wizard's pages when
// RINE_SCREENSHOTS names a folder. Nothing is checked by them.
void screenshot(QWidget *widget, const char *name)
{
    const QString folder = qEnvironmentVariable("RINE_SCREENSHOTS");
    if (!folder.isEmpty())
        widget->grab().save(folder + QLatin1Char('/') + QLatin1String(name), "PNG");
}

// The accuracy at 0.5 of a head on <folder>/0_real and <folder>/1_fake, each image decoded,
// center-cropped and scored afresh by a detector loaded here, as "62.5%".
QString freshAccuracy(Detector &detector, const QString &folder)
{
    int right = 0, total = 0;
    for (const char *label : {"0_real", "1_fake"}) {
        const QDir dir(folder + QLatin1Char('/') + QLatin1String(label));
        for (const QString &file : dir.entryList(QDir::Files)) {
            FileBytes bytes;
            auto decoded = readImage(dir.filePath(file).toStdString(), bytes);
            if (!decoded)
                qFatal("%s", decoded.error().c_str());
            const std::vector<std::uint8_t> crop = centerCrop(decoded->rgb, 224);
            auto scores = detector.score({crop.data()});
            if (!scores)
                qFatal("%s", scores.error().c_str());
            right += int((scores->front().probability >= 0.5) == (QLatin1String(label) == "1_fake"));
            ++total;
        }
    }
    return QStringLiteral("%1%").arg(100.0 * right / total, 0, 'f', 1);
}

QStringList column(const QTableWidget *table, int c)
{
    QStringList out;
    for (int r = 0; r < table->rowCount(); ++r)
        out << table->item(r, c)->text();
    return out;
}

QStringList row(const QTableWidget *table, int r)
{
    QStringList out;
    for (int c = 0; c < table->columnCount(); ++c)
        out << table->item(r, c)->text();
    return out;
}

} // namespace

class TestTrainingWizard : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_home;
    QString m_root;

    static std::unique_ptr<MainWindow> window()
    {
        StudioOptions options;
        options.backbone = kData + QStringLiteral("/clip_tiny_traced.pt");
        options.heads = {kData + QStringLiteral("/rine_tiny_head.pth")};
        options.device = DeviceChoice::Cpu;
        auto w = std::make_unique<MainWindow>(options);
        w->show();
        return w;
    }

    template <typename T>
    static T *child(QObject *parent, const char *name)
    {
        T *found = parent->findChild<T *>(QString::fromLatin1(name));
        if (!found)
            qFatal("no %s", name);
        return found;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("HOME", m_home.path().toUtf8());
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QDir(ModelStore::defaultDir()).removeRecursively();
        ModelStore store;
        for (const QString &file : {QStringLiteral("/clip_tiny_traced.pt"), QStringLiteral("/rine_tiny_head.pth")})
            QVERIFY(store.trust({sha(readAll(kData + file)), kData + file, QStringLiteral("trusted by the user (test)"),
                                 QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}));
        m_root = m_home.filePath(QStringLiteral("dataset"));
        // train: car 3+4, chair 5+5, horse 6+7; val: car 1+1, chair 2+3, horse 3+2.
        makeImages(m_root + "/train/car/0_real", 3, false, 1);
        makeImages(m_root + "/train/car/1_fake", 4, true, 2);
        makeImages(m_root + "/train/chair/0_real", 5, false, 3);
        makeImages(m_root + "/train/chair/1_fake", 5, true, 4);
        makeImages(m_root + "/train/horse/0_real", 6, false, 5);
        makeImages(m_root + "/train/horse/1_fake", 7, true, 6);
        makeImages(m_root + "/val/car/0_real", 1, false, 7);
        makeImages(m_root + "/val/car/1_fake", 1, true, 8);
        makeImages(m_root + "/val/chair/0_real", 2, false, 9);
        makeImages(m_root + "/val/chair/1_fake", 3, true, 10);
        makeImages(m_root + "/val/horse/0_real", 3, false, 11);
        makeImages(m_root + "/val/horse/1_fake", 2, true, 12);
    }

    void trainsEvaluatesAndActivates()
    {
        auto main = window();
        QTRY_VERIFY_WITH_TIMEOUT(main->engine()->hasModel(), 60000);
        // Models page > Train a head... opens the wizard.
        child<QPushButton>(main->modelsPage(), "trainButton")->click();
        TrainingWizard *wizard = main->trainingWizard();
        QVERIFY(wizard);
        QVERIFY(wizard->isVisible());

        // Data: every class, counted as made above.
        wizard->setDataFolder(m_root);
        QTRY_VERIFY_WITH_TIMEOUT(wizard->surveyed(), 10000);
        auto *counts = child<QTableWidget>(wizard, "trainingCounts");
        QCOMPARE(column(counts, 0), (QStringList{"car", "chair", "horse", "Total"}));
        QCOMPARE(row(counts, 0), (QStringList{"car", "3", "4", "1", "1"}));
        QCOMPARE(row(counts, 2), (QStringList{"horse", "6", "7", "3", "2"}));
        QCOMPARE(row(counts, 3), (QStringList{"Total", "14", "16", "6", "6"}));
        QVERIFY(child<QLabel>(wizard, "trainingDataMessage")->text().contains(QStringLiteral("30 training and 12 validation")));
        auto *classList = child<QListWidget>(wizard, "trainingClassList");
        QCOMPARE(classList->count(), 3);
        QVERIFY(wizard->currentPage()->isComplete());

        // The paper's 2-class set: chair and horse only.
        auto *classSet = child<QComboBox>(wizard, "trainingClassSet");
        classSet->setCurrentIndex(classSet->findData(QStringLiteral("2-class")));
        QTRY_VERIFY_WITH_TIMEOUT(wizard->surveyed(), 10000);
        QCOMPARE(column(counts, 0), (QStringList{"chair", "horse", "Total"}));
        QCOMPARE(row(counts, 2), (QStringList{"Total", "11", "12", "5", "5"}));
        QCOMPARE(classList->item(0)->checkState(), Qt::Unchecked); // car
        QCOMPARE(classList->item(1)->checkState(), Qt::Checked);
        QVERIFY(!classList->isEnabled());
        screenshot(wizard, "training-data.png");

        // Configuration: the class set's preset; the trade-off is said.
        wizard->next();
        QCOMPARE(wizard->currentId(), int(TrainingWizard::ConfigurationPage));
        QCOMPARE(child<QComboBox>(wizard, "trainingPreset")->currentData().toString(), QStringLiteral("2-class"));
        QVERIFY(child<QLabel>(wizard, "trainingTradeOff")->text().contains(QStringLiteral("less robust")));
        child<QRadioButton>(wizard, "trainingAugment")->setChecked(true);
        QVERIFY(child<QLabel>(wizard, "trainingTradeOff")->text().contains(QStringLiteral("23 training images x 15 epochs")));
        child<QRadioButton>(wizard, "trainingFast")->setChecked(true);
        QVERIFY(child<QLineEdit>(wizard, "trainingOutput")->text().startsWith(QDir::toNativeSeparators(ModelStore::defaultDir())));
        const QString output = m_home.filePath(QStringLiteral("heads/two-class.pth"));
        child<QLineEdit>(wizard, "trainingOutput")->setText(output);
        const int epochs = qEnvironmentVariableIsSet("RINE_SCREENSHOTS") ? 15 : 3; // more for a picture
        child<QSpinBox>(wizard, "trainingEpochs")->setValue(epochs);
        child<QSpinBox>(wizard, "trainingBatch")->setValue(8);

        // Training: one point per epoch on every curve, the best epoch marked.
        wizard->next();
        QCOMPARE(wizard->currentId(), int(TrainingWizard::TrainingPage));
        QVERIFY(wizard->trainingRunning());
        QTRY_VERIFY_WITH_TIMEOUT(wizard->trainingFinished(), 120000);
        QVERIFY2(wizard->error().isEmpty(), qPrintable(wizard->error()));
        auto *chart = child<TrainingChart>(wizard, "trainingChart");
        QCOMPARE(chart->trainLoss()->dataCount(), epochs);
        QCOMPARE(chart->validationAccuracy()->dataCount(), epochs);
        const TrainingRunOutcome outcome = wizard->outcome();
        QCOMPARE(chart->bestEpochDrawn(), double(outcome.training.bestEpoch));
        QCOMPARE(chart->validationLoss()->data()->at(0)->value, outcome.training.epochs[0].validationLoss);
        QVERIFY(child<QPlainTextEdit>(wizard, "trainingLog")->toPlainText().contains(QStringLiteral("Epoch 3")));
        QVERIFY(child<QLabel>(wizard, "trainingStage")->text().startsWith(QStringLiteral("Done.")));
        QVERIFY(wizard->currentPage()->isComplete());
        screenshot(wizard, "training-wizard.png");

        // Evaluation: per class and their mean; every epoch.
        wizard->next();
        auto *byClass = child<QTableWidget>(wizard, "trainingByClass");
        QCOMPARE(column(byClass, 0), (QStringList{"chair", "horse", "Mean"}));
        QCOMPARE(row(byClass, 0).mid(1, 2), (QStringList{"2", "3"}));
        QCOMPARE(row(byClass, 1).mid(1, 2), (QStringList{"3", "2"}));
        QCOMPARE(child<QTableWidget>(wizard, "trainingEpochTable")->rowCount(), epochs);
        // The accuracy shown is the written head's on those images, scored afresh here.
        DetectorOptions options;
        options.backbonePath = (kData + QStringLiteral("/clip_tiny_traced.pt")).toStdString();
        options.headPaths = {output.toStdString()};
        options.device = DeviceChoice::Cpu;
        auto trained = Detector::load(options);
        QVERIFY2(trained, trained ? "" : trained.error().c_str());
        for (int r = 0; r < 2; ++r)
            QCOMPARE(byClass->item(r, 3)->text(),
                     freshAccuracy(*trained.value(), m_root + "/val/" + byClass->item(r, 0)->text()));

        // Test sets of other generators: per generator and their mean, recorded in the card.
        const QString tests = m_home.filePath(QStringLiteral("tests"));
        makeImages(tests + "/gan1/0_real", 3, false, 21);
        makeImages(tests + "/gan1/1_fake", 2, true, 22);
        makeImages(tests + "/gan2/car/0_real", 2, false, 23);
        makeImages(tests + "/gan2/car/1_fake", 4, true, 24);
        wizard->evaluateOn(tests);
        QVERIFY(wizard->testEvaluationRunning());
        QVERIFY(!wizard->currentPage()->isComplete()); // not while it runs
        QTRY_VERIFY_WITH_TIMEOUT(!wizard->testEvaluationRunning(), 60000);
        auto *testTable = child<QTableWidget>(wizard, "trainingTestTable");
        QCOMPARE(column(testTable, 0), (QStringList{"gan1", "gan2", "Mean"}));
        QCOMPARE(row(testTable, 0).mid(1, 2), (QStringList{"3", "2"}));
        QCOMPARE(row(testTable, 1).mid(1, 2), (QStringList{"2", "4"}));
        QCOMPARE(testTable->item(0, 3)->text(), freshAccuracy(*trained.value(), tests + "/gan1"));
        QCOMPARE(testTable->item(1, 3)->text(), freshAccuracy(*trained.value(), tests + "/gan2/car"));
        const QJsonObject card = QJsonDocument::fromJson(readAll(output + QStringLiteral(".card.json"))).object();
        const QJsonArray testSets = card[QStringLiteral("test_sets")].toArray();
        QCOMPARE(testSets.size(), 1);
        QCOMPARE(testSets[0].toObject()[QStringLiteral("by_generator")].toArray().size(), 3);
        QVERIFY(wizard->currentPage()->isComplete());
        screenshot(wizard, "training-evaluation.png");

        // Save: the file's own SHA-256; Finish makes it the active head.
        wizard->next();
        QCOMPARE(wizard->currentId(), int(TrainingWizard::SavePage));
        QVERIFY(child<QLabel>(wizard, "trainingSaved")->text().contains(sha(readAll(output))));
        QVERIFY(QFile::exists(output + QStringLiteral(".card.json")));
        QVERIFY(child<QCheckBox>(wizard, "trainingActivate")->isChecked());
        test::JobSpy loaded(main->engine(), Job::Kind::LoadModel);
        wizard->button(QWizard::FinishButton)->click();
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
        QTRY_VERIFY(main->engine()->hasModel());
        QCOMPARE(QString::fromStdString(main->engine()->modelInfo().heads.front().path), output);
        QCOMPARE(QString::fromStdString(main->engine()->modelInfo().heads.front().sha256), sha(readAll(output)));
        QCOMPARE(QSettings().value(QStringLiteral("models/head")).toString(), output);
        QTRY_VERIFY(!main->trainingWizard()); // closed and deleted
    }

    void cancelKeepsTheBestEpochSoFar()
    {
        auto main = window();
        QTRY_VERIFY_WITH_TIMEOUT(main->engine()->hasModel(), 60000);
        main->findChild<QAction *>(QStringLiteral("actionTrain"))->trigger();
        TrainingWizard *wizard = main->trainingWizard();
        QVERIFY(wizard);
        wizard->setDataFolder(m_root);
        QTRY_VERIFY_WITH_TIMEOUT(wizard->surveyed(), 10000);
        wizard->next();
        const QString output = m_home.filePath(QStringLiteral("heads/cancelled.pth"));
        child<QLineEdit>(wizard, "trainingOutput")->setText(output);
        child<QSpinBox>(wizard, "trainingEpochs")->setValue(1000);
        child<QSpinBox>(wizard, "trainingBatch")->setValue(4);
        child<QRadioButton>(wizard, "trainingAugment")->setChecked(true); // a backbone pass per batch: slow enough
        wizard->next();
        auto *chart = child<TrainingChart>(wizard, "trainingChart");
        QTRY_VERIFY_WITH_TIMEOUT(chart->trainLoss()->dataCount() >= 1, 120000);
        QVERIFY(!wizard->button(QWizard::BackButton)->isEnabled());
        // Closing the wizard while it trains stops the run first, and the wizard stays.
        wizard->reject();
        QVERIFY(wizard->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(wizard->trainingFinished(), 60000);
        QVERIFY2(wizard->error().isEmpty(), qPrintable(wizard->error()));
        const TrainingRunOutcome outcome = wizard->outcome();
        QVERIFY(outcome.training.cancelled);
        QVERIFY(outcome.training.epochs.size() < 1000);
        QVERIFY(child<QLabel>(wizard, "trainingStage")->text().startsWith(QStringLiteral("Cancelled")));
        QCOMPARE(sha(readAll(output)), QString::fromStdString(outcome.training.checkpointSha256));
        QVERIFY(wizard->currentPage()->isComplete());
        wizard->reject(); // now it closes
        QTRY_VERIFY(!main->trainingWizard());
        QTRY_VERIFY(!main->engine()->busy());
    }

    void aFolderWithoutValIsRefused()
    {
        auto main = window();
        QTRY_VERIFY_WITH_TIMEOUT(main->engine()->hasModel(), 60000);
        TrainingWizard *wizard = main->openTrainingWizard();
        const QString lonely = m_home.filePath(QStringLiteral("lonely"));
        makeImages(lonely + "/train/0_real", 2, false, 13);
        makeImages(lonely + "/train/1_fake", 2, true, 14);
        wizard->setDataFolder(lonely);
        QTRY_VERIFY_WITH_TIMEOUT(wizard->surveyed(), 10000);
        QVERIFY2(child<QLabel>(wizard, "trainingDataMessage")->text().contains(QStringLiteral("no val/ folder")),
                 qPrintable(child<QLabel>(wizard, "trainingDataMessage")->text()));
        QVERIFY(!wizard->currentPage()->isComplete());
        QVERIFY(!wizard->button(QWizard::NextButton)->isEnabled());
        // With val/ it is the flat layout: no classes to choose, one row of counts.
        makeImages(lonely + "/val/0_real", 1, false, 15);
        makeImages(lonely + "/val/1_fake", 1, true, 16);
        wizard->setDataFolder(lonely);
        QTRY_VERIFY_WITH_TIMEOUT(wizard->surveyed() && wizard->currentPage()->isComplete(), 10000);
        auto *counts = child<QTableWidget>(wizard, "trainingCounts");
        QCOMPARE(row(counts, 0), (QStringList{"(flat layout)", "2", "2", "1", "1"}));
        QVERIFY(!child<QComboBox>(wizard, "trainingClassSet")->isEnabled());
        wizard->reject();
    }

    void namesWithMarkupAreShownAsText()
    {
        // A dataset, its class folders and the output file named like markup: every label and
        // tooltip of the wizard shows them as text (an <img> element loads the path it names).
        auto main = window();
        QTRY_VERIFY_WITH_TIMEOUT(main->engine()->hasModel(), 60000);
        TrainingWizard *wizard = main->openTrainingWizard();
        const QString root = m_home.filePath(QStringLiteral("<img src=data>set"));
        const QString klass = QStringLiteral("<b>car<img src=class>");
        for (const char *split : {"train", "val"}) {
            makeImages(root + "/" + split + "/" + klass + "/0_real", 2, false, 17);
            makeImages(root + "/" + split + "/" + klass + "/1_fake", 2, true, 18);
        }
        wizard->setDataFolder(root);
        QStringList rendered = test::imagesRendered(wizard); // "Looking at ..." while it is surveyed
        QVERIFY2(rendered.isEmpty(), qPrintable(rendered.join(QLatin1Char('\n'))));
        QTRY_VERIFY_WITH_TIMEOUT(wizard->surveyed() && wizard->currentPage()->isComplete(), 10000);
        QCOMPARE(column(child<QTableWidget>(wizard, "trainingCounts"), 0).first(), klass); // shown, as text
        rendered = test::imagesRendered(wizard);
        QVERIFY2(rendered.isEmpty(), qPrintable(rendered.join(QLatin1Char('\n'))));

        wizard->next();
        QCOMPARE(wizard->currentId(), int(TrainingWizard::ConfigurationPage));
        const QString output = m_home.filePath(QStringLiteral("<img src=out>head.pth"));
        {
            QFile existing(output);
            QVERIFY(existing.open(QIODevice::WriteOnly));
        }
        child<QLineEdit>(wizard, "trainingOutput")->setText(output);
        auto *message = child<QLabel>(wizard, "trainingConfigMessage");
        QVERIFY2(message->text().contains(QStringLiteral("exists")), qPrintable(message->text()));
        rendered = test::imagesRendered(wizard);
        QVERIFY2(rendered.isEmpty(), qPrintable(rendered.join(QLatin1Char('\n'))));

        // A folder that is no dataset: the error names it, as text.
        wizard->back();
        const QString empty = m_home.filePath(QStringLiteral("<img src=empty>"));
        QVERIFY(QDir().mkpath(empty));
        wizard->setDataFolder(empty);
        QTRY_VERIFY_WITH_TIMEOUT(wizard->surveyed(), 10000);
        QVERIFY(!wizard->currentPage()->isComplete());
        rendered = test::imagesRendered(wizard);
        QVERIFY2(rendered.isEmpty(), qPrintable(rendered.join(QLatin1Char('\n'))));
        wizard->reject();
    }
};

QTEST_MAIN(TestTrainingWizard)
#include "tst_training_wizard.moc"
