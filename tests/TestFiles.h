#pragma once

// File helpers shared by the test suites.

#include <QByteArray>
#include <QFile>
#include <QString>
#include <QTemporaryDir>

namespace rine::test {

inline QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read test file %s", qPrintable(path));
    return file.readAll();
}

// Writes data to name inside dir and returns the path.
inline QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &data)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size())
        qFatal("cannot write test file %s", qPrintable(path));
    return path;
}

} // namespace rine::test

#include <cstdint>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace rine::test {

// Root reads any file whatever its permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so a
// test of "unreadable file" running as root (CI) first gives those up for this process.
// Returns false when they could not be dropped.
inline bool dropPermissionOverride()
{
    if (::geteuid() != 0)
        return true;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0)
        return false;
    const std::uint32_t mask = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);
    data[0].effective &= ~mask;
    return ::syscall(SYS_capset, &header, data) == 0;
}

// The same for a child process about to exec (QProcess::setChildProcessModifier): root's
// capabilities are recomputed at exec from the bounding set, so drop them from there.
inline void dropPermissionOverrideInChild()
{
    if (::geteuid() != 0)
        return;
    ::prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0);
    ::prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0);
}

// A PNG that declares width x height pixels and holds one tiny IDAT: a decompression bomb's
// header without its payload.
inline QByteArray pngDeclaring(std::uint32_t width, std::uint32_t height)
{
    auto crc32 = [](const QByteArray &bytes) {
        std::uint32_t crc = 0xFFFFFFFFu;
        for (char c : bytes) {
            crc ^= std::uint8_t(c);
            for (int k = 0; k < 8; ++k)
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
        return crc ^ 0xFFFFFFFFu;
    };
    auto be32 = [](std::uint32_t v) {
        QByteArray out(4, 0);
        for (int i = 0; i < 4; ++i)
            out[i] = char((v >> (24 - 8 * i)) & 0xFF);
        return out;
    };
    auto chunk = [&](const char *type, const QByteArray &payload) {
        const QByteArray body = QByteArray(type, 4) + payload;
        return be32(std::uint32_t(payload.size())) + body + be32(crc32(body));
    };
    QByteArray ihdr = be32(width) + be32(height);
    ihdr += QByteArray::fromHex("0802000000"); // 8-bit RGB, deflate, no filter, no interlace
    return QByteArray::fromHex("89504e470d0a1a0a") + chunk("IHDR", ihdr)
         + chunk("IDAT", QByteArray::fromHex("789c030000000001")) + chunk("IEND", {});
}

} // namespace rine::test
