// SPAI beside RINE in the desktop application, driven through its real widgets, offscreen,
// with the tiny models: SPAI's expected probabilities, attention and patch corners come from
// the upstream code's outputs (tests/data/spai-tiny/reference.json), RINE's from the reference
// code's (tests/data/reference-tiny/reference.json); agreement is worked out here from both.

#include "JobSpy.h"
#include "Charts.h"
#include "EngineController.h"
#include "ImageView.h"
#include "InspectPage.h"
#include "MainWindow.h"
#include "ResultsModel.h"
#include "RobustnessPage.h"
#include "ScanPage.h"
#include "SettingsDialog.h"
#include "catalog/ModelStore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QGraphicsRectItem>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <cmath>

using namespace rine;

namespace {

const QString kRine = QStringLiteral(RINE_TEST_DATA "/reference-tiny");
const QString kSpai = QStringLiteral(RINE_TEST_DATA "/spai-tiny");
// Images both references scored.
const QStringList kShared = {QStringLiteral("astronaut.png"), QStringLiteral("block.png"), QStringLiteral("logo.png"),
                             QStringLiteral("aadlygmazf.jpg")};

StudioOptions bothModels()
{
    StudioOptions options;
    options.backbone = kRine + QStringLiteral("/clip_tiny_traced.pt");
    options.heads = {kRine + QStringLiteral("/rine_tiny_head.pth")};
    options.spaiWeights = kSpai + QStringLiteral("/spai_tiny_checkpoint.pth");
    options.device = DeviceChoice::Cpu;
    return options;
}

QJsonObject images(const QString &folder)
{
    QFile file(folder + QStringLiteral("/reference.json"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s/reference.json", qPrintable(folder));
    return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("images")).toObject();
}

QString sha256Hex(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return QString::fromLatin1(QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex());
}

// The verdict rule worked out by hand: fake at >= t + b, real below t - b.
QString verdictByHand(double p, double threshold = 0.5, double band = 0.05)
{
    return p >= threshold + band ? QStringLiteral("Fake") : p < threshold - band ? QStringLiteral("Real")
                                                                                  : QStringLiteral("Inconclusive");
}

FileReport report(qint64 id, std::optional<double> rine, std::optional<double> spai)
{
    FileReport r;
    r.id = id;
    r.path = QStringLiteral("/evidence/%1.png").arg(id);
    r.status = QStringLiteral("scored");
    if (rine) {
        FileReport::Score score;
        score.probability = *rine;
        r.scores.push_back(score);
    }
    if (spai) {
        r.spai = FileReport::Spai{};
        r.spai->probability = *spai;
    }
    return r;
}

} // namespace

class TestStudioSpai : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    // The window with both detectors; the tiny files are not in the manifest: the dialog lists
    // SPAI's file with RINE's, and one click trusts them all.
    static void waitForBoth(MainWindow &window)
    {
        QMessageBox *dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasModel()
                                     || (dialog = window.findChild<QMessageBox *>(QStringLiteral("trustDialog"))),
                                 60000);
        if (dialog) {
            QVERIFY(dialog->text().contains(sha256Hex(bothModels().spaiWeights)));
            dialog->findChild<QPushButton *>(QStringLiteral("trustButton"))->click();
        }
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasModel(), 60000);
        QVERIFY(window.engine()->spai());
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).removeRecursively();
        QDir(ModelStore::defaultDir()).removeRecursively();
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("evidence"))));
        for (const QString &name : kShared)
            QVERIFY(QFile::copy(kSpai + QStringLiteral("/images/") + name,
                                m_dir.filePath(QStringLiteral("evidence/") + name)));
    }

    void agreementIsWorkedOutFromBothVerdicts()
    {
        // Rule 0.5 +/- 0.05: RINE 0.8 fake; SPAI 0.2 real, 0.52 inconclusive, 0.9 fake.
        ResultsModel model;
        model.setSpai(true);
        model.setRows({report(1, 0.8, 0.2), report(2, 0.8, 0.52), report(3, 0.8, 0.9), report(4, 0.3, 0.7),
                       report(5, 0.8, std::nullopt), report(6, std::nullopt, std::nullopt)});
        auto agreement = [&](int row) {
            return model.index(row, ResultsModel::Detectors).data(Qt::DisplayRole).toString();
        };
        QCOMPARE(agreement(0), QStringLiteral("DISAGREE"));
        QCOMPARE(agreement(1), QStringLiteral("one inconclusive"));
        QCOMPARE(agreement(2), QStringLiteral("agree"));
        QCOMPARE(agreement(3), QStringLiteral("DISAGREE"));
        QCOMPARE(agreement(4), QString()); // SPAI did not score it
        QCOMPARE(agreement(5), QString());
        QCOMPARE(model.counts().disagree, 2);
        QCOMPARE(model.index(0, ResultsModel::SpaiVerdict).data().toString(), QStringLiteral("Real"));
        QCOMPARE(model.index(0, ResultsModel::SpaiProbability).data().toString(), QStringLiteral("0.2000"));
        QCOMPARE(model.headerData(ResultsModel::Probability, Qt::Horizontal, Qt::DisplayRole).toString(),
                 QStringLiteral("RINE probability"));
        QVERIFY(model.index(0, ResultsModel::Detectors).data(Qt::ToolTipRole).toString().contains(QStringLiteral("SPAI")));
        // The rule moves: at 0.25 +/- 0.05, SPAI's 0.2 is inconclusive and RINE's 0.3 fake.
        model.setRule({0.25, 0.05});
        QCOMPARE(agreement(0), QStringLiteral("one inconclusive"));
        QCOMPARE(agreement(3), QStringLiteral("agree"));
        QCOMPARE(model.counts().disagree, 0);

        // The filter keeps the files the detectors disagree on.
        model.setRule({0.5, 0.05});
        ResultsFilter filter;
        filter.setSourceModel(&model);
        filter.setVerdict(ResultsFilter::kDisagree);
        QCOMPARE(filter.rowCount(), 2);
        QCOMPARE(filter.index(0, 0).data(ResultsModel::PathRole).toString(), QStringLiteral("/evidence/1.png"));
        QCOMPARE(filter.index(1, 0).data(ResultsModel::PathRole).toString(), QStringLiteral("/evidence/4.png"));
    }

    void aScanWithSpaiAloneShowsSpaisVerdicts()
    {
        // A case scanned with SPAI alone (rine-cli scan --detector spai): no RINE score in any
        // row. Rule 0.5 +/- 0.05: SPAI 0.2 real, 0.52 inconclusive, 0.9 fake, one unscored.
        ResultsModel model;
        model.setSpai(true);
        model.setRine(false);
        model.setRows({report(1, std::nullopt, 0.2), report(2, std::nullopt, 0.52), report(3, std::nullopt, 0.9),
                       report(4, std::nullopt, std::nullopt)});
        const ResultsModel::Counts counts = model.counts();
        QCOMPARE(counts.real, 1);
        QCOMPARE(counts.inconclusive, 1);
        QCOMPARE(counts.fake, 1);
        QCOMPARE(counts.notScored, 1);
        QCOMPARE(counts.disagree, 0);
        QCOMPARE(model.probabilities(), (std::vector<double>{0.2, 0.52, 0.9}));
        QCOMPARE(model.index(2, ResultsModel::SpaiVerdict).data().toString(), QStringLiteral("Fake"));
        QCOMPARE(model.index(2, ResultsModel::VerdictColumn).data().toString(), QString()); // RINE did not run
        QCOMPARE(model.index(2, ResultsModel::Detectors).data().toString(), QString());
        // The verdict filter follows SPAI's verdicts.
        ResultsFilter filter;
        filter.setSourceModel(&model);
        filter.setVerdict(int(Verdict::Fake));
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(filter.index(0, 0).data(ResultsModel::PathRole).toString(), QStringLiteral("/evidence/3.png"));
    }

    void settingsChooseTheDetectors()
    {
        QSettings().clear();
        QVERIFY(!StudioSettings::load().spai);
        StudioSettings base = StudioSettings::load();
        SettingsDialog dialog(base);
        auto *spai = dialog.findChild<QCheckBox *>(QStringLiteral("spaiCheck"));
        QVERIFY(spai && !spai->isChecked());
        spai->setChecked(true);
        dialog.findChild<QLineEdit *>(QStringLiteral("spaiWeights"))->setText(QStringLiteral("  /models/spai.pth "));
        const StudioSettings chosen = dialog.settings();
        QVERIFY(chosen.spai);
        QCOMPARE(chosen.spaiWeights, QStringLiteral("/models/spai.pth"));
        // RINE off: SPAI alone; with neither, the dialog cannot be accepted.
        auto *rine = dialog.findChild<QCheckBox *>(QStringLiteral("rineCheck"));
        QVERIFY(rine && rine->isChecked() && rine->isEnabled());
        rine->setChecked(false);
        QVERIFY(!dialog.settings().rine);
        auto *ok = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
        QVERIFY(ok->isEnabled());
        spai->setChecked(false);
        QVERIFY(!ok->isEnabled());
        spai->setChecked(true);
        QVERIFY(ok->isEnabled());
        rine->setChecked(true);
        chosen.save();
        const StudioSettings again = StudioSettings::load();
        QVERIFY(again.spai && again.rine);
        QCOMPARE(again.spaiWeights, QStringLiteral("/models/spai.pth"));
        QSettings().clear();
    }

    void aMissingSpaiFileLeavesRineRunning()
    {
        // SPAI on in Settings, its file absent: RINE loads alone and the status bar says why.
        StudioSettings settings = StudioSettings::load();
        settings.spai = true;
        settings.spaiWeights = m_dir.filePath(QStringLiteral("absent-spai.pth"));
        settings.save();
        StudioOptions options = bothModels();
        options.spaiWeights.clear();
        MainWindow window(options);
        window.show();
        QMessageBox *dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasModel()
                                     || (dialog = window.findChild<QMessageBox *>(QStringLiteral("trustDialog"))),
                                 60000);
        if (dialog)
            dialog->findChild<QPushButton *>(QStringLiteral("trustButton"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasModel(), 60000);
        QVERIFY(!window.engine()->spai());
        QVERIFY(window.findChild<QStatusBar *>()->currentMessage().contains(QStringLiteral("absent-spai.pth")));
        QSettings().clear();
    }

    // RINE off in Settings: SPAI alone, without RINE's backbone (this test's RINE_BACKBONE names
    // no file). The scan gives SPAI's verdicts (RINE's columns hidden), Inspect shows SPAI's
    // score and patches, and the Robustness page sweeps with SPAI.
    void spaiAloneFromSettings()
    {
        StudioSettings settings = StudioSettings::load();
        settings.rine = false;
        settings.spai = true;
        settings.spaiWeights = kSpai + QStringLiteral("/spai_tiny_checkpoint.pth");
        settings.save();
        StudioOptions options;
        options.device = DeviceChoice::Cpu;
        MainWindow window(options);
        window.show();
        QMessageBox *dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasModel()
                                     || (dialog = window.findChild<QMessageBox *>(QStringLiteral("trustDialog"))),
                                 60000);
        if (dialog) {
            QVERIFY(dialog->text().contains(sha256Hex(settings.spaiWeights)));
            dialog->findChild<QPushButton *>(QStringLiteral("trustButton"))->click();
        }
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasModel(), 60000);
        QVERIFY(!window.engine()->hasRine());
        QVERIFY(window.engine()->spai());
        QVERIFY(window.findChild<QLabel *>(QStringLiteral("modelLabel"))->text().contains(QStringLiteral("SPAI alone")));

        ScanPage *page = window.scanPage();
        test::JobSpy finished(window.engine(), Job::Kind::Scan);
        window.openFolder(m_dir.filePath(QStringLiteral("evidence")));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
        QVERIFY2(finished.first().error.isEmpty(), qPrintable(finished.first().error));
        QTableView *table = page->table();
        QVERIFY(table->isColumnHidden(ResultsModel::Probability));
        QVERIFY(table->isColumnHidden(ResultsModel::VerdictColumn));
        QVERIFY(table->isColumnHidden(ResultsModel::Detectors));
        QVERIFY(!table->isColumnHidden(ResultsModel::SpaiProbability));
        const QJsonObject spai = images(kSpai);
        ResultsModel *model = page->model();
        QCOMPARE(model->rowCount(), kShared.size());
        int fake = 0, real = 0;
        for (int row = 0; row < model->rowCount(); ++row) {
            const FileReport &r = model->report(row);
            const QString name = QFileInfo(r.path).fileName();
            const double p = spai[name].toObject()[QStringLiteral("prob")].toDouble();
            QVERIFY2(r.scores.empty(), qPrintable(name));
            QVERIFY2(r.spai && std::abs(r.spai->probability - p) < 1e-4, qPrintable(name));
            QCOMPARE(model->index(row, ResultsModel::SpaiVerdict).data().toString(), verdictByHand(p));
            fake += verdictByHand(p) == QLatin1String("Fake");
            real += verdictByHand(p) == QLatin1String("Real");
        }
        QCOMPARE(page->findChild<QLabel *>(QStringLiteral("fakeCount"))->text(), QString::number(fake));
        QCOMPARE(page->findChild<QLabel *>(QStringLiteral("realCount"))->text(), QString::number(real));
        QCOMPARE(page->findChild<QLabel *>(QStringLiteral("notScoredCount"))->text(), QStringLiteral("0"));

        // Inspect: SPAI's score and its patches, nothing of RINE's; the sweep is SPAI's.
        test::JobSpy inspected(window.engine(), Job::Kind::Inspect);
        window.openImage(kSpai + QStringLiteral("/images/logo.png"));
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 1, 60000);
        QVERIFY2(inspected.first().error.isEmpty(), qPrintable(inspected.first().error));
        const InspectResult result = inspected.first().as<InspectResult>();
        QVERIFY(!result.scored && result.regions.empty());
        QVERIFY(result.spai && std::abs(result.spai->probability - spai[QStringLiteral("logo.png")].toObject()
                                                                     [QStringLiteral("prob")].toDouble())
                                   < 1e-4);
        QVERIFY(!window.inspectPage()->importanceChart()->isVisibleTo(window.inspectPage())); // RINE's charts: not run
        auto *robustness = window.inspectPage()->findChild<QPushButton *>(QStringLiteral("robustnessButton"));
        QVERIFY(robustness->isEnabled());
        robustness->click();
        QVERIFY(window.robustnessPage()->sweepsWithSpai());

        // RINE turned on again in Settings (its files set active on the Models page): both load.
        settings.rine = true;
        settings.activeBackbone = kRine + QStringLiteral("/clip_tiny_traced.pt");
        settings.activeHead = kRine + QStringLiteral("/rine_tiny_head.pth");
        window.applySettings(settings);
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasRine()
                                     || (dialog = window.findChild<QMessageBox *>(QStringLiteral("trustDialog"))),
                                 60000);
        if (!window.engine()->hasRine() && dialog)
            dialog->findChild<QPushButton *>(QStringLiteral("trustButton"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(window.engine()->hasRine(), 60000);
        QVERIFY(window.engine()->spai());
        QVERIFY(window.inspectPage()->importanceChart()->isVisibleTo(window.inspectPage()));
        QSettings().clear();
    }

    void scansWithBothDetectorsAndFlagsDisagreement()
    {
        MainWindow window(bothModels());
        window.show();
        waitForBoth(window);
        QCOMPARE(QString::fromStdString(window.engine()->spai()->sha256()), sha256Hex(bothModels().spaiWeights));
        QVERIFY(window.findChild<QLabel *>(QStringLiteral("modelLabel"))->text().contains(QStringLiteral("SPAI")));

        ScanPage *page = window.scanPage();
        test::JobSpy finished(window.engine(), Job::Kind::Scan);
        window.openFolder(m_dir.filePath(QStringLiteral("evidence")));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
        QVERIFY2(finished.first().error.isEmpty(), qPrintable(finished.first().error));

        // SPAI's columns are shown; each file has both detectors' probabilities, as the
        // references have them, and the verdicts' agreement worked out here from both.
        QTableView *table = page->table();
        QVERIFY(!table->isColumnHidden(ResultsModel::SpaiProbability));
        QVERIFY(!table->isColumnHidden(ResultsModel::Detectors));
        const QJsonObject rine = images(kRine), spai = images(kSpai);
        ResultsModel *model = page->model();
        QCOMPARE(model->rowCount(), kShared.size());
        int disagree = 0;
        for (int row = 0; row < model->rowCount(); ++row) {
            const FileReport &r = model->report(row);
            const QString name = QFileInfo(r.path).fileName();
            const double rineP = rine[name].toObject()[QStringLiteral("prob")].toDouble();
            const double spaiP = spai[name].toObject()[QStringLiteral("prob")].toDouble();
            QVERIFY2(!r.scores.empty() && std::abs(r.scores.front().probability - rineP) < 1e-4, qPrintable(name));
            QVERIFY2(r.spai && std::abs(r.spai->probability - spaiP) < 1e-4, qPrintable(name));
            QVERIFY2(std::abs(model->index(row, ResultsModel::SpaiProbability).data(ResultsModel::SortRole).toDouble() - spaiP)
                         < 1e-4,
                     qPrintable(name));
            QCOMPARE(model->index(row, ResultsModel::SpaiVerdict).data().toString(), verdictByHand(spaiP));
            const QString a = verdictByHand(rineP), b = verdictByHand(spaiP);
            const bool differ = (a == QLatin1String("Fake") && b == QLatin1String("Real"))
                             || (a == QLatin1String("Real") && b == QLatin1String("Fake"));
            disagree += differ;
            QCOMPARE(model->index(row, ResultsModel::Detectors).data().toString() == QLatin1String("DISAGREE"), differ);
        }
        QCOMPARE(disagree, 3); // RINE calls all four generated; SPAI calls only logo.png so
        QCOMPARE(page->findChild<QLabel *>(QStringLiteral("disagreeCount"))->text(), QStringLiteral("3"));
        auto *verdicts = page->findChild<QComboBox *>(QStringLiteral("verdictFilter"));
        verdicts->setCurrentIndex(verdicts->findData(ResultsFilter::kDisagree));
        QCOMPARE(page->filter()->rowCount(), 3);
        verdicts->setCurrentIndex(0);

        // Opened again as a case: the columns come back with it.
        const QString casePath = finished.first().as<ScanFinished>().rows.casePath;
        QCOMPARE(finished.first().as<ScanFinished>().rows.spaiSha256, sha256Hex(bothModels().spaiWeights));
        QVERIFY(!casePath.isEmpty());
    }

    void inspectShowsSpaisPatchesOverTheImage()
    {
        MainWindow window(bothModels());
        window.show();
        waitForBoth(window);
        const QJsonObject spai = images(kSpai);

        // page.png: 384 x 191, padded 16 above and 17 below to 224, five-crop at (0,0),
        // (0,160), (0,0), (0,160), (0,80) of the padded image.
        test::JobSpy inspected(window.engine(), Job::Kind::Inspect);
        window.openImage(kSpai + QStringLiteral("/images/page.png"));
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 1, 60000);
        InspectPage *page = window.inspectPage();
        QVERIFY(page->result().spai);
        const QJsonObject expected = spai[QStringLiteral("page.png")].toObject();
        QVERIFY(std::abs(page->result().spai->logit - expected[QStringLiteral("logit")].toDouble()) < 5e-5);
        const QList<QGraphicsRectItem *> &items = page->view()->spaiItems();
        QCOMPARE(items.size(), 5);
        // Stored pixels each patch covers, clipped to the 384 x 191 image: worked out by hand.
        const QList<QRectF> covered = {QRectF(0, 0, 224, 191), QRectF(160, 0, 224, 191), QRectF(0, 0, 224, 191),
                                       QRectF(160, 0, 224, 191), QRectF(80, 0, 224, 191)};
        const QJsonArray attention = expected[QStringLiteral("attention_mean_over_heads")].toArray();
        const QJsonArray patches = expected[QStringLiteral("patches")].toArray();
        for (int i = 0; i < items.size(); ++i) {
            QCOMPARE(items[i]->data(2).toRectF(), covered[i]);
            QVERIFY(std::abs(items[i]->data(0).toDouble() - attention[i].toDouble()) < 1e-4);
            QVERIFY(std::abs(items[i]->data(1).toDouble() - patches[i].toObject()[QStringLiteral("solo_logit")].toDouble())
                    < 1e-4);
            // Hover: the numbers, as the analyst reads them.
            const QString tip = items[i]->toolTip();
            QVERIFY2(tip.contains(QString::number(attention[i].toDouble(), 'f', 4)), qPrintable(tip));
            QVERIFY2(tip.contains(QStringLiteral("patch %1 of 5").arg(i + 1)), qPrintable(tip));
        }
        const QString verdict = page->findChild<QLabel *>(QStringLiteral("inspectSpaiVerdict"))->text();
        QVERIFY2(verdict.contains(QString::number(expected[QStringLiteral("prob")].toDouble(), 'f', 4)), qPrintable(verdict));
        QVERIFY(page->findChild<QTextBrowser *>(QStringLiteral("facts"))->toPlainText().contains(QStringLiteral("SPAI's patches")));
        auto *show = page->findChild<QCheckBox *>(QStringLiteral("showSpaiPatches"));
        QVERIFY(show->isVisible());
        show->setChecked(false);
        QVERIFY(!items.first()->isVisible());
        show->setChecked(true);

        // block.png: 10 x 10, padded by 107 on every side: each of the five crops covers the
        // whole image and nothing more.
        window.openImage(kSpai + QStringLiteral("/images/block.png"));
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 2, 60000);
        QCOMPARE(page->view()->spaiItems().size(), 5);
        for (QGraphicsRectItem *item : page->view()->spaiItems())
            QCOMPARE(item->data(2).toRectF(), QRectF(0, 0, 10, 10));
    }

    void sweepsWithSpaiOnTheRobustnessPage()
    {
        MainWindow window(bothModels());
        window.show();
        waitForBoth(window);
        test::JobSpy inspected(window.engine(), Job::Kind::Inspect);
        const QString path = kSpai + QStringLiteral("/images/astronaut.png");
        window.openImage(path);
        QTRY_COMPARE_WITH_TIMEOUT(inspected.count(), 1, 60000);
        window.inspectPage()->findChild<QPushButton *>(QStringLiteral("robustnessButton"))->click();
        RobustnessPage *page = window.robustnessPage();
        auto *detector = page->findChild<QComboBox *>(QStringLiteral("detectorCombo"));
        QVERIFY(detector);
        detector->setCurrentIndex(detector->findData(QStringLiteral("spai")));
        QVERIFY(page->sweepsWithSpai());
        // JPEG at 90 only, at the image's own scale: the original is scored as upstream scored it.
        page->choosePreset(QStringLiteral("fine"));
        for (const char *kind : {"blur", "crop", "noise", "resize"})
            page->findChild<QCheckBox *>(QStringLiteral("use_%1").arg(QLatin1String(kind)))->setChecked(false);
        page->findChild<QCheckBox *>(QStringLiteral("use_jpeg"))->setChecked(true);
        page->findChild<QLineEdit *>(QStringLiteral("strengths_jpeg"))->setText(QStringLiteral("90"));
        page->findChild<QCheckBox *>(QStringLiteral("resizeCheck"))->setChecked(false);
        test::JobSpy swept(window.engine(), Job::Kind::Sweep);
        page->findChild<QPushButton *>(QStringLiteral("sweepButton"))->click();
        QTRY_COMPARE_WITH_TIMEOUT(swept.count(), 1, 120000);
        QVERIFY2(swept.first().state == Job::State::Finished, qPrintable(swept.first().error));
        const SweepResult &sweep = page->sweep();
        QCOMPARE(QString::fromStdString(sweep.detector), QStringLiteral("spai"));
        QVERIFY(std::abs(sweep.baselineLogit - images(kSpai)[QStringLiteral("astronaut.png")].toObject()
                                                   [QStringLiteral("logit")].toDouble())
                < 5e-5);
        QCOMPARE(sweep.series.size(), std::size_t(1));
        QCOMPARE(sweep.series.front().points.size(), std::size_t(1));
        QCOMPARE(sweep.crops, 8); // 512 x 512: 4 patches, twice
        QVERIFY(page->findChild<QLabel *>(QStringLiteral("robustnessSummary"))->text().startsWith(QStringLiteral("SPAI")));

        // Saved as rine-cli robustness --json writes it: SPAI named with its weights.
        const QString json = m_dir.filePath(QStringLiteral("sweep.json"));
        QString error;
        QVERIFY2(page->saveJson(json, error), qPrintable(error));
        QFile file(json);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject document = QJsonDocument::fromJson(file.readAll()).object();
        QVERIFY(QJsonDocument(document).toJson().contains(sha256Hex(bothModels().spaiWeights).toLatin1()));
        const QJsonArray records = document[QStringLiteral("records")].toArray();
        QCOMPARE(records.size(), 1);
        QCOMPARE(records[0].toObject()[QStringLiteral("detector")].toString(), QStringLiteral("spai"));
    }
};

QTEST_MAIN(TestStudioSpai)
#include "tst_studio_spai.moc"
