#include "Preprocessing.h"

#include "image/TextureCrop.h"

#include <algorithm>
#include <string>

namespace rine {

namespace {

const char *prefixOf(CropMode mode) { return mode == CropMode::Ten ? "tencrop" : "center"; }

// Reads the decimal number at name[at...] (1 to 4 digits, not 0); moves `at` past it.
std::optional<int> number(const std::string &name, std::size_t &at)
{
    int value = 0, digits = 0;
    while (at < name.size() && name[at] >= '0' && name[at] <= '9' && digits < 5) {
        value = value * 10 + (name[at++] - '0');
        ++digits;
    }
    if (digits < 1 || digits > 4 || value < 1)
        return std::nullopt;
    return value;
}

bool skip(const std::string &name, std::size_t &at, const char *literal)
{
    const std::size_t n = std::char_traits<char>::length(literal);
    if (name.compare(at, n, literal) != 0)
        return false;
    at += n;
    return true;
}

} // namespace

std::string Preprocessing::name() const
{
    if (crop == CropMode::Texture)
        return "texture" + std::to_string(inputSize) + "x" + std::to_string(windows) + "-stride"
             + std::to_string(strideOrWindow()) + "-ghe";
    return prefixOf(crop) + std::to_string(inputSize);
}

std::optional<Preprocessing> Preprocessing::fromName(const std::string &name)
{
    std::size_t at = 0;
    if (skip(name, at, "texture")) {
        Preprocessing out{CropMode::Texture};
        const auto size = number(name, at);
        if (!size || !skip(name, at, "x"))
            return std::nullopt;
        const auto windows = number(name, at);
        if (!windows || !skip(name, at, "-stride"))
            return std::nullopt;
        const auto stride = number(name, at);
        if (!stride || !skip(name, at, "-ghe") || at != name.size())
            return std::nullopt;
        out.inputSize = *size;
        out.windows = *windows;
        out.stride = *stride;
        return out;
    }
    for (CropMode mode : {CropMode::Center, CropMode::Ten}) {
        std::size_t from = 0;
        if (!skip(name, from, prefixOf(mode)))
            continue;
        const auto size = number(name, from);
        if (!size || from != name.size())
            return std::nullopt;
        return Preprocessing{mode, *size};
    }
    return std::nullopt;
}

std::optional<CropMode> Preprocessing::cropFromOption(const std::string &option)
{
    for (CropMode mode : {CropMode::Center, CropMode::Ten, CropMode::Texture})
        if (option == optionWord(mode))
            return mode;
    return std::nullopt;
}

const char *Preprocessing::optionWord(CropMode mode)
{
    switch (mode) {
    case CropMode::Ten:
        return "ten";
    case CropMode::Texture:
        return "texture";
    case CropMode::Center:
        break;
    }
    return "center";
}

std::string KeptWindow::label() const
{
    std::string text;
    for (std::size_t i = 0; i < ranks.size(); ++i)
        text += (i ? "," : "") + std::to_string(ranks[i]);
    return text;
}

std::vector<KeptWindow> distinctWindows(const std::vector<WindowScore> &windows)
{
    std::vector<KeptWindow> out;
    for (std::size_t i = 0; i < windows.size(); ++i) {
        const CropRegion &r = windows[i].region;
        auto same = std::find_if(out.begin(), out.end(), [&](const KeptWindow &k) {
            return k.region.left == r.left && k.region.top == r.top && k.region.size == r.size;
        });
        if (same == out.end())
            out.push_back({r, windows[i].entropy, windows[i].logit, {int(i) + 1}, i});
        else
            same->ranks.push_back(int(i) + 1);
    }
    return out;
}

CropPlan Preprocessing::plan(const RgbImage &image) const
{
    CropPlan out;
    if (crop == CropMode::Ten) {
        out.crops = tenCrop(image, inputSize);
        out.regions = tenCropRegions(image.width, image.height, inputSize);
        for (int i = 0; i < 5; ++i)
            out.regions.push_back(out.regions[std::size_t(i)]);
        return out;
    }
    if (crop == CropMode::Texture) {
        const std::vector<TextureWindow> kept = selectTextureWindows(image, inputSize, strideOrWindow(), windows);
        if (!kept.empty()) {
            for (const TextureWindow &w : kept) {
                out.crops.push_back(cropWindow(image, w.region));
                out.regions.push_back(w.region);
                out.entropies.push_back(w.entropy);
            }
            return out;
        }
        out.fellBack = true;
        out.warnings.push_back("under " + std::to_string(inputSize) + " px on a side (" + std::to_string(image.width)
                               + " x " + std::to_string(image.height) + "): scored on its center crop, not on "
                               "TextureCrop's windows");
    }
    out.crops.push_back(centerCrop(image, inputSize));
    out.regions.push_back(centerCropRegion(image.width, image.height, inputSize));
    return out;
}

std::vector<CropRegion> Preprocessing::regions(int width, int height) const
{
    if (crop == CropMode::Ten)
        return tenCropRegions(width, height, inputSize);
    if (crop == CropMode::Texture)
        return {};
    return {centerCropRegion(width, height, inputSize)};
}

std::string Preprocessing::describe() const
{
    const std::string side = std::to_string(inputSize) + " x " + std::to_string(inputSize);
    if (crop == CropMode::Ten)
        return name() + ": ten " + side + " crops, no resizing; sigmoid of the mean logit";
    if (crop == CropMode::Texture)
        return name() + ": TextureCrop, the " + std::to_string(windows) + " most textured " + side
             + " windows (entropy of the grey-level histogram; candidates at stride " + std::to_string(strideOrWindow())
             + " as the published code lays them out), no resizing; sigmoid of the mean logit. Images under "
             + std::to_string(inputSize) + " px on a side: the center crop";
    return name() + ": one " + side + " center crop, no resizing (as the published evaluation)";
}

} // namespace rine
