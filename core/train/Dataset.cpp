#include "Dataset.h"

#include <cstdio>
#include <map>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

namespace rine {

namespace fs = std::filesystem;

Result<std::vector<LabeledImage>> findLabeledImages(const std::string &root, const std::vector<std::string> &categories)
{
    using R = Result<std::vector<LabeledImage>>;
    std::error_code error;
    if (!fs::is_directory(root, error))
        return R::failure(root + ": not a folder; give the dataset's root (holding 0_real and 1_fake folders, "
                                 "directly or below generator or class folders)");
    std::vector<LabeledImage> out;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, error), end;
    if (error)
        return R::failure(root + ": " + error.message());
    std::vector<fs::path> labelFolders;
    for (; it != end; it.increment(error)) {
        if (error)
            return R::failure(root + ": " + error.message());
        const std::string name = it->path().filename().string();
        if (it->is_directory(error) && (name == "0_real" || name == "1_fake")) {
            labelFolders.push_back(it->path());
            it.disable_recursion_pending();
        }
    }
    std::sort(labelFolders.begin(), labelFolders.end());
    for (const fs::path &folder : labelFolders) {
        const fs::path relative = fs::relative(folder.parent_path(), root, error);
        std::vector<std::string> parts;
        for (const fs::path &part : relative)
            if (part != ".")
                parts.push_back(part.string());
        LabeledImage base;
        base.label = folder.filename() == "1_fake" ? 1 : 0;
        base.generator = parts.empty() ? "" : parts.front();
        base.category = parts.size() >= 2 ? parts.back() : (parts.size() == 1 ? parts.front() : "");
        if (!categories.empty() && std::find(categories.begin(), categories.end(), base.category) == categories.end())
            continue;
        std::vector<std::string> files;
        for (fs::recursive_directory_iterator f(folder, fs::directory_options::skip_permission_denied, error);
             f != fs::recursive_directory_iterator(); f.increment(error)) {
            if (error)
                break;
            if (f->is_regular_file(error))
                files.push_back(f->path().string());
        }
        std::sort(files.begin(), files.end());
        for (std::string &file : files) {
            LabeledImage image = base;
            image.path = std::move(file);
            out.push_back(std::move(image));
        }
    }
    if (out.empty())
        return R::failure(root + ": no image under a 0_real or 1_fake folder"
                          + std::string(categories.empty() ? "" : " of the chosen classes"));
    return out;
}

std::vector<std::string> datasetWarnings(const std::vector<int> &labels, const std::vector<std::string> &formats,
                                         const std::vector<double> &pixels, const std::vector<int> &jpegQualities)
{
    std::vector<int> qualities[2];
    std::map<std::string, int> byFormat[2];
    double total[2] = {0, 0};
    int counts[2] = {0, 0};
    for (std::size_t i = 0; i < labels.size() && i < formats.size() && i < pixels.size(); ++i) {
        const int label = labels[i] ? 1 : 0;
        ++byFormat[label][formats[i]];
        if (i < jpegQualities.size() && jpegQualities[i] > 0)
            qualities[label].push_back(jpegQualities[i]);
        total[label] += pixels[i];
        ++counts[label];
    }
    std::vector<std::string> warnings;
    if (!counts[0] || !counts[1])
        return warnings;
    auto majority = [](const std::map<std::string, int> &f) {
        return std::max_element(f.begin(), f.end(), [](auto &a, auto &b) { return a.second < b.second; })->first;
    };
    const std::string realFormat = majority(byFormat[0]), fakeFormat = majority(byFormat[1]);
    if (realFormat != fakeFormat)
        warnings.push_back("real images are mostly " + realFormat + " and fake ones mostly " + fakeFormat
                           + ": a detector can tell the format apart instead of the generator");
    if (!qualities[0].empty() && !qualities[1].empty()) {
        auto median = [](std::vector<int> &v) {
            std::sort(v.begin(), v.end());
            return v.size() % 2 ? double(v[v.size() / 2]) : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2.0;
        };
        const double real = median(qualities[0]), fake = median(qualities[1]);
        if (std::abs(real - fake) >= 10) {
            char text[200];
            std::snprintf(text, sizeof text,
                          "real JPEGs have a median quality of %.0f and fake ones %.0f: a detector can tell the "
                          "compression apart instead of the generator",
                          real, fake);
            warnings.push_back(text);
        }
    }
    const double realMean = total[0] / counts[0], fakeMean = total[1] / counts[1];
    if (realMean > 2 * fakeMean || fakeMean > 2 * realMean) {
        char text[160];
        std::snprintf(text, sizeof text,
                      "real images average %.2f megapixels and fake ones %.2f: resolution differs by more than 2x",
                      realMean / 1e6, fakeMean / 1e6);
        warnings.push_back(text);
    }
    return warnings;
}

} // namespace rine
