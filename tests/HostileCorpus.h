#pragma once

// The hostile-input corpus (issue: hardening): files built to hurt an image pipeline. Written
// by tests/tools/make_hostile_corpus (for fuzzing and by hand) and by tst_hostile_corpus, which
// scans it. Each entry says which outcomes are acceptable.

#include "TestFiles.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>
#include <QStringList>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <vector>

namespace rine::test {

struct HostileFile {
    QString name;
    QStringList allowed; // statuses it may end with
    QString why;
};

namespace hostile {

inline QByteArray encode(const cv::Mat &image, const char *extension, const std::vector<int> &params = {})
{
    std::vector<uchar> bytes;
    if (!cv::imencode(extension, image, bytes, params))
        qFatal("OpenCV cannot encode %s", extension);
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

inline cv::Mat gradient(int width, int height, int type = CV_8UC3)
{
    cv::Mat image(height, width, type);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const double v = double(x + y) / double(width + height);
            if (type == CV_16UC3)
                image.at<cv::Vec3w>(y, x) = cv::Vec3w(ushort(v * 65535), ushort((1 - v) * 65535), 30000);
            else
                image.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(v * 255), uchar((1 - v) * 255), 128);
        }
    return image;
}

// A JPEG's SOF dimensions rewritten (the decoder must refuse before allocating).
inline QByteArray withDeclaredSize(QByteArray jpeg, int width, int height)
{
    for (qsizetype i = 2; i + 9 < jpeg.size(); ++i) {
        const uchar m = uchar(jpeg[i + 1]);
        if (uchar(jpeg[i]) == 0xFF && (m == 0xC0 || m == 0xC2)) {
            jpeg[i + 5] = char(height >> 8);
            jpeg[i + 6] = char(height & 0xFF);
            jpeg[i + 7] = char(width >> 8);
            jpeg[i + 8] = char(width & 0xFF);
            return jpeg;
        }
    }
    qFatal("no SOF marker");
}

// A progressive JPEG whose scans are repeated until there are `scans` of them.
inline QByteArray withManyScans(const QByteArray &progressive, int scans)
{
    const qsizetype firstScan = progressive.indexOf(QByteArray("\xFF\xDA", 2));
    const qsizetype end = progressive.lastIndexOf(QByteArray("\xFF\xD9", 2));
    if (firstScan < 0 || end < firstScan)
        qFatal("not a progressive JPEG");
    const QByteArray body = progressive.mid(firstScan, end - firstScan);
    const int perBody = int(body.count(QByteArray("\xFF\xDA", 2)));
    QByteArray out = progressive.left(firstScan);
    for (int written = 0; written < scans; written += perBody)
        out += body;
    return out + QByteArray("\xFF\xD9", 2);
}

inline QByteArray withExif(const QByteArray &jpeg, const QByteArray &tiff)
{
    const QByteArray app1 = QByteArray("Exif\0\0", 6) + tiff;
    QByteArray segment("\xFF\xE1", 2);
    segment += char((app1.size() + 2) >> 8);
    segment += char((app1.size() + 2) & 0xFF);
    return jpeg.left(2) + segment + app1 + jpeg.mid(2);
}

inline QByteArray flipped(QByteArray bytes, int from)
{
    for (qsizetype i = from; i < bytes.size(); i += 13)
        bytes[i] = char(bytes[i] ^ 0x55);
    return bytes;
}

} // namespace hostile

