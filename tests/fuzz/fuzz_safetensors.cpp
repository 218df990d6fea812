// libFuzzer target: the safetensors reader. The input is split at its first NUL byte into a
// JSON header and the tensor data, and framed as the format lays them out (an 8-byte
// little-endian header length first), so that every input reaches the header's parser and the
// checks of shapes, dtypes and byte ranges. Must refuse with a message, never crash.
#include "model/TensorArchive.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::uint8_t *nul = static_cast<const std::uint8_t *>(std::memchr(data, 0, size));
    const std::size_t header = nul ? std::size_t(nul - data) : size;
    rine::FileBytes file;
    file.path = "fuzz-input.safetensors";
    file.data.resize(8);
    const std::uint64_t length = header;
    std::memcpy(file.data.data(), &length, 8);
    file.data.insert(file.data.end(), data, data + header);
    if (nul)
        file.data.insert(file.data.end(), nul + 1, data + size);
    try {
        (void)rine::readTensorArchive(file);
    } catch (...) {
        __builtin_trap(); // the reader promises values, not exceptions
    }
    return 0;
}
