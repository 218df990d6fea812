// libFuzzer target: the weight-file reader (torch.save zip archives with their pickle, and
// legacy formats) on arbitrary bytes. Must refuse with a message, never crash; it runs before
// any trust decision can help, on files a user was sent.
#include "model/TensorArchive.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    rine::FileBytes file;
    file.path = "fuzz-input.pth";
    file.data.assign(data, data + size);
    try {
        (void)rine::readTensorArchive(file);
    } catch (...) {
        __builtin_trap(); // the reader promises values, not exceptions
    }
    return 0;
}
