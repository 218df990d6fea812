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

// scipy.ndimage.gaussian_filter on each channel, as the published training augmentation
// blurs: kernel radius int(4 sigma + 0.5), mirrored border ("reflect": d c b a | a b c d),
// rounded back to 8 bits. sigma 0 returns the image.
RgbImage gaussianFilter(const RgbImage &image, double sigma);

// The published training augmentation (RINE's data_augment, then RandomCrop and
// RandomHorizontalFlip): with p 0.5 a Gaussian blur of sigma ~ U[0, 3]; with p 0.5 JPEG
// re-encoding at quality 30 or 100 (the published code picked OpenCV's or PIL's encoder at
// random; both are libjpeg, here it is OpenCV's); a random crop of 224 (zero-padded when the
// image is smaller, where torchvision would fail); a horizontal flip with p 0.5. Random
// numbers come from mt19937_64 with fixed arithmetic: the same seed gives the same crop
// with any standard library.
struct TrainingAugmentation {
    double blurProbability = 0.5;
    double maxBlurSigma = 3.0;
    double jpegProbability = 0.5;
    std::vector<int> jpegQualities{30, 100};
    int cropSize = 224;
    double flipProbability = 0.5;
};

// What one augmentation did (for a record of the training run, and for tests).
struct AugmentationDraw {
    double blurSigma = 0; // 0: not blurred
    int jpegQuality = 0; // 0: not re-encoded
    int cropLeft = 0, cropTop = 0;
    bool flipped = false;
};

// The cropSize x cropSize RGB crop to train on.
Result<std::vector<std::uint8_t>> augmentForTraining(const RgbImage &image, const TrainingAugmentation &options,
                                                     std::uint64_t seed, AugmentationDraw *draw = nullptr);

// The sigma a Gaussian kernel of this (odd) size gets when none is given: OpenCV's rule,
// 0.3 * ((size - 1) * 0.5 - 1) + 0.8.
double sigmaForKernel(int size);

} // namespace rine
