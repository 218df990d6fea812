#pragma once

#include "util/Result.h"

#include <functional>
#include <string>
#include <vector>

namespace rine {

struct BenchOptions {
    std::vector<int> batches{1, 8, 32};
    double minSeconds = 3.0; // per batch size, after one warm-up pass
    bool cuda = false;
};

struct BenchBatch {
    int batch = 0;
    int passes = 0;
    double secondsPerPass = 0;
    double imagesPerSecond = 0;
    double nominalGflops = 0; // images/s x 162 GFLOP (ViT-L/14's published cost per image)
    double efficiency = 0; // nominalGflops / gemmGflops
};

struct BenchReport {
    std::string device;
    int threads = 0;
    std::string blasLibraries; // what the process has mapped, from /proc/self/maps
    std::string blasWarning;
    double gemmGflops = 0; // fp32 [2056 x 1024] x [1024 x 4096], the MLP product at batch 8
    double nominalGflopPerImage = 162.0;
    double computedGflopPerImage = 0; // what our forward really spends (no last MLP, no ln_post/proj)
    std::vector<BenchBatch> batches;
    double peakRssMiB = 0;
};

// Builds a ViT-L/14-sized backbone with random weights and measures images/s (backbone
// features; the head is negligible), the machine's GEMM rate and the efficiency.
Result<BenchReport> runBenchmark(const BenchOptions &options, const std::function<void(const std::string &)> &log);

// Head training speed in fast mode, on random features of ViT-L/14's shape (24 blocks x 1024):
// each published preset trains `epochs` epochs on `samples` features (validation on a
// quarter as many), batch 128; samples/s over the training batches and the validation.
struct TrainingBenchRow {
    std::string preset;
    double secondsPerEpoch = 0;
    double samplesPerSecond = 0;
};

struct TrainingBenchReport {
    int samples = 0, epochs = 0;
    std::vector<TrainingBenchRow> rows;
    double featureMiB = 0; // the training and validation features held in memory
    double peakRssMiB = 0;
};

Result<TrainingBenchReport> runTrainingBenchmark(int samples, int epochs, const std::string &scratchPath);

} // namespace rine
