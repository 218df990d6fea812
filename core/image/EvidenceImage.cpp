#include "EvidenceImage.h"

namespace rine {

std::string changedSince(const std::string &path, const std::string &now, const std::string &before)
{
    return path + ": the file's bytes changed since it was opened (SHA-256 now " + now.substr(0, 16) + "..., was "
         + before.substr(0, 16) + "...); open it again";
}

EvidenceImage readEvidence(const std::string &path, const DecodeLimits &limits, const std::string &expectedSha256)
{
    EvidenceImage out;
    out.path = path;
    FileBytes bytes;
    auto decoded = readImage(path, bytes, limits);
    out.sha256 = bytes.sha256;
    out.size = bytes.data.size();
    if (!bytes.data.empty())
        out.facts = readImageFacts(bytes.data.data(), bytes.data.size());
    if (!expectedSha256.empty() && !out.sha256.empty() && out.sha256 != expectedSha256)
        out.error = changedSince(path, out.sha256, expectedSha256);
    else if (!decoded)
        out.error = decoded.error();
    else
        out.decoded = std::move(decoded.value());
    return out;
}

} // namespace rine
