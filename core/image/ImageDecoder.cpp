#include "ImageDecoder.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>

namespace rine {

namespace {

bool startsWith(const std::uint8_t *data, std::size_t size, const char *magic, std::size_t n, std::size_t at = 0)
{
    return size >= at + n && std::memcmp(data + at, magic, n) == 0;
}

struct JpegInfo {
    bool complete = false;
    int components = 0;
    int orientation = 0; // EXIF tag 0x0112, 0 when absent
    bool hasLuminanceTable = false;
    int luminanceTable[64] = {}; // table 0 of the first DQT that defines it, zigzag order
};

// A DQT segment's payload: each table is Pq/Tq, then 64 entries of 8 (Pq 0) or 16 bits.
void readQuantizationTables(const std::uint8_t *p, std::size_t n, JpegInfo &info)
{
    std::size_t at = 0;
    while (at < n) {
        const int precision = p[at] >> 4, id = p[at] & 15;
        const std::size_t size = precision ? 128 : 64;
        if (at + 1 + size > n)
            return;
        if (id == 0 && !info.hasLuminanceTable) {
            for (int k = 0; k < 64; ++k)
                info.luminanceTable[k] = precision ? (p[at + 1 + 2 * k] << 8) | p[at + 2 + 2 * k] : p[at + 1 + k];
            info.hasLuminanceTable = true;
        }
        at += 1 + size;
    }
}

// The orientation tag of an EXIF APP1 payload (after the marker and length), or 0.
int exifOrientation(const std::uint8_t *p, std::size_t n)
{
    if (n < 14 || std::memcmp(p, "Exif\0\0", 6) != 0)
        return 0;
    const std::uint8_t *tiff = p + 6;
    const std::size_t size = n - 6;
    const bool little = tiff[0] == 'I' && tiff[1] == 'I';
    if (!little && !(tiff[0] == 'M' && tiff[1] == 'M'))
        return 0;
    auto u16 = [&](std::size_t at) -> std::uint32_t {
        return little ? tiff[at] | (tiff[at + 1] << 8) : (tiff[at] << 8) | tiff[at + 1];
    };
    auto u32 = [&](std::size_t at) -> std::uint32_t { return little ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2); };
    const std::uint32_t ifd = u32(4);
    if (ifd > size - 2)
        return 0;
    const std::uint32_t entries = u16(ifd);
    for (std::uint32_t i = 0; i < entries; ++i) {
        const std::size_t at = ifd + 2 + std::size_t(i) * 12;
        if (at + 12 > size)
            return 0;
        if (u16(at) == 0x0112 && u16(at + 2) == 3)
            return int(u16(at + 8));
    }
    return 0;
}

// Walks the JPEG marker structure to its end-of-image marker. libjpeg, and so OpenCV, fills
// a cut-off file with grey and reports success; PIL refuses it. We refuse it too.
JpegInfo walkJpeg(const std::uint8_t *d, std::size_t n)
{
    JpegInfo info;
    std::size_t pos = 2;
    while (pos + 1 < n) {
        if (d[pos] != 0xFF)
            return info; // garbage where a marker should be
        while (pos < n && d[pos] == 0xFF)
            ++pos;
        if (pos >= n)
            return info;
        const std::uint8_t marker = d[pos++];
        if (marker == 0xD9) {
            info.complete = true;
            return info;
        }
        if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01)
            continue;
        if (pos + 2 > n)
            return info;
        const std::size_t length = (std::size_t(d[pos]) << 8) | d[pos + 1];
        if (length < 2 || pos + length > n)
            return info;
        const bool isSof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (isSof && length >= 8)
            info.components = d[pos + 7];
        if (marker == 0xE1 && info.orientation == 0)
            info.orientation = exifOrientation(d + pos + 2, length - 2);
        if (marker == 0xDB)
            readQuantizationTables(d + pos + 2, length - 2, info);
        pos += length;
        if (marker == 0xDA) {
            // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart.
            while (pos + 1 < n && !(d[pos] == 0xFF && d[pos + 1] != 0x00 && !(d[pos + 1] >= 0xD0 && d[pos + 1] <= 0xD7)))
                ++pos;
        }
    }
    return info;
}

