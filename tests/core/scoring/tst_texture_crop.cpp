// TextureCrop: the candidate windows, the grey-level entropy and the ranking by hand, then the
// whole path against the published code's outputs (tests/data/texture-crop/reference.json,
// made with mever-team/texture-crop on the tiny reference model), for both backbone formats.

#include "image/ImageDecoder.h"
#include "image/Preprocessing.h"
#include "image/TextureCrop.h"
#include "model/Detector.h"
#include "scoring/ImageScorer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace rine;

namespace {

const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");

RgbImage filled(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b)
{
    RgbImage image{width, height, {}};
    image.pixels.resize(std::size_t(width) * height * 3);
    for (std::size_t i = 0; i < image.pixels.size(); i += 3) {
        image.pixels[i] = r;
        image.pixels[i + 1] = g;
        image.pixels[i + 2] = b;
    }
    return image;
}

// A window's worth of pixels (at left, top, side) set to one of `levels` grey levels each, in turn.
void paint(RgbImage &image, CropRegion region, int levels)
{
    int next = 0;
    for (int y = region.top; y < region.top + region.size; ++y)
        for (int x = region.left; x < region.left + region.size; ++x) {
            const auto v = std::uint8_t((next++ % levels) * (256 / levels));
            std::uint8_t *p = image.pixels.data() + (std::size_t(y) * image.width + x) * 3;
            p[0] = p[1] = p[2] = v;
        }
}

std::vector<std::vector<int>> boxes(const std::vector<CropRegion> &regions)
{
    std::vector<std::vector<int>> out;
    for (const CropRegion &r : regions)
        out.push_back({r.left, r.top, r.left + r.size, r.top + r.size});
    return out;
}

} // namespace

class TestTextureCrop : public QObject {
    Q_OBJECT

private slots:
    void candidatesAsThePublishedCodeLaysThemOut()
    {
        // 512 x 512: the 2 x 2 grid, then the right-hand column at x = 288; no bottom row.
        QCOMPARE(boxes(textureCandidates(512, 512, 224, 224)),
                 (std::vector<std::vector<int>>{{0, 0, 224, 224}, {224, 0, 448, 224}, {0, 224, 224, 448},
                                                {224, 224, 448, 448}, {288, 0, 512, 224}, {288, 224, 512, 448}}));
        // 600 x 400: one row; the right-hand window at 376.
        QCOMPARE(boxes(textureCandidates(600, 400, 224, 224)),
                 (std::vector<std::vector<int>>{{0, 0, 224, 224}, {224, 0, 448, 224}, {376, 0, 600, 224}}));
        // 448 x 448: the right-hand column repeats the grid's last column.
        QCOMPARE(boxes(textureCandidates(448, 448, 224, 224)),
                 (std::vector<std::vector<int>>{{0, 0, 224, 224}, {224, 0, 448, 224}, {0, 224, 224, 448},
                                                {224, 224, 448, 448}, {224, 0, 448, 224}, {224, 224, 448, 448}}));
        QVERIFY(textureCandidates(223, 1000, 224, 224).empty());
        QVERIFY(textureCandidates(1000, 223, 224, 224).empty());
    }

    void lumaIsPils()
    {
        // PIL: convert("L") of pure red, green and blue is 76, 150 and 29; grey stays grey.
        RgbImage image{4, 1, {255, 0, 0, 0, 255, 0, 0, 0, 255, 77, 77, 77}};
        QCOMPARE(pilLuma(image), (std::vector<std::uint8_t>{76, 150, 29, 77}));
    }

