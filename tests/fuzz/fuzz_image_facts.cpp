// libFuzzer target: image metadata (EXIF, PNG text chunks with zlib, XMP, JUMBF) read from
// arbitrary bytes. Must never crash, hang or read outside the buffer.
#include "image/ImageFacts.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const rine::ImageFacts facts = rine::readImageFacts(data, size);
    (void)rine::orientationTransform(facts.orientation);
    return 0;
}