// Walks the PNG chunks to IEND.
// The number of pages (IFDs) of a TIFF file, following the chain of next-IFD offsets with a
// guard against loops and offsets outside the file. At most 1000 are counted.
int tiffPageCount(const std::uint8_t *d, std::size_t n)
{
    if (n < 8)
        return 0;
    const bool little = d[0] == 'I';
    auto u16 = [&](std::size_t at) -> std::uint32_t { return little ? d[at] | (d[at + 1] << 8) : (d[at] << 8) | d[at + 1]; };
    auto u32 = [&](std::size_t at) -> std::uint32_t {
        return little ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2);
    };
    std::set<std::uint32_t> seen;
    int pages = 0;
    for (std::uint32_t ifd = u32(4); ifd != 0 && pages < 1000; ++pages) {
        if (std::size_t(ifd) + 2 > n || !seen.insert(ifd).second)
            break;
        const std::size_t next = std::size_t(ifd) + 2 + std::size_t(u16(ifd)) * 12;
        if (next + 4 > n) {
            ++pages;
            break;
        }
        ifd = u32(next);
    }
    return pages;
}

bool pngComplete(const std::uint8_t *d, std::size_t n)
{
    std::size_t pos = 8;
    while (pos + 12 <= n) {
        const std::uint64_t length = (std::uint64_t(d[pos]) << 24) | (std::uint64_t(d[pos + 1]) << 16)
                                   | (std::uint64_t(d[pos + 2]) << 8) | d[pos + 3];
        if (std::memcmp(d + pos + 4, "IEND", 4) == 0)
            return true;
        pos += 12 + length;
    }
    return false;
}

// What an image's header declares, read before any decoder sees the file: its size, and the
// bytes per pixel the decoder will allocate (0: not said; 4 assumed). Every format we decode
// is read here, so the pixel and byte limits hold for all of them, not only PNG and JPEG.
struct DeclaredSize {
    std::uint64_t width = 0, height = 0, bytesPerPixel = 0;
};

std::uint64_t be(const std::uint8_t *p, int n)
{
    std::uint64_t v = 0;
    for (int k = 0; k < n; ++k)
        v = (v << 8) | p[k];
    return v;
}

std::uint64_t le(const std::uint8_t *p, int n)
{
    std::uint64_t v = 0;
    for (int k = n; k-- > 0;)
        v = (v << 8) | p[k];
    return v;
}

bool pnmHeader(const std::uint8_t *d, std::size_t n, DeclaredSize &out)
{
    // P1..P6, then width, height and (but for bitmaps) the largest value, as decimal numbers
    // separated by whitespace and # comments.
    std::size_t pos = 2;
    const char kind = char(d[1]);
    const int fields = (kind == '1' || kind == '4') ? 2 : 3;
    std::uint64_t values[3] = {0, 0, 0};
    for (int f = 0; f < fields; ++f) {
        while (pos < n && (std::isspace(d[pos]) || d[pos] == '#')) {
            if (d[pos] == '#')
                while (pos < n && d[pos] != '\n')
                    ++pos;
            else
                ++pos;
        }
        int digits = 0;
        while (pos < n && std::isdigit(d[pos]) && digits < 12) {
            values[f] = values[f] * 10 + (d[pos++] - '0');
            ++digits;
        }
        if (digits == 0 || digits == 12)
            return false;
    }
    out.width = values[0];
    out.height = values[1];
    const std::uint64_t channels = (kind == '3' || kind == '6') ? 3 : 1;
    out.bytesPerPixel = channels * (fields == 3 && values[2] > 255 ? 2 : 1);
    return true;
}

