#include "SweepExport.h"

#include "report/Provenance.h"
#include "util/QtStrings.h"

#include <QJsonDocument>

namespace rine {

namespace {


QString verdict(bool fake) { return fake ? QStringLiteral("fake") : QStringLiteral("real"); }

} // namespace

QJsonObject sweepToJson(const SweepResult &r)
{
    QJsonArray series;
    for (const SweepSeries &s : r.series) {
        QJsonArray points;
        for (const SweepPoint &p : s.points)
            points.append(QJsonObject{{QStringLiteral("strength"), p.strength},
                                      {QStringLiteral("label"), q(p.label)},
                                      {QStringLiteral("logit"), p.logit},
                                      {QStringLiteral("probability"), p.probability},
                                      {QStringLiteral("verdict"), verdict(p.fake)}});
        series.append(QJsonObject{
            {QStringLiteral("perturbation"), QString::fromLatin1(perturbationName(s.kind))},
            {QStringLiteral("points"), points},
            {QStringLiteral("flip"), s.flipIndex < 0 ? QJsonValue() : QJsonValue(q(s.flip))},
        });
    }
    return QJsonObject{
        {QStringLiteral("detector"), q(r.detector)},
        {QStringLiteral("path"), q(r.path)},
        {QStringLiteral("sha256"), q(r.sha256)},
        {QStringLiteral("status"), QStringLiteral("ok")},
        {QStringLiteral("baseline"),
         QJsonObject{{QStringLiteral("logit"), r.baselineLogit},
                     {QStringLiteral("probability"), r.baselineProbability},
                     {QStringLiteral("verdict"), verdict(r.baselineFake)}}},
        {QStringLiteral("series"), series},
        {QStringLiteral("summary"), q(r.summary)},
        {QStringLiteral("crops"), r.crops},
        {QStringLiteral("forward_passes"), r.forwardPasses},
        {QStringLiteral("seconds"), r.seconds},
    };
}

QByteArray robustnessDocument(const SweepPlan &plan, double threshold, std::uint64_t seed, const ModelInfo &model,
                              const QJsonArray &records, CropMode crop)
{
    return robustnessDocument(plan, threshold, seed, &model, nullptr, records, crop);
}

QByteArray robustnessDocument(const SweepPlan &plan, double threshold, std::uint64_t seed, const ModelInfo *rine,
                              const SpaiDetector *spai, const QJsonArray &records, CropMode crop)
{
    QJsonArray detectors;
    if (rine)
        detectors.append(QStringLiteral("rine"));
    if (spai)
        detectors.append(QStringLiteral("spai"));
    QJsonObject root{{QStringLiteral("preset"), q(plan.name)},
                     {QStringLiteral("threshold"), threshold},
                     {QStringLiteral("seed"), QString::number(seed)},
                     {QStringLiteral("resize_to_256"), plan.resizeTo256},
                     {QStringLiteral("detectors"), detectors},
                     {QStringLiteral("records"), records}};
    QJsonArray planJson;
    for (const SweepPlan::Series &series : plan.series) {
        QJsonArray strengths;
        for (double s : series.strengths)
            strengths.append(s);
        planJson.append(QJsonObject{{QStringLiteral("perturbation"), QString::fromLatin1(perturbationName(series.kind))},
                                    {QStringLiteral("strengths"), strengths}});
    }
    root.insert(QStringLiteral("plan"), planJson);
    if (rine) {
        root.insert(QStringLiteral("model"), modelJson(*rine));
        const QJsonObject provenance = provenanceJson(*rine, crop);
        for (auto it = provenance.begin(); it != provenance.end(); ++it)
            root.insert(it.key(), it.value());
    }
    if (spai)
        root.insert(QStringLiteral("spai"), spaiJson(*spai));
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace rine
