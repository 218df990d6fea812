// The training losses against values worked out by hand on 4-sample batches.

#include "model/TrainingLosses.h"

#include <QTest>

#include <cmath>

using namespace rine;

namespace {

at::Tensor vectors(std::initializer_list<std::initializer_list<float>> rows)
{
    std::vector<float> flat;
    std::int64_t width = 0;
    for (const auto &row : rows) {
        width = std::int64_t(row.size());
        flat.insert(flat.end(), row.begin(), row.end());
    }
    return at::tensor(flat).view({std::int64_t(rows.size()), width});
}

double value(const at::Tensor &t) { return t.item<double>(); }

} // namespace

class TestTrainingLosses : public QObject {
    Q_OBJECT

private slots:
    void supConMatchesTheHandComputedValue()
    {
        // z = (1,0), (1,0), (0,1), (0,1), labels 0, 0, 1, 1. At temperature 1 every anchor has
        // one positive at similarity 1 and negatives at 0: log p = 1 - log(e + 2) for each,
        // so the loss is log(e + 2) - 1.
        const at::Tensor z = vectors({{1, 0}, {1, 0}, {0, 1}, {0, 1}});
        const at::Tensor labels = at::tensor(std::vector<std::int64_t>{0, 0, 1, 1});
        QVERIFY(std::abs(value(supConLoss(z, labels, 1.0)) - (std::log(std::exp(1.0) + 2) - 1)) < 1e-6);
        // At temperature 0.5 the similarity is 2: log(e^2 + 2) - 2.
        QVERIFY(std::abs(value(supConLoss(z, labels, 0.5)) - (std::log(std::exp(2.0) + 2) - 2)) < 1e-5);
        // At the published 0.07: log(e^(1/0.07) + 2) - 1/0.07, about 1.25e-6.
        const double t = 0.07;
        QVERIFY(std::abs(value(supConLoss(z, labels, t)) - (std::log(std::exp(1 / t) + 2) - 1 / t)) < 1e-5);
    }

    void anchorsWithoutPositivesCountZero()
    {
        // Labels 0, 1, 1, 2: anchors 1 and 4 have no positive and add 0; anchors 2 and 3 are
        // as above (one positive at 1, two negatives at 0): (2 (log(e + 2) - 1)) / 4.
        const at::Tensor z = vectors({{1, 0}, {0, 1}, {0, 1}, {1, 0}});
        const at::Tensor labels = at::tensor(std::vector<std::int64_t>{0, 1, 1, 2});
        const double expected = 2 * (std::log(std::exp(1.0) + 2) - 1) / 4;
        QVERIFY(std::abs(value(supConLoss(z, labels, 1.0)) - expected) < 1e-6);
    }

    void rineLossSumsBinaryCrossEntropyAndWeightsSupCon()
    {
        // BCE summed: logits 0 and 2 with labels 1 and 0: log 2 + log(1 + e^2).
        const at::Tensor logits = at::tensor(std::vector<float>{0, 2, 0, 2});
        const at::Tensor labels = at::tensor(std::vector<std::int64_t>{1, 0, 1, 0});
        const double bce = 2 * (std::log(2.0) + std::log(1 + std::exp(2.0)));
        // Embeddings not normalised: (3,0) and (0,2) become (1,0) and (0,1) first.
        const at::Tensor embeddings = vectors({{3, 0}, {0, 2}, {5, 0}, {0, 7}});
        QVERIFY(std::abs(value(rineLoss(logits, embeddings, labels, 0.0)) - bce) < 1e-5);
        const double supcon = std::log(std::exp(1.0) + 2) - 1; // labels 1,0,1,0: (1,0) pairs and (0,1) pairs
        QVERIFY(std::abs(value(rineLoss(logits, embeddings, labels, 0.2, 1.0)) - (bce + 0.2 * supcon)) < 1e-5);
    }

    void gradientsFlowToTheEmbeddings()
    {
        at::Tensor z = vectors({{1, 0.2f}, {0.9f, 0.1f}, {0.1f, 1}, {0.3f, 0.8f}}).set_requires_grad(true);
        const at::Tensor labels = at::tensor(std::vector<std::int64_t>{0, 0, 1, 1});
        const at::Tensor logits = at::zeros({4}).set_requires_grad(true);
        rineLoss(logits, z, labels, 0.2).backward();
        QVERIFY(z.grad().defined() && value(z.grad().abs().sum()) > 0);
        QVERIFY(logits.grad().defined());
        // d BCE / d logit at 0 is sigmoid(0) - y: -0.5 for fakes, +0.5 for reals.
        QVERIFY(std::abs(logits.grad()[0].item<double>() - 0.5) < 1e-6);
        QVERIFY(std::abs(logits.grad()[2].item<double>() + 0.5) < 1e-6);
    }
};

QTEST_GUILESS_MAIN(TestTrainingLosses)
#include "tst_training_losses.moc"
