#pragma once

#include "Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rine {

// The exact bytes of a file, read once, read-only, with their SHA-256. Everything downstream
// (decoding, weight parsing) works on these bytes, so the hash names what was really used.
struct FileBytes {
    std::string path;
    std::vector<std::uint8_t> data;
    std::string sha256;
};

// Reads a whole file. Refuses files larger than maxBytes before allocating anything.
Result<FileBytes> readFileBytes(const std::string &path, std::uint64_t maxBytes);

} // namespace rine
