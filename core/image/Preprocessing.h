#pragma once

#include "image/ImageDecoder.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rine {

enum class CropMode { Center, Ten, Texture };

// A window as drawn: each distinct kept window once, with the ranks it was kept at (fewer
// candidates than windows: some are kept, and counted, more than once), in order of first rank.
struct KeptWindow {
    CropRegion region;
    double entropy = 0;
    double logit = 0;
    std::vector<int> ranks; // 1-based
    std::size_t first = 0; // index of its first rank in the list it came from
    std::string label() const; // its ranks as the outlines are numbered: "1,7"
};
std::vector<KeptWindow> distinctWindows(const std::vector<WindowScore> &windows);

// The crops an image is scored on, and where each lies in it.
struct CropPlan {
    std::vector<std::vector<std::uint8_t>> crops;
    std::vector<CropRegion> regions; // one per crop (ten-crop: the flipped five repeat the first five)
    std::vector<double> entropies; // texture: each kept window's entropy, in rank order; else empty
    bool fellBack = false; // texture: under the window on a side, scored on its center crop
    std::vector<std::string> warnings; // what the analyst must know about how it was scored
};

// What an image goes through before the backbone, as a value: results are keyed by its name
// in the case database, model cards and exports ("center224", "tencrop224",
// "texture224x10-stride224-ghe"), and every place that crops, outlines or describes what was
// scored asks this type instead of parsing names.
struct Preprocessing {
    CropMode crop = CropMode::Center;
    int inputSize = 224; // the backbone's crop side: patch * grid
    // Texture only (TextureCrop.h): windows kept, and the stride between candidates (0: the
    // window side). The entropy metric is the grey-histogram one ("ghe"), the published default.
    int windows = 10;
    int stride = 0;

    std::string name() const;
    // A name as stored in a case or a card; nothing for a name this version does not know.
    static std::optional<Preprocessing> fromName(const std::string &name);
    // The --crop option's words: "center", "ten", "texture".
    static std::optional<CropMode> cropFromOption(const std::string &option);
    static const char *optionWord(CropMode mode);

    int strideOrWindow() const { return stride > 0 ? stride : inputSize; }

    // The crops an image is scored on (center: one; ten: torchvision's TenCrop order;
    // texture: the kept windows in rank order) and where they lie.
    CropPlan plan(const RgbImage &image) const;
    std::vector<std::vector<std::uint8_t>> crops(const RgbImage &image) const { return plan(image).crops; }
    // Where center and ten-crop regions lie, for outlines (ten-crop: its five distinct
    // regions). Texture windows depend on the pixels: empty here, see plan().
    std::vector<CropRegion> regions(int width, int height) const;
    // One sentence for reports and the GUI.
    std::string describe() const;

    bool operator==(const Preprocessing &other) const { return name() == other.name(); }
};

} // namespace rine
