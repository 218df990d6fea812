#pragma once

#include "Detector.h"

#include "util/Result.h"

#include <functional>
#include <string>
#include <vector>

namespace rine {

struct BenchOptions {
    std::vector<int> batches{1, 8, 32};
    double minSeconds = 3.0; // per batch size, after one warm-up pass
    bool cuda = false;
    Precision precision = Precision::Fp32; // Auto is not a choice here: fp16 on CUDA, fp32 on the CPU
    bool emulatedBf16 = false;
    bool gemmOnly = false; // measure the GEMM rate only
};

struct BenchBatch {
    int batch = 0;
    int passes = 0;
    double secondsPerPass = 0;
    double imagesPerSecond = 0;
    double nominalGflops = 0; // images/s x 162 GFLOP (ViT-L/14's published cost per image)
    double efficiency = 0; // nominalGflops / gemmGflops (the caller may set it against a better GEMM)
};

// A matrix-product rate measured on the product that dominates the model.
struct GemmRate {
    std::string kernels; // "OpenBLAS Cooperlake", "oneDNN"
    std::string dtype; // "fp32", "bf16", "fp16"
    double gflops = 0;
};

struct BenchReport {
    std::string device;
    std::string precision; // "fp32", "bf16", "fp16"
    int threads = 0;
    std::string blasLibraries; // what the process has mapped, from /proc/self/maps
    std::string blasKernels; // BlasKernels::describe()
    std::string blasCore; // openblas_get_corename(), "" when not OpenBLAS
    std::string blasWarning;
    double gemmGflops = 0; // [2056 x 1024] x [1024 x 4096] in the row's precision, the MLP product at batch 8
    std::vector<GemmRate> otherGemms; // the alternatives this process can run (oneDNN fp32 and bf16)
    double nominalGflopPerImage = 162.0;
    double computedGflopPerImage = 0; // what our forward really spends (no last MLP, no ln_post/proj)
    std::vector<BenchBatch> batches;
    double peakRssMiB = 0;
};

// Builds a ViT-L/14-sized backbone with random weights and measures images/s (backbone
// features; the head is negligible) in one precision, the machine's GEMM rate and the
// efficiency.
Result<BenchReport> runBenchmark(const BenchOptions &options, const std::function<void(const std::string &)> &log);

// How far a reduced precision's scores are from fp32's: a ViT-L/14 with random weights (the
// same in both) and a real head, on `images` synthetic photo-like crops.
struct AgreementOptions {
    std::string headPath;
    int images = 16;
    int batch = 8;
    Precision precision = Precision::Bf16;
    bool emulatedBf16 = false;
    bool cuda = false;
};

struct AgreementReport {
    int images = 0;
    std::string precision;
    double maxLogit = 0, meanLogit = 0; // |dlogit|
    double maxProbability = 0, meanProbability = 0; // |dprobability|
    int flips = 0; // verdicts at threshold 0.5 that differ
    double fp32Seconds = 0, reducedSeconds = 0;
};

Result<AgreementReport> runAgreementBenchmark(const AgreementOptions &options);

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
