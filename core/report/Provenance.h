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
// SPAI's identity, preprocessing and runtime, for the same records: the weight file (path,
// SHA-256), the architecture, how an image becomes patches, and where it ran.
QJsonObject spaiJson(const SpaiDetector &spai);
// One image's SPAI score: logit, probability, the layout (padding, grid or five-crop) and per
// patch its place, attention per head and mean, and the logit it would get alone.
QJsonObject spaiScoreJson(const SpaiScore &score);
// Each patch: top, left (in the padded image), attention per head, attention_mean, solo_logit.
QJsonArray spaiPatchesJson(const std::vector<SpaiPatchScore> &patches);
// A list of numbers as JSON (block importance, contributions).
QJsonArray numbersJson(const std::vector<double> &values);

} // namespace rine
