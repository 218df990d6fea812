#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace rine {

// FIPS 180-4 SHA-256. Plain C++ so that core/model, which links LibTorch alone, can name the
// exact weight files it loaded.
class Sha256 {
public:
    Sha256();
    void update(const void *data, std::size_t size);
    std::array<std::uint8_t, 32> digest();
    std::string hexDigest();

    static std::string hex(const void *data, std::size_t size);

    // Whether the x86 SHA extensions are used (when the processor has them: ~10x faster,
    // which matters for 890 MB backbones and for hashing every file of a scan). Tests turn
    // them off to compare both paths.
    static bool hardwareAvailable();
    static void setHardwareEnabled(bool enabled);

private:
    void compress(const std::uint8_t *blocks, std::size_t count);

    std::array<std::uint32_t, 8> m_state;
    std::array<std::uint8_t, 64> m_buffer{};
    std::size_t m_bufferSize = 0;
    std::uint64_t m_length = 0;
    bool m_finished = false;
    std::array<std::uint8_t, 32> m_digest{};
};

} // namespace rine
