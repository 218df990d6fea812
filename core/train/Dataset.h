#pragma once

#include "util/Result.h"

#include <string>
#include <vector>

namespace rine {

// An image of a labelled dataset: the folder it sits in says real (0_real) or fake (1_fake).
struct LabeledImage {
    std::string path;
    int label = 0; // 0 real, 1 fake
    std::string generator; // the first folder under the root ("" for the flat layout)
    std::string category; // the folder holding 0_real/1_fake when it is not the generator ("" if none)
};

// Finds every file under a 0_real or 1_fake folder below root, in name order. Layouts:
//   flat:          <root>/{0_real,1_fake}
//   ProGAN:        <root>/<class>/{0_real,1_fake}           (train/val: pass <root>/train)
//   test sets:     <root>/<generator>/[<class>/]{0_real,1_fake}
// categories: keep only these classes (the folder holding 0_real/1_fake); empty keeps all.
Result<std::vector<LabeledImage>> findLabeledImages(const std::string &root,
                                                    const std::vector<std::string> &categories = {});

// Ways real and fake images differ that a detector could learn instead of the generator's
// traces: mostly different formats; JPEGs of both whose median qualities are 10 or more
// apart; mean resolutions more than 2x apart. One entry per image: its label, format, pixel
// count and JPEG quality (0: not a JPEG or unknown). Empty when none (or a label is missing).
std::vector<std::string> datasetWarnings(const std::vector<int> &labels, const std::vector<std::string> &formats,
                                         const std::vector<double> &pixels, const std::vector<int> &jpegQualities);

} // namespace rine
