#pragma once

#include "image/ImageDecoder.h"
#include "model/Detector.h"

#include <functional>
#include <string>
#include <vector>

namespace rine {

enum class CropMode { Center, Ten };

struct ScoreOptions {
    CropMode crop = CropMode::Center;
    int batchSize = 8; // images per forward pass (ten-crop: ten crops each)
    DecodeLimits limits;
};

// One image's score from the scores of its crops: the mean logit and its sigmoid (ten-crop,
// as the published Synthbuster evaluation), the mean contributions.
CropScore combineCrops(const std::vector<CropScore> &scores, std::size_t first, std::size_t count);

// The crops an image is scored on.
std::vector<std::vector<std::uint8_t>> cropsFor(const RgbImage &image, CropMode mode, int inputSize);

// A short name of the preprocessing that results are keyed by: "center224", "tencrop224".
std::string preprocessingName(CropMode mode, int inputSize);

// The outcome for one file, in the order the files were given.
struct ImageRecord {
    std::string path;
    std::string sha256; // of the bytes read and scored; empty when the file could not be read
    bool ok = false;
    std::string error;
    std::string format;
    int width = 0;
    int height = 0;
    int jpegQuality = 0; // DecodedImage::jpegQuality
    std::vector<std::string> warnings;
    double logit = 0; // ten-crop: mean of the ten logits
    double probability = 0; // sigmoid(logit)
    std::vector<double> contributions; // per block; ten-crop: mean over the crops
};

// Scores image files with a loaded detector: each file read once, hashed, decoded, cropped,
// batched. A file that fails gets an error record; the others are still scored.
class ImageScorer {
public:
    ImageScorer(Detector &detector, ScoreOptions options);

    using Progress = std::function<void(std::size_t done, std::size_t total)>;
    std::vector<ImageRecord> scoreFiles(const std::vector<std::string> &paths, const Progress &progress = {});

private:
    struct Pending {
        std::size_t index;
        std::vector<std::vector<std::uint8_t>> crops;
    };
    void flush(std::vector<Pending> &pending, std::vector<ImageRecord> &records);

    Detector &m_detector;
    ScoreOptions m_options;
};

} // namespace rine
