#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rine {

// What an image file says about itself in its metadata, read from its bytes with every
// offset and length checked. These are facts about the file, not evidence for the verdict:
// metadata is trivially added, removed or forged.
struct ImageFacts {
    int orientation = 1; // EXIF orientation, 1 (as stored) to 8
    // EXIF fields in a fixed order ("Make", "Model", "Software", "DateTime",
    // "DateTimeOriginal", "Artist", "Copyright", "UserComment", "GPS").
    std::vector<std::pair<std::string, std::string>> exif;
    // PNG tEXt/iTXt/zTXt chunks: keyword and text (long texts cut at 4,000 bytes).
    std::vector<std::pair<std::string, std::string>> textChunks;
    std::string xmpCreatorTool;
    std::string xmpDigitalSourceType; // IPTC, e.g. ".../trainedAlgorithmicMedia"
    std::string c2pa; // where a C2PA manifest store (JUMBF) was found; empty: none
    // Traces that a generator wrote, each one sentence naming where it was found.
    std::vector<std::string> generatorTraces;
    // Metadata that could not be read in full (bad offsets, loops), one sentence each.
    std::vector<std::string> problems;
};

ImageFacts readImageFacts(const std::uint8_t *data, std::size_t size);

// The transform that turns stored pixels into the upright picture for an EXIF orientation:
// first a mirror (left-right) if `mirror`, then a clockwise rotation by `degrees`.
struct Orientation {
    bool mirror = false;
    int degrees = 0; // 0, 90, 180, 270
};
Orientation orientationTransform(int exifOrientation);

} // namespace rine
