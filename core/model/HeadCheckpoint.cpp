#include "HeadCheckpoint.h"

#include "util/Sha256.h"

#include <ATen/core/Dict.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace rine {

namespace {

std::string systemError() { return std::strerror(errno); }

} // namespace

Result<std::string> writeTensorArchive(const std::string &path,
                                       const std::vector<std::pair<std::string, at::Tensor>> &tensors)
{
    using R = Result<std::string>;
    if (tensors.empty())
        return R::failure(path + ": no tensors to write");
    std::vector<char> bytes;
    try {
        c10::Dict<std::string, at::Tensor> dict;
        for (const auto &[name, tensor] : tensors) {
            if (!tensor.defined())
                return R::failure(path + ": tensor " + name + " is empty");
            if (dict.contains(name))
                return R::failure(path + ": tensor " + name + " is named twice");
            dict.insert(name, tensor.detach().to(at::kCPU).contiguous().clone());
        }
        bytes = torch::jit::pickle_save(c10::IValue(dict));
    } catch (const std::exception &e) {
        return R::failure(path + ": cannot serialise the tensors: " + e.what());
    }
    // Beside the target, so that the rename stays on one file system.
    const std::string temporary = path + ".writing-" + std::to_string(::getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return R::failure(path + ": cannot write: " + systemError());
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const std::string error = systemError();
            ::close(fd);
            ::unlink(temporary.c_str());
            return R::failure(path + ": cannot write: " + error);
        }
        written += std::size_t(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string error = systemError();
        ::unlink(temporary.c_str());
        return R::failure(path + ": cannot write: " + error);
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string error = systemError();
        ::unlink(temporary.c_str());
        return R::failure(path + ": cannot put the file in place: " + error);
    }
    return Sha256::hex(bytes.data(), bytes.size());
}

} // namespace rine
