// libFuzzer target: the whole image path of a scan after reading: sniff, bounded decode to
// 8-bit RGB, center crop and ten-crop at 224, metadata. Limits are small so that the fuzzer
// explores formats, not allocations.
#include "image/ImageDecoder.h"
#include "image/ImageFacts.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    rine::FileBytes file;
    file.path = "fuzz-input";
    file.data.assign(data, data + size);
    rine::DecodeLimits limits;
    limits.maxFileBytes = 4u << 20;
    limits.maxPixels = 4u << 20;
    limits.timeoutSeconds = 0; // decode on this thread: libFuzzer's own -timeout finds the slow inputs
    (void)rine::sniffImageFormat(data, size);
    auto decoded = rine::decodeImage(file, limits);
    if (decoded) {
        const rine::RgbImage &rgb = decoded->rgb;
        if (rgb.pixels.size() != std::size_t(rgb.width) * std::size_t(rgb.height) * 3)
            __builtin_trap(); // a decoder result that lies about its size
        (void)rine::centerCrop(rgb, 224);
        (void)rine::tenCrop(rgb, 224);
    }
    (void)rine::readImageFacts(data, size);
    return 0;
}
