#pragma once

#include "util/CropRegions.h"
#include "util/FileBytes.h"
#include "util/Result.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rine {

// An 8-bit RGB image, rows top to bottom, pixels RGB interleaved.
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels; // width * height * 3
};

struct DecodedImage {
    std::string format; // "jpeg", "png", "webp", "bmp", "tiff", ...
    int width = 0; // as stored: EXIF orientation is not applied (the reference does not)
    int height = 0;
    std::vector<std::string> warnings; // lossy conversions made on the way to 8-bit RGB
    RgbImage rgb;
    // JPEG only: the quality its luminance quantization table was made with (jpegQuality()),
    // 0 when not a JPEG or when it has no 8-bit luminance table.
    int jpegQuality = 0;
    bool jpegQualityExact = false; // the table is libjpeg's standard table at that quality
};

// The libjpeg (IJG) quality, 1 to 100, whose scaled standard luminance table (ITU T.81
// Annex K, scaled as jpeg_set_quality does with baseline clamping) is nearest to a table as
// a DQT segment stores it (64 entries, zigzag order). exact: equal entry for entry (written
// by libjpeg or a copy of its tables); otherwise the quality is an estimate (cameras and
// editors use tables of their own).
struct JpegQualityEstimate {
    int quality = 0;
    bool exact = false;
};
JpegQualityEstimate jpegQuality(const int (&zigzagTable)[64]);

inline constexpr int kMaxStuckDecodes = 4;

// Decodes that went past their time limit and are still running, counted for whoever started
// them (a scan has one of its own; other callers share the process's). The decoders cannot be
// interrupted: such a decode goes on, on a thread of its own, until it ends, and its result is
// dropped. While capacity() of them are still running, decodeImage refuses further files at
// once rather than pile up threads; a scan waits for one to end first (waitForRoom).
class DecodeBudget {
public:
    // waitSeconds: how long a scan's file waits for room when the budget is full; < 0: as long
    // as the per-file time limit.
    explicit DecodeBudget(int capacity = kMaxStuckDecodes, double waitSeconds = -1)
        : m_capacity(capacity < 1 ? 1 : capacity), m_wait(waitSeconds)
    {
    }
    DecodeBudget(const DecodeBudget &) = delete;
    DecodeBudget &operator=(const DecodeBudget &) = delete;

    int capacity() const { return m_capacity; }
    double waitSeconds(double timeLimit) const { return m_wait >= 0 ? m_wait : timeLimit; }
    int stuck() const; // past their limit and still running, now
    int overran() const; // went past their limit, since this budget was made
    // Waits up to `seconds` (checking `cancel`) until fewer than capacity() are stuck.
    bool waitForRoom(double seconds, const std::atomic<bool> *cancel = nullptr);

    // For decodeImage: a decode went past its limit; and later, it ended.
    void overrun();
    void ended();

private:
    const int m_capacity;
    const double m_wait;
    mutable std::mutex m_mutex;
    std::condition_variable m_freed;
    int m_stuck = 0;
    int m_overran = 0;
};

struct DecodeLimits {
    std::uint64_t maxFileBytes = 512ull << 20;
    std::uint64_t maxPixels = 1ull << 28; // 268 megapixels
    // A decode that takes longer fails ("took longer than ... s"); 0: no limit.
    double timeoutSeconds = 30;
    // Whose stuck decodes count against whom; null: the process's budget.
    std::shared_ptr<DecodeBudget> budget;
};

// How many decodes that went over their time are still running, in the whole process.
int stuckDecodes();

// The image format named by the leading bytes ("magic"), or "" when none is recognised.
std::string sniffImageFormat(const std::uint8_t *data, std::size_t size);

// Whether a format sniffImageFormat names is one we decode (GIF, HEIF/AVIF and Radiance HDR
// are recognised but not decoded by this OpenCV build or not convertible faithfully).
bool isDecodableFormat(const std::string &format);

// Decodes bytes to 8-bit RGB the way PIL's Image.convert("RGB") does for the common cases:
// grey replicated, alpha dropped (not composited), palette expanded, EXIF orientation NOT
// applied. Documented reductions (each adds a warning): 16-bit samples keep their high byte;
// CMYK is converted by the decoder; TIFF reads the first page. Truncated JPEG and PNG files
// are errors, not grey-filled images.
Result<DecodedImage> decodeImage(const FileBytes &file, const DecodeLimits &limits = {});

// Reads (once, read-only) and decodes a file; `bytes` receives what was read (for the hash).
Result<DecodedImage> readImage(const std::string &path, FileBytes &bytes, const DecodeLimits &limits = {});

// torchvision CenterCrop(size) on a PIL image: zero padding first when the image is smaller
// than size on a side, offsets rounded half to even as Python's round() does.
std::vector<std::uint8_t> centerCrop(const RgbImage &image, int size);

CropRegion centerCropRegion(int width, int height, int size);
// The five distinct regions of TenCrop (corners, then centre; the flipped five cover the same
// pixels).
std::vector<CropRegion> tenCropRegions(int width, int height, int size);
// The size x size window at (left, top); pixels outside the image are 0.
std::vector<std::uint8_t> cropWindow(const RgbImage &image, CropRegion region);

// torchvision TenCrop(size): the four corners and the centre, then the same five of the
// horizontally flipped image. Images smaller than size are zero-padded as CenterCrop does
// (torchvision would raise instead).
std::vector<std::vector<std::uint8_t>> tenCrop(const RgbImage &image, int size);

// Baseline JPEG at the given quality (libjpeg through OpenCV, 4:2:0 chroma subsampling).
Result<std::vector<std::uint8_t>> encodeJpeg(const RgbImage &image, int quality);

// The OpenCV version the decoders come from, for the reproducibility record.
std::string opencvVersion();

} // namespace rine
