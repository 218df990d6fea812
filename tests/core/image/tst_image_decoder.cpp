#include "image/ImageDecoder.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QBuffer>
#include <QImage>
#include <QImageReader>
#include <QTemporaryDir>
#include <QTest>

#include "TestFiles.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

using namespace rine;
using test::readAll;

namespace {

const QString kImages = QStringLiteral(RINE_TEST_DATA "/reference-tiny/images/");

// Pixel (x, y) holds (x mod 256, y mod 256, 7): a crop's first pixel tells where it started.
RgbImage coordinateImage(int width, int height)
{
    RgbImage image;
    image.width = width;
    image.height = height;
    image.pixels.resize(std::size_t(width) * height * 3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            auto *p = image.pixels.data() + (std::size_t(y) * width + x) * 3;
            p[0] = std::uint8_t(x % 256);
            p[1] = std::uint8_t(y % 256);
            p[2] = 7;
        }
    return image;
}

// A little-endian, uncompressed RGB TIFF of `pages` pages, each 2 x 2, page p filled with
// the value 40 * (p + 1): built by hand, following the TIFF 6.0 baseline.
QByteArray multiPageTiff(int pages)
{
    QByteArray out("II*\0", 4);
    auto u16 = [](QByteArray &b, quint16 v) { b.append(char(v & 0xFF)).append(char(v >> 8)); };
    auto u32 = [&](QByteArray &b, quint32 v) { u16(b, quint16(v & 0xFFFF)); u16(b, quint16(v >> 16)); };
    u32(out, 8);
    const int entries = 10, ifdSize = 2 + entries * 12 + 4, pixels = 2 * 2 * 3;
    for (int p = 0; p < pages; ++p) {
        const quint32 ifd = quint32(out.size()), bits = ifd + ifdSize, data = bits + 6;
        const quint32 next = p + 1 < pages ? data + pixels : 0;
        auto entry = [&](quint16 tag, quint16 type, quint32 count, quint32 value) {
            u16(out, tag);
            u16(out, type);
            u32(out, count);
            if (type == 3 && count == 1) {
                u16(out, quint16(value));
                u16(out, 0);
            } else {
                u32(out, value);
            }
        };
        u16(out, entries);
        entry(256, 3, 1, 2); // ImageWidth
        entry(257, 3, 1, 2); // ImageLength
        entry(258, 3, 3, bits); // BitsPerSample 8,8,8
        entry(259, 3, 1, 1); // no compression
        entry(262, 3, 1, 2); // RGB
        entry(273, 4, 1, data); // StripOffsets
        entry(277, 3, 1, 3); // SamplesPerPixel
        entry(278, 3, 1, 2); // RowsPerStrip
        entry(279, 4, 1, pixels); // StripByteCounts
        entry(284, 3, 1, 1); // chunky
        u32(out, next);
        for (int i = 0; i < 3; ++i)
            u16(out, 8);
        out.append(QByteArray(pixels, char(40 * (p + 1))));
    }
    return out;
}

QList<int> pixel(const std::vector<std::uint8_t> &crop, int size, int x, int y)
{
    const auto *p = crop.data() + (std::size_t(y) * size + x) * 3;
    return {p[0], p[1], p[2]};
}

Result<DecodedImage> decodeFile(const QString &path)
{
    FileBytes bytes;
    return readImage(path.toStdString(), bytes);
}

} // namespace

class TestImageDecoder : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeTemp(const QString &name, const QByteArray &data) { return test::writeFile(m_dir, name, data); }

