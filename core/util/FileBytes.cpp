#include "FileBytes.h"

#include "Sha256.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace rine {

Result<FileBytes> readFileBytes(const std::string &path, std::uint64_t maxBytes)
{
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        return Result<FileBytes>::failure(path + ": " + std::strerror(errno));
    if (S_ISDIR(info.st_mode))
        return Result<FileBytes>::failure(path + ": is a folder, not a file");
    if (!S_ISREG(info.st_mode))
        return Result<FileBytes>::failure(path + ": not a regular file");
    if (std::uint64_t(info.st_size) > maxBytes)
        return Result<FileBytes>::failure(path + ": file is " + std::to_string(info.st_size)
                                          + " bytes, over the limit of " + std::to_string(maxBytes)
                                          + " bytes");

    // "rb": evidence is opened read-only and never written.
    std::FILE *file = std::fopen(path.c_str(), "rb");
    if (!file)
        return Result<FileBytes>::failure(path + ": cannot open for reading: " + std::strerror(errno));

    FileBytes out;
    out.path = path;
    out.data.resize(std::size_t(info.st_size));
    std::size_t got = 0;
    while (got < out.data.size()) {
        const std::size_t n = std::fread(out.data.data() + got, 1, out.data.size() - got, file);
        if (n == 0)
            break;
        got += n;
    }
    const bool readError = std::ferror(file) != 0;
    std::fclose(file);
    if (readError)
        return Result<FileBytes>::failure(path + ": read error: " + std::strerror(errno));
    // A file that shrank while we read it is reported rather than scored half.
    if (got != out.data.size())
        return Result<FileBytes>::failure(path + ": file changed size while being read");
    out.sha256 = Sha256::hex(out.data.data(), out.data.size());
    return out;
}

} // namespace rine
