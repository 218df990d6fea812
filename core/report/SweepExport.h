#pragma once

#include "model/Detector.h"
#include "model/SpaiDetector.h"
#include "scoring/RobustnessSweep.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>

namespace rine {

// One image's sweep as a JSON record: baseline, each perturbation's points (strength, label,
// logit, probability, verdict at the threshold) and its flip, the summary, the work done.
QJsonObject sweepToJson(const SweepResult &result);

// A robustness document: the plan, threshold and seed, the model and provenance, and the
// records (sweepToJson, or {path, status: "error", error}). rine-cli robustness and the
// Robustness page write the same document.
QByteArray robustnessDocument(const SweepPlan &plan, double threshold, std::uint64_t seed, const ModelInfo &model,
                              const QJsonArray &records, CropMode crop = CropMode::Center);
// The same for the detectors that swept (either may be null; each record names its detector):
// RINE's model and provenance, SPAI's weights and preprocessing.
QByteArray robustnessDocument(const SweepPlan &plan, double threshold, std::uint64_t seed, const ModelInfo *rine,
                              const SpaiDetector *spai, const QJsonArray &records, CropMode crop = CropMode::Center);

} // namespace rine
