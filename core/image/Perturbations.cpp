#include "Perturbations.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>
#include <random>

namespace rine {

namespace {

cv::Mat view(const RgbImage &image)
{
    return cv::Mat(image.height, image.width, CV_8UC3, const_cast<std::uint8_t *>(image.pixels.data()));
}

RgbImage fromMat(const cv::Mat &rgb)
{
    RgbImage out{rgb.cols, rgb.rows, std::vector<std::uint8_t>(std::size_t(rgb.cols) * rgb.rows * 3)};
    cv::Mat target(rgb.rows, rgb.cols, CV_8UC3, out.pixels.data());
    rgb.copyTo(target);
    return out;
}

// Seeds for the steps of a chain and for the parts of one perturbation, from one seed
// (splitmix64: a fixed, documented mixing, so results do not depend on the library).
std::uint64_t mix(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

std::string number(double v, const char *format)
{
    char text[64];
    std::snprintf(text, sizeof text, format, v);
    return text;
}

} // namespace

const char *perturbationName(PerturbationKind kind)
{
    switch (kind) {
    case PerturbationKind::Jpeg: return "jpeg";
    case PerturbationKind::Blur: return "blur";
    case PerturbationKind::Crop: return "crop";
    case PerturbationKind::Noise: return "noise";
    case PerturbationKind::Resize: return "resize";
    }
    return "jpeg";
}

bool perturbationFromName(const std::string &name, PerturbationKind &kind)
{
    for (PerturbationKind k : {PerturbationKind::Jpeg, PerturbationKind::Blur, PerturbationKind::Crop,
                               PerturbationKind::Noise, PerturbationKind::Resize})
        if (name == perturbationName(k)) {
            kind = k;
            return true;
        }
    return false;
}

double sigmaForKernel(int size) { return 0.3 * ((size - 1) * 0.5 - 1) + 0.8; }

std::string Perturbation::describe() const
{
    switch (kind) {
    case PerturbationKind::Jpeg: return "JPEG quality " + number(strength, "%.0f");
    case PerturbationKind::Blur:
        return "blur kernel " + number(strength, "%.0f") + " (sigma " + number(sigmaForKernel(int(strength)), "%.2f") + ")";
    case PerturbationKind::Crop: return "crop " + number(100 * strength, "%.0f") + "%";
    case PerturbationKind::Noise: return "noise sigma " + number(strength, "%g");
    case PerturbationKind::Resize: return "resize x" + number(strength, "%g");
    }
    return {};
}

RgbImage resizeTo(const RgbImage &image, int width, int height)
{
    if (image.width == width && image.height == height)
        return image;
    cv::Mat out;
    cv::resize(view(image), out, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
    return fromMat(out);
}

std::string checkStrength(PerturbationKind kind, double strength)
{
    if (!std::isfinite(strength))
        return "the strength must be a number";
    switch (kind) {
    case PerturbationKind::Jpeg: {
        const long quality = std::lround(strength);
        return quality < 1 || quality > 100 ? "JPEG quality must be 1 to 100" : "";
    }
    case PerturbationKind::Blur: {
        const long size = std::lround(strength);
        return size < 1 || size % 2 == 0 || size > 99 ? "blur kernel size must be odd, 1 to 99" : "";
    }
    case PerturbationKind::Crop: return strength < 0 || strength > 0.9 ? "crop fraction must be 0 to 0.9" : "";
    case PerturbationKind::Noise: return strength < 0 || strength > 255 ? "noise sigma must be 0 to 255" : "";
    case PerturbationKind::Resize: return strength < 0.05 || strength > 8 ? "resize factor must be 0.05 to 8" : "";
    }
    return "unknown perturbation";
}

Result<RgbImage> applyPerturbation(const RgbImage &image, const Perturbation &p, std::uint64_t seed)
{
    using R = Result<RgbImage>;
    if (image.width < 1 || image.height < 1 || image.pixels.size() != std::size_t(image.width) * image.height * 3)
        return R::failure("perturbation: empty or inconsistent image");
    if (const std::string range = checkStrength(p.kind, p.strength); !range.empty())
        return R::failure(range);
    try {
        switch (p.kind) {
        case PerturbationKind::Jpeg: {
            // The quality really reaches the encoder (the published robustness code passed it
            // in a way OpenCV ignored, so every image got OpenCV's default quality, 95).
            const int quality = int(std::lround(p.strength));
            auto bytes = encodeJpeg(image, quality);
            if (!bytes)
                return R::failure(bytes.error());
            cv::Mat bgr = cv::imdecode(cv::Mat(1, int(bytes->size()), CV_8U, bytes->data()), cv::IMREAD_COLOR);
            if (bgr.empty())
                return R::failure("the re-encoded JPEG could not be decoded");
            cv::Mat rgb;
            cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
            return fromMat(rgb);
        }
        case PerturbationKind::Blur: {
            // Intended behaviour: the kernel size sets sigma (OpenCV's rule for sigma 0). The
            // published code used sigma 4 for every kernel size, so its kernel 3 blurred about
            // as much as a box filter and its kernel 9 was cut off at about one sigma.
            const int size = int(std::lround(p.strength));
            const double sigma = sigmaForKernel(size);
            cv::Mat out;
            cv::GaussianBlur(view(image), out, cv::Size(size, size), sigma, sigma, cv::BORDER_REFLECT_101);
            return fromMat(out);
        }
        case PerturbationKind::Crop: {
            const int w = std::max(1, int(std::lround(image.width * (1 - p.strength))));
            const int h = std::max(1, int(std::lround(image.height * (1 - p.strength))));
            std::mt19937_64 random(mix(seed));
            const int x = image.width > w ? int(random() % std::uint64_t(image.width - w + 1)) : 0;
            const int y = image.height > h ? int(random() % std::uint64_t(image.height - h + 1)) : 0;
            cv::Mat out;
            cv::resize(view(image)(cv::Rect(x, y, w, h)), out, cv::Size(image.width, image.height), 0, 0,
                       cv::INTER_CUBIC);
            return fromMat(out);
        }
        case PerturbationKind::Noise: {
            // Box-Muller on mt19937_64, both fully specified: the same seed gives the same
            // noise with any standard library.
            std::mt19937_64 random(mix(seed));
            RgbImage out = image;
            const double twoPi = 6.283185307179586;
            for (std::size_t i = 0; i < out.pixels.size(); i += 2) {
                const double u1 = (double(random() >> 11) + 1.0) / 9007199254740993.0; // (0, 1]
                const double u2 = double(random() >> 11) / 9007199254740992.0; // [0, 1)
                const double r = std::sqrt(-2.0 * std::log(u1)) * p.strength;
                const double noise[2] = {r * std::cos(twoPi * u2), r * std::sin(twoPi * u2)};
                for (std::size_t k = 0; k < 2 && i + k < out.pixels.size(); ++k) {
                    const double v = std::round(double(out.pixels[i + k]) + noise[k]);
                    out.pixels[i + k] = std::uint8_t(std::clamp(v, 0.0, 255.0));
                }
            }
            return out;
        }
        case PerturbationKind::Resize: {
            const int w = std::max(1, int(std::lround(image.width * p.strength)));
            const int h = std::max(1, int(std::lround(image.height * p.strength)));
            // Area averaging when shrinking (no aliasing), bicubic when enlarging.
            cv::Mat out;
            cv::resize(view(image), out, cv::Size(w, h), 0, 0, p.strength < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
            return fromMat(out);
        }
        }
    } catch (const cv::Exception &e) {
        return R::failure(std::string("perturbation ") + perturbationName(p.kind) + " failed: " + e.what());
    }
    return R::failure("unknown perturbation");
}

Result<RgbImage> applyChain(const RgbImage &image, const std::vector<Perturbation> &chain, std::uint64_t seed)
{
    RgbImage current = image;
    for (std::size_t i = 0; i < chain.size(); ++i) {
        auto next = applyPerturbation(current, chain[i], mix(seed + i + 1));
        if (!next)
            return next;
        current = std::move(next.value());
    }
    return current;
}

RgbImage gaussianFilter(const RgbImage &image, double sigma)
{
    if (!(sigma > 0) || image.width < 1 || image.height < 1)
        return image;
    const int radius = int(4 * sigma + 0.5); // scipy's truncate = 4.0
    cv::Mat out;
    cv::GaussianBlur(view(image), out, cv::Size(2 * radius + 1, 2 * radius + 1), sigma, sigma, cv::BORDER_REFLECT);
    return fromMat(out);
}

Result<std::vector<std::uint8_t>> augmentForTraining(const RgbImage &image, const TrainingAugmentation &options,
                                                     std::uint64_t seed, AugmentationDraw *draw)
{
    using R = Result<std::vector<std::uint8_t>>;
    if (image.width < 1 || image.height < 1 || image.pixels.size() != std::size_t(image.width) * image.height * 3)
        return R::failure("augmentation: empty or inconsistent image");
    if (options.cropSize < 1)
        return R::failure("augmentation: the crop size must be positive");
    std::mt19937_64 random(mix(seed));
    auto uniform = [&] { return double(random() >> 11) / 9007199254740992.0; }; // [0, 1)
    AugmentationDraw made;
    RgbImage current = image;
    try {
        if (uniform() < options.blurProbability) {
            made.blurSigma = uniform() * options.maxBlurSigma;
            current = gaussianFilter(current, made.blurSigma);
        }
        if (uniform() < options.jpegProbability && !options.jpegQualities.empty()) {
            made.jpegQuality = options.jpegQualities[std::size_t(random() % options.jpegQualities.size())];
            auto encoded = applyPerturbation(current, {PerturbationKind::Jpeg, double(made.jpegQuality)}, 0);
            if (!encoded)
                return R::failure(encoded.error());
            current = std::move(encoded.value());
        }
    } catch (const cv::Exception &e) {
        return R::failure(std::string("augmentation failed: ") + e.what());
    }
    const int size = options.cropSize;
    // Uniform over the valid corners; centred with padding on a side shorter than the crop.
    made.cropLeft = current.width >= size ? int(random() % std::uint64_t(current.width - size + 1))
                                          : -((size - current.width) / 2);
    made.cropTop = current.height >= size ? int(random() % std::uint64_t(current.height - size + 1))
                                          : -((size - current.height) / 2);
    std::vector<std::uint8_t> crop = cropWindow(current, {made.cropLeft, made.cropTop, size});
    made.flipped = uniform() < options.flipProbability;
    if (made.flipped) {
        for (int y = 0; y < size; ++y) {
            std::uint8_t *row = crop.data() + std::size_t(y) * size * 3;
            for (int x = 0; x < size / 2; ++x)
                for (int c = 0; c < 3; ++c)
                    std::swap(row[x * 3 + c], row[(size - 1 - x) * 3 + c]);
        }
    }
    if (draw)
        *draw = made;
    return crop;
}

} // namespace rine
