#pragma once

#include <ATen/ATen.h>

namespace rine {

// The losses RINE's head is trained with (the published training code; issue 8).

// Supervised contrastive loss (Khosla et al., NeurIPS 2020) over one view per sample.
// embeddings: [B, D], already L2-normalised; labels: [B] (any integer type). For each anchor
// i, with s_ij = z_i . z_j / temperature, log p_ij = s_ij - log sum_{k != i} exp(s_ik), the
// anchor's term is minus the mean of log p_ij over its positives (j != i, same label), or 0
// when it has none; the loss is the mean over anchors. Differentiable.
at::Tensor supConLoss(const at::Tensor &embeddings, const at::Tensor &labels, double temperature = 0.07);

// The published objective: binary cross-entropy on the logits, summed over the batch, plus
// xi times the supervised contrastive loss of the L2-normalised proj2 output.
// logits: [B]; embeddings: [B, P] (not normalised); labels: [B], 1 = fake.
at::Tensor rineLoss(const at::Tensor &logits, const at::Tensor &embeddings, const at::Tensor &labels, double xi,
                    double temperature = 0.07);

} // namespace rine
