#pragma once

#include <vector>

namespace rine {

// Average precision of scores for labels (1 positive), as scikit-learn's
// average_precision_score: sum over thresholds of (R_n - R_{n-1}) * P_n, scores sorted from
// high to low and equal scores taken together. 0 when there is no positive.
double averagePrecision(const std::vector<double> &scores, const std::vector<int> &labels);

struct Accuracy {
    double overall = 0, real = 0, fake = 0; // fractions; real/fake: of each label's images
    int reals = 0, fakes = 0;
};
// Predicted fake when score >= threshold.
Accuracy accuracyAt(const std::vector<double> &scores, const std::vector<int> &labels, double threshold);

} // namespace rine
