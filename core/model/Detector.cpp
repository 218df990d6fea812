#include "Detector.h"

#include "Modules.h"

#include "util/BlasKernels.h"
#include "util/Sha256.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <dlfcn.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

namespace rine {

namespace {

int s_cpuThreads = 0; // 0: not configured yet (see configureCpuThreads)

// CLIP's normalisation constants (OpenAI CLIP, clip/clip.py _transform).
const std::vector<double> kMean{0.48145466, 0.4578275, 0.40821073};
const std::vector<double> kStd{0.26862954, 0.26130258, 0.27577711};

const char *dtypeDescription(torch::ScalarType dtype, bool cuda)
{
    if (dtype == torch::kHalf)
        return "float16 (LayerNorm float32)";
    if (dtype == torch::kBFloat16)
        return cuda ? "bfloat16 (LayerNorm float32)" : "bfloat16 matrix products (LayerNorm, softmax, residual float32)";
    return "float32";
}

// Threads for a forward pass: oneDNN's bf16 kernels run on LibTorch's OpenMP pool, which is
// held to one thread while OpenBLAS does the fp32 products (see configureCpuThreads). A
// reduced-precision pass gets the pool at full size for its duration.
class ForwardThreads {
public:
    explicit ForwardThreads(bool reducedOnCpu)
    {
        if (reducedOnCpu && at::get_num_threads() != cpuThreads()) {
            m_restore = at::get_num_threads();
            at::set_num_threads(cpuThreads());
        }
    }
    ~ForwardThreads()
    {
        if (m_restore > 0)
            at::set_num_threads(m_restore);
    }
    ForwardThreads(const ForwardThreads &) = delete;
    ForwardThreads &operator=(const ForwardThreads &) = delete;

private:
    int m_restore = 0;
};

} // namespace

const char *precisionName(Precision precision)
{
    switch (precision) {
    case Precision::Standard: return "standard";
    case Precision::Fp32: return "fp32";
    case Precision::Bf16: return "bf16";
    case Precision::Fp16: return "fp16";
    case Precision::Auto: break;
    }
    return "auto";
}

bool precisionFromName(const std::string &name, Precision &out)
{
    for (Precision p : {Precision::Standard, Precision::Auto, Precision::Fp32, Precision::Bf16, Precision::Fp16})
        if (name == precisionName(p)) {
            out = p;
            return true;
        }
    return false;
}

std::string precisionRefusal(Precision precision, bool cuda, bool emulatedBf16)
{
    if (precision == Precision::Fp16 && !cuda)
        return "--precision fp16 runs on CUDA only; on the CPU choose bf16 (needs AVX512-BF16 or AMX) or fp32";
    if (precision == Precision::Bf16 && cuda)
        return "--precision bf16 is not offered on CUDA; choose fp16 (what the published results used) or fp32";
    if (precision == Precision::Bf16 && !cpuHasBf16() && !emulatedBf16)
        return "--precision bf16: this processor (" + describeCpu(cpuFeatures())
             + ") has no bf16 matrix instructions (AVX512-BF16 or AMX), so bf16 would be slower than fp32; choose fp32";
    return {};
}

torch::ScalarType computeDtypeOf(Precision precision)
{
    return precision == Precision::Fp16 ? torch::kHalf : precision == Precision::Bf16 ? torch::kBFloat16 : torch::kFloat;
}

bool cpuHasBf16()
{
    const CpuFeatures cpu = cpuFeatures();
    return cpu.avx512bf16 || cpu.amxBf16;
}

struct Detector::Impl {
    ModelInfo info;
    torch::Device device{torch::kCPU};
    torch::ScalarType computeDtype = torch::kFloat;
    bool batchedPath = false;
    std::shared_ptr<VisionTransformer> backbone;
    std::vector<std::shared_ptr<RineHead>> heads;
    torch::Tensor mean, std;
    // Forward passes take turns: a scan and an Inspect of another image may share one
    // detector from two threads (the model's memory is too large to hold it twice).
    std::mutex run;
};

Detector::Detector(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Detector::~Detector() = default;

const ModelInfo &Detector::info() const { return m_impl->info; }

Result<std::unique_ptr<Detector>> Detector::load(const DetectorOptions &options)
{
    using R = Result<std::unique_ptr<Detector>>;
    try {
        auto impl = std::make_unique<Impl>();
        if (s_cpuThreads == 0)
            configureCpuThreads(); // a caller that did not choose gets one thread per core
        const bool haveCuda = cudaAvailable();
        if (options.device == DeviceChoice::Cuda && !haveCuda)
            return R::failure("--device cuda: no CUDA device is available to this LibTorch build ("
                              + libtorchVersion() + "); use --device cpu");
        const bool useCuda = options.device == DeviceChoice::Cuda || (options.device == DeviceChoice::Auto && haveCuda);
        impl->device = useCuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
        Precision precision = options.precision;
        std::string precisionNote = "asked for";
        if (const std::string refusal = precisionRefusal(precision, useCuda, options.emulatedBf16); !refusal.empty())
            return R::failure(refusal);
        // Auto on a CPU with bf16: loaded in fp32, measured, then switched (below).
        const bool measureBf16 = precision == Precision::Auto && !useCuda && cpuHasBf16() && !options.headPaths.empty()
                              && !options.randomBackbone;
        if (precision == Precision::Standard || precision == Precision::Auto) {
            // On CUDA the backbone runs in fp16 with fp32 LayerNorms, as the reference does.
            precisionNote = std::string(precisionName(precision)) + ": "
                          + (useCuda ? "fp16 on CUDA, as the published results were computed"
                             : precision == Precision::Standard ? "fp32 on the CPU"
                             : !cpuHasBf16() ? "fp32 (this processor has no bf16 matrix instructions)"
                             : options.headPaths.empty() ? "fp32 (no head to measure bf16's agreement with)"
                                                         : "fp32");
            precision = useCuda ? Precision::Fp16 : Precision::Fp32;
        }
        impl->computeDtype = computeDtypeOf(precision);
        impl->batchedPath = options.batchedPath;

        Result<TensorArchive> backboneFile = TensorArchive{};
        bool huggingFace = false;
        std::string backbonePrefix;
        Result<VitConfig> vit = vitL14Config();
        if (options.randomBackbone) {
            impl->backbone = std::make_shared<VisionTransformer>(vit.value());
            torch::manual_seed(options.randomSeed);
            randomiseWeights(*impl->backbone);
            backboneFile->sha256 = "random weights (benchmark)";
        } else {
            backboneFile = readTrustedArchive(options.backbonePath, options.backboneSha256);
            if (!backboneFile)
                return R::failure(backboneFile.error());
            huggingFace = convertHuggingFaceClip(backboneFile.value());
            vit = vitConfigFromArchive(backboneFile.value(), backbonePrefix);
            if (!vit)
                return R::failure(vit.error());
            impl->backbone = std::make_shared<VisionTransformer>(vit.value());
            if (auto loaded = loadParameters(*impl->backbone, backboneFile.value(), backbonePrefix); !loaded)
                return R::failure(loaded.error());
        }

        const std::string backboneDesc = " (" + std::to_string(vit->layers) + " blocks, width "
                                       + std::to_string(vit->width) + ")";
        for (std::size_t h = 0; h < options.headPaths.size(); ++h) {
            const std::string &headPath = options.headPaths[h];
            auto headFile = readTrustedArchive(headPath, h < options.headSha256s.size() ? options.headSha256s[h] : std::string());
            if (!headFile)
                return R::failure(headFile.error());
            auto headConfig = headConfigFromArchive(headFile.value());
            if (!headConfig)
                return R::failure(headConfig.error());
            const HeadConfig &hc = headConfig.value();
            if (hc.width != vit->width)
                return R::failure(headPath + ": tensor 'proj1.1.weight' has shape [" + std::to_string(hc.projDim)
                                  + ", " + std::to_string(hc.width) + "], expected [" + std::to_string(hc.projDim)
                                  + ", " + std::to_string(vit->width) + "]: the head was trained for another backbone than "
                                  + options.backbonePath + backboneDesc);
            if (hc.blocks != vit->layers)
                return R::failure(headPath + ": tensor 'alpha' has shape [1, " + std::to_string(hc.blocks) + ", "
                                  + std::to_string(hc.projDim) + "], expected [1, " + std::to_string(vit->layers) + ", "
                                  + std::to_string(hc.projDim) + "]: the head was trained for another backbone than "
                                  + options.backbonePath + backboneDesc);
            for (const HeadInfo &earlier : impl->info.heads)
                if (earlier.sha256 == headFile->sha256)
                    return R::failure(headPath + ": the same head as " + earlier.path
                                      + " (same SHA-256); give each head once");
            auto head = std::make_shared<RineHead>(hc);
            if (auto loaded = loadParameters(*head, headFile.value(), ""); !loaded)
                return R::failure(loaded.error());
            head->to(impl->device, torch::kFloat);
            HeadInfo headInfo;
            headInfo.path = headPath;
            headInfo.sha256 = headFile->sha256;
            headInfo.nproj = int(hc.nproj);
            headInfo.projDim = int(hc.projDim);
            headInfo.blockImportance = head->blockImportance();
            impl->info.heads.push_back(std::move(headInfo));
            impl->heads.push_back(std::move(head));
        }

        impl->backbone->prepare(impl->device, impl->computeDtype);
        impl->mean = torch::tensor(kMean, torch::kFloat).view({1, 3, 1, 1}).to(impl->device);
        impl->std = torch::tensor(kStd, torch::kFloat).view({1, 3, 1, 1}).to(impl->device);

        ModelInfo &info = impl->info;
        info.blocks = int(vit->layers);
        info.width = int(vit->width);
        info.attentionHeads = int(vit->heads());
        info.patch = int(vit->patch);
        info.grid = int(vit->grid);
        info.inputSize = int(vit->inputSize());
        info.backbonePath = options.backbonePath;
        info.backboneSha256 = backboneFile->sha256;
        info.backboneFormat = options.randomBackbone                                    ? "random ViT-L/14"
                            : backboneFile->format == TensorArchive::Format::TorchScript   ? "torchscript"
                            : backboneFile->format == TensorArchive::Format::SafeTensors ? "safetensors"
                                                                                         : "state_dict";
        if (huggingFace)
            info.backboneFormat += " (Hugging Face names)";
        info.device = useCuda ? std::string("cuda:0") : "cpu (" + std::to_string(cpuThreads()) + " threads)";
        info.precision = precisionName(precision);
        info.precisionNote = precisionNote;
        info.backboneDtype = dtypeDescription(impl->computeDtype, useCuda);
        info.libtorchVersion = libtorchVersion();
        info.mean = kMean;
        info.std = kStd;
        std::unique_ptr<Detector> detector(new Detector(std::move(impl)));
        if (measureBf16) {
            if (auto chosen = detector->chooseBf16(options.agreementCachePath); !chosen) {
                // bf16 did not agree (or could not be measured): fp32 again, from the file's values.
                Impl &d = *detector->m_impl;
                if (d.computeDtype != torch::kFloat) {
                    d.backbone->prepare(d.device, torch::kFloat);
                    if (auto reloaded = loadParameters(*d.backbone, backboneFile.value(), backbonePrefix); !reloaded)
                        return R::failure(reloaded.error());
                    d.backbone->prepare(d.device, torch::kFloat);
                    d.computeDtype = torch::kFloat;
                }
                d.info.precision = "fp32";
                d.info.backboneDtype = dtypeDescription(torch::kFloat, false);
                d.info.precisionNote = "auto: fp32 (" + chosen.error() + ")";
            }
        }
        return detector;
    } catch (const c10::Error &e) {
        return R::failure(std::string("loading the model failed: ") + e.what_without_backtrace());
    } catch (const std::exception &e) {
        return R::failure(std::string("loading the model failed: ") + e.what());
    }
}

Result<bool> Detector::chooseBf16(const std::string &cachePath)
{
    using R = Result<bool>;
    constexpr int kCrops = 8;
    Impl &d = *m_impl;
    // Remembered per model and processor: the same files, the same LibTorch, the same CPU.
    std::string key = "agreement-v1 " + d.info.backboneSha256;
    for (const HeadInfo &head : d.info.heads)
        key += " " + head.sha256;
    key += " " + describeCpu(cpuFeatures()) + " " + libtorchVersion();
    key = Sha256::hex(key.data(), key.size());
    double worst = -1;
    std::string how = "measured at load";
    if (!cachePath.empty()) {
        std::ifstream cache(cachePath);
        std::string line;
        for (int lines = 0; lines < 10000 && std::getline(cache, line); ++lines) {
            // "<64 hex> <max |dprobability|>"; anything else is ignored.
            if (line.size() < 66 || line.compare(0, 64, key) != 0 || line[64] != ' ')
                continue;
            char *end = nullptr;
            const double value = std::strtod(line.c_str() + 65, &end);
            if (end && *end == '\0' && value >= 0 && value <= 1)
                worst = value, how = "measured when this model was first loaded on this processor";
        }
    }
    const auto crops = syntheticCrops(kCrops, d.info.inputSize, 3);
    std::vector<const std::uint8_t *> pointers;
    for (int i = 0; i < kCrops; ++i)
        pointers.push_back(crops[i].data_ptr<std::uint8_t>());
    auto probabilities = [&]() -> Result<std::vector<double>> {
        auto features = this->features(pointers);
        if (!features)
            return Result<std::vector<double>>::failure(features.error());
        auto scores = scoreFeatures(features.value());
        if (!scores)
            return Result<std::vector<double>>::failure(scores.error());
        std::vector<double> out;
        for (const auto &head : scores.value())
            for (const CropScore &score : head)
                out.push_back(score.probability);
        return out;
    };
    if (worst < 0) {
        auto reference = probabilities();
        if (!reference)
            return R::failure("bf16 not measured: " + reference.error());
        d.backbone->prepare(d.device, torch::kBFloat16);
        d.computeDtype = torch::kBFloat16;
        auto reduced = probabilities();
        if (!reduced)
            return R::failure("bf16 not measured: " + reduced.error());
        worst = 0;
        for (std::size_t i = 0; i < reference->size(); ++i)
            worst = std::max(worst, std::abs(reference.value()[i] - reduced.value()[i]));
        if (!cachePath.empty()) {
            std::ofstream cache(cachePath, std::ios::app);
            char line[128];
            std::snprintf(line, sizeof line, " %.6g\n", worst);
            cache << key << line;
        }
    }
    char figure[32];
    std::snprintf(figure, sizeof figure, "%.2g", worst);
    if (worst > kPrecisionBound)
        return R::failure(std::string("bf16 differed from fp32 by up to ") + figure + " in probability on "
                          + std::to_string(kCrops) + " synthetic crops, over the bound 0.01; " + how);
    if (d.computeDtype != torch::kBFloat16) {
        d.backbone->prepare(d.device, torch::kBFloat16);
        d.computeDtype = torch::kBFloat16;
    }
    d.info.precision = "bf16";
    d.info.backboneDtype = dtypeDescription(torch::kBFloat16, false);
    d.info.precisionNote = std::string("auto: bf16 (agrees with fp32 within ") + figure + " in probability on "
                         + std::to_string(kCrops) + " synthetic crops, bound 0.01; " + how + ")";
    return true;
}

Result<BlockFeatures> Detector::features(const std::vector<const std::uint8_t *> &crops)
{
    using R = Result<BlockFeatures>;
    BlockFeatures out;
    out.blocks = m_impl->info.blocks;
    out.width = m_impl->info.width;
    if (crops.empty())
        return out;
    try {
        std::lock_guard<std::mutex> turn(m_impl->run);
        c10::InferenceMode inference;
        Impl &d = *m_impl;
        const std::int64_t s = d.info.inputSize, b = std::int64_t(crops.size());
        auto bytes = torch::empty({b, s, s, 3}, torch::kUInt8);
        for (std::int64_t i = 0; i < b; ++i)
            std::memcpy(bytes[i].data_ptr(), crops[std::size_t(i)], std::size_t(s * s * 3));
        // ToTensor then Normalize, in the same order of operations as torchvision.
        auto images = bytes.to(d.device).permute({0, 3, 1, 2}).to(torch::kFloat).div_(255.0);
        images = images.sub_(d.mean).div_(d.std).to(d.computeDtype).contiguous();

        ForwardThreads threads(d.device.is_cpu() && d.computeDtype != torch::kFloat);
        auto features = d.backbone->blockFeatures(images, d.batchedPath).to(torch::kCPU, torch::kFloat).contiguous();
        out.count = int(b);
        const float *data = features.data_ptr<float>();
        out.values.assign(data, data + features.numel());
        return out;
    } catch (const c10::Error &e) {
        return R::failure(std::string("inference failed: ") + e.what_without_backtrace());
    } catch (const std::exception &e) {
        return R::failure(std::string("inference failed: ") + e.what());
    }
}

Result<std::vector<std::vector<CropScore>>> Detector::scoreFeatures(const BlockFeatures &features)
{
    using R = Result<std::vector<std::vector<CropScore>>>;
    Impl &d = *m_impl;
    if (features.blocks != d.info.blocks || features.width != d.info.width
        || features.values.size() != std::size_t(features.count) * std::size_t(features.blocks) * std::size_t(features.width))
        return R::failure("features of shape [" + std::to_string(features.count) + ", " + std::to_string(features.blocks)
                          + ", " + std::to_string(features.width) + "] do not fit this backbone ("
                          + std::to_string(d.info.blocks) + " blocks, width " + std::to_string(d.info.width) + ")");
    std::vector<std::vector<CropScore>> out(d.heads.size());
    if (features.count == 0)
        return out;
    try {
        std::lock_guard<std::mutex> turn(d.run);
        c10::InferenceMode inference;
        auto input = torch::from_blob(const_cast<float *>(features.values.data()),
                                      {features.count, features.blocks, features.width}, torch::kFloat)
                         .to(d.device);
        for (std::size_t h = 0; h < d.heads.size(); ++h) {
            auto result = d.heads[h]->forward(input);
            auto logits = result.logits.to(torch::kCPU, torch::kDouble).contiguous();
            auto contributions = result.contributions.to(torch::kCPU, torch::kDouble).contiguous();
            std::vector<CropScore> &scores = out[h];
            scores.resize(std::size_t(features.count));
            const std::int64_t blocks = contributions.size(1);
            for (std::int64_t i = 0; i < features.count; ++i) {
                CropScore &score = scores[std::size_t(i)];
                score.logit = logits.data_ptr<double>()[i];
                score.probability = 1.0 / (1.0 + std::exp(-score.logit));
                const double *row = contributions.data_ptr<double>() + i * blocks;
                score.contributions.assign(row, row + blocks);
            }
        }
        return out;
    } catch (const c10::Error &e) {
        return R::failure(std::string("inference failed: ") + e.what_without_backtrace());
    } catch (const std::exception &e) {
        return R::failure(std::string("inference failed: ") + e.what());
    }
}

Result<std::vector<CropScore>> Detector::score(const std::vector<const std::uint8_t *> &crops)
{
    using R = Result<std::vector<CropScore>>;
    auto features = this->features(crops);
    if (!features)
        return R::failure(features.error());
    if (m_impl->heads.empty())
        return R::failure("no RINE head is loaded (the backbone was loaded alone, for training)");
    auto scores = scoreFeatures(features.value());
    if (!scores)
        return R::failure(scores.error());
    return std::move(scores.value().front());
}

Result<HeadSummary> inspectHead(const std::string &path)
{
    auto bytes = readFileBytes(path, 1ull << 30);
    if (!bytes)
        return Result<HeadSummary>::failure(bytes.error());
    return inspectHead(bytes.value());
}

Result<HeadSummary> inspectHead(const FileBytes &bytes)
{
    using R = Result<HeadSummary>;
    const std::string &path = bytes.path;
    try {
        auto file = readTensorArchive(bytes);
        if (!file)
            return R::failure(file.error());
        auto config = headConfigFromArchive(file.value());
        if (!config)
            return R::failure(config.error());
        RineHead head(config.value());
        if (auto loaded = loadParameters(head, file.value(), ""); !loaded)
            return R::failure(loaded.error());
        HeadSummary summary;
        summary.blocks = int(config->blocks);
        summary.width = int(config->width);
        summary.nproj = int(config->nproj);
        summary.projDim = int(config->projDim);
        summary.blockImportance = head.blockImportance();
        summary.sha256 = file->sha256;
        return summary;
    } catch (const c10::Error &e) {
        return R::failure(path + ": " + e.what_without_backtrace());
    }
}

Result<std::vector<double>> headLogits(const std::string &headPath, const BlockFeatures &features)
{
    using R = Result<std::vector<double>>;
    try {
        auto file = readTensorArchive(headPath);
        if (!file)
            return R::failure(file.error());
        auto config = headConfigFromArchive(file.value());
        if (!config)
            return R::failure(config.error());
        if (config->blocks != features.blocks || config->width != features.width
            || features.values.size()
                   != std::size_t(features.count) * std::size_t(features.blocks) * std::size_t(features.width))
            return R::failure(headPath + ": the head was trained for " + std::to_string(config->blocks)
                              + " blocks of width " + std::to_string(config->width) + ", the features have "
                              + std::to_string(features.blocks) + " of width " + std::to_string(features.width));
        RineHead head(config.value());
        if (auto loaded = loadParameters(head, file.value(), ""); !loaded)
            return R::failure(loaded.error());
        std::vector<double> out;
        if (features.count == 0)
            return out;
        c10::InferenceMode inference;
        auto input = torch::from_blob(const_cast<float *>(features.values.data()),
                                      {features.count, features.blocks, features.width}, torch::kFloat);
        auto logits = head.forward(input).logits.to(torch::kDouble).contiguous();
        for (std::int64_t i = 0; i < features.count; ++i)
            out.push_back(logits.data_ptr<double>()[i]);
        return out;
    } catch (const c10::Error &e) {
        return R::failure(headPath + ": " + e.what_without_backtrace());
    }
}

void configureCpuThreads(int threads)
{
    if (threads <= 0)
        threads = int(std::max(1u, std::thread::hardware_concurrency()));
    s_cpuThreads = threads;
    // With OpenBLAS, the matrix products (~95% of the work) run on OpenBLAS's own threads,
    // one per core, and LibTorch's OpenMP pool is held to one thread. Measured on 2-core
    // machines: with both pools at full size their spinning workers fought for the cores and
    // turned 0.1 ms steps (a 257 x 257 softmax) into 2.5 ms ones; ViT-L/14 ran at 35% of the
    // GEMM rate instead of ~80%. Without a threaded BLAS, LibTorch's threads do the work.
    using SetThreads = void (*)(int);
    if (auto setBlasThreads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
        setBlasThreads(threads);
        at::set_num_threads(1);
    } else {
        at::set_num_threads(threads);
    }
}

int cpuThreads()
{
    if (s_cpuThreads == 0)
        configureCpuThreads();
    return s_cpuThreads;
}

namespace {

std::vector<std::string> blasMappings()
{
    std::ifstream maps("/proc/self/maps");
    std::set<std::string> libs;
    std::string line;
    while (std::getline(maps, line)) {
        const auto slash = line.find('/');
        if (slash == std::string::npos)
            continue;
        const std::string path = line.substr(slash);
        const std::string name = path.substr(path.rfind('/') + 1);
        if (name.find("blas") != std::string::npos || name.find("mkl") != std::string::npos
            || name.find("blis") != std::string::npos)
            libs.insert(path);
    }
    return {libs.begin(), libs.end()};
}

} // namespace

std::string mappedBlasLibraries()
{
    std::string out;
    for (const auto &lib : blasMappings())
        out += (out.empty() ? "" : ", ") + lib;
    return out.empty() ? std::string("(none mapped; LibTorch's own kernels)") : out;
}

std::string slowBlasWarning()
{
    // Debian's reference BLAS lives in .../blas/libblas.so.3. LibTorch calls libblas.so.3,
    // so when that is mapped, an OpenBLAS mapped for another library does not help it.
    for (const auto &lib : blasMappings())
        if (lib.find("/blas/libblas") != std::string::npos)
            return "LibTorch is using the reference BLAS (" + lib
                 + "), about 30x slower than OpenBLAS: install libopenblas0-pthread (sudo apt-get install "
                   "libopenblas0-pthread); if it is installed, select it with sudo update-alternatives --config "
                   "libblas.so.3-x86_64-linux-gnu";
    return blasKernels().warning; // OpenBLAS with kernels narrower than the processor's, if it could not be fixed
}

bool cudaAvailable() { return torch::cuda::is_available(); }

std::string libtorchVersion()
{
    return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "."
         + std::to_string(TORCH_VERSION_PATCH);
}

Result<BackboneSummary> inspectBackbone(const std::string &path)
{
    using R = Result<BackboneSummary>;
    try {
        auto file = readTensorArchive(path);
        if (!file)
            return R::failure(file.error());
        const bool huggingFace = convertHuggingFaceClip(file.value());
        std::string prefix;
        auto config = vitConfigFromArchive(file.value(), prefix);
        if (!config)
            return R::failure(config.error());
        VisionTransformer vit(config.value());
        if (auto loaded = loadParameters(vit, file.value(), prefix); !loaded)
            return R::failure(loaded.error());
        BackboneSummary summary;
        summary.blocks = int(config->layers);
        summary.width = int(config->width);
        summary.patch = int(config->patch);
        summary.inputSize = int(config->inputSize());
        summary.format = file->format == TensorArchive::Format::TorchScript   ? "torchscript"
                       : file->format == TensorArchive::Format::SafeTensors ? "safetensors"
                                                                            : "state_dict";
        if (huggingFace)
            summary.format += " (Hugging Face names)";
        summary.sha256 = file->sha256;
        return summary;
    } catch (const c10::Error &e) {
        return R::failure(path + ": " + e.what_without_backtrace());
    }
}

} // namespace rine
