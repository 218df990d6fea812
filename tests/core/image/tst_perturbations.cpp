// Each perturbation against an independent expectation: OpenCV's own encode/decode for
// JPEG, the Gaussian formula for blur, sample statistics for noise, geometry for crop and
// resize; determinism for a seed.

#include "image/Perturbations.h"

#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstring>
#include <set>

using namespace rine;

namespace {

RgbImage flat(int width, int height, std::uint8_t value)
{
    return {width, height, std::vector<std::uint8_t>(std::size_t(width) * height * 3, value)};
}

// Smooth shading with texture: what a photograph's JPEG behaviour needs.
RgbImage photo(int width, int height)
{
    RgbImage image = flat(width, height, 0);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c)
                image.pixels[(std::size_t(y) * width + x) * 3 + c] =
                    std::uint8_t(128 + 60 * std::sin(0.05 * x + c) * std::cos(0.07 * y) + 20 * std::sin(0.9 * x * y));
    return image;
}

double psnr(const RgbImage &a, const RgbImage &b)
{
    double sum = 0;
    for (std::size_t i = 0; i < a.pixels.size(); ++i)
        sum += std::pow(double(a.pixels[i]) - double(b.pixels[i]), 2);
    return 10 * std::log10(255.0 * 255.0 / (sum / double(a.pixels.size())));
}

} // namespace

