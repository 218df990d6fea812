#pragma once

#include "util/Result.h"

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

namespace rine {

// Writes named tensors as a `torch.save`-compatible zip archive holding one dict
// {name: tensor}: the form of the published RINE heads, which `torch.load` in Python (and our
// own reader) load. Tensors are written from the CPU, contiguous, in their own dtype. The
// file appears whole or not at all (written beside the target, flushed, renamed into place).
// Returns the SHA-256 of the bytes written. For checkpoints made by training (issue 8).
Result<std::string> writeTensorArchive(const std::string &path,
                                       const std::vector<std::pair<std::string, at::Tensor>> &tensors);

} // namespace rine