bool tiffHeader(const std::uint8_t *d, std::size_t n, DeclaredSize &out)
{
    const bool little = d[0] == 'I';
    const auto u16 = [&](std::size_t at) { return little ? le(d + at, 2) : be(d + at, 2); };
    const auto u32 = [&](std::size_t at) { return little ? le(d + at, 4) : be(d + at, 4); };
    if (n < 8)
        return false;
    const std::uint64_t ifd = u32(4);
    if (ifd > n || n - ifd < 2)
        return false;
    const std::uint64_t entries = u16(std::size_t(ifd));
    if (entries > 1000 || (n - ifd - 2) / 12 < entries)
        return false;
    std::uint64_t bits = 8, samples = 1;
    for (std::uint64_t e = 0; e < entries; ++e) {
        const std::size_t at = std::size_t(ifd + 2 + 12 * e);
        const std::uint64_t tag = u16(at), type = u16(at + 2), count = u32(at + 4);
        if (count == 0)
            continue;
        // SHORT (3) values sit left-justified in the 4 value bytes; LONG (4) fills them.
        // BitsPerSample with more values than fit points elsewhere: its first value is read there.
        std::size_t valueAt = at + 8;
        if (type == 3 && count > 2) {
            const std::uint64_t offset = u32(at + 8);
            if (offset > n || n - offset < 2)
                continue;
            valueAt = std::size_t(offset);
        }
        const std::uint64_t value = type == 3 ? u16(valueAt) : type == 4 ? u32(valueAt) : 0;
        if (tag == 256)
            out.width = value;
        else if (tag == 257)
            out.height = value;
        else if (tag == 258)
            bits = std::max<std::uint64_t>(value, 1);
        else if (tag == 277)
            samples = std::max<std::uint64_t>(value, 1);
    }
    out.bytesPerPixel = std::min<std::uint64_t>(samples, 1 << 16) * ((std::min<std::uint64_t>(bits, 1 << 16) + 7) / 8);
    return out.width > 0 || out.height > 0;
}

bool jpeg2000Header(const std::uint8_t *d, std::size_t n, DeclaredSize &out)
{
    if (n >= 42 && d[0] == 0xFF && d[1] == 0x4F) { // a bare codestream: its SIZ segment
        const std::uint64_t x = be(d + 8, 4), y = be(d + 12, 4), x0 = be(d + 16, 4), y0 = be(d + 20, 4);
        out.width = x > x0 ? x - x0 : 0;
        out.height = y > y0 ? y - y0 : 0;
        out.bytesPerPixel = std::max<std::uint64_t>(be(d + 40, 2), 1) * 2;
        return true;
    }
    // JP2: boxes; the header box (jp2h) holds the image header (ihdr).
    std::size_t pos = 0;
    for (int boxes = 0; boxes < 64 && pos + 8 <= n; ++boxes) {
        std::uint64_t length = be(d + pos, 4);
        const std::uint8_t *type = d + pos + 4;
        std::size_t header = 8;
        if (length == 1) {
            if (pos + 16 > n)
                return false;
            length = be(d + pos + 8, 8);
            header = 16;
        } else if (length == 0) {
            length = n - pos;
        }
        if (length < header || length > n - pos)
            return false;
        if (std::memcmp(type, "jp2h", 4) == 0) { // descend
            pos += header;
            continue;
        }
        if (std::memcmp(type, "ihdr", 4) == 0 && length >= header + 14) {
            out.height = be(d + pos + header, 4);
            out.width = be(d + pos + header + 4, 4);
            const std::uint64_t components = be(d + pos + header + 8, 2);
            const std::uint64_t depth = (d[pos + header + 10] & 0x7F) + 1;
            out.bytesPerPixel = std::max<std::uint64_t>(components, 1) * ((depth + 7) / 8);
            return true;
        }
        pos += std::size_t(length);
    }
    return false;
}

