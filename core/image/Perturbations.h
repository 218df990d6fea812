#pragma once

#include "image/ImageDecoder.h"
#include "util/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rine {

// Ordinary degradations of an image, as pure functions: the same input, strength and seed
// give the same output. The published robustness protocol follows each with a resize to
// 256 x 256 and a center crop of 224 (see RobustnessPreset).
enum class PerturbationKind {
    Jpeg, // re-encode at a JPEG quality (strength: quality 1..100; lower is stronger)
    Blur, // Gaussian blur (strength: kernel size, odd; sigma from the kernel, see .cpp)
    Crop, // remove a fraction of width and height, resize back (strength: fraction 0..0.9)
    Noise, // additive Gaussian noise (strength: sigma on the 0..255 scale)
    Resize, // scale by a factor, bicubic (strength: factor, e.g. 0.5 or 2)
};

const char *perturbationName(PerturbationKind kind); // "jpeg", "blur", "crop", "noise", "resize"
bool perturbationFromName(const std::string &name, PerturbationKind &kind);

struct Perturbation {
    PerturbationKind kind = PerturbationKind::Jpeg;
    double strength = 0;
    // "JPEG quality 45", "blur kernel 5 (sigma 1.1)", "crop 10%", "noise sigma 5", "resize x0.5"
    std::string describe() const;
};

// Empty when the strength is in range for the kind, else what the range is ("JPEG quality
// must be 1 to 100"). applyPerturbation refuses what this refuses.
std::string checkStrength(PerturbationKind kind, double strength);

// Applies one perturbation. seed: where randomness enters (crop position, noise).
Result<RgbImage> applyPerturbation(const RgbImage &image, const Perturbation &perturbation, std::uint64_t seed);

// Applies several in order (a combined chain), each with its own seed derived from seed.
Result<RgbImage> applyChain(const RgbImage &image, const std::vector<Perturbation> &chain, std::uint64_t seed);

// Bicubic resize to exactly width x height (the protocol's 256 x 256 step).
RgbImage resizeTo(const RgbImage &image, int width, int height);

// The sigma a Gaussian kernel of this (odd) size gets when none is given: OpenCV's rule,
// 0.3 * ((size - 1) * 0.5 - 1) + 0.8.
double sigmaForKernel(int size);

} // namespace rine
