#pragma once

#include <QString>

namespace rine {

enum class Verdict { Fake, Real, Inconclusive, None };
QString verdictName(Verdict verdict); // "Fake", "Real", "Inconclusive", "Not scored"

// How a probability becomes a verdict: at or above threshold + band the image is called
// fake (generated), below threshold - band real, and in between inconclusive.
struct VerdictRule {
    double threshold = 0.5;
    double band = 0.05;
    Verdict of(double probability) const;
    QString describe() const; // "fake at >= 0.55, real below 0.45, inconclusive between"
};

} // namespace rine