bool declaredSize(const std::string &format, const std::uint8_t *d, std::size_t n, DeclaredSize &out)
{
    if (format == "png" && n >= 26) {
        out.width = be(d + 16, 4);
        out.height = be(d + 20, 4);
        const std::uint64_t channels[] = {1, 0, 3, 1, 2, 0, 4};
        const std::uint64_t colour = d[25] < 7 ? channels[d[25]] : 4;
        out.bytesPerPixel = std::max<std::uint64_t>(colour, 1) * (d[24] > 8 ? 2 : 1);
        return true;
    }
    if (format == "jpeg") {
        std::size_t pos = 2;
        while (pos + 9 < n && d[pos] == 0xFF) {
            const std::uint8_t marker = d[pos + 1];
            const std::size_t length = (std::size_t(d[pos + 2]) << 8) | d[pos + 3];
            if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                out.height = be(d + pos + 5, 2);
                out.width = be(d + pos + 7, 2);
                out.bytesPerPixel = std::max<std::uint64_t>(d[pos + 9], 1);
                return true;
            }
            if (marker == 0xDA || length < 2)
                return false;
            pos += 2 + length;
        }
        return false;
    }
    if (format == "bmp" && n >= 30) {
        const std::uint64_t header = le(d + 14, 4);
        if (header == 12) { // OS/2 BITMAPCOREHEADER: 16-bit sides
            out.width = le(d + 18, 2);
            out.height = le(d + 20, 2);
        } else {
            const std::int64_t width = std::int32_t(le(d + 18, 4)), height = std::int32_t(le(d + 22, 4));
            out.width = std::uint64_t(width < 0 ? -width : width);
            out.height = std::uint64_t(height < 0 ? -height : height); // negative: stored top-down
        }
        out.bytesPerPixel = 4;
        return true;
    }
    if (format == "webp" && n >= 30) {
        if (std::memcmp(d + 12, "VP8 ", 4) == 0) {
            out.width = le(d + 26, 2) & 0x3FFF;
            out.height = le(d + 28, 2) & 0x3FFF;
        } else if (std::memcmp(d + 12, "VP8L", 4) == 0) {
            const std::uint64_t bits = le(d + 21, 4);
            out.width = (bits & 0x3FFF) + 1;
            out.height = ((bits >> 14) & 0x3FFF) + 1;
        } else if (std::memcmp(d + 12, "VP8X", 4) == 0) {
            out.width = le(d + 24, 3) + 1;
            out.height = le(d + 27, 3) + 1;
        } else {
            return false;
        }
        out.bytesPerPixel = 4;
        return true;
    }
    if (format == "tiff")
        return tiffHeader(d, n, out);
    if (format == "pnm")
        return pnmHeader(d, n, out);
    if (format == "jpeg2000")
        return jpeg2000Header(d, n, out);
    return false;
}

// Python's round(): halves go to the even neighbour.
int roundHalfEven(int numerator)
{
    // round(numerator / 2)
    if (numerator % 2 == 0)
        return numerator / 2;
    const int low = (numerator - 1) / 2;
    return low % 2 == 0 ? low : low + 1;
}

// Copies a size x size window whose top-left is (top, left) in image coordinates; pixels
// outside the image are 0 (the padding value torchvision uses).
std::vector<std::uint8_t> window(const RgbImage &image, int top, int left, int size)
{
    std::vector<std::uint8_t> out(std::size_t(size) * size * 3, 0);
    for (int y = 0; y < size; ++y) {
        const int sy = top + y;
        if (sy < 0 || sy >= image.height)
            continue;
        const int x0 = std::max(0, -left), x1 = std::min(size, image.width - left);
        if (x1 <= x0)
            continue;
        std::memcpy(out.data() + (std::size_t(y) * size + x0) * 3,
                    image.pixels.data() + (std::size_t(sy) * image.width + left + x0) * 3, std::size_t(x1 - x0) * 3);
    }
    return out;
}

// torchvision's centre offset along one side: pad-then-crop folded into one signed offset.
int centerOffset(int length, int size)
{
    if (length < size)
        return -((size - length) / 2);
    return roundHalfEven(length - size);
}

RgbImage padToAtLeast(const RgbImage &image, int size)
{
    if (image.width >= size && image.height >= size)
        return image;
    const int w = std::max(image.width, size), h = std::max(image.height, size);
    const int top = image.height < size ? (size - image.height) / 2 : 0;
    const int left = image.width < size ? (size - image.width) / 2 : 0;
    RgbImage out;
    out.width = w;
    out.height = h;
    out.pixels.assign(std::size_t(w) * h * 3, 0);
    for (int y = 0; y < image.height; ++y)
        std::memcpy(out.pixels.data() + (std::size_t(y + top) * w + left) * 3,
                    image.pixels.data() + std::size_t(y) * image.width * 3, std::size_t(image.width) * 3);
    return out;
}

