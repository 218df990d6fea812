#pragma once

// SPAI (Karageorgiou et al., "Any-Resolution AI-Generated Image Detection by Spectral
// Learning", CVPR 2025), natively in LibTorch: every 224 px patch of the image at its own
// resolution is scored in the frequency domain, and an attention over the patches weighs
// them into one logit. Plain types only: the modules are in SpaiModules.h.

#include "Detector.h"
#include "util/Result.h"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace rine {

struct SpaiConfig {
    std::int64_t width = 768; // ViT embedding
    std::int64_t depth = 12;
    std::int64_t heads = 12; // ViT heads: not in the weights
    std::int64_t patch = 16;
    std::int64_t imageSize = 224; // the patch SPAI scores, and the ViT's input
    std::int64_t mlpRatio = 4;
    std::vector<std::int64_t> layers; // blocks whose tokens are used (published: all 12)
    std::int64_t projDim = 1024; // P
    std::int64_t scaHeads = 12;
    std::int64_t scaDim = 1536; // spectral context attention width
    std::int64_t headMlpRatio = 3;
    std::int64_t maskRadius = 16;
    std::int64_t stride = 224;
    std::int64_t minimumPatches = 4;

    // configs/spai.yaml over the upstream defaults (ViT-B/16, blocks 0-11).
    static SpaiConfig published();
    std::int64_t featureDim() const { return 6 * std::int64_t(layers.size()) + projDim; }
    std::int64_t grid() const { return imageSize / patch; }
    // "ViT 768 wide, patch 16, 12 blocks (12 used), 12 heads, P 1024, spectral context
    // attention 12 x 128, 224 px patches": for records and reports.
    std::string describe() const;
};

// Where SPAI looks in an image of a given size: the padding a side under 224 px gets (centred,
// reflect-101), then non-overlapping 224 px patches at stride 224, row-major, the remainder
// dropped; fewer than 4: torchvision's five_crop (corners, then the centre, its offset
// rounded half to even as Python's round()).
struct SpaiLayout {
    int padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
    int width = 0, height = 0; // after padding
    bool fiveCrop = false;
    struct Place {
        int top = 0, left = 0;
    };
    std::vector<Place> patches;
};
SpaiLayout spaiLayout(int width, int height, const SpaiConfig &config);

struct SpaiPatchScore {
    int top = 0, left = 0; // in the padded image
    std::vector<double> attention; // per attention head: this patch's weight
    double attentionMean = 0;
    double soloLogit = 0; // the logit this patch would get alone
};

struct SpaiScore {
    double logit = 0, probability = 0;
    SpaiLayout layout;
    std::vector<SpaiPatchScore> patches; // in layout order
};

// What a caller sees of one image while SPAI scores it: after each ViT pass, how many of the
// image's patches are scored; and a flag read before each pass that stops the image there (a
// 50-megapixel image is about a thousand patches, minutes on a CPU).
struct SpaiWatch {
    std::function<void(std::size_t scored, std::size_t total)> patches;
    const std::atomic<bool> *cancel = nullptr;
};

struct SpaiOptions {
    std::string path;
    std::string sha256; // as trusted; empty: not checked
    // The architecture where the file does not carry it: the published configuration, or
    // (tests, other trainings) one given.
    SpaiConfig config = SpaiConfig::published();
    // Patches per ViT pass (each goes through three times). Four keep every temporary of the
    // published ViT-B/16 under 32 MB, where the allocator reuses memory instead of mapping
    // fresh pages each time: 235 GFLOP/s on a 2-core EPYC against 133 at sixteen
    // (docs/performance.md).
    int patchBatch = 4;
    // SPAI runs on the CPU. Standard and fp32: the published computation, in fp32. bf16: the
    // ViT's matrix products in bf16 (CPUs with AVX512-BF16 or AMX; refused elsewhere). Auto:
    // see spaiAutoKeepsFp32. fp16 is refused (CUDA's; SPAI does not run there).
    Precision precision = Precision::Standard;
    bool emulatedBf16 = false; // tests: the bf16 path on a processor without bf16 instructions
};

class SpaiModel;
struct CpuFeatures; // util/BlasKernels.h

// Auto's rule for SPAI: why it stays in fp32 on this processor, or "" when bf16 is worth
// measuring (then bf16 is kept where this model's bf16 probabilities agree with its fp32 ones
// within kPrecisionBound on two synthetic images, measured at load). Unlike RINE's ViT-L,
// SPAI's ViT-B spends much of its time outside the matrix products: on a 2-core Zen 5 with
// AVX512-BF16 and no AMX, bf16 ran at 1.59 patches/s against fp32's 1.72
// (docs/performance.md), so auto tries bf16 only where AMX makes the products several times
// faster.
std::string spaiAutoKeepsFp32(const CpuFeatures &cpu);

