#pragma once

#include "image/ImageDecoder.h"
#include "image/Preprocessing.h"
#include "model/Detector.h"
#include "model/SpaiDetector.h"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rine {

struct ScoreOptions {
    CropMode crop = CropMode::Center;
    int batchSize = 8; // images per forward pass (ten-crop, texture: ten crops each)
    DecodeLimits limits;
    const std::atomic<bool> *cancel = nullptr; // polled between files: the rest is left unscored
};

// Scores crops (inputSize x inputSize x 3 RGB bytes each): a detector's first head, or a head
// file on a backbone's features (evaluating a freshly trained head).
using CropScorer = std::function<Result<std::vector<CropScore>>(const std::vector<const std::uint8_t *> &crops)>;

// One image's score from the scores of its crops: the mean logit and its sigmoid (ten-crop,
// as the published Synthbuster evaluation), the mean contributions.
CropScore combineCrops(const std::vector<CropScore> &scores, std::size_t first, std::size_t count);

// The detectors that score each image: RINE (its detector's first head), SPAI, or both. Each
// image is read, hashed and decoded once for all of them.
struct DetectorSet {
    Detector *rine = nullptr;
    const SpaiDetector *spai = nullptr;
};

// The outcome for one file, in the order the files were given.
struct ImageRecord {
    std::string path;
    std::string sha256; // of the bytes read and scored; empty when the file could not be read
    bool ok = false; // every detector of the set scored it
    std::string error;
    std::string format;
    int width = 0;
    int height = 0;
    int jpegQuality = 0; // DecodedImage::jpegQuality
    std::vector<std::string> warnings;
    // RINE's score (when RINE is in the set and scored the image).
    bool rineScored = false;
    double logit = 0; // ten-crop: mean of the ten logits
    double probability = 0; // sigmoid(logit)
    std::vector<double> contributions; // per block; ten-crop: mean over the crops
    std::vector<WindowScore> windows; // texture crop: each kept window; empty otherwise
    std::optional<SpaiScore> spai; // SPAI's score (when SPAI is in the set and scored the image)
};

// Scores image files with a loaded detector: each file read once, hashed, decoded, cropped,
// batched. A file that fails gets an error record; the others are still scored.
class ImageScorer {
public:
    ImageScorer(Detector &detector, ScoreOptions options);
    // At least one detector. options.crop and batchSize are RINE's; SPAI scores every image
    // at its own resolution.
    ImageScorer(DetectorSet detectors, ScoreOptions options);
    ImageScorer(CropScorer scorer, int inputSize, ScoreOptions options);

    using Progress = std::function<void(std::size_t done, std::size_t total)>;
    std::vector<ImageRecord> scoreFiles(const std::vector<std::string> &paths, const Progress &progress = {});
    // The last scoreFiles stopped on options.cancel.
    bool cancelled() const { return m_cancelled; }

private:
    struct Pending {
        std::size_t index;
        CropPlan plan;
    };
    void flush(std::vector<Pending> &pending, std::vector<ImageRecord> &records);

    CropScorer m_scorer; // RINE's; empty when RINE is not in the set
    const SpaiDetector *m_spai = nullptr;
    int m_inputSize = 0;
    ScoreOptions m_options;
    bool m_cancelled = false;
};

} // namespace rine
