#pragma once

#include "image/ImageDecoder.h"
#include "image/ImageFacts.h"

#include <cstdint>
#include <optional>
#include <string>

namespace rine {

// One evidence file read as every use case reads it: once, read-only; the SHA-256 of exactly
// those bytes; the metadata facts; the decode within the limits. With expectedSha256, bytes
// that differ from what was shown or scored before are an error (the file changed since).
struct EvidenceImage {
    std::string path, sha256; // sha256 empty when the file could not be read
    std::uint64_t size = 0;
    ImageFacts facts;
    std::optional<DecodedImage> decoded; // none: `error` says why
    std::string error;
};
EvidenceImage readEvidence(const std::string &path, const DecodeLimits &limits = {},
                           const std::string &expectedSha256 = {});

// The message for bytes that are no longer those shown or scored before.
std::string changedSince(const std::string &path, const std::string &now, const std::string &before);

} // namespace rine
