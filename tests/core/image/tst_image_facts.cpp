// Image metadata read from bytes built here by hand, following the EXIF (CIPA DC-008), PNG
// and JPEG specifications: what is found, and what malformed metadata does (nothing bad).

#include "image/ImageDecoder.h"
#include "image/ImageFacts.h"

#include <QElapsedTimer>
#include <QTest>

#include "TestFiles.h"

#include <zlib.h>

#include <vector>

using namespace rine;

namespace {

struct Entry {
    quint16 tag, type;
    quint32 count;
    QByteArray value; // raw bytes, little-endian
};

QByteArray bytes(std::initializer_list<int> values)
{
    QByteArray out;
    for (int v : values)
        out += char(v);
    return out;
}

QByteArray le16(quint16 v) { return bytes({v & 0xFF, v >> 8}); }
QByteArray le32(quint32 v) { return bytes({int(v & 0xFF), int((v >> 8) & 0xFF), int((v >> 16) & 0xFF), int(v >> 24)}); }
QByteArray be32(quint32 v) { return bytes({int(v >> 24), int((v >> 16) & 0xFF), int((v >> 8) & 0xFF), int(v & 0xFF)}); }

Entry ascii(quint16 tag, const QByteArray &text) { return {tag, 2, quint32(text.size() + 1), text + '\0'}; }

int ifdSize(const std::vector<Entry> &entries)
{
    int size = 2 + 12 * int(entries.size()) + 4;
    for (const Entry &e : entries)
        if (e.value.size() > 4)
            size += (e.value.size() + 1) & ~1;
    return size;
}

// An IFD at `offset` of the TIFF structure, its long values right after it.
QByteArray ifd(quint32 offset, const std::vector<Entry> &entries)
{
    QByteArray table = le16(quint16(entries.size())), data;
    quint32 dataAt = offset + 2 + 12 * quint32(entries.size()) + 4;
    for (const Entry &e : entries) {
        table += le16(e.tag) + le16(e.type) + le32(e.count);
        if (e.value.size() <= 4) {
            table += e.value + QByteArray(4 - e.value.size(), '\0');
        } else {
            table += le32(dataAt + quint32(data.size()));
            data += e.value;
            if (data.size() % 2)
                data += '\0';
        }
    }
    return table + le32(0) + data;
}

QByteArray tiff(const std::vector<Entry> &ifd0, const std::vector<Entry> &exif = {})
{
    QByteArray out = QByteArray("II*\0", 4) + le32(8);
    std::vector<Entry> first = ifd0;
    const quint32 exifAt = 8 + quint32(ifdSize(ifd0)) + (exif.empty() ? 0 : 12);
    if (!exif.empty())
        first.push_back({0x8769, 4, 1, le32(exifAt)});
    out += ifd(8, first);
    if (!exif.empty())
        out += ifd(quint32(out.size()), exif);
    return out;
}

QByteArray smallJpeg()
{
    RgbImage image;
    image.width = image.height = 16;
    image.pixels.assign(16 * 16 * 3, 128);
    auto encoded = encodeJpeg(image, 90);
    if (!encoded)
        qFatal("cannot encode a JPEG");
    return QByteArray(reinterpret_cast<const char *>(encoded->data()), qsizetype(encoded->size()));
}

// A JPEG with the given segment (marker, body) inserted right after SOI.
QByteArray jpegWith(quint8 marker, const QByteArray &body)
{
    const QByteArray jpeg = smallJpeg();
    const quint16 length = quint16(body.size() + 2);
    return jpeg.left(2) + bytes({0xFF, marker, length >> 8, length & 0xFF}) + body + jpeg.mid(2);
}

QByteArray pngChunk(const QByteArray &type, const QByteArray &data)
{
    const QByteArray typed = type + data;
    const quint32 crc = quint32(crc32(0, reinterpret_cast<const Bytef *>(typed.constData()), uInt(typed.size())));
    return be32(quint32(data.size())) + typed + be32(crc);
}

QByteArray deflate(const QByteArray &text)
{
    uLongf size = compressBound(uLong(text.size()));
    QByteArray out(int(size), '\0');
    compress(reinterpret_cast<Bytef *>(out.data()), &size, reinterpret_cast<const Bytef *>(text.constData()), uLong(text.size()));
    out.resize(int(size));
    return out;
}

QByteArray minimalPng(const QByteArray &extraChunks)
{
    QByteArray ihdr = be32(1) + be32(1) + bytes({8, 0, 0, 0, 0});
    return QByteArray("\x89PNG\r\n\x1A\n", 8) + pngChunk("IHDR", ihdr) + extraChunks + pngChunk("IEND", {});
}

ImageFacts factsOf(const QByteArray &bytes)
{
    return readImageFacts(reinterpret_cast<const std::uint8_t *>(bytes.constData()), std::size_t(bytes.size()));
}

QString exifField(const ImageFacts &facts, const char *name)
{
    for (const auto &[key, value] : facts.exif)
        if (key == name)
            return QString::fromStdString(value);
    return {};
}

bool anyContains(const std::vector<std::string> &lines, const char *text)
{
    for (const std::string &line : lines)
        if (line.find(text) != std::string::npos)
            return true;
    return false;
}

} // namespace

