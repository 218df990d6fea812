#include "Provenance.h"

#include "image/ImageDecoder.h"
#include "image/Preprocessing.h"
#include "util/Version.h"
#include "util/QtStrings.h"

#include <QJsonArray>

namespace rine {

QJsonObject modelJson(const ModelInfo &m)
{
    const HeadInfo &head = m.heads.front();
    return QJsonObject{
        {QStringLiteral("blocks"), m.blocks},
        {QStringLiteral("width"), m.width},
        {QStringLiteral("heads"), m.attentionHeads},
        {QStringLiteral("patch"), m.patch},
        {QStringLiteral("input_size"), m.inputSize},
        {QStringLiteral("nproj"), head.nproj},
        {QStringLiteral("proj_dim"), head.projDim},
        {QStringLiteral("backbone_path"), q(m.backbonePath)},
        {QStringLiteral("backbone_sha256"), q(m.backboneSha256)},
        {QStringLiteral("backbone_format"), q(m.backboneFormat)},
        {QStringLiteral("head_path"), q(head.path)},
        {QStringLiteral("head_sha256"), q(head.sha256)},
        {QStringLiteral("block_importance"), numbersJson(head.blockImportance)},
        {QStringLiteral("block_importance_meaning"),
         QStringLiteral("softmax(alpha) over blocks, averaged over the projection dimension; the same for every image")},
    };
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

QJsonArray numbersJson(const std::vector<double> &values)
{
    QJsonArray out;
    for (double v : values)
        out.append(v);
    return out;
}

} // namespace rine
