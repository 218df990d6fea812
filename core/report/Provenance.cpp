#include "Provenance.h"

#include "image/ImageDecoder.h"
#include "image/Preprocessing.h"
#include "util/Version.h"
#include "util/QtStrings.h"

#include <QJsonArray>

namespace rine {

QJsonObject modelJson(const ModelInfo &m)
{
    QJsonObject o{
        {QStringLiteral("blocks"), m.blocks},
        {QStringLiteral("width"), m.width},
        {QStringLiteral("heads"), m.attentionHeads},
        {QStringLiteral("patch"), m.patch},
        {QStringLiteral("input_size"), m.inputSize},
        {QStringLiteral("backbone_path"), q(m.backbonePath)},
        {QStringLiteral("backbone_sha256"), q(m.backboneSha256)},
        {QStringLiteral("backbone_format"), q(m.backboneFormat)},
    };
    if (m.heads.empty()) // the backbone alone (training): no head to describe
        return o;
    const HeadInfo &head = m.heads.front();
    o.insert(QStringLiteral("nproj"), head.nproj);
    o.insert(QStringLiteral("proj_dim"), head.projDim);
    o.insert(QStringLiteral("head_path"), q(head.path));
    o.insert(QStringLiteral("head_sha256"), q(head.sha256));
    o.insert(QStringLiteral("block_importance"), numbersJson(head.blockImportance));
    o.insert(QStringLiteral("block_importance_meaning"),
             QStringLiteral("softmax(alpha) over blocks, averaged over the projection dimension; the same for every "
                            "image"));
    return o;
}

QJsonObject provenanceJson(const ModelInfo &m, CropMode crop)
{
    const QString side = QString::number(m.inputSize);
    return QJsonObject{
        {QStringLiteral("preprocessing"),
         QJsonObject{
             {QStringLiteral("decode"),
              QStringLiteral("8-bit RGB as PIL convert(\"RGB\"): grey replicated, alpha dropped, palette "
                             "expanded, EXIF orientation not applied; 16-bit samples keep their high byte")},
             {QStringLiteral("crop"),
              crop == CropMode::Ten
                  ? QStringLiteral("ten-crop %1 (corners, centre, and their horizontal flips; zero padding when "
                                   "smaller); probability = sigmoid(mean of the ten logits)").arg(side)
              : crop == CropMode::Texture
                  ? QString::fromStdString(Preprocessing{crop, m.inputSize}.describe())
                  : QStringLiteral("center crop %1 without resizing (zero padding when smaller)").arg(side)},
             {QStringLiteral("name"), QString::fromStdString(Preprocessing{crop, m.inputSize}.name())},
             {QStringLiteral("mean"), numbersJson(m.mean)},
             {QStringLiteral("std"), numbersJson(m.std)},
         }},
        {QStringLiteral("runtime"),
         QJsonObject{
             {QStringLiteral("app_version"), QStringLiteral(RINE_VERSION " (" RINE_GIT_DESCRIBE ")")},
             {QStringLiteral("device"), q(m.device)},
             {QStringLiteral("backbone_dtype"), q(m.backboneDtype)},
             {QStringLiteral("precision"), q(m.precision)},
             {QStringLiteral("precision_chosen"), q(m.precisionNote)},
             {QStringLiteral("head_dtype"), QStringLiteral("float32")},
             {QStringLiteral("libtorch"), q(m.libtorchVersion)},
             {QStringLiteral("opencv"), q(opencvVersion())},
             {QStringLiteral("qt"), QString::fromLatin1(qVersion())},
         }},
    };
}

QJsonObject spaiJson(const SpaiDetector &spai)
{
    const SpaiConfig &c = spai.config();
    return QJsonObject{
        {QStringLiteral("detector"), QStringLiteral("spai")},
        {QStringLiteral("weights_path"), q(spai.path())},
        {QStringLiteral("weights_sha256"), q(spai.sha256())},
        {QStringLiteral("architecture"), q(c.describe())},
        {QStringLiteral("preprocessing"),
         QStringLiteral("8-bit RGB as PIL convert(\"RGB\"), no resizing; a side under %1 px padded to %1, centred, "
                        "reflect-101; %1 px patches at stride %2, row-major, the remainder dropped; fewer than %3 "
                        "patches: five-crop (corners, then the centre); pixels x/255; every patch scored in the "
                        "frequency domain and weighed by the spectral context attention")
             .arg(c.imageSize)
             .arg(c.stride)
             .arg(c.minimumPatches)},
        {QStringLiteral("device"), QStringLiteral("cpu")},
        {QStringLiteral("precision"), q(spai.precision())},
        {QStringLiteral("precision_note"), q(spai.precisionNote())},
        {QStringLiteral("citation"),
         QStringLiteral("Karageorgiou, Papadopoulos, Kompatsiaris and Gavves, Any-Resolution AI-Generated Image "
                        "Detection by Spectral Learning, CVPR 2025")},
    };
}

QJsonArray spaiPatchesJson(const std::vector<SpaiPatchScore> &patches)
{
    QJsonArray out;
    for (const SpaiPatchScore &p : patches)
        out.append(QJsonObject{{QStringLiteral("top"), p.top},
                               {QStringLiteral("left"), p.left},
                               {QStringLiteral("attention"), numbersJson(p.attention)},
                               {QStringLiteral("attention_mean"), p.attentionMean},
                               {QStringLiteral("solo_logit"), p.soloLogit}});
    return out;
}

QJsonObject spaiScoreJson(const SpaiScore &score)
{
    const SpaiLayout &l = score.layout;
    const QJsonArray patches = spaiPatchesJson(score.patches);
    return QJsonObject{
        {QStringLiteral("logit"), score.logit},
        {QStringLiteral("probability"), score.probability},
        {QStringLiteral("patch_mode"), l.fiveCrop ? QStringLiteral("five_crop") : QStringLiteral("grid")},
        {QStringLiteral("padding"), QJsonArray{l.padTop, l.padBottom, l.padLeft, l.padRight}},
        {QStringLiteral("padded_size"), QJsonArray{l.width, l.height}},
        {QStringLiteral("patches"), patches},
    };
}

QJsonArray numbersJson(const std::vector<double> &values)
{
    QJsonArray out;
    for (double v : values)
        out.append(v);
    return out;
}

} // namespace rine
