#pragma once

#include "image/ImageDecoder.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rine {

enum class CropMode { Center, Ten };

// What an image goes through before the backbone, as a value: results are keyed by its name
// in the case database, model cards and exports ("center224", "tencrop224"), and every place
// that crops, outlines or describes what was scored asks this type instead of parsing names.
struct Preprocessing {
    CropMode crop = CropMode::Center;
    int inputSize = 224; // the backbone's crop side: patch * grid

    std::string name() const;
    // A name as stored in a case or a card; nothing for a name this version does not know.
    static std::optional<Preprocessing> fromName(const std::string &name);
    // The --crop option's words: "center", "ten".
    static std::optional<CropMode> cropFromOption(const std::string &option);

    // The crops an image is scored on (center: one; ten: torchvision's TenCrop order).
    std::vector<std::vector<std::uint8_t>> crops(const RgbImage &image) const;
    // Where they lie in the image, for outlines (ten-crop: its five distinct regions).
    std::vector<CropRegion> regions(int width, int height) const;
    // One sentence for reports and the GUI.
    std::string describe() const;

    bool operator==(const Preprocessing &other) const { return crop == other.crop && inputSize == other.inputSize; }
};

} // namespace rine
