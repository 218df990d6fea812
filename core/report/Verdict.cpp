#include "Verdict.h"

#include <QObject>

namespace rine {

QString verdictName(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Fake: return QObject::tr("Fake");
    case Verdict::Real: return QObject::tr("Real");
    case Verdict::Inconclusive: return QObject::tr("Inconclusive");
    case Verdict::None: break;
    }
    return QObject::tr("Not scored");
}

Verdict VerdictRule::of(double probability) const
{
    if (probability >= threshold + band)
        return Verdict::Fake;
    if (probability < threshold - band)
        return Verdict::Real;
    return Verdict::Inconclusive;
}

QString VerdictRule::describe() const
{
    return QObject::tr("threshold %1, inconclusive band %2: fake at probability >= %3, real below %4, inconclusive "
                       "in between")
        .arg(threshold, 0, 'f', 2)
        .arg(band, 0, 'f', 2)
        .arg(threshold + band, 0, 'f', 2)
        .arg(threshold - band, 0, 'f', 2);
}

} // namespace rine
