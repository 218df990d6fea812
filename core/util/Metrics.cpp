#include "Metrics.h"

#include <algorithm>
#include <numeric>

namespace rine {

double averagePrecision(const std::vector<double> &scores, const std::vector<int> &labels)
{
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    const double positives = double(std::count(labels.begin(), labels.end(), 1));
    if (positives == 0)
        return 0;
    double ap = 0, previousRecall = 0;
    std::size_t truePositives = 0, seen = 0;
    for (std::size_t i = 0; i < order.size();) {
        // One threshold per distinct score.
        std::size_t j = i;
        while (j < order.size() && scores[order[j]] == scores[order[i]]) {
            truePositives += labels[order[j]] == 1 ? 1 : 0;
            ++j;
        }
        seen = j;
        const double recall = double(truePositives) / positives, precision = double(truePositives) / double(seen);
        ap += (recall - previousRecall) * precision;
        previousRecall = recall;
        i = j;
    }
    return ap;
}

Accuracy accuracyAt(const std::vector<double> &scores, const std::vector<int> &labels, double threshold)
{
    Accuracy a;
    int right = 0, rightReal = 0, rightFake = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        const bool fake = scores[i] >= threshold, correct = fake == (labels[i] == 1);
        right += correct;
        if (labels[i] == 1) {
            ++a.fakes;
            rightFake += correct;
        } else {
            ++a.reals;
            rightReal += correct;
        }
    }
    a.overall = scores.empty() ? 0 : double(right) / double(scores.size());
    a.real = a.reals ? double(rightReal) / a.reals : 0;
    a.fake = a.fakes ? double(rightFake) / a.fakes : 0;
    return a;
}

} // namespace rine