class TestPerturbations : public QObject {
    Q_OBJECT

private slots:
    void jpegIsOpenCvsOwnEncodeAndDecode()
    {
        const RgbImage image = photo(96, 64);
        double previous = 1e9;
        for (int quality : {90, 50, 10}) {
            auto out = applyPerturbation(image, {PerturbationKind::Jpeg, double(quality)}, 0);
            QVERIFY2(out, out.error().c_str());
            cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<std::uint8_t *>(image.pixels.data())), bgr;
            cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
            std::vector<std::uint8_t> bytes;
            QVERIFY(cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, quality}));
            cv::Mat decoded = cv::imdecode(bytes, cv::IMREAD_COLOR), expected;
            cv::cvtColor(decoded, expected, cv::COLOR_BGR2RGB);
            QVERIFY(std::memcmp(expected.data, out->pixels.data(), out->pixels.size()) == 0);
            // And the quality is really applied: lower quality, larger error.
            const double quality_psnr = psnr(image, out.value());
            QVERIFY2(quality_psnr < previous, qPrintable(QString::number(quality_psnr)));
            previous = quality_psnr;
        }
    }

    void blurOfADeltaIsTheGaussianKernel()
    {
        RgbImage image = flat(21, 21, 0);
        for (int c = 0; c < 3; ++c)
            image.pixels[(10 * 21 + 10) * 3 + c] = 255;
        for (int size : {3, 5, 7, 9}) {
            auto out = applyPerturbation(image, {PerturbationKind::Blur, double(size)}, 0);
            QVERIFY2(out, out.error().c_str());
            // sigma from the kernel size, as OpenCV does for sigma 0 (a hand formula).
            const double sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8;
            QCOMPARE(sigmaForKernel(size), sigma);
            std::vector<double> g(static_cast<std::size_t>(size));
            double total = 0;
            for (int i = 0; i < size; ++i)
                total += g[std::size_t(i)] = std::exp(-std::pow(i - size / 2, 2) / (2 * sigma * sigma));
            for (int dy = -size / 2; dy <= size / 2; ++dy)
                for (int dx = -size / 2; dx <= size / 2; ++dx) {
                    const double expected =
                        255 * g[std::size_t(dx + size / 2)] / total * g[std::size_t(dy + size / 2)] / total;
                    const int got = out->pixels[((10 + dy) * 21 + 10 + dx) * 3];
                    QVERIFY2(std::abs(got - expected) <= 1.0,
                             qPrintable(QStringLiteral("kernel %1 at (%2, %3): %4, expected %5").arg(size).arg(dx).arg(dy).arg(got).arg(expected)));
                }
            QCOMPARE(int(out->pixels[(10 * 21 + 10 + size) * 3]), 0); // nothing beyond the kernel
        }
    }

    void trainingBlurIsScipysGaussianFilter()
    {
        // scipy.ndimage.gaussian_filter(sigma 1.5): radius int(4 * 1.5 + 0.5) = 6, weights
        // exp(-k^2 / 2 sigma^2) normalised over |k| <= 6, "reflect" border.
        const double sigma = 1.5;
        const int radius = 6;
        std::vector<double> g(radius + 1);
        double total = 0;
        for (int k = -radius; k <= radius; ++k)
            total += std::exp(-double(k * k) / (2 * sigma * sigma));
        for (int k = 0; k <= radius; ++k)
            g[std::size_t(k)] = std::exp(-double(k * k) / (2 * sigma * sigma)) / total;

        RgbImage centre = flat(31, 31, 0);
        for (int c = 0; c < 3; ++c)
            centre.pixels[(15 * 31 + 15) * 3 + c] = 255;
        const RgbImage out = gaussianFilter(centre, sigma);
        for (int dy = -radius - 1; dy <= radius + 1; ++dy)
            for (int dx = -radius - 1; dx <= radius + 1; ++dx) {
                const bool inside = std::abs(dx) <= radius && std::abs(dy) <= radius;
                const double expected = inside ? 255 * g[std::size_t(std::abs(dx))] * g[std::size_t(std::abs(dy))] : 0;
                const int got = out.pixels[((15 + dy) * 31 + 15 + dx) * 3 + 1];
                QVERIFY2(std::abs(got - expected) <= 1.0,
                         qPrintable(QStringLiteral("(%1, %2): %3, expected %4").arg(dx).arg(dy).arg(got).arg(expected)));
            }
        // At a corner the border is mirrored with its edge pixel repeated (d c b a | a b c d):
        // the delta meets itself at offset -1, so the corner gets (g0 + g1)^2.
        RgbImage corner = flat(31, 31, 0);
        for (int c = 0; c < 3; ++c)
            corner.pixels[c] = 255;
        const RgbImage atCorner = gaussianFilter(corner, sigma);
        QVERIFY(std::abs(atCorner.pixels[0] - 255 * std::pow(g[0] + g[1], 2)) <= 1.0);
        QVERIFY(gaussianFilter(corner, 0).pixels == corner.pixels); // sigma 0: unchanged
    }

    void trainingAugmentationIsThePublishedOneAndSeeded()
    {
        const RgbImage image = photo(256, 256);
        TrainingAugmentation options;
        AugmentationDraw a, b;
        auto first = augmentForTraining(image, options, 7, &a);
        auto again = augmentForTraining(image, options, 7, &b);
        QVERIFY2(first, first.error().c_str());
        QCOMPARE(first->size(), std::size_t(224 * 224 * 3));
        QVERIFY(first.value() == again.value());
        QCOMPARE(a.cropLeft, b.cropLeft);

        // Over many seeds: every draw in range, and each choice taken about as often as its
        // probability says (0.5 each: 200 fixed seeds, within 0.35..0.65).
        int blurred = 0, encoded = 0, flipped = 0;
        std::set<int> qualities;
        const RgbImage odd = photo(240, 230);
        for (std::uint64_t seed = 0; seed < 200; ++seed) {
            AugmentationDraw draw;
            QVERIFY(augmentForTraining(odd, options, seed, &draw));
            QVERIFY(draw.cropLeft >= 0 && draw.cropLeft <= 240 - 224);
            QVERIFY(draw.cropTop >= 0 && draw.cropTop <= 230 - 224);
            QVERIFY(draw.blurSigma >= 0 && draw.blurSigma < 3.0);
            blurred += draw.blurSigma > 0;
            encoded += draw.jpegQuality > 0;
            flipped += draw.flipped;
            if (draw.jpegQuality)
                qualities.insert(draw.jpegQuality);
        }
        for (int count : {blurred, encoded, flipped})
            QVERIFY2(count > 70 && count < 130, qPrintable(QString::number(count)));
        QCOMPARE(qualities, (std::set<int>{30, 100}));

        // Nothing but the crop and a flip: the output is the flipped window, worked out here.
        options.blurProbability = 0;
        options.jpegProbability = 0;
        options.flipProbability = 1;
        AugmentationDraw draw;
        auto plain = augmentForTraining(image, options, 3, &draw);
        QVERIFY(plain && draw.flipped && draw.blurSigma == 0 && draw.jpegQuality == 0);
        for (int y = 0; y < 224; y += 37)
            for (int x = 0; x < 224; x += 41)
                for (int c = 0; c < 3; ++c)
                    QCOMPARE(plain.value()[(std::size_t(y) * 224 + x) * 3 + c],
                             image.pixels[(std::size_t(draw.cropTop + y) * 256 + draw.cropLeft + 223 - x) * 3 + c]);

        // Smaller than the crop: centred and zero-padded on that side.
        auto small = augmentForTraining(photo(100, 300), options, 1, &draw);
        QVERIFY(small);
        QCOMPARE(draw.cropLeft, -62);
        QCOMPARE(int(small.value()[0]), 0);
    }

    void noiseHasItsSigmaAndDependsOnlyOnTheSeed()
    {
        const RgbImage image = flat(256, 256, 128);
        auto out = applyPerturbation(image, {PerturbationKind::Noise, 10}, 7);
        QVERIFY(out);
        double sum = 0, squares = 0;
        for (std::uint8_t v : out->pixels) {
            sum += v;
            squares += double(v) * v;
        }
        const double n = double(out->pixels.size()), mean = sum / n, sd = std::sqrt(squares / n - mean * mean);
        QVERIFY2(std::abs(mean - 128) < 0.2, qPrintable(QString::number(mean)));
        // Rounding to whole levels adds 1/12 to the variance.
        QVERIFY2(std::abs(sd - std::sqrt(100 + 1.0 / 12)) < 0.15, qPrintable(QString::number(sd)));
        auto again = applyPerturbation(image, {PerturbationKind::Noise, 10}, 7);
        auto other = applyPerturbation(image, {PerturbationKind::Noise, 10}, 8);
        QVERIFY(again->pixels == out->pixels);
        QVERIFY(other->pixels != out->pixels);
        QVERIFY(applyPerturbation(image, {PerturbationKind::Noise, 0}, 7)->pixels == image.pixels);
    }

    void cropRemovesAFractionAndResizesBack()
    {
        // Pixel x holds x: after the crop, the left column shows where the crop began.
        RgbImage ramp = flat(200, 100, 0);
        for (int y = 0; y < 100; ++y)
            for (int x = 0; x < 200; ++x)
                ramp.pixels[(std::size_t(y) * 200 + x) * 3] = std::uint8_t(x);
        QVERIFY(applyPerturbation(ramp, {PerturbationKind::Crop, 0}, 3)->pixels == ramp.pixels);
        std::set<int> starts;
        for (std::uint64_t seed = 0; seed < 8; ++seed) {
            auto out = applyPerturbation(ramp, {PerturbationKind::Crop, 0.2}, seed);
            QVERIFY(out);
            QCOMPARE(out->width, 200);
            QCOMPARE(out->height, 100);
            const int left = out->pixels[(50 * 200) * 3], right = out->pixels[(50 * 200 + 199) * 3];
            QVERIFY2(left >= 0 && left <= 41, qPrintable(QString::number(left))); // 20% of 200 removed
            QVERIFY2(std::abs(right - left - 159) <= 2, qPrintable(QString::number(right - left))); // 160 columns kept
            starts.insert(left);
            QVERIFY(applyPerturbation(ramp, {PerturbationKind::Crop, 0.2}, seed)->pixels == out->pixels);
        }
        QVERIFY(starts.size() > 1); // the seed moves the crop
    }

    void resizeScalesByTheFactor()
    {
        const RgbImage image = flat(100, 60, 77);
        auto down = applyPerturbation(image, {PerturbationKind::Resize, 0.5}, 0);
        auto up = applyPerturbation(image, {PerturbationKind::Resize, 2}, 0);
        QVERIFY(down && up);
        QCOMPARE(down->width, 50);
        QCOMPARE(down->height, 30);
        QCOMPARE(up->width, 200);
        QCOMPARE(up->height, 120);
        QVERIFY(down->pixels == flat(50, 30, 77).pixels);
        QVERIFY(up->pixels == flat(200, 120, 77).pixels);
        const RgbImage square = resizeTo(image, 256, 256);
        QCOMPARE(square.width, 256);
        QCOMPARE(square.height, 256);
    }

    void chainsAreDeterministic()
    {
        const RgbImage image = photo(64, 64);
        const std::vector<Perturbation> chain{{PerturbationKind::Jpeg, 50}, {PerturbationKind::Noise, 5},
                                              {PerturbationKind::Blur, 3}};
        auto a = applyChain(image, chain, 11), b = applyChain(image, chain, 11), c = applyChain(image, chain, 12);
        QVERIFY(a && b && c);
        QVERIFY(a->pixels == b->pixels);
        QVERIFY(a->pixels != c->pixels);
        QVERIFY(a->pixels != applyPerturbation(image, chain[0], 11)->pixels);
    }

    void badStrengthsAreRefused()
    {
        const RgbImage image = flat(8, 8, 1);
        QVERIFY(!applyPerturbation(image, {PerturbationKind::Jpeg, 0}, 0));
        QVERIFY(!applyPerturbation(image, {PerturbationKind::Blur, 4}, 0));
        QVERIFY(!applyPerturbation(image, {PerturbationKind::Crop, 0.95}, 0));
        QVERIFY(!applyPerturbation(image, {PerturbationKind::Noise, -1}, 0));
        QVERIFY(!applyPerturbation(image, {PerturbationKind::Resize, 0}, 0));
        QVERIFY(!applyPerturbation(RgbImage{}, {PerturbationKind::Jpeg, 50}, 0));
        QCOMPARE(Perturbation({PerturbationKind::Jpeg, 45}).describe(), std::string("JPEG quality 45"));
        QCOMPARE(Perturbation({PerturbationKind::Crop, 0.1}).describe(), std::string("crop 10%"));
    }
};

QTEST_GUILESS_MAIN(TestPerturbations)
#include "tst_perturbations.moc"
