#include "FileBytes.h"

#include "Sha256.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rine {

Result<FileBytes> readFileBytes(const std::string &path, std::uint64_t maxBytes)
{
    using R = Result<FileBytes>;
    // Read-only; O_NONBLOCK so that a FIFO put where a file was expected cannot hang us (it
    // is refused below as not a regular file); the checks are made on the opened descriptor,
    // so the file cannot be swapped between check and read.
    // O_NOATIME where permitted (the file's owner, or root): reading evidence does not even
    // change its access time. Others get EPERM and open it without.
    const int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
    int fd = ::open(path.c_str(), flags | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = ::open(path.c_str(), flags);
    if (fd < 0)
        return R::failure(path + ": cannot open for reading: " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0)
        return R::failure(path + ": " + std::strerror(errno));
    if (S_ISDIR(info.st_mode))
        return R::failure(path + ": is a folder, not a file");
    if (!S_ISREG(info.st_mode))
        return R::failure(path + ": not a regular file");
    if (std::uint64_t(info.st_size) > maxBytes)
        return R::failure(path + ": file is " + std::to_string(info.st_size) + " bytes, over the limit of "
                          + std::to_string(maxBytes) + " bytes");

    FileBytes out;
    out.path = path;
    out.data.resize(std::size_t(info.st_size));
    std::size_t got = 0;
    while (got < out.data.size()) {
        const ssize_t n = ::read(fd, out.data.data() + got, out.data.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return R::failure(path + ": read error: " + std::strerror(errno));
        if (n == 0)
            break;
        got += std::size_t(n);
    }
    // A file that shrank while we read it is reported rather than scored half.
    if (got != out.data.size())
        return R::failure(path + ": file changed size while being read");
    out.sha256 = Sha256::hex(out.data.data(), out.data.size());
    return out;
}

} // namespace rine