RgbImage flipped(const RgbImage &image)
{
    RgbImage out = image;
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x)
            std::memcpy(out.pixels.data() + (std::size_t(y) * image.width + x) * 3,
                        image.pixels.data() + (std::size_t(y) * image.width + (image.width - 1 - x)) * 3, 3);
    return out;
}

void fiveCrop(const RgbImage &image, int size, std::vector<std::vector<std::uint8_t>> &out)
{
    const int w = image.width, h = image.height;
    out.push_back(window(image, 0, 0, size));
    out.push_back(window(image, 0, w - size, size));
    out.push_back(window(image, h - size, 0, size));
    out.push_back(window(image, h - size, w - size, size));
    out.push_back(centerCrop(image, size));
}

} // namespace

std::string sniffImageFormat(const std::uint8_t *d, std::size_t n)
{
    if (startsWith(d, n, "\xFF\xD8\xFF", 3))
        return "jpeg";
    if (startsWith(d, n, "\x89PNG\r\n\x1A\n", 8))
        return "png";
    if (startsWith(d, n, "RIFF", 4) && startsWith(d, n, "WEBP", 4, 8))
        return "webp";
    if (startsWith(d, n, "BM", 2))
        return "bmp";
    if (startsWith(d, n, "II*\0", 4) || startsWith(d, n, "MM\0*", 4))
        return "tiff";
    if (startsWith(d, n, "GIF87a", 6) || startsWith(d, n, "GIF89a", 6))
        return "gif";
    if (startsWith(d, n, "\0\0\0\x0CjP  \r\n\x87\n", 12) || startsWith(d, n, "\xFF\x4F\xFF\x51", 4))
        return "jpeg2000";
    if (n >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6')
        return "pnm";
    if (startsWith(d, n, "#?RADIANCE", 10) || startsWith(d, n, "#?RGBE", 6))
        return "hdr";
    if (startsWith(d, n, "ftyp", 4, 4))
        return "heif/avif";
    return {};
}

bool isDecodableFormat(const std::string &format)
{
    return !format.empty() && format != "gif" && format != "heif/avif" && format != "hdr";
}

namespace {

std::atomic<int> s_stuckDecodes{0};

Result<DecodedImage> decodeNow(const FileBytes &file, const DecodeLimits &limits);

const std::shared_ptr<DecodeBudget> &processBudget()
{
    static const auto budget = std::make_shared<DecodeBudget>();
    return budget;
}

} // namespace

int stuckDecodes() { return s_stuckDecodes.load(); }

int DecodeBudget::stuck() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_stuck;
}

int DecodeBudget::overran() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_overran;
}

bool DecodeBudget::waitForRoom(double seconds, const std::atomic<bool> *cancel)
{
    std::unique_lock<std::mutex> lock(m_mutex);
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                              std::chrono::duration<double>(std::max(0.0, seconds)));
    while (m_stuck >= m_capacity) {
        if (cancel && cancel->load())
            return false;
        const auto now = std::chrono::steady_clock::now();
        if (now >= until)
            return false;
        m_freed.wait_until(lock, std::min(until, now + std::chrono::milliseconds(200)));
    }
    return true;
}

void DecodeBudget::overrun()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    ++m_stuck;
    ++m_overran;
}

void DecodeBudget::ended()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        --m_stuck;
    }
    m_freed.notify_all();
}

