#include "Preprocessing.h"

namespace rine {

namespace {

const char *prefixOf(CropMode mode) { return mode == CropMode::Ten ? "tencrop" : "center"; }

} // namespace

std::string Preprocessing::name() const { return prefixOf(crop) + std::to_string(inputSize); }

std::optional<Preprocessing> Preprocessing::fromName(const std::string &name)
{
    for (CropMode mode : {CropMode::Center, CropMode::Ten}) {
        const std::string prefix = prefixOf(mode);
        if (name.size() <= prefix.size() || name.size() > prefix.size() + 4 || name.compare(0, prefix.size(), prefix) != 0)
            continue;
        int size = 0;
        for (std::size_t i = prefix.size(); i < name.size(); ++i) {
            if (name[i] < '0' || name[i] > '9')
                return std::nullopt;
            size = size * 10 + (name[i] - '0');
        }
        if (size < 1)
            return std::nullopt;
        return Preprocessing{mode, size};
    }
    return std::nullopt;
}

std::optional<CropMode> Preprocessing::cropFromOption(const std::string &option)
{
    if (option == "center")
        return CropMode::Center;
    if (option == "ten")
        return CropMode::Ten;
    return std::nullopt;
}

std::vector<std::vector<std::uint8_t>> Preprocessing::crops(const RgbImage &image) const
{
    if (crop == CropMode::Ten)
        return tenCrop(image, inputSize);
    return {centerCrop(image, inputSize)};
}

std::vector<CropRegion> Preprocessing::regions(int width, int height) const
{
    if (crop == CropMode::Ten)
        return tenCropRegions(width, height, inputSize);
    return {centerCropRegion(width, height, inputSize)};
}

std::string Preprocessing::describe() const
{
    const std::string side = std::to_string(inputSize) + " x " + std::to_string(inputSize);
    if (crop == CropMode::Ten)
        return name() + ": ten " + side + " crops, no resizing; sigmoid of the mean logit";
    return name() + ": one " + side + " center crop, no resizing (as the published evaluation)";
}

} // namespace rine