    void entropyByHand()
    {
        // One grey level: q = (1 + 1e-7) / (1 + 256e-7) once and 1e-7 / (1 + 256e-7) 255 times.
        std::uint32_t flat[256] = {};
        flat[17] = 224 * 224;
        const double z = 1 + 256e-7, q1 = (1 + 1e-7) / z, q0 = 1e-7 / z;
        const double expected = -(q1 * std::log2(q1) + 255 * q0 * std::log2(q0));
        QVERIFY(std::abs(histogramEntropy(flat, 224 * 224) - expected) < 1e-12);
        QVERIFY(std::abs(expected - 6.2974e-4) < 1e-8); // the smoothing's 255 empty bins: 6.3e-4 bits
        // Two levels in equal parts: one bit, plus what the smoothing of 254 empty bins adds.
        std::uint32_t two[256] = {};
        two[0] = two[255] = 224 * 224 / 2;
        QVERIFY(std::abs(histogramEntropy(two, 224 * 224) - 1.00060187) < 1e-8);
        // 256 levels in equal parts: 8 bits.
        std::uint32_t all[256];
        std::fill(std::begin(all), std::end(all), 196u);
        QVERIFY(std::abs(histogramEntropy(all, 256 * 196) - 8.0) < 1e-9);
    }

    void theMostTexturedWindowsComeFirstTiesInCandidateOrder()
    {
        // 672 x 224, three grid windows and the right-hand one (the third again): flat, 16 levels, 4 levels.
        RgbImage image = filled(672, 224, 40, 40, 40);
        paint(image, {224, 0, 224}, 16);
        paint(image, {448, 0, 224}, 4);
        const auto kept = selectTextureWindows(image, 224, 224, 10);
        QCOMPARE(kept.size(), std::size_t(10));
        // 16 levels (4 bits), then the 4-level window (2 bits) and its duplicate, then the flat one;
        // then again from the top, cyclically.
        const int lefts[10] = {224, 448, 448, 0, 224, 448, 448, 0, 224, 448};
        for (int i = 0; i < 10; ++i)
            QCOMPARE(kept[std::size_t(i)].region.left, lefts[i]);
        QVERIFY(std::abs(kept[0].entropy - 4.00049670) < 1e-8); // 4 bits, and the smoothing of 240 empty bins
        QVERIFY(std::abs(kept[1].entropy - 2.00057193) < 1e-8);
        QCOMPARE(kept[1].entropy, kept[2].entropy);
    }

    void repeatedWindowsAreDrawnOnceWithTheirRanks()
    {
        // Ranks 1 and 3 are the same window (fewer candidates than 10 repeat cyclically):
        // one outline, labelled "1,3", with the first rank's entropy and logit.
        const std::vector<WindowScore> windows{{{0, 0, 224}, 5.0, 0.5}, {{224, 0, 224}, 4.0, -0.5}, {{0, 0, 224}, 5.0, 0.5}};
        const std::vector<KeptWindow> kept = distinctWindows(windows);
        QCOMPARE(kept.size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(kept[0].label()), QStringLiteral("1,3"));
        QCOMPARE(QString::fromStdString(kept[1].label()), QStringLiteral("2"));
        QCOMPARE(kept[1].region.left, 224);
        QCOMPARE(kept[0].first, std::size_t(0));
    }

    void namesAndFallback()
    {
        const Preprocessing texture{CropMode::Texture, 224};
        QCOMPARE(texture.name(), std::string("texture224x10-stride224-ghe"));
        QVERIFY(Preprocessing::fromName("texture224x10-stride224-ghe") == texture);
        QCOMPARE(Preprocessing::fromName("texture224x5-stride112-ghe")->windows, 5);
        QCOMPARE(Preprocessing::fromName("texture224x5-stride112-ghe")->stride, 112);
        for (const char *bad : {"texture224", "texture224x10", "texture224x10-stride224", "texture224x0-stride224-ghe",
                                "texture224x10-stride224-ghex", "texturex10-stride224-ghe", "center224x", "tencrop"})
            QVERIFY2(!Preprocessing::fromName(bad), bad);
        QCOMPARE(*Preprocessing::cropFromOption("texture"), CropMode::Texture);
        // Under 224 px on a side: the center crop, said in a warning.
        const CropPlan plan = texture.plan(filled(300, 100, 1, 2, 3));
        QVERIFY(plan.fellBack);
        QCOMPARE(plan.crops.size(), std::size_t(1));
        QVERIFY(plan.entropies.empty());
        QCOMPARE(plan.warnings.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(plan.warnings[0]).contains("center crop"));
    }