Result<DecodedImage> decodeImage(const FileBytes &file, const DecodeLimits &limits)
{
    using R = Result<DecodedImage>;
    if (!(limits.timeoutSeconds > 0))
        return decodeNow(file, limits);
    const std::shared_ptr<DecodeBudget> budget = limits.budget ? limits.budget : processBudget();
    if (budget->stuck() >= budget->capacity())
        return R::failure(file.path + ": not decoded: " + std::to_string(budget->capacity())
                          + " earlier files are still being decoded past their time limit (crafted to exhaust the "
                            "decoder?); scan the rest again once they are set aside");
    // The decode runs on a thread of its own so that it can be waited for with a limit; the
    // state is shared, so that a decode that overruns can be left to finish on its own.
    struct Shared {
        FileBytes file;
        DecodeLimits limits;
        std::shared_ptr<DecodeBudget> budget;
        std::mutex mutex;
        std::condition_variable done;
        std::optional<R> result;
        bool abandoned = false;
    };
    auto shared = std::make_shared<Shared>();
    shared->file = file;
    shared->limits = limits;
    shared->limits.budget.reset();
    shared->budget = budget;
    try {
        std::thread([shared] {
            R result = R::failure(shared->file.path + ": decoding failed");
            try {
                result = decodeNow(shared->file, shared->limits);
            } catch (const std::exception &e) {
                result = R::failure(shared->file.path + ": decoding failed: " + e.what());
            }
            std::lock_guard<std::mutex> lock(shared->mutex);
            if (shared->abandoned) {
                --s_stuckDecodes;
                shared->budget->ended();
            }
            shared->result = std::move(result);
            shared->done.notify_all();
        }).detach();
    } catch (const std::system_error &) {
        return decodeNow(file, limits); // no thread to be had: decode here, without a limit
    }
    std::unique_lock<std::mutex> lock(shared->mutex);
    const auto limit = std::chrono::duration<double>(limits.timeoutSeconds);
    if (!shared->done.wait_for(lock, limit, [&] { return shared->result.has_value(); })) {
        shared->abandoned = true;
        ++s_stuckDecodes;
        budget->overrun();
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%g", limits.timeoutSeconds);
        return R::failure(file.path + ": decoding took longer than " + seconds
                          + " s, the per-file limit (a crafted file, or a very large image on a slow machine: "
                            "raise the limit to decode it)");
    }
    return std::move(*shared->result);
}