// Writes the corpus into folder and returns its files with their acceptable outcomes.
inline std::vector<HostileFile> writeHostileCorpus(const QString &folder, const QString &testData)
{
    using namespace hostile;
    QDir().mkpath(folder);
    std::vector<HostileFile> files;
    const QStringList any{QStringLiteral("scored"), QStringLiteral("degraded"), QStringLiteral("failed"),
                          QStringLiteral("unsupported")};
    auto put = [&](const QString &name, const QByteArray &bytes, QStringList allowed, const QString &why) {
        QFile file(folder + QLatin1Char('/') + name);
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
            qFatal("cannot write %s", qPrintable(name));
        files.push_back({name, std::move(allowed), why});
    };
    const QStringList failed{QStringLiteral("failed")};
    const cv::Mat picture = gradient(64, 48);

    // Decompression bombs: declared sizes far beyond the pixel limit.
    put(QStringLiteral("bomb-100000x100000.png"), pngDeclaring(100000, 100000), failed, QStringLiteral("PNG bomb"));
    put(QStringLiteral("bomb-65500x65500.jpg"), withDeclaredSize(encode(picture, ".jpg"), 65500, 65500), failed,
        QStringLiteral("JPEG declaring 4.3 gigapixels"));
    put(QStringLiteral("progressive-5000-scans.jpg"),
        withManyScans(encode(picture, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), 5000), any,
        QStringLiteral("progressive JPEG with 5,000 scans"));

    // Every format, whole, truncated and bit-flipped.
    const std::vector<std::pair<const char *, std::vector<int>>> formats{
        {".jpg", {}}, {".png", {}}, {".webp", {}}, {".bmp", {}}, {".tif", {}}, {".jp2", {}}, {".ppm", {}}};
    for (const auto &[extension, params] : formats) {
        const QByteArray whole = encode(picture, extension, params);
        const QString ext = QString::fromLatin1(extension);
        put(QStringLiteral("whole") + ext, whole, {QStringLiteral("scored")}, QStringLiteral("a valid file"));
        put(QStringLiteral("truncated") + ext, whole.left(whole.size() / 2), any, QStringLiteral("cut in half"));
        put(QStringLiteral("flipped") + ext, flipped(whole, 24), any, QStringLiteral("every 13th byte flipped"));
    }
    put(QStringLiteral("lossless.webp"), encode(picture, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}),
        {QStringLiteral("scored")}, QStringLiteral("WebP lossless path"));
    put(QStringLiteral("16bit.png"), encode(gradient(40, 30, CV_16UC3), ".png"), {QStringLiteral("degraded")},
        QStringLiteral("16-bit samples"));
    put(QStringLiteral("16bit.tif"), encode(gradient(40, 30, CV_16UC3), ".tif"), {QStringLiteral("degraded")},
        QStringLiteral("16-bit TIFF"));
    put(QStringLiteral("cmyk.jpg"), readAll(testData + QStringLiteral("/hostile/cmyk.jpg")),
        {QStringLiteral("degraded")}, QStringLiteral("CMYK JPEG (made with ImageMagick)"));
    {
        // OpenCV 4.6 writes several pages only to a file.
        const QString pages = folder + QStringLiteral("/three-pages.tif");
        if (!cv::imwrite(pages.toStdString(), std::vector<cv::Mat>{picture, picture, picture}))
            qFatal("cannot write a multi-page TIFF");
        files.push_back({QStringLiteral("three-pages.tif"), {QStringLiteral("degraded")}, QStringLiteral("multi-page TIFF")});
    }

    // EXIF that loops and points outside itself: metadata problems never stop the scan.
    const QByteArray jpeg = encode(picture, ".jpg");
    const QByteArray loop = QByteArray("II*\0\x08\0\0\0\x01\0\x69\x87\x04\0\x01\0\0\0\x08\0\0\0\0\0\0\0", 26);
    put(QStringLiteral("exif-loop.jpg"), withExif(jpeg, loop), {QStringLiteral("scored")},
        QStringLiteral("Exif IFD pointing back at IFD0"));
    const QByteArray outside = QByteArray("MM\0*\x7F\xFF\xFF\xF0", 8);
    put(QStringLiteral("exif-bad-offset.jpg"), withExif(jpeg, outside), {QStringLiteral("scored")},
        QStringLiteral("IFD0 offset outside the data"));
    const QByteArray huge = QByteArray("II*\0\x08\0\0\0\xFF\xFF", 10);
    put(QStringLiteral("exif-65535-entries.jpg"), withExif(jpeg, huge), {QStringLiteral("scored")},
        QStringLiteral("IFD claiming 65,535 entries"));

    // Not images at all.
    put(QStringLiteral("empty.png"), QByteArray(), failed, QStringLiteral("empty file"));
    put(QStringLiteral("zip-named.png"), QByteArray("PK\x03\x04", 4) + QByteArray(200, 'z'), {QStringLiteral("unsupported")},
        QStringLiteral("a zip archive named .png"));
    put(QStringLiteral("gif89a.jpg"), QByteArray("GIF89a\x01\0\x01\0\0\0\0;", 14), {QStringLiteral("unsupported")},
        QStringLiteral("a GIF named .jpg"));
    return files;
}

} // namespace rine::test
