#pragma once

#include "model/Detector.h"
#include "scoring/ImageScorer.h"

#include <QJsonArray>
#include <QJsonObject>

#include <vector>

namespace rine {

// Model identity, preprocessing and runtime: what a result needs to be reproduced. The same
// objects go into every JSON record the program writes (scores, scans, robustness sweeps).
QJsonObject modelJson(const ModelInfo &model);
QJsonObject provenanceJson(const ModelInfo &model, CropMode crop);
// A list of numbers as JSON (block importance, contributions).
QJsonArray numbersJson(const std::vector<double> &values);

} // namespace rine