    void matchesThePublishedCode_data()
    {
        QTest::addColumn<QString>("backbone");
        QTest::newRow("traced") << kTiny + "clip_tiny_traced.pt";
        QTest::newRow("state dict") << kTiny + "clip_tiny_state_dict.pt";
    }

    void matchesThePublishedCode()
    {
        QFETCH(QString, backbone);
        QFile file(QStringLiteral(RINE_TEST_DATA "/texture-crop/reference.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject images = QJsonDocument::fromJson(file.readAll()).object().value("images").toObject();
        QCOMPARE(images.size(), 7);

        DetectorOptions options;
        options.backbonePath = backbone.toStdString();
        options.headPaths = {(kTiny + "rine_tiny_head.pth").toStdString()};
        options.device = DeviceChoice::Cpu;
        auto detector = Detector::load(options);
        QVERIFY2(detector, detector ? "" : detector.error().c_str());
        ScoreOptions scoring;
        scoring.crop = CropMode::Texture;
        scoring.batchSize = 3; // the crops of several images in one pass
        ImageScorer scorer(*detector.value(), scoring);
        std::vector<std::string> paths;
        for (const QString &name : images.keys())
            paths.push_back((kTiny + "images/" + name).toStdString());
        const auto records = scorer.scoreFiles(paths);
        for (std::size_t i = 0; i < records.size(); ++i) {
            const QString name = images.keys()[int(i)];
            const QJsonObject expected = images.value(name).toObject();
            const ImageRecord &r = records[i];
            QVERIFY2(r.ok, r.error.c_str());
            const QJsonArray logits = expected.value("crop_logits").toArray();
            if (expected.contains("fallback")) {
                QVERIFY2(r.windows.empty(), qPrintable(name));
                QVERIFY(std::any_of(r.warnings.begin(), r.warnings.end(),
                                    [](const std::string &w) { return w.find("center crop") != std::string::npos; }));
                QCOMPARE(logits.size(), 1);
            } else {
                const QJsonArray boxes = expected.value("boxes").toArray(), entropies = expected.value("entropy").toArray();
                QCOMPARE(r.windows.size(), std::size_t(boxes.size()));
                for (int w = 0; w < boxes.size(); ++w) {
                    const WindowScore &window = r.windows[std::size_t(w)];
                    const QJsonArray box = boxes[w].toArray();
                    const QString where = QStringLiteral("%1 window %2").arg(name).arg(w);
                    QCOMPARE(window.region.left, box[0].toInt());
                    QCOMPARE(window.region.top, box[1].toInt());
                    QCOMPARE(window.region.left + window.region.size, box[2].toInt());
                    QCOMPARE(window.region.top + window.region.size, box[3].toInt());
                    QVERIFY2(std::abs(window.entropy - entropies[w].toDouble()) < 1e-6,
                             qPrintable(where + QStringLiteral(": entropy %1, reference %2").arg(window.entropy, 0, 'g', 12).arg(entropies[w].toDouble(), 0, 'g', 12)));
                    QVERIFY2(std::abs(window.logit - logits[w].toDouble()) < 1e-4,
                             qPrintable(where + QStringLiteral(": logit %1, reference %2").arg(window.logit).arg(logits[w].toDouble())));
                }
            }
            QVERIFY2(std::abs(r.logit - expected.value("logit").toDouble()) < 1e-4,
                     qPrintable(name + QStringLiteral(": logit %1, reference %2").arg(r.logit).arg(expected.value("logit").toDouble())));
            QVERIFY(std::abs(r.probability - expected.value("prob").toDouble()) < 1e-4);
        }
    }
};

QTEST_APPLESS_MAIN(TestTextureCrop)
#include "tst_texture_crop.moc"
