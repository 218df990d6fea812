#pragma once

#include <utility>
#include <vector>

namespace rine {

// The 95% Wilson score interval of a proportion successes / n (n > 0).
std::pair<double, double> wilsonInterval(int successes, int n, double z = 1.959963984540054);

// A threshold chosen on a labelled reference set so that at most targetFpr of its real
// images score at or above it, with the rates it gives there and their 95% intervals.
struct Calibration {
    double targetFpr = 0;
    double threshold = 0.5;
    int reals = 0, fakes = 0;
    int falsePositives = 0, truePositives = 0;
    double fpr = 0, fprLow = 0, fprHigh = 0;
    double tpr = 0, tprLow = 0, tprHigh = 0;
};

// scores: probabilities; labels: 1 fake, 0 real. Needs at least one real and one fake.
// The threshold is the lowest that keeps the false-positive rate at or under the target:
// just above the (k+1)-th highest real score, k = floor(targetFpr * reals).
Calibration calibrate(const std::vector<double> &scores, const std::vector<int> &labels, double targetFpr);

} // namespace rine
