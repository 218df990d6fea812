#include "Benchmark.h"

#include "Detector.h"
#include "HeadTraining.h"
#include "Modules.h"

#include "util/BlasKernels.h"

#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sys/resource.h>

namespace rine {

namespace {

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void synchronize(bool cuda)
{
    if (cuda)
        torch::cuda::synchronize();
}

} // namespace

namespace {

// GFLOP/s of product() on [2056 x 1024] x [1024 x 4096], over at least 2 s.
template <class Product>
double gemmRate(Product product, bool cuda)
{
    product();
    synchronize(cuda);
    int reps = 0;
    const double start = now();
    double elapsed = 0;
    while (elapsed < 2.0 || reps < 3) {
        product();
        synchronize(cuda);
        ++reps;
        elapsed = now() - start;
    }
    return 2.0 * 2056 * 1024 * 4096 * reps / elapsed / 1e9;
}

double peakRssMiB()
{
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;
}

} // namespace

Result<BenchReport> runBenchmark(const BenchOptions &options, const std::function<void(const std::string &)> &log)
{
    using R = Result<BenchReport>;
    try {
        c10::InferenceMode inference;
        BenchReport report;
        if (options.cuda && !cudaAvailable())
            return R::failure("--device cuda: no CUDA device is available to this LibTorch build");
        if (const std::string refusal = precisionRefusal(options.precision, options.cuda, options.emulatedBf16);
            !refusal.empty())
            return R::failure(refusal);
        const torch::Device device = options.cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
        const Precision precision = options.precision == Precision::Auto || options.precision == Precision::Standard
                                      ? (options.cuda ? Precision::Fp16 : Precision::Fp32)
                                      : options.precision;
        const torch::ScalarType dtype = computeDtypeOf(precision);
        report.precision = precisionName(precision);
        report.device = std::string(options.cuda ? "cuda:0" : "cpu") + " (" + report.precision + ")";
        report.threads = cpuThreads();
        // oneDNN's reduced-precision kernels run on LibTorch's pool (see Detector's ForwardThreads).
        const int poolThreads = at::get_num_threads();
        if (!options.cuda && dtype != torch::kFloat)
            at::set_num_threads(cpuThreads());
        const BlasKernels blas = blasKernels();
        report.blasKernels = blas.describe();
        report.blasCore = blas.coreName;

        // The machine's GEMM rate on the product that dominates the model, through the path
        // the model takes (at::mm: OpenBLAS in fp32, oneDNN in bf16, cuBLAS on CUDA).
        {
            auto a = torch::randn({2056, 1024}, torch::TensorOptions().dtype(dtype).device(device));
            auto b = torch::randn({1024, 4096}, torch::TensorOptions().dtype(dtype).device(device));
            auto c = at::mm(a, b);
            report.gemmGflops = gemmRate([&] { at::mm_out(c, a, b); }, options.cuda);
            if (!options.cuda && dtype == torch::kFloat && at::hasMKLDNN()) {
                // oneDNN in fp32, the other fp32 kernels LibTorch carries (through mkldnn_linear).
                at::set_num_threads(cpuThreads());
                auto input = torch::randn({2056, 1024}).to_mkldnn();
                auto weight = torch::randn({4096, 1024});
                report.otherGemms.push_back(
                    {"oneDNN", "fp32", gemmRate([&] { at::mkldnn_linear(input, weight, {}); }, false)});
                at::set_num_threads(poolThreads);
            }
        }
        report.blasLibraries = mappedBlasLibraries();
        report.blasWarning = slowBlasWarning();
        if (!options.cuda && dtype == torch::kFloat && report.gemmGflops < 8.0 * report.threads
            && report.blasWarning.empty())
            report.blasWarning = "GEMM runs at only " + std::to_string(int(report.gemmGflops))
                               + " GFLOP/s: check that an optimised BLAS (libopenblas0-pthread) is installed";
        if (log) {
            log("GEMM (" + report.precision + "): " + std::to_string(report.gemmGflops) + " GFLOP/s; "
                + report.blasKernels);
            if (!report.blasWarning.empty())
                log("WARNING: " + report.blasWarning);
        }
        if (options.gemmOnly) {
            at::set_num_threads(poolThreads);
            report.peakRssMiB = peakRssMiB();
            return report;
        }

        VisionTransformer vit(vitL14Config());
        randomiseWeights(vit);
        vit.prepare(device, dtype);
        report.computedGflopPerImage = vit.flopsPerImage() / 1e9;

        bool warm = false;
        for (int batch : options.batches) {
            auto images = torch::randn({batch, 3, 224, 224}, torch::TensorOptions().dtype(dtype).device(device));
            if (!warm || options.cuda) {
                // One warm-up pass (buffers, kernel selection); a slow BLAS makes each pass long,
                // so on the CPU only the first batch size gets one.
                vit.blockFeatures(images);
                synchronize(options.cuda);
                warm = true;
            }
            BenchBatch result;
            result.batch = batch;
            const double start = now();
            double elapsed = 0;
            while (elapsed < options.minSeconds || result.passes < 1) {
                vit.blockFeatures(images);
                synchronize(options.cuda);
                ++result.passes;
                elapsed = now() - start;
            }
            result.secondsPerPass = elapsed / result.passes;
            result.imagesPerSecond = batch / result.secondsPerPass;
            result.nominalGflops = result.imagesPerSecond * report.nominalGflopPerImage;
            result.efficiency = result.nominalGflops / report.gemmGflops;
            report.batches.push_back(result);
            if (log)
                log(report.precision + " batch " + std::to_string(batch) + ": " + std::to_string(result.imagesPerSecond)
                    + " images/s");
        }
        at::set_num_threads(poolThreads);
        report.peakRssMiB = peakRssMiB();
        return report;
    } catch (const c10::Error &e) {
        return R::failure(std::string("benchmark failed: ") + e.what_without_backtrace());
    } catch (const std::exception &e) {
        return R::failure(std::string("benchmark failed: ") + e.what());
    }
}

Result<AgreementReport> runAgreementBenchmark(const AgreementOptions &options)
{
    using R = Result<AgreementReport>;
    if (options.images < 1 || options.batch < 1)
        return R::failure("the agreement benchmark needs at least one image and a batch of at least one");
    // The same random weights in both runs (same seed), the same crops.
    auto crops = syntheticCrops(options.images, 224, 7);
    std::vector<const std::uint8_t *> pointers;
    for (std::int64_t i = 0; i < options.images; ++i)
        pointers.push_back(crops[i].data_ptr<std::uint8_t>());
    auto logits = [&](Precision precision, double &seconds) -> Result<std::vector<double>> {
        DetectorOptions detectorOptions;
        detectorOptions.randomBackbone = true;
        detectorOptions.randomSeed = 11;
        detectorOptions.headPaths = {options.headPath};
        detectorOptions.device = options.cuda ? DeviceChoice::Cuda : DeviceChoice::Cpu;
        detectorOptions.precision = precision;
        detectorOptions.emulatedBf16 = options.emulatedBf16;
        auto detector = Detector::load(detectorOptions);
        if (!detector)
            return Result<std::vector<double>>::failure(detector.error());
        std::vector<double> out;
        const double start = now();
        for (std::size_t at = 0; at < pointers.size(); at += std::size_t(options.batch)) {
            const std::size_t end = std::min(pointers.size(), at + std::size_t(options.batch));
            auto scores = detector.value()->score({pointers.begin() + std::ptrdiff_t(at), pointers.begin() + std::ptrdiff_t(end)});
            if (!scores)
                return Result<std::vector<double>>::failure(scores.error());
            for (const CropScore &score : scores.value())
                out.push_back(score.logit);
        }
        seconds = now() - start;
        return out;
    };
    AgreementReport report;
    report.images = options.images;
    report.precision = precisionName(options.precision);
    auto reference = logits(Precision::Fp32, report.fp32Seconds);
    if (!reference)
        return R::failure(reference.error());
    auto reduced = logits(options.precision, report.reducedSeconds);
    if (!reduced)
        return R::failure(reduced.error());
    for (std::size_t i = 0; i < reference->size(); ++i) {
        const double a = reference.value()[i], b = reduced.value()[i];
        const double pa = 1.0 / (1.0 + std::exp(-a)), pb = 1.0 / (1.0 + std::exp(-b));
        report.maxLogit = std::max(report.maxLogit, std::abs(a - b));
        report.meanLogit += std::abs(a - b) / double(reference->size());
        report.maxProbability = std::max(report.maxProbability, std::abs(pa - pb));
        report.meanProbability += std::abs(pa - pb) / double(reference->size());
        report.flips += int((pa >= 0.5) != (pb >= 0.5));
    }
    return report;
}

Result<TrainingBenchReport> runTrainingBenchmark(int samples, int epochs, const std::string &scratchPath)
{
    using R = Result<TrainingBenchReport>;
    if (samples < 8 || epochs < 1)
        return R::failure("the training benchmark needs at least 8 samples and 1 epoch");
    TrainingBenchReport report;
    report.samples = samples;
    report.epochs = epochs;
    // Random features with a little signal, so that the head has something to learn.
    auto make = [](int count, std::uint64_t seed) {
        LabeledFeatures set;
        set.features.count = count;
        set.features.blocks = 24;
        set.features.width = 1024;
        torch::manual_seed(seed);
        torch::Tensor x = torch::randn({count, 24, 1024});
        torch::Tensor y = torch::randint(0, 2, {count}, torch::kLong);
        x.select(2, 0).add_(y.to(torch::kFloat).unsqueeze(1) * 2);
        set.features.values.assign(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
        set.labels.assign(y.data_ptr<std::int64_t>(), y.data_ptr<std::int64_t>() + y.numel());
        return set;
    };
    const LabeledFeatures train = make(samples, 1), validation = make(std::max(4, samples / 4), 2);
    report.featureMiB =
        double(train.features.values.size() + validation.features.values.size()) * sizeof(float) / (1024.0 * 1024.0);
    for (const char *preset : {"1-class", "2-class", "4-class"}) {
        HeadTrainingConfig config;
        headTrainingPreset(preset, config);
        config.epochs = epochs;
        const auto start = std::chrono::steady_clock::now();
        auto outcome = trainHeadOnFeatures(train, validation, config, scratchPath);
        if (!outcome)
            return R::failure(outcome.error());
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        TrainingBenchRow row;
        row.preset = preset;
        row.secondsPerEpoch = seconds / epochs;
        row.samplesPerSecond = double(samples + validation.features.count) * epochs / seconds;
        report.rows.push_back(row);
    }
    std::remove(scratchPath.c_str());
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        report.peakRssMiB = double(usage.ru_maxrss) / 1024.0;
    return report;
}

} // namespace rine