class TestImageFacts : public QObject {
    Q_OBJECT

private slots:
    void readsExifFromAJpeg()
    {
        const QByteArray exif = tiff({ascii(0x010F, "Canon"), ascii(0x0110, "EOS R5"), {0x0112, 3, 1, le16(6)},
                                      ascii(0x0131, "Adobe Firefly Image 2")},
                                     {ascii(0x9003, "2024:01:02 03:04:05")});
        const ImageFacts facts = factsOf(jpegWith(0xE1, QByteArray("Exif\0\0", 6) + exif));
        QCOMPARE(exifField(facts, "Make"), QStringLiteral("Canon"));
        QCOMPARE(exifField(facts, "Model"), QStringLiteral("EOS R5"));
        QCOMPARE(exifField(facts, "DateTimeOriginal"), QStringLiteral("2024:01:02 03:04:05"));
        QCOMPARE(facts.orientation, 6);
        QVERIFY(anyContains(facts.generatorTraces, "EXIF Software names a generator"));
        QVERIFY(anyContains(facts.generatorTraces, "Firefly"));
        QVERIFY(facts.problems.empty());
    }

    void aCameraIsNotAGenerator()
    {
        const ImageFacts facts = factsOf(jpegWith(0xE1, QByteArray("Exif\0\0", 6) + tiff({ascii(0x0131, "Ver.1.00")})));
        QCOMPARE(exifField(facts, "Software"), QStringLiteral("Ver.1.00"));
        QVERIFY(facts.generatorTraces.empty());
    }

    void stableDiffusionParametersInUserComment()
    {
        const QByteArray comment = QByteArray("ASCII\0\0\0", 8) + "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7";
        const ImageFacts facts = factsOf(jpegWith(0xE1, QByteArray("Exif\0\0", 6) +
                                                            tiff({ascii(0x010F, "x")}, {{0x9286, 7, quint32(comment.size()), comment}})));
        QVERIFY(anyContains(facts.generatorTraces, "Stable Diffusion web UI"));
    }

    void exifLoopsAndBadOffsetsAreReportedNotFollowed()
    {
        // The Exif IFD pointer points back at IFD0: read once, reported as a loop.
        std::vector<Entry> entries{ascii(0x010F, "Loop"), {0x8769, 4, 1, le32(8)}};
        QByteArray loop = QByteArray("II*\0", 4) + le32(8) + ifd(8, entries);
        ImageFacts facts = factsOf(jpegWith(0xE1, QByteArray("Exif\0\0", 6) + loop));
        QCOMPARE(exifField(facts, "Make"), QStringLiteral("Loop"));
        QVERIFY(anyContains(facts.problems, "loop"));

        // A value offset far outside the data is skipped; a count beyond the data too.
        QByteArray bad = QByteArray("II*\0", 4) + le32(8) + le16(2) + le16(0x010F) + le16(2) + le32(100) + le32(0x7FFFFFF0) +
                         le16(0x0110) + le16(2) + le32(0xFFFFFFFF) + le32(20) + le32(0);
        facts = factsOf(jpegWith(0xE1, QByteArray("Exif\0\0", 6) + bad));
        QVERIFY(facts.exif.empty());

        // IFD0 outside the data, and an IFD claiming 65535 entries.
        facts = factsOf(jpegWith(0xE1, QByteArray("Exif\0\0", 6) + QByteArray("II*\0", 4) + le32(1000000)));
        QVERIFY(anyContains(facts.problems, "outside"));
        facts = factsOf(jpegWith(0xE1, QByteArray("Exif\0\0", 6) + QByteArray("II*\0", 4) + le32(8) + le16(0xFFFF)));
        QVERIFY(anyContains(facts.problems, "more entries"));
    }

    void readsPngTextChunksAndNamesTheirWriters()
    {
        const QByteArray xmp = "<x:xmpmeta><rdf:Description Iptc4xmpExt:DigitalSourceType=\"http://cv.iptc.org/newscodes/"
                               "digitalsourcetype/trainedAlgorithmicMedia\" xmp:CreatorTool=\"Some Tool 1.0\"/></x:xmpmeta>";
        const QByteArray chunks =
            pngChunk("tEXt", QByteArray("parameters\0", 11) + "a cat on a mat\nSteps: 20, Sampler: Euler a") +
            pngChunk("zTXt", QByteArray("Software\0\0", 10) + deflate("NovelAI")) +
            pngChunk("iTXt", QByteArray("XML:com.adobe.xmp\0\0\0\0\0", 22) + xmp) +
            pngChunk("iTXt", QByteArray("Title\0\1\0en\0\0", 12) + deflate("compressed title")) +
            pngChunk("caBX", "jumb c2pa");
        const ImageFacts facts = factsOf(minimalPng(chunks));
        QCOMPARE(facts.textChunks.size(), std::size_t(4));
        QCOMPARE(QString::fromStdString(facts.textChunks[0].first), QStringLiteral("parameters"));
        QCOMPARE(QString::fromStdString(facts.textChunks[1].second), QStringLiteral("NovelAI"));
        QCOMPARE(QString::fromStdString(facts.textChunks[3].second), QStringLiteral("compressed title"));
        QVERIFY(anyContains(facts.generatorTraces, "AUTOMATIC1111"));
        QVERIFY(anyContains(facts.generatorTraces, "NovelAI"));
        QVERIFY(anyContains(facts.generatorTraces, "trainedAlgorithmicMedia"));
        QCOMPARE(QString::fromStdString(facts.xmpCreatorTool), QStringLiteral("Some Tool 1.0"));
        QCOMPARE(QString::fromStdString(facts.c2pa), QStringLiteral("PNG caBX chunk"));
    }

