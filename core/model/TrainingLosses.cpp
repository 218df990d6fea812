#include "TrainingLosses.h"

namespace rine {

at::Tensor supConLoss(const at::Tensor &embeddings, const at::Tensor &labels, double temperature)
{
    TORCH_CHECK(embeddings.dim() == 2, "supConLoss: embeddings must be [B, D]");
    TORCH_CHECK(labels.dim() == 1 && labels.size(0) == embeddings.size(0), "supConLoss: labels must be [B]");
    TORCH_CHECK(temperature > 0, "supConLoss: temperature must be positive");
    const std::int64_t n = embeddings.size(0);
    const auto options = embeddings.options();
    at::Tensor similarity = at::matmul(embeddings, embeddings.t()) / temperature;
    // Subtracting each row's maximum changes nothing but the range exp() sees.
    similarity = similarity - std::get<0>(similarity.max(1, true)).detach();
    const at::Tensor notSelf = 1 - at::eye(n, options);
    const at::Tensor sameLabel = labels.view({-1, 1}).eq(labels.view({1, -1})).to(options.dtype());
    const at::Tensor positives = sameLabel * notSelf;
    const at::Tensor logDenominator = at::log((at::exp(similarity) * notSelf).sum(1, true));
    const at::Tensor logProbability = similarity - logDenominator;
    const at::Tensor count = positives.sum(1);
    const at::Tensor safeCount = at::where(count < 1e-6, at::ones_like(count), count);
    const at::Tensor meanPositive = (positives * logProbability).sum(1) / safeCount;
    return (-meanPositive).mean();
}

at::Tensor rineLoss(const at::Tensor &logits, const at::Tensor &embeddings, const at::Tensor &labels, double xi,
                    double temperature)
{
    const at::Tensor target = labels.to(logits.options().dtype()).view_as(logits);
    const at::Tensor bce = at::binary_cross_entropy_with_logits(logits, target, {}, {}, at::Reduction::Sum);
    if (xi == 0)
        return bce;
    const at::Tensor normalised = embeddings / embeddings.norm(2, 1, true).clamp_min(1e-12);
    return bce + xi * supConLoss(normalised, labels, temperature);
}

} // namespace rine
