// The tile map: its layout checked against hand-computed positions, its scores against the
// reference code's outputs (a tile that is exactly an image's published center crop must
// score as that image did).

#include "image/ImageDecoder.h"
#include "model/Detector.h"
#include "scoring/TileMap.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cstring>

using namespace rine;

namespace {

const QString kData = QStringLiteral(RINE_TEST_DATA "/reference-tiny");

double referenceProbability(const QString &image)
{
    QFile file(kData + QStringLiteral("/reference.json"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read reference.json");
    return QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("images")].toObject()[image].toObject()
        [QStringLiteral("prob")].toDouble();
}

RgbImage referenceCrop(const QString &image)
{
    FileBytes bytes;
    auto decoded = readImage((kData + QStringLiteral("/crops/") + image + QStringLiteral(".ppm")).toStdString(), bytes);
    if (!decoded || decoded->width != 224 || decoded->height != 224)
        qFatal("cannot read the reference crop of %s", qPrintable(image));
    return decoded->rgb;
}

} // namespace

class TestTileMap : public QObject {
    Q_OBJECT

private slots:
    void gridCoversTheImage()
    {
        // 500 wide: ceil(500/224) = 3 tiles starting at round(i * 276 / 2) = 0, 138, 276;
        // 300 high: 2 tiles at 0 and 76.
        const TileGrid grid = tileGrid(500, 300, 224);
        QCOMPARE(grid.columns, 3);
        QCOMPARE(grid.rows, 2);
        QVERIFY(grid.coversImage);
        const std::vector<std::pair<int, int>> expected{{0, 0}, {138, 0}, {276, 0}, {0, 76}, {138, 76}, {276, 76}};
        QCOMPARE(grid.tiles.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(grid.tiles[i].left, expected[i].first);
            QCOMPARE(grid.tiles[i].top, expected[i].second);
            QCOMPARE(grid.tiles[i].size, 224);
        }
    }

    void heatMapCellsSplitOverlapsInTheMiddle()
    {
        // Tiles at 0, 138, 276 (224 wide) over 500: boundaries at (138 + 224) / 2 = 181 and
        // (276 + 138 + 224) / 2 = 319.
        const TileGrid grid = tileGrid(500, 224, 224);
        const std::vector<std::pair<int, int>> expected{{0, 181}, {181, 319}, {319, 500}};
        for (std::size_t i = 0; i < 3; ++i) {
            int width = 0, height = 0;
            const CropRegion cell = tileCell(grid, i, width, height);
            QCOMPARE(cell.left, expected[i].first);
            QCOMPARE(cell.left + width, expected[i].second);
            QCOMPARE(cell.top, 0);
            QCOMPARE(height, 224);
        }
        // A padded tile's cell is the image itself.
        const TileGrid small = tileGrid(100, 50, 224);
        int width = 0, height = 0;
        const CropRegion cell = tileCell(small, 0, width, height);
        QCOMPARE(QRect(cell.left, cell.top, width, height), QRect(0, 0, 100, 50));
    }

    void exactMultiplesDoNotOverlap()
    {
        const TileGrid grid = tileGrid(448, 224, 224);
        QCOMPARE(grid.columns, 2);
        QCOMPARE(grid.rows, 1);
        QCOMPARE(grid.tiles[0].left, 0);
        QCOMPARE(grid.tiles[1].left, 224);
    }

    void smallImagesGetOnePaddedTileLikeTheCenterCrop()
    {
        // torchvision pads a 100 x 50 image to 224: offsets -(124/2) and -(174/2).
        const TileGrid grid = tileGrid(100, 50, 224);
        QCOMPARE(grid.tiles.size(), std::size_t(1));
        QCOMPARE(grid.tiles[0].left, -62);
        QCOMPARE(grid.tiles[0].top, -87);
    }

    void hugeImagesAreSampledAndSaySo()
    {
        const TileGrid grid = tileGrid(20000, 224, 224, 32);
        QCOMPARE(grid.columns, 32);
        QVERIFY(!grid.coversImage);
        QCOMPARE(grid.tiles.back().left, 20000 - 224);
    }

    void tilesScoreAsTheReferenceCenterCrops()
    {
        DetectorOptions options;
        options.backbonePath = (kData + QStringLiteral("/clip_tiny_traced.pt")).toStdString();
        options.headPaths = {(kData + QStringLiteral("/rine_tiny_head.pth")).toStdString()};
        options.device = DeviceChoice::Cpu;
        auto detector = Detector::load(options);
        QVERIFY2(detector, detector ? "" : detector.error().c_str());

        // Two published center crops side by side: two tiles, each scoring as its image.
        const RgbImage left = referenceCrop(QStringLiteral("astronaut.png")), right = referenceCrop(QStringLiteral("logo.png"));
        RgbImage pair;
        pair.width = 448;
        pair.height = 224;
        pair.pixels.resize(std::size_t(448) * 224 * 3);
        for (int y = 0; y < 224; ++y) {
            std::memcpy(&pair.pixels[std::size_t(y) * 448 * 3], &left.pixels[std::size_t(y) * 224 * 3], 224 * 3);
            std::memcpy(&pair.pixels[(std::size_t(y) * 448 + 224) * 3], &right.pixels[std::size_t(y) * 224 * 3], 224 * 3);
        }
        std::atomic<bool> cancel{false};
        int reports = 0;
        auto scores = scoreTiles(*detector.value(), pair, 1, cancel, [&](const TileScores &partial) {
            ++reports;
            QCOMPARE(partial.done, std::size_t(reports));
        });
        QVERIFY2(scores, scores ? "" : scores.error().c_str());
        QCOMPARE(scores->done, std::size_t(2));
        QCOMPARE(reports, 2);
        QVERIFY(std::abs(scores->probabilities[0] - referenceProbability(QStringLiteral("astronaut.png"))) < 1e-4);
        QVERIFY(std::abs(scores->probabilities[1] - referenceProbability(QStringLiteral("logo.png"))) < 1e-4);

        // Cancelled before it starts: nothing scored, and it says so.
        cancel = true;
        auto cancelled = scoreTiles(*detector.value(), pair, 1, cancel);
        QVERIFY(cancelled);
        QVERIFY(cancelled->cancelled);
        QCOMPARE(cancelled->done, std::size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestTileMap)
#include "tst_tile_map.moc"