    void comfyUiWorkflow()
    {
        const ImageFacts facts = factsOf(minimalPng(pngChunk("tEXt", QByteArray("workflow\0{}", 11))));
        QVERIFY(anyContains(facts.generatorTraces, "ComfyUI"));
    }

    void twoThousandCompressedTextChunksAreNotAllRead()
    {
        // Issue 19: 2,000 zTXt chunks, each inflating to 1 MB (a 2 MB file): every one was
        // inflated, searched and kept, and a report of the image ran for minutes.
        const QByteArray megabyte = deflate(QByteArray(1 << 20, 'a'));
        QByteArray chunks;
        for (int k = 0; k < 2000; ++k)
            chunks += pngChunk("zTXt", QByteArray("Comment\0\0", 9) + megabyte);
        QElapsedTimer timer;
        timer.start();
        const ImageFacts facts = factsOf(minimalPng(chunks));
        qInfo("2,000 zTXt chunks of 1 MB each: facts read in %lld ms", timer.elapsed());
        QVERIFY2(facts.textChunks.size() <= 64, qPrintable(QString::number(facts.textChunks.size())));
        QVERIFY(!facts.textChunks.empty());
        bool said = false;
        for (const std::string &problem : facts.problems)
            said = said || problem.find("more PNG text chunks were not read") != std::string::npos;
        QVERIFY(said);
    }

    void truncatedPngChunkIsReported()
    {
        QByteArray png = minimalPng(pngChunk("tEXt", QByteArray("Comment\0hello", 13)));
        png.truncate(png.indexOf("tEXt") + 6);
        const ImageFacts facts = factsOf(png);
        QVERIFY(anyContains(facts.problems, "runs past the end"));
        QVERIFY(facts.textChunks.empty());
    }

    void c2paInJpegApp11()
    {
        const QByteArray jumbf = QByteArray("JP\0\0\0\0\0\1", 8) + QByteArray("\0\0\0\x40jumb\0\0\0\x18jumdc2pa", 20);
        const ImageFacts facts = factsOf(jpegWith(0xEB, jumbf));
        QVERIFY(!facts.c2pa.empty());
        QVERIFY(factsOf(smallJpeg()).c2pa.empty());
    }

    void garbageIsHarmless()
    {
        QByteArray bytes = smallJpeg();
        for (int i = 4; i < bytes.size(); i += 7)
            bytes[i] = char(bytes[i] ^ 0x5A);
        factsOf(bytes); // must not crash or hang
        factsOf(QByteArray("\xFF\xD8\xFF", 3));
        factsOf(QByteArray());
    }

    void fuzzFindingsStayFixed()
    {
        // Each file here crashed the metadata reader under fuzz_image_facts once. A WebP whose
        // EXIF chunk is shorter than the "Exif\0\0" prefix that follows it in the file: the
        // chunk's length minus 6 wrapped around and the TIFF reader ran off the buffer
        // (AddressSanitizer: heap-buffer-overflow). The suites run under ASan in CI.
        const QByteArray webp = test::readAll(QStringLiteral(RINE_TEST_DATA "/hostile/fuzz/webp-short-exif-chunk.webp"));
        QVERIFY(webp.startsWith("RIFF"));
        const ImageFacts facts = factsOf(webp);
        QVERIFY(facts.exif.empty());
    }

    void orientationsAsTheExifSpecificationDefinesThem()
    {
        // CIPA DC-008 orientation values: how to turn the stored picture upright.
        const std::vector<std::pair<bool, int>> expected{{false, 0}, {false, 0}, {true, 0}, {false, 180}, {true, 180},
                                                         {true, 270}, {false, 90}, {true, 90}, {false, 270}};
        for (int value = 0; value <= 8; ++value) {
            const Orientation o = orientationTransform(value);
            QCOMPARE(o.mirror, expected[std::size_t(value)].first);
            QCOMPARE(o.degrees, expected[std::size_t(value)].second);
        }
    }
};

QTEST_GUILESS_MAIN(TestImageFacts)
#include "tst_image_facts.moc"
