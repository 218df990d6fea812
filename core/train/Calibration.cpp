#include "Calibration.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>

namespace rine {

std::pair<double, double> wilsonInterval(int successes, int n, double z)
{
    if (n <= 0)
        return {0, 1};
    const double p = double(successes) / n, z2 = z * z;
    const double denominator = 1 + z2 / n;
    const double centre = (p + z2 / (2.0 * n)) / denominator;
    const double margin = z * std::sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
    return {std::max(0.0, centre - margin), std::min(1.0, centre + margin)};
}

Calibration calibrate(const std::vector<double> &scores, const std::vector<int> &labels, double targetFpr)
{
    Calibration c;
    c.targetFpr = targetFpr;
    std::vector<double> reals;
    for (std::size_t i = 0; i < scores.size(); ++i)
        if (labels[i] == 1)
            ++c.fakes;
        else
            reals.push_back(scores[i]);
    c.reals = int(reals.size());
    if (c.reals == 0 || c.fakes == 0)
        return c;
    std::sort(reals.begin(), reals.end(), std::greater<double>());
    const auto allowed = std::size_t(std::floor(targetFpr * c.reals + 1e-9));
    // Above the (allowed+1)-th highest real score: at most `allowed` reals reach it (ties
    // with that score stay below).
    c.threshold = allowed < reals.size() ? std::nextafter(reals[allowed], 2.0) : 0.0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        if (scores[i] < c.threshold)
            continue;
        if (labels[i] == 1)
            ++c.truePositives;
        else
            ++c.falsePositives;
    }
    c.fpr = double(c.falsePositives) / c.reals;
    c.tpr = double(c.truePositives) / c.fakes;
    std::tie(c.fprLow, c.fprHigh) = wilsonInterval(c.falsePositives, c.reals);
    std::tie(c.tprLow, c.tprHigh) = wilsonInterval(c.truePositives, c.fakes);
    return c;
}

} // namespace rine