namespace {

Result<DecodedImage> decodeNow(const FileBytes &file, const DecodeLimits &limits)
{
    using R = Result<DecodedImage>;
    const std::uint8_t *d = file.data.data();
    const std::size_t n = file.data.size();
    const std::string &path = file.path;
    if (n == 0)
        return R::failure(path + ": file is empty (0 bytes); nothing to score");
    DecodedImage out;
    out.format = sniffImageFormat(d, n);
    if (out.format.empty())
        return R::failure(path + ": not an image this program can read (its bytes match no supported "
                                 "format: JPEG, PNG, WebP, BMP, TIFF, JPEG 2000, PNM); check the file");
    if (!isDecodableFormat(out.format))
        return R::failure(path + ": " + out.format + " images are not supported; convert the file to PNG first");

    JpegInfo jpeg;
    if (out.format == "jpeg") {
        jpeg = walkJpeg(d, n);
        if (!jpeg.complete)
            return R::failure(path + ": truncated or damaged JPEG (the data ends before the end-of-image "
                                     "marker); the file is incomplete, get a complete copy");
    }
    if (out.format == "png" && !pngComplete(d, n))
        return R::failure(path + ": truncated or damaged PNG (no IEND chunk); the file is incomplete, "
                                 "get a complete copy");
    // The limits, from the header, before any decoder allocates: pixels, and the bytes the
    // decoder will hold (budget: 4 bytes for each pixel allowed, so that many 16-bit channels
    // do not pass as few pixels).
    DeclaredSize declared;
    if (declaredSize(out.format, d, n, declared)) {
        const std::uint64_t w = declared.width, h = declared.height;
        std::uint64_t pixels = 0, bytes = 0;
        const bool overflows = __builtin_mul_overflow(w, h, &pixels)
                            || __builtin_mul_overflow(pixels, std::max<std::uint64_t>(declared.bytesPerPixel, 1), &bytes);
        if (overflows || pixels > limits.maxPixels)
            return R::failure(path + ": declares " + std::to_string(w) + " x " + std::to_string(h)
                              + " pixels, over the limit of " + std::to_string(limits.maxPixels) + " pixels");
        if (bytes / 4 > limits.maxPixels)
            return R::failure(path + ": declares " + std::to_string(w) + " x " + std::to_string(h) + " pixels of "
                              + std::to_string(declared.bytesPerPixel) + " bytes each (" + std::to_string(bytes >> 20)
                              + " MB decoded), over the limit of " + std::to_string((limits.maxPixels * 4) >> 20) + " MB");
    }

    cv::Mat decoded;
    try {
        // IMREAD_UNCHANGED: no EXIF rotation, no automatic colour or depth conversion; the
        // conversions to 8-bit RGB are ours, below, and documented.
        decoded = cv::imdecode(cv::Mat(1, int(n), CV_8U, const_cast<std::uint8_t *>(d)), cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception &e) {
        // OpenCV's own size limits fire here for headers our pre-check does not read (a BMP
        // whose height field was damaged, say): say so in a sentence, not a stack of asserts.
        if (e.err.find("CV_IO_MAX_IMAGE") != std::string::npos)
            return R::failure(path + ": the " + out.format + " header declares an image larger than the decoder's limits "
                                     "(damaged or hostile file); not decoded");
        return R::failure(path + ": the " + out.format + " decoder failed (" + e.err + " in " + e.func + ")");
    }
    if (decoded.empty())
        return R::failure(path + ": the " + out.format + " data could not be decoded (damaged file?)");

    if (out.format == "tiff") {
        if (const int pages = tiffPageCount(d, n); pages > 1)
            out.warnings.push_back("TIFF with " + std::to_string(pages) + " pages: only the first is scored");
    }
    if (jpeg.hasLuminanceTable) {
        const JpegQualityEstimate estimate = jpegQuality(jpeg.luminanceTable);
        out.jpegQuality = estimate.quality;
        out.jpegQualityExact = estimate.exact;
    }
    if (jpeg.orientation > 1 && jpeg.orientation <= 8)
        out.warnings.push_back("EXIF orientation " + std::to_string(jpeg.orientation)
                               + ": pixels scored as stored, not rotated (as the reference does); a viewer shows "
                                 "the image turned");
    if (jpeg.components == 4)
        out.warnings.push_back("CMYK JPEG converted to RGB by the decoder");

    cv::Mat eight;
    if (decoded.depth() == CV_8U) {
        eight = decoded;
    } else if (decoded.depth() == CV_16U) {
        // High byte of each sample: what PIL keeps for 16-bit RGB PNGs.
        eight.create(decoded.size(), CV_MAKETYPE(CV_8U, decoded.channels()));
        for (int y = 0; y < decoded.rows; ++y) {
            const auto *src = decoded.ptr<std::uint16_t>(y);
            auto *dst = eight.ptr<std::uint8_t>(y);
            for (int x = 0; x < decoded.cols * decoded.channels(); ++x)
                dst[x] = std::uint8_t(src[x] >> 8);
        }
        out.warnings.push_back("16-bit samples reduced to 8 bits (high byte kept)");
    } else {
        return R::failure(path + ": " + std::to_string(decoded.elemSize1() * 8)
                          + "-bit floating-point or signed samples are not supported; convert to 8-bit RGB");
    }

    out.width = eight.cols;
    out.height = eight.rows;
    out.rgb.width = eight.cols;
    out.rgb.height = eight.rows;
    out.rgb.pixels.resize(std::size_t(eight.cols) * eight.rows * 3);
    const int channels = eight.channels();
    if (channels == 4)
        out.warnings.push_back("alpha channel dropped (not composited), as PIL's convert(\"RGB\") does");
    if (channels != 1 && channels != 3 && channels != 4)
        return R::failure(path + ": images with " + std::to_string(channels) + " channels are not supported");
    for (int y = 0; y < eight.rows; ++y) {
        const std::uint8_t *src = eight.ptr<std::uint8_t>(y);
        std::uint8_t *dst = out.rgb.pixels.data() + std::size_t(y) * eight.cols * 3;
        for (int x = 0; x < eight.cols; ++x, dst += 3, src += channels) {
            if (channels == 1) {
                dst[0] = dst[1] = dst[2] = src[0];
            } else { // OpenCV orders colour samples B, G, R(, A)
                dst[0] = src[2];
                dst[1] = src[1];
                dst[2] = src[0];
            }
        }
    }
    return out;
}

} // namespace

Result<DecodedImage> readImage(const std::string &path, FileBytes &bytes, const DecodeLimits &limits)
{
    auto read = readFileBytes(path, limits.maxFileBytes);
    if (!read)
        return Result<DecodedImage>::failure(read.error());
    bytes = std::move(read.value());
    return decodeImage(bytes, limits);
}

std::vector<std::uint8_t> centerCrop(const RgbImage &image, int size)
{
    return window(image, centerOffset(image.height, size), centerOffset(image.width, size), size);
}

CropRegion centerCropRegion(int width, int height, int size)
{
    return {centerOffset(width, size), centerOffset(height, size), size};
}

std::vector<CropRegion> tenCropRegions(int width, int height, int size)
{
    // As tenCrop computes them on the padded image, moved back to the image's coordinates.
    const int padTop = height < size ? (size - height) / 2 : 0;
    const int padLeft = width < size ? (size - width) / 2 : 0;
    const int w = std::max(width, size), h = std::max(height, size);
    const CropRegion centre = centerCropRegion(w, h, size);
    std::vector<CropRegion> regions{{0, 0, size}, {w - size, 0, size}, {0, h - size, size}, {w - size, h - size, size},
                                    centre};
    for (CropRegion &region : regions) {
        region.left -= padLeft;
        region.top -= padTop;
    }
    return regions;
}

std::vector<std::uint8_t> cropWindow(const RgbImage &image, CropRegion region)
{
    return window(image, region.top, region.left, region.size);
}

std::vector<std::vector<std::uint8_t>> tenCrop(const RgbImage &image, int size)
{
    std::vector<std::vector<std::uint8_t>> crops;
    const RgbImage padded = padToAtLeast(image, size);
    fiveCrop(padded, size, crops);
    fiveCrop(flipped(padded), size, crops);
    return crops;
}

Result<std::vector<std::uint8_t>> encodeJpeg(const RgbImage &image, int quality)
{
    using R = Result<std::vector<std::uint8_t>>;
    if (image.width < 1 || image.height < 1 || image.pixels.size() != std::size_t(image.width) * image.height * 3)
        return R::failure("encodeJpeg: empty or inconsistent image");
    cv::Mat bgr(image.height, image.width, CV_8UC3);
    for (int y = 0; y < image.height; ++y) {
        const std::uint8_t *src = image.pixels.data() + std::size_t(y) * image.width * 3;
        auto *dst = bgr.ptr<std::uint8_t>(y);
        for (int x = 0; x < image.width; ++x) {
            dst[3 * x] = src[3 * x + 2];
            dst[3 * x + 1] = src[3 * x + 1];
            dst[3 * x + 2] = src[3 * x];
        }
    }
    std::vector<std::uint8_t> out;
    try {
        if (!cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, quality}))
            return R::failure("encodeJpeg: the JPEG encoder refused the image");
    } catch (const cv::Exception &e) {
        return R::failure(std::string("encodeJpeg: ") + e.what());
    }
    return out;
}

JpegQualityEstimate jpegQuality(const int (&zigzagTable)[64])
{
    // ITU T.81 Annex K.1, the luminance table, in natural (row-major) order.
    static const int kStandard[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                                      14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                                      18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                                      49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
    // The natural position of each zigzag index (libjpeg's jpeg_natural_order).
    static const int kNatural[64] = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
                                     12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
                                     35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
                                     58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};
    JpegQualityEstimate best;
    long bestDistance = -1;
    for (int quality = 1; quality <= 100; ++quality) {
        const long scale = quality < 50 ? 5000 / quality : 200 - 2 * quality; // jpeg_quality_scaling
        long distance = 0;
        for (int k = 0; k < 64; ++k) {
            const long entry = std::clamp((kStandard[kNatural[k]] * scale + 50) / 100, 1L, 255L);
            distance += std::labs(entry - zigzagTable[k]);
        }
        if (bestDistance < 0 || distance < bestDistance) {
            bestDistance = distance;
            best.quality = quality;
            best.exact = distance == 0;
        }
    }
    return best;
}

std::string opencvVersion()
{
    return CV_VERSION;
}

} // namespace rine