// A SPAI weight file's architecture, read and shape-checked without building the model (an
// import's check, the Models page).
struct SpaiSummary {
    SpaiConfig config;
    std::string sha256;
    bool storedConfig = false; // the file carries its training configuration (a checkpoint)
};
// sha256: as trusted; empty: not checked.
Result<SpaiSummary> inspectSpai(const std::string &path, const std::string &sha256 = {});

// rine-cli bench --spai: the speed of SPAI at full size (ViT-B/16, the published
// configuration) with random weights, on the CPU.
struct SpaiBenchReport {
    std::string configuration; // "ViT-B/16, 12 blocks, P 1024, attention 12 x 128"
    int patchBatch = 0;
    double patchesPerSecond = 0; // patches through the whole per-patch path (3 ViT passes each)
    double gflopPerPatch = 0; // the ViT passes and projectors, counted from the shapes
    int megapixelPatches = 0; // patches of a 1000 x 1000 image
    double megapixelSeconds = 0; // one such image scored, end to end
    int threads = 0;
    std::string precision; // "fp32", "bf16"
};
Result<SpaiBenchReport> runSpaiBenchmark(int patchBatch, double minSeconds, Precision precision = Precision::Fp32);

class SpaiDetector {
public:
    ~SpaiDetector();
    static Result<std::unique_ptr<SpaiDetector>> load(const SpaiOptions &options);

    const SpaiConfig &config() const { return m_config; }
    const std::string &sha256() const { return m_sha256; }
    const std::string &path() const { return m_path; }
    // "fp32" or "bf16": what a result's identity records; and how it was chosen, for records
    // and reports ("asked for", or auto's measured agreement).
    const std::string &precision() const { return m_precision; }
    const std::string &precisionNote() const { return m_precisionNote; }

    // rgb: height rows of width x 3 bytes, `stride` bytes apart (8-bit RGB as PIL's
    // convert("RGB") gives it). Thread-safe: images scored on several threads at once (a
    // scan's decode threads, the application's scan and Inspect) share the ViT's passes, one
    // pass at a time, each filled with up to patchBatch patches from the images waiting in
    // the order they came.
    SpaiScore score(const std::uint8_t *rgb, int width, int height, std::size_t stride) const;
    // The same, watched: nothing when watch.cancel was set before the image's last pass.
    std::optional<SpaiScore> score(const std::uint8_t *rgb, int width, int height, std::size_t stride,
                                   const SpaiWatch &watch) const;
    // Several images at once, their patches in shared passes: five-crop images (5 patches
    // each) at 4 per pass need 5 passes for 4 images instead of 8. In the images' order.
    struct Image {
        const std::uint8_t *rgb = nullptr;
        int width = 0, height = 0;
        std::size_t stride = 0;
        SpaiWatch watch;
    };
    std::vector<std::optional<SpaiScore>> score(const std::vector<Image> &images) const;
    // The ViT passes run since load (bench, tests): how well the passes were filled.
    std::size_t passes() const { return m_passes.load(); }

private:
    friend Result<SpaiBenchReport> runSpaiBenchmark(int patchBatch, double minSeconds, Precision precision);
    SpaiDetector() = default;
    // Auto: fp32 and bf16 probabilities of the same synthetic images; bf16 kept when they agree.
    void chooseAutoPrecision();
    SpaiConfig m_config;
    std::string m_sha256, m_path;
    std::string m_precision = "fp32", m_precisionNote = "standard: fp32, as published";
    int m_patchBatch = 4;
    std::unique_ptr<SpaiModel> m_model;

    // The images being scored, and who runs the model: whichever waiting caller finds no pass
    // running takes the next patches of the queue and runs the pass for everyone.
    struct Job;
    struct Pass;
    Pass takePass() const; // under m_queueMutex
    void runPass(const Pass &pass) const; // the model's turn: outside the lock
    void serve(const std::vector<Job *> &mine) const;
    mutable std::mutex m_queueMutex;
    mutable std::condition_variable m_passEnded;
    mutable std::deque<Job *> m_queue; // images with patches not yet in a pass, in arrival order
    mutable bool m_running = false;
    mutable std::atomic<std::size_t> m_passes{0};
};

} // namespace rine