private slots:
    void sniffsFormatsByContent()
    {
        const QByteArray jpeg = readAll(kImages + "aadlygmazf.jpg");
        const QByteArray png = readAll(kImages + "camera.png");
        QCOMPARE(sniffImageFormat(reinterpret_cast<const std::uint8_t *>(jpeg.constData()), jpeg.size()), "jpeg");
        QCOMPARE(sniffImageFormat(reinterpret_cast<const std::uint8_t *>(png.constData()), png.size()), "png");
        const QByteArray text("hello, world");
        QCOMPARE(sniffImageFormat(reinterpret_cast<const std::uint8_t *>(text.constData()), text.size()), "");
    }

    void greyIsReplicated()
    {
        auto image = decodeFile(kImages + "camera.png"); // 8-bit greyscale
        QVERIFY2(image.ok(), image.error().c_str());
        QCOMPARE(image->width, 512);
        QCOMPARE(image->height, 512);
        const auto &px = image->rgb.pixels;
        for (std::size_t i = 0; i < px.size(); i += 3) {
            QCOMPARE(px[i], px[i + 1]);
            QCOMPARE(px[i], px[i + 2]);
        }
    }

    void alphaIsDroppedWithAWarning()
    {
        auto image = decodeFile(kImages + "logo.png"); // RGBA
        QVERIFY2(image.ok(), image.error().c_str());
        QCOMPARE(image->rgb.pixels.size(), std::size_t(500 * 500 * 3));
        QVERIFY(!image->warnings.empty());
        QVERIFY(QString::fromStdString(image->warnings.front()).contains("alpha"));
    }

    void exifOrientationIsNotApplied()
    {
        // A 300 x 200 JPEG whose EXIF says "rotate 90 degrees clockwise" (orientation 6).
        // PIL, and so the reference, scores the stored pixels: 300 wide, 200 high.
        QImage image(300, 200, QImage::Format_RGB32);
        for (int y = 0; y < 200; ++y)
            for (int x = 0; x < 300; ++x)
                image.setPixel(x, y, x < 150 ? qRgb(250, 10, 10) : qRgb(10, 10, 250));
        QByteArray jpeg;
        {
            QBuffer buffer(&jpeg);
            buffer.open(QIODevice::WriteOnly);
            QVERIFY(image.save(&buffer, "JPEG", 95));
        }
        // APP1: "Exif\0\0", little-endian TIFF header, one IFD entry: 0x0112 SHORT 1 = 6.
        const QByteArray exif = QByteArray("\xFF\xE1\x00\x22" "Exif\x00\x00" "II\x2A\x00\x08\x00\x00\x00"
                                           "\x01\x00" "\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"
                                           "\x00\x00\x00\x00", 36);
        const QString path = writeTemp("rotated.jpg", jpeg.left(2) + exif + jpeg.mid(2));
        // Qt applies the orientation when asked: the file really carries it.
        QImageReader reader(path);
        reader.setAutoTransform(true);
        QCOMPARE(reader.read().size(), QSize(200, 300));

        auto decoded = decodeFile(path);
        QVERIFY2(decoded.ok(), decoded.error().c_str());
        QCOMPARE(decoded->width, 300);
        QCOMPARE(decoded->height, 200);
        const auto &px = decoded->rgb.pixels;
        QVERIFY(px[0] > 200 && px[2] < 60); // top-left is red: left half red, unrotated
        const std::size_t topRight = std::size_t(299) * 3;
        QVERIFY(px[topRight] < 60 && px[topRight + 2] > 200); // top-right is blue
        QCOMPARE(decoded->warnings.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(decoded->warnings.front()).contains("EXIF orientation 6"));
        // The same image without the tag carries no warning.
        auto plain = decodeFile(writeTemp("plain.jpg", jpeg));
        QVERIFY(plain.ok());
        QVERIFY(plain->warnings.empty());
    }

    void jpegQualityFromTheQuantizationTable()
    {
        // Written by Qt's JPEG plugin (libjpeg's jpeg_set_quality): the quality is read back
        // exactly from the luminance table.
        QImage image(64, 48, QImage::Format_RGB32);
        for (int y = 0; y < 48; ++y)
            for (int x = 0; x < 64; ++x)
                image.setPixel(x, y, qRgb(4 * x, 5 * y, 128));
        for (int quality : {10, 30, 50, 75, 87, 95, 100}) {
            QByteArray jpeg;
            QBuffer buffer(&jpeg);
            buffer.open(QIODevice::WriteOnly);
            QVERIFY(image.save(&buffer, "JPEG", quality));
            auto decoded = decodeFile(writeTemp(QStringLiteral("q%1.jpg").arg(quality), jpeg));
            QVERIFY2(decoded.ok(), decoded.error().c_str());
            QCOMPARE(decoded->jpegQuality, quality);
            QVERIFY(decoded->jpegQualityExact);
        }
        // By hand: quality 100 scales every entry to 1; quality 1 (scale 5000%) clamps every
        // entry to 255, while quality 2 (2500%) gives 250 for the standard 10.
        int ones[64], full[64];
        std::fill(std::begin(ones), std::end(ones), 1);
        std::fill(std::begin(full), std::end(full), 255);
        QCOMPARE(jpegQuality(ones).quality, 100);
        QVERIFY(jpegQuality(ones).exact);
        QCOMPARE(jpegQuality(full).quality, 1);
        // A table of someone else's: the nearest quality, not exact.
        int other[64];
        std::fill(std::begin(other), std::end(other), 3);
        QVERIFY(!jpegQuality(other).exact);
        // Not a JPEG: no quality.
        QCOMPARE(decodeFile(kImages + "camera.png")->jpegQuality, 0);
    }

    void sixteenBitSamplesKeepTheirHighByte()
    {
        // Written by Qt's PNG encoder as 16-bit PNGs; values chosen so that the high byte
        // (0x12, 0xAB, 0x7F) differs from rounding (0x12, 0xAC, 0x80).
        QImage colour(3, 2, QImage::Format_RGBX64);
        colour.fill(QColor::fromRgba64(0x1234, 0xABCD, 0x7FFF));
        const QString colourPath = m_dir.filePath("colour16.png");
        QVERIFY(colour.save(colourPath, "PNG"));
        QImage grey(3, 2, QImage::Format_Grayscale16);
        grey.fill(QColor::fromRgba64(0x80FF, 0x80FF, 0x80FF));
        const QString greyPath = m_dir.filePath("grey16.png");
        QVERIFY(grey.save(greyPath, "PNG"));

        auto c = decodeFile(colourPath);
        QVERIFY2(c.ok(), c.error().c_str());
        QCOMPARE((QList<int>{c->rgb.pixels[0], c->rgb.pixels[1], c->rgb.pixels[2]}), (QList<int>{0x12, 0xAB, 0x7F}));
        QVERIFY(QString::fromStdString(c->warnings.front()).contains("16-bit"));
        auto g = decodeFile(greyPath);
        QVERIFY2(g.ok(), g.error().c_str());
        QCOMPARE((QList<int>{g->rgb.pixels[0], g->rgb.pixels[1], g->rgb.pixels[2]}), (QList<int>{0x80, 0x80, 0x80}));
    }

    void tiffScoresItsFirstPageAndSaysSo()
    {
        FileBytes single{"one.tif", {}, {}}, triple{"three.tif", {}, {}};
        const QByteArray one = multiPageTiff(1), three = multiPageTiff(3);
        single.data.assign(one.begin(), one.end());
        triple.data.assign(three.begin(), three.end());
        auto image = decodeImage(single);
        QVERIFY2(image, image.error().c_str());
        QCOMPARE(image->format, std::string("tiff"));
        QVERIFY2(image->warnings.empty(), image->warnings.empty() ? "" : image->warnings[0].c_str()); // one page: nothing left out
        QCOMPARE(int(image->rgb.pixels[0]), 40);
        image = decodeImage(triple);
        QVERIFY2(image, image.error().c_str());
        QCOMPARE(image->warnings.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(image->warnings[0]), QStringLiteral("TIFF with 3 pages: only the first is scored"));
        QCOMPARE(int(image->rgb.pixels[0]), 40); // the first page's pixels
    }

    void storedCropsAreTheDecodersOwn()
    {
        // tests/data/reference-tiny/crops feed the CUDA check, which has no decoder: they must
        // stay exactly what decoding and center-cropping the reference images gives.
        const QStringList names = QDir(kImages).entryList(QDir::Files, QDir::Name);
        QCOMPARE(names.size(), 7);
        for (const QString &name : names) {
            FileBytes bytes;
            auto image = readImage((kImages + name).toStdString(), bytes);
            QVERIFY2(image, image.error().c_str());
            const auto crop = centerCrop(image->rgb, 224);
            const QByteArray stored = readAll(kImages + "../crops/" + name + ".ppm");
            const QByteArray header("P6\n224 224\n255\n");
            QVERIFY(stored.startsWith(header));
            QVERIFY2(stored.mid(header.size()) == QByteArray(reinterpret_cast<const char *>(crop.data()), qsizetype(crop.size())),
                     qPrintable(name));
        }
    }

    void hashIsOfTheBytesRead()
    {
        const QString path = kImages + "aadlygmazf.jpg";
        const QDateTime before = QFileInfo(path).lastModified();
        FileBytes bytes;
        auto image = readImage(path.toStdString(), bytes);
        QVERIFY(image.ok());
        // QCryptographicHash: an implementation independent of ours.
        QCOMPARE(QString::fromStdString(bytes.sha256),
                 QString::fromLatin1(QCryptographicHash::hash(readAll(path), QCryptographicHash::Sha256).toHex()));
        QCOMPARE(QFileInfo(path).lastModified(), before); // evidence untouched
    }

    void readsReadOnlyFiles()
    {
        const QString path = writeTemp("readonly.jpg", readAll(kImages + "aadlygmazf.jpg"));
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther);
        QVERIFY(decodeFile(path).ok());
    }

    void badInputs_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        const QByteArray jpeg = readAll(kImages + "aadlygmazf.jpg");
        const QByteArray png = readAll(kImages + "zzrybysskm.png");
        QTest::newRow("zero bytes") << "empty.jpg" << QByteArray() << "empty";
        QTest::newRow("text named .jpg") << "notes.jpg" << QByteArray("This is not a picture.\n") << "not an image";
        QTest::newRow("truncated JPEG") << "cut.jpg" << jpeg.left(jpeg.size() * 6 / 10) << "truncated";
        QTest::newRow("JPEG without its last bytes") << "cut2.jpg" << jpeg.left(jpeg.size() - 2) << "truncated";
        QTest::newRow("truncated PNG") << "cut.png" << png.left(png.size() / 2) << "truncated";
        QTest::newRow("PNG header only") << "head.png" << png.left(40) << "truncated";
        QTest::newRow("GIF") << "anim.gif" << QByteArray("GIF89a\x01\x00\x01\x00", 10) << "not supported";
    }
    void badInputs()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        const QString path = writeTemp(name, content);
        auto image = decodeFile(path);
        QVERIFY(!image.ok());
        const QString message = QString::fromStdString(image.error());
        QVERIFY2(message.contains(path), qPrintable(message)); // names the file
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void missingFileIsReported()
    {
        const QString path = m_dir.filePath("nowhere.png");
        auto image = decodeFile(path);
        QVERIFY(!image.ok());
        QVERIFY(QString::fromStdString(image.error()).contains(path));
        QVERIFY(QString::fromStdString(image.error()).contains("No such file"));
    }

    void oversizedFileIsRefusedBeforeReading()
    {
        FileBytes bytes;
        DecodeLimits limits;
        limits.maxFileBytes = 100;
        auto image = readImage((kImages + "camera.png").toStdString(), bytes, limits);
        QVERIFY(!image.ok());
        QVERIFY(QString::fromStdString(image.error()).contains("over the limit"));
        QVERIFY(bytes.data.empty());
    }

    void everyFormatIsCheckedAgainstTheLimitsBeforeDecoding_data()
    {
        QTest::addColumn<QString>("extension");
        QTest::addColumn<int>("type");
        QTest::addColumn<QByteArray>("says");
        // Issue 19: only PNG and JPEG headers were read; a 2000 x 2000 BMP passed a limit of
        // 1,000,000 pixels, and the others relied on OpenCV's 2^30.
        QTest::newRow("bmp") << ".bmp" << CV_8UC3 << QByteArray("declares 1200 x 1000 pixels");
        QTest::newRow("tiff") << ".tif" << CV_8UC3 << QByteArray("declares 1200 x 1000 pixels");
        QTest::newRow("webp lossy") << ".webp" << CV_8UC3 << QByteArray("declares 1200 x 1000 pixels");
        QTest::newRow("jpeg 2000") << ".jp2" << CV_8UC3 << QByteArray("declares 1200 x 1000 pixels");
        QTest::newRow("pgm") << ".pgm" << CV_8UC1 << QByteArray("declares 1200 x 1000 pixels");
        QTest::newRow("ppm 16-bit") << ".ppm" << CV_16UC3 << QByteArray("declares 1200 x 1000 pixels");
        QTest::newRow("png 16-bit") << ".png" << CV_16UC4 << QByteArray("declares 1200 x 1000 pixels");
    }

    void everyFormatIsCheckedAgainstTheLimitsBeforeDecoding()
    {
        QFETCH(QString, extension);
        QFETCH(int, type);
        QFETCH(QByteArray, says);
        cv::Mat image(1000, 1200, type, cv::Scalar::all(90));
        std::vector<std::uint8_t> encoded;
        std::vector<int> params;
        if (extension == QLatin1String(".webp"))
            params = {cv::IMWRITE_WEBP_QUALITY, 50};
        QVERIFY(cv::imencode(extension.toStdString(), image, encoded, params));
        FileBytes file;
        file.path = "limits" + extension.toStdString();
        file.data = encoded;
        DecodeLimits limits;
        limits.maxPixels = 1000000;
        auto refused = decodeImage(file, limits);
        QVERIFY2(!refused.ok(), qPrintable(extension));
        QVERIFY2(QByteArray::fromStdString(refused.error()).contains(says), refused.error().c_str());
        limits.maxPixels = 1200000 * 2; // the same file, within the limits: decoded
        auto decoded = decodeImage(file, limits);
        QVERIFY2(decoded.ok(), decoded.ok() ? "" : decoded.error().c_str());
        QCOMPARE(decoded->width, 1200);
    }

    void manyBytesPerPixelCountAgainstTheByteBudget()
    {
        // 600 x 600 = 360,000 pixels, within a limit of 500,000; but 4 samples of 16 bits make 8
        // bytes each, 2.9 MB decoded, over the 2 MB (4 bytes a pixel) that the limit allows.
        cv::Mat image(600, 600, CV_16UC4, cv::Scalar::all(1000));
        std::vector<std::uint8_t> encoded;
        QVERIFY(cv::imencode(".tif", image, encoded));
        FileBytes file;
        file.path = "deep.tif";
        file.data = encoded;
        DecodeLimits limits;
        limits.maxPixels = 500000;
        auto refused = decodeImage(file, limits);
        QVERIFY(!refused.ok());
        QVERIFY2(QByteArray::fromStdString(refused.error()).contains("8 bytes each"), refused.error().c_str());
    }

    void headersThatLieAboutTheirSizeAreRefused()
    {
        // A BMP header claiming 2^31 - 1 rows (an INT_MIN height would wrap), and a PNM whose
        // sides multiply past 64 bits: refused as over the limit, never allocated.
        QByteArray bmp(54, '\0');
        bmp[0] = 'B';
        bmp[1] = 'M';
        bmp[14] = 40;
        for (int k = 0; k < 4; ++k) {
            bmp[18 + k] = char(k == 0 ? 16 : 0);
            bmp[22 + k] = char(k == 3 ? 0x80 : 0x00); // INT_MIN
        }
        bmp[26] = 1;
        bmp[28] = 24;
        FileBytes file;
        file.path = "lies.bmp";
        file.data.assign(bmp.begin(), bmp.end());
        auto refused = decodeImage(file);
        QVERIFY(!refused.ok());
        QVERIFY2(QByteArray::fromStdString(refused.error()).contains("over the limit"), refused.error().c_str());
        const QByteArray pnm = "P6\n99999999999 99999999999\n255\n";
        file.path = "lies.ppm";
        file.data.assign(pnm.begin(), pnm.end());
        refused = decodeImage(file);
        QVERIFY(!refused.ok());
    }

    void slowDecodesFailAfterTheTimeLimit()
    {
        // 3000 x 3000 pixels of noise as PNG: its decode takes far longer than a millisecond
        // on any machine.
        QImage noise(3000, 3000, QImage::Format_RGB888);
        quint32 state = 12345;
        for (int y = 0; y < noise.height(); ++y) {
            uchar *line = noise.scanLine(y);
            for (int x = 0; x < noise.width() * 3; ++x) {
                state = state * 1664525u + 1013904223u;
                line[x] = uchar(state >> 24);
            }
        }
        QByteArray png;
        QBuffer buffer(&png);
        QVERIFY(buffer.open(QIODevice::WriteOnly));
        QVERIFY(noise.save(&buffer, "PNG"));
        FileBytes file;
        file.path = "noise.png";
        file.data.assign(png.begin(), png.end());

        DecodeLimits limits;
        limits.timeoutSeconds = 0.001;
        auto late = decodeImage(file, limits);
        QVERIFY(!late);
        QVERIFY2(QString::fromStdString(late.error()).contains("took longer than 0.001 s"), late.error().c_str());
        QVERIFY(stuckDecodes() >= 1); // still decoding, on its own thread

        // While kMaxStuckDecodes are stuck, further files fail at once instead of piling up: a
        // decode is started every millisecond or so and each runs for far longer, so the count
        // reaches the cap (how soon depends on the machine, so it is not counted here).
        bool refusedAtCap = false;
        for (int i = 0; i < 200 && !refusedAtCap; ++i) {
            auto again = decodeImage(file, limits);
            QVERIFY(!again);
            refusedAtCap = QString::fromStdString(again.error()).contains("still being decoded");
            QVERIFY(stuckDecodes() <= kMaxStuckDecodes);
        }
        QVERIFY(refusedAtCap);
        // A scan counts its own: the process's stuck decodes do not use up a budget of its own.
        DecodeLimits own = limits;
        own.budget = std::make_shared<DecodeBudget>();
        auto mine = decodeImage(file, own);
        QVERIFY(!mine);
        QVERIFY2(QString::fromStdString(mine.error()).contains("took longer than 0.001 s"), mine.error().c_str());
        QCOMPARE(own.budget->overran(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(stuckDecodes(), 0, 120000); // each one ends, and is counted off

        limits.timeoutSeconds = 0; // no limit
        auto decoded = decodeImage(file, limits);
        QVERIFY2(decoded, decoded.error().c_str());
        QCOMPARE(decoded->width, 3000);
        QCOMPARE(decoded->rgb.pixels[5], uchar(noise.constScanLine(0)[5]));
        limits.timeoutSeconds = 600; // a limit it meets: the same pixels
        auto inTime = decodeImage(file, limits);
        QVERIFY2(inTime, inTime.error().c_str());
        QVERIFY(inTime->rgb.pixels == decoded->rgb.pixels);
    }

    // Offsets by hand from torchvision's center_crop: top = round((h - 224) / 2) with Python's
    // round-half-to-even, padding (224 - w) // 2 on the left when smaller.
    void centerCropOffsets_data()
    {
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("height");
        QTest::addColumn<int>("left");
        QTest::addColumn<int>("top");
        QTest::newRow("exact") << 224 << 224 << 0 << 0;
        QTest::newRow("odd margins 3 and 1") << 227 << 225 << 2 << 0; // round(1.5)=2, round(0.5)=0
        QTest::newRow("odd margin 5") << 229 << 224 << 2 << 0; // round(2.5)=2
        QTest::newRow("even margin") << 600 << 400 << 188 << 88;
        QTest::newRow("tall") << 224 << 300 << 0 << 38;
    }
    void centerCropOffsets()
    {
        QFETCH(int, width);
        QFETCH(int, height);
        QFETCH(int, left);
        QFETCH(int, top);
        const auto crop = centerCrop(coordinateImage(width, height), 224);
        QCOMPARE(crop.size(), std::size_t(224 * 224 * 3));
        QCOMPARE(pixel(crop, 224, 0, 0), (QList<int>{left % 256, top % 256, 7}));
        QCOMPARE(pixel(crop, 224, 223, 223), (QList<int>{(left + 223) % 256, (top + 223) % 256, 7}));
    }

    void smallImagesAreZeroPadded()
    {
        // 10 x 10: torchvision pads (224 - 10) // 2 = 107 on the left and top, 107 right/bottom.
        const auto crop = centerCrop(coordinateImage(10, 10), 224);
        QCOMPARE(pixel(crop, 224, 106, 106), (QList<int>{0, 0, 0}));
        QCOMPARE(pixel(crop, 224, 107, 107), (QList<int>{0, 0, 7}));
        QCOMPARE(pixel(crop, 224, 116, 116), (QList<int>{9, 9, 7}));
        QCOMPARE(pixel(crop, 224, 117, 116), (QList<int>{0, 0, 0}));
        // 11 wide, 300 tall: (224 - 11) // 2 = 106 left; vertical offset round(76 / 2) = 38.
        const auto narrow = centerCrop(coordinateImage(11, 300), 224);
        QCOMPARE(pixel(narrow, 224, 106, 0), (QList<int>{0, 38, 7}));
        QCOMPARE(pixel(narrow, 224, 105, 0), (QList<int>{0, 0, 0}));
    }

    void tenCropGeometry()
    {
        const auto crops = tenCrop(coordinateImage(300, 250), 224);
        QCOMPARE(crops.size(), std::size_t(10));
        QCOMPARE(pixel(crops[0], 224, 0, 0), (QList<int>{0, 0, 7})); // top-left
        QCOMPARE(pixel(crops[1], 224, 0, 0), (QList<int>{76, 0, 7})); // top-right
        QCOMPARE(pixel(crops[2], 224, 0, 0), (QList<int>{0, 26, 7})); // bottom-left
        QCOMPARE(pixel(crops[3], 224, 0, 0), (QList<int>{76, 26, 7})); // bottom-right
        QCOMPARE(pixel(crops[4], 224, 0, 0), (QList<int>{38, 13, 7})); // centre
        // Flipped image: its top-left pixel is the original's top-right (x = 299).
        QCOMPARE(pixel(crops[5], 224, 0, 0), (QList<int>{299 % 256, 0, 7}));
        // Flipped centre: left offset 38 in the flipped image is x = 299 - 38 in the original.
        QCOMPARE(pixel(crops[9], 224, 0, 0), (QList<int>{(299 - 38) % 256, 13, 7}));
    }
};

QTEST_GUILESS_MAIN(TestImageDecoder)
#include "tst_image_decoder.moc"
