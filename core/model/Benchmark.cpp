#include "Benchmark.h"

#include "Detector.h"
#include "HeadTraining.h"
#include "Modules.h"

#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <chrono>
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

Result<BenchReport> runBenchmark(const BenchOptions &options, const std::function<void(const std::string &)> &log)
{
    using R = Result<BenchReport>;
    try {
        c10::InferenceMode inference;
        BenchReport report;
        if (options.cuda && !cudaAvailable())
            return R::failure("--device cuda: no CUDA device is available to this LibTorch build");
        const torch::Device device = options.cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
        const torch::ScalarType dtype = options.cuda ? torch::kHalf : torch::kFloat;
        report.device = options.cuda ? "cuda:0 (float16, LayerNorm float32)" : "cpu (float32)";
        report.threads = cpuThreads();

        // The machine's GEMM rate on the product that dominates the model.
        {
            auto a = torch::randn({2056, 1024}, torch::TensorOptions().dtype(dtype).device(device));
            auto b = torch::randn({1024, 4096}, torch::TensorOptions().dtype(dtype).device(device));
            auto c = at::mm(a, b);
            synchronize(options.cuda);
            int reps = 0;
            const double start = now();
            double elapsed = 0;
            while (elapsed < 2.0 || reps < 3) {
                at::mm_out(c, a, b);
                synchronize(options.cuda);
                ++reps;
                elapsed = now() - start;
            }
            report.gemmGflops = 2.0 * 2056 * 1024 * 4096 * reps / elapsed / 1e9;
        }
        report.blasLibraries = mappedBlasLibraries();
        report.blasWarning = slowBlasWarning();
        if (!options.cuda && report.gemmGflops < 8.0 * report.threads && report.blasWarning.empty())
            report.blasWarning = "GEMM runs at only " + std::to_string(int(report.gemmGflops))
                               + " GFLOP/s: check that an optimised BLAS (libopenblas0-pthread) is installed";
        if (log) {
            log("GEMM: " + std::to_string(report.gemmGflops) + " GFLOP/s; BLAS: " + report.blasLibraries);
            if (!report.blasWarning.empty())
                log("WARNING: " + report.blasWarning);
        }

        VisionTransformer vit(vitL14Config());
        randomiseWeights(vit);
        vit.prepare(device, dtype);
        report.computedGflopPerImage = vit.flopsPerImage() / 1e9;

        for (int batch : options.batches) {
            auto images = torch::randn({batch, 3, 224, 224}, torch::TensorOptions().dtype(dtype).device(device));
            vit.blockFeatures(images); // warm-up
            synchronize(options.cuda);
            BenchBatch result;
            result.batch = batch;
            const double start = now();
            double elapsed = 0;
            while (elapsed < options.minSeconds || result.passes < 2) {
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
                log("batch " + std::to_string(batch) + ": " + std::to_string(result.imagesPerSecond) + " images/s");
        }
        struct rusage usage {};
        getrusage(RUSAGE_SELF, &usage);
        report.peakRssMiB = double(usage.ru_maxrss) / 1024.0;
        return report;
    } catch (const c10::Error &e) {
        return R::failure(std::string("benchmark failed: ") + e.what_without_backtrace());
    } catch (const std::exception &e) {
        return R::failure(std::string("benchmark failed: ") + e.what());
    }
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
