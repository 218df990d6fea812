#include "SpaiDetector.h"

#include "SpaiModules.h"
#include "TensorArchive.h"
#include "util/BlasKernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <type_traits>

namespace rine {

namespace {

// Python's round() of d / 2 for a whole d: halves to even.
int halfToEven(int d)
{
    const int floor = d / 2;
    if (d % 2 == 0)
        return floor;
    return floor % 2 == 0 ? floor : floor + 1;
}

// OpenCV's BORDER_REFLECT_101 of an index into [0, n): ... 2 1 | 0 1 2 ... n-1 | n-2 ...,
// repeated for pads wider than the image.
std::int64_t reflect101(std::int64_t i, std::int64_t n)
{
    if (n == 1)
        return 0;
    const std::int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

torch::Tensor reflectIndex(std::int64_t before, std::int64_t size, std::int64_t after)
{
    std::vector<std::int64_t> index;
    index.reserve(std::size_t(before + size + after));
    for (std::int64_t i = -before; i < size + after; ++i)
        index.push_back(reflect101(i, size));
    return torch::tensor(index, torch::kLong);
}

// The architecture a checkpoint's stored configuration (upstream's yacs config) states, over
// `base`; `stated` gets the fields it gave, to be checked against the tensors.
Result<SpaiConfig> storedConfig(const TensorArchive &archive, const SpaiConfig &base,
                                std::vector<std::pair<std::string, std::int64_t>> &stated)
{
    using R = Result<SpaiConfig>;
    using Kind = TensorArchive::Value::Kind;
    SpaiConfig config = base;
    std::string problem;
    auto integer = [&](const char *key, std::int64_t &field, std::int64_t low, std::int64_t high) {
        const TensorArchive::Value *value = archive.configValue(key);
        if (!value)
            return;
        if (value->kind != Kind::Int || value->i < low || value->i > high) {
            problem = std::string(key) + " is not a whole number from " + std::to_string(low) + " to " + std::to_string(high);
            return;
        }
        field = value->i;
        stated.emplace_back(key, value->i);
    };
    integer("DATA.IMG_SIZE", config.imageSize, 16, 4096);
    integer("MODEL.VIT.EMBED_DIM", config.width, 1, 1 << 14);
    integer("MODEL.VIT.DEPTH", config.depth, 1, 64);
    integer("MODEL.VIT.NUM_HEADS", config.heads, 1, 1024);
    integer("MODEL.VIT.PATCH_SIZE", config.patch, 1, 1024);
    integer("MODEL.VIT.MLP_RATIO", config.mlpRatio, 1, 64);
    integer("MODEL.VIT.PROJECTION_DIM", config.projDim, 1, 1 << 16);
    integer("MODEL.PATCH_VIT.NUM_HEADS", config.scaHeads, 1, 1024);
    integer("MODEL.PATCH_VIT.ATTN_EMBED_DIM", config.scaDim, 1, 1 << 16);
    integer("MODEL.PATCH_VIT.PATCH_STRIDE", config.stride, 1, 4096);
    integer("MODEL.PATCH_VIT.MINIMUM_PATCHES", config.minimumPatches, 0, 1 << 16);
    integer("MODEL.CLS_HEAD.MLP_RATIO", config.headMlpRatio, 1, 64);
    integer("MODEL.FRE.MASKING_RADIUS", config.maskRadius, 1, 4096);
    std::int64_t projectionLayers = 2;
    integer("MODEL.VIT.PROJECTION_LAYERS", projectionLayers, 1, 64);
    if (!problem.empty())
        return R::failure(archive.path + ": its stored configuration is damaged: " + problem);
    if (const TensorArchive::Value *layers = archive.configValue("MODEL.VIT.INTERMEDIATE_LAYERS")) {
        config.layers.clear();
        for (const TensorArchive::Value &item : layers->items) {
            if (item.kind != Kind::Int || item.i < 0 || item.i >= 64 || layers->items.size() > 64)
                return R::failure(archive.path + ": its stored MODEL.VIT.INTERMEDIATE_LAYERS is not a list of block numbers");
            config.layers.push_back(item.i);
        }
        if (layers->kind != Kind::List || config.layers.empty())
            return R::failure(archive.path + ": its stored MODEL.VIT.INTERMEDIATE_LAYERS is not a list of block numbers");
    }
    // What this implementation computes; another variant of the upstream code is refused.
    auto is = [&](const char *key, auto expected, const char *what) -> std::string {
        const TensorArchive::Value *value = archive.configValue(key);
        if (!value)
            return {};
        bool same = false;
        if constexpr (std::is_same_v<decltype(expected), const char *>)
            same = (value->kind == Kind::String && value->s == expected)
                   || (std::string(expected) == "None" && value->kind == Kind::None);
        else
            same = value->kind == Kind::Bool && bool(value->i) == expected;
        return same ? std::string() : std::string(key) + " is not " + what;
    };
    for (const std::string &why :
         {is("MODEL.RESOLUTION_MODE", "arbitrary", "arbitrary (the patch-based model)"),
          is("MODEL.SID_APPROACH", "freq_restoration", "freq_restoration"),
          is("MODEL.FRE.PROJECTOR_LAST_LAYER_ACTIVATION_TYPE", "None", "None"),
          is("MODEL.FRE.ORIGINAL_IMAGE_FEATURES_BRANCH", true, "True"),
          is("MODEL.VIT.PATCH_PROJECTION", true, "True"), is("MODEL.VIT.PATCH_PROJECTION_PER_FEATURE", true, "True"),
          is("MODEL.VIT.USE_INTERMEDIATE_LAYERS", true, "True"),
          projectionLayers == 2 ? std::string() : std::string("MODEL.VIT.PROJECTION_LAYERS is not 2")})
        if (!why.empty())
            return R::failure(archive.path + ": a SPAI variant this program does not run: its stored configuration's "
                              + why + " (configs/spai.yaml's)");
    if (const TensorArchive::Value *weights = archive.configValue("MODEL_WEIGHTS");
        weights && !(weights->kind == Kind::String && weights->s == "mfm"))
        return R::failure(archive.path + ": a SPAI variant this program does not run: its backbone (MODEL_WEIGHTS) is "
                          + (weights->kind == Kind::String ? weights->s : std::string("not named"))
                          + ", not the ViT-B/16 (mfm) of the published model");
    return config;
}

} // namespace

SpaiConfig SpaiConfig::published()
{
    SpaiConfig config;
    for (std::int64_t i = 0; i < 12; ++i)
        config.layers.push_back(i);
    return config;
}

SpaiLayout spaiLayout(int width, int height, const SpaiConfig &config)
{
    SpaiLayout layout;
    const int size = int(config.imageSize), stride = int(config.stride);
    if (height < size) {
        layout.padTop = (size - height) / 2;
        layout.padBottom = size - height - layout.padTop;
    }
    if (width < size) {
        layout.padLeft = (size - width) / 2;
        layout.padRight = size - width - layout.padLeft;
    }
    layout.width = width + layout.padLeft + layout.padRight;
    layout.height = height + layout.padTop + layout.padBottom;
    const int rows = (layout.height - size) / stride + 1, cols = (layout.width - size) / stride + 1;
    if (std::int64_t(rows) * cols < config.minimumPatches) {
        layout.fiveCrop = true;
        const int bottom = layout.height - size, right = layout.width - size;
        layout.patches = {{0, 0}, {0, right}, {bottom, 0}, {bottom, right}, {halfToEven(bottom), halfToEven(right)}};
        return layout;
    }
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            layout.patches.push_back({r * stride, c * stride});
    return layout;
}

std::string SpaiConfig::describe() const
{
    return "ViT " + std::to_string(width) + " wide, patch " + std::to_string(patch) + ", " + std::to_string(depth)
         + " blocks (" + std::to_string(layers.size()) + " used), " + std::to_string(heads) + " heads, P "
         + std::to_string(projDim) + ", spectral context attention " + std::to_string(scaHeads) + " x "
         + std::to_string(scaHeads ? scaDim / scaHeads : 0) + ", " + std::to_string(imageSize) + " px patches";
}

SpaiDetector::~SpaiDetector() = default;

std::string spaiAutoKeepsFp32(const CpuFeatures &cpu)
{
    if (cpu.amxBf16)
        return {};
    if (cpu.avx512bf16)
        return "bf16 is no faster for SPAI on a processor without AMX";
    return "this processor has no bf16 matrix instructions";
}

namespace {

// The architecture of a SPAI weight file: from the checkpoint's stored configuration when it
// has one, else the one given (the published configuration by default); then read from the
// tensors' shapes, which must agree with what the configuration states.
Result<SpaiConfig> resolveConfig(const TensorArchive &archive, const std::string &path, const SpaiConfig &given)
{
    using R = Result<SpaiConfig>;
    std::vector<std::pair<std::string, std::int64_t>> stated;
    auto base = archive.config.empty() ? R(given) : storedConfig(archive, given, stated);
    if (!base)
        return base;
    auto config = spaiConfigFromArchive(archive, "", base.value());
    if (!config)
        return config;
    const std::pair<const char *, std::int64_t> derived[] = {
        {"MODEL.VIT.EMBED_DIM", config->width},         {"MODEL.VIT.DEPTH", config->depth},
        {"MODEL.VIT.PATCH_SIZE", config->patch},        {"MODEL.VIT.MLP_RATIO", config->mlpRatio},
        {"MODEL.VIT.PROJECTION_DIM", config->projDim},  {"MODEL.PATCH_VIT.NUM_HEADS", config->scaHeads},
        {"MODEL.PATCH_VIT.ATTN_EMBED_DIM", config->scaDim}, {"MODEL.CLS_HEAD.MLP_RATIO", config->headMlpRatio}};
    for (const auto &[key, value] : stated)
        for (const auto &[name, fromShapes] : derived)
            if (key == name && value != fromShapes)
                return R::failure(path + ": its stored configuration says " + key + " " + std::to_string(value)
                                  + ", but its tensors are of a model with " + std::to_string(fromShapes)
                                  + "; the file is damaged or was not saved by the SPAI training code");
    if (archive.configValue("MODEL.VIT.INTERMEDIATE_LAYERS") && base->layers.size() != config->layers.size())
        return R::failure(path + ": its stored configuration lists " + std::to_string(base->layers.size())
                          + " blocks (MODEL.VIT.INTERMEDIATE_LAYERS), its tensors project "
                          + std::to_string(config->layers.size()));
    return config;
}

} // namespace

Result<SpaiSummary> inspectSpai(const std::string &path, const std::string &sha256)
{
    auto archive = readTrustedArchive(path, sha256);
    if (!archive)
        return Result<SpaiSummary>::failure(archive.error());
    auto config = resolveConfig(archive.value(), path, SpaiConfig::published());
    if (!config)
        return Result<SpaiSummary>::failure(config.error());
    return SpaiSummary{config.value(), archive->sha256, !archive->config.empty()};
}

Result<std::unique_ptr<SpaiDetector>> SpaiDetector::load(const SpaiOptions &options)
{
    using R = Result<std::unique_ptr<SpaiDetector>>;
    if (options.precision == Precision::Fp16)
        return R::failure("--precision fp16: SPAI runs on the CPU, in fp32 or bf16; --precision standard gives "
                          "RINE fp16 on CUDA and SPAI fp32");
    if (const std::string refusal = precisionRefusal(options.precision, false, options.emulatedBf16); !refusal.empty())
        return R::failure(refusal);
    auto archive = readTrustedArchive(options.path, options.sha256);
    if (!archive)
        return R::failure(archive.error());
    auto config = resolveConfig(archive.value(), options.path, options.config);
    if (!config)
        return R::failure(config.error());
    std::unique_ptr<SpaiDetector> detector(new SpaiDetector());
    detector->m_config = config.value();
    detector->m_sha256 = archive->sha256;
    detector->m_path = options.path;
    detector->m_patchBatch = std::max(1, options.patchBatch);
    try {
        detector->m_model = std::make_unique<SpaiModel>(config.value());
        if (auto loaded = detector->m_model->load(archive.value(), ""); !loaded)
            return R::failure(loaded.error());
    } catch (const c10::Error &error) {
        return R::failure(options.path + ": cannot build the SPAI model: " + error.what_without_backtrace());
    }
    detector->m_model->eval();
    try {
        if (options.precision == Precision::Bf16) {
            detector->m_model->setComputeDtype(torch::kBFloat16);
            detector->m_precision = "bf16";
            detector->m_precisionNote = "asked for: bf16 matrix products, fp32 LayerNorms, softmax and GELU";
        } else if (options.precision == Precision::Fp32) {
            detector->m_precisionNote = "asked for: fp32, as published";
        } else if (options.precision == Precision::Auto) {
            if (const std::string reason = spaiAutoKeepsFp32(cpuFeatures()); reason.empty())
                detector->chooseAutoPrecision();
            else
                detector->m_precisionNote = "auto: fp32 (" + reason + ")";
        }
    } catch (const c10::Error &error) {
        return R::failure(options.path + ": cannot run SPAI in bf16: " + error.what_without_backtrace());
    }
    return detector;
}

void SpaiDetector::chooseAutoPrecision()
{
    // Two synthetic 448 px images (four patches each), scored whole in both precisions.
    constexpr int kImages = 2, kSize = 448;
    const torch::Tensor images = syntheticCrops(kImages, kSize, 7);
    auto probabilities = [&] {
        std::vector<double> out;
        for (int i = 0; i < kImages; ++i)
            out.push_back(score(images[i].data_ptr<std::uint8_t>(), kSize, kSize, std::size_t(kSize) * 3).probability);
        return out;
    };
    const std::vector<double> reference = probabilities();
    m_model->setComputeDtype(torch::kBFloat16);
    const std::vector<double> reduced = probabilities();
    double worst = 0;
    for (int i = 0; i < kImages; ++i)
        worst = std::max(worst, std::abs(reference[std::size_t(i)] - reduced[std::size_t(i)]));
    char figure[32];
    std::snprintf(figure, sizeof figure, "%.2g", worst);
    const std::string measured = std::string(" in probability on ") + std::to_string(kImages) + " synthetic images, bound 0.01";
    if (worst > kPrecisionBound) {
        m_model->setComputeDtype(torch::kFloat);
        m_precisionNote = std::string("auto: fp32 (bf16 differed by up to ") + figure + measured + ")";
        return;
    }
    m_precision = "bf16";
    m_precisionNote = std::string("auto: bf16 (agrees with fp32 within ") + figure + measured + ")";
}

// One image being scored: its padded bytes, how many of its patches were handed to a pass and
// how many are scored. The caller's thread waits in serve() until it is finished; whichever
// thread runs a pass writes `features` and, after its last patch, `result`.
struct SpaiDetector::Job {
    torch::Tensor image; // [3, H, W] bytes after padding (a view of the caller's pixels when none)
    SpaiScore result; // the layout from the start, the scores once finished
    const SpaiWatch *watch = nullptr;
    std::size_t total = 0, handed = 0, scored = 0;
    std::vector<torch::Tensor> features; // per pass this image had patches in
    bool abandoned = false; // its watch threw: dropped like a cancelled image
    bool cancelled = false;
    std::exception_ptr error; // of the pass that failed it
    bool finished() const { return cancelled || error || scored == total; }
};

// The patches of one ViT pass: consecutive patches of one or more images, in queue order.
struct SpaiDetector::Pass {
    struct Part {
        Job *job = nullptr;
        std::size_t begin = 0, end = 0;
    };
    std::vector<Part> parts;
};

SpaiDetector::Pass SpaiDetector::takePass() const
{
    Pass pass;
    std::size_t room = std::size_t(m_patchBatch);
    while (room > 0 && !m_queue.empty()) {
        Job &job = *m_queue.front();
        const std::atomic<bool> *cancel = job.watch ? job.watch->cancel : nullptr;
        if (job.abandoned || (cancel && cancel->load())) {
            job.cancelled = true; // no pass runs now, so none holds its patches
            m_queue.pop_front();
            continue;
        }
        const std::size_t take = std::min(room, job.total - job.handed);
        pass.parts.push_back({&job, job.handed, job.handed + take});
        job.handed += take;
        room -= take;
        if (job.handed == job.total)
            m_queue.pop_front();
    }
    return pass;
}

void SpaiDetector::runPass(const Pass &pass) const
{
    c10::InferenceMode inference;
    const std::int64_t size = m_config.imageSize;
    const float scale = 1.0f / 255.0f; // x * float32(1/255), as upstream's ToTensor
    std::vector<torch::Tensor> batch;
    for (const Pass::Part &part : pass.parts)
        for (std::size_t i = part.begin; i < part.end; ++i) {
            const SpaiLayout::Place &place = part.job->result.layout.patches[i];
            batch.push_back(part.job->image.slice(1, place.top, place.top + size).slice(2, place.left, place.left + size));
        }
    const torch::Tensor features = m_model->patchFeatures(torch::stack(batch).to(torch::kFloat) * scale);
    ++m_passes;
    std::int64_t row = 0;
    for (const Pass::Part &part : pass.parts) {
        Job &job = *part.job;
        const std::int64_t count = std::int64_t(part.end - part.begin);
        job.features.push_back(features.slice(0, row, row + count));
        row += count;
        if (part.end < job.total)
            continue;
        // The image's last patch: its patches weighed into one logit.
        const torch::Tensor all = torch::cat(job.features, 0);
        job.features.clear();
        const SpaiAggregate aggregate = m_model->aggregate(all);
        SpaiScore &result = job.result;
        result.logit = aggregate.logit.item<double>();
        result.probability = 1.0 / (1.0 + std::exp(-result.logit));
        const torch::Tensor attention = aggregate.attention.to(torch::kDouble).contiguous();
        const torch::Tensor solo = m_model->soloLogits(all).to(torch::kDouble).contiguous();
        const auto weights = attention.accessor<double, 2>();
        const auto soloOf = solo.accessor<double, 1>();
        const torch::Tensor means = attention.mean(0).contiguous(); // over heads, as the upstream code averages
        const auto meanOf = means.accessor<double, 1>();
        for (std::size_t i = 0; i < result.layout.patches.size(); ++i) {
            SpaiPatchScore patch;
            patch.top = result.layout.patches[i].top;
            patch.left = result.layout.patches[i].left;
            for (std::int64_t h = 0; h < attention.size(0); ++h)
                patch.attention.push_back(weights[h][std::int64_t(i)]);
            patch.attentionMean = meanOf[std::int64_t(i)];
            patch.soloLogit = soloOf[std::int64_t(i)];
            result.patches.push_back(std::move(patch));
        }
    }
}

// Waits until the caller's images are finished, running passes (for every waiting image, the
// caller's or not) whenever none is running, and telling the caller's watches, on this thread,
// how many of each image's patches are scored after each pass.
void SpaiDetector::serve(const std::vector<Job *> &mine) const
{
    std::unique_lock<std::mutex> lock(m_queueMutex);
    for (Job *job : mine)
        m_queue.push_back(job);
    std::vector<std::size_t> told(mine.size(), 0);
    std::exception_ptr watchFailed;
    for (;;) {
        bool reported = false;
        for (std::size_t i = 0; i < mine.size() && !reported; ++i) {
            Job &job = *mine[i];
            if (job.scored == told[i] || job.error)
                continue;
            told[i] = job.scored;
            reported = true;
            if (!job.watch || !job.watch->patches)
                continue;
            lock.unlock();
            try {
                job.watch->patches(told[i], job.total);
            } catch (...) {
                if (!watchFailed)
                    watchFailed = std::current_exception();
                lock.lock();
                job.abandoned = true;
                continue;
            }
            lock.lock();
        }
        if (reported)
            continue; // the queue may have moved meanwhile
        if (std::all_of(mine.begin(), mine.end(), [](const Job *job) { return job->finished(); }))
            break;
        if (m_running) {
            m_passEnded.wait(lock);
            continue;
        }
        Pass pass = takePass();
        if (pass.parts.empty()) { // only cancelled images were left: they are finished now
            m_passEnded.notify_all();
            continue;
        }
        m_running = true;
        lock.unlock();
        std::exception_ptr failed;
        try {
            runPass(pass);
        } catch (...) {
            failed = std::current_exception();
        }
        lock.lock();
        for (const Pass::Part &part : pass.parts) {
            Job &job = *part.job;
            if (failed) {
                job.error = failed;
                m_queue.erase(std::remove(m_queue.begin(), m_queue.end(), &job), m_queue.end());
                continue;
            }
            job.scored = part.end;
        }
        m_running = false;
        m_passEnded.notify_all();
    }
    lock.unlock();
    for (const Job *job : mine)
        if (job->error)
            std::rethrow_exception(job->error);
    if (watchFailed)
        std::rethrow_exception(watchFailed);
}

std::vector<std::optional<SpaiScore>> SpaiDetector::score(const std::vector<Image> &images) const
{
    std::vector<Job> jobs(images.size());
    std::vector<Job *> mine;
    {
        c10::InferenceMode inference;
        for (std::size_t i = 0; i < images.size(); ++i) {
            const Image &in = images[i];
            Job &job = jobs[i];
            job.result.layout = spaiLayout(in.width, in.height, m_config);
            const SpaiLayout &layout = job.result.layout;
            // The image as bytes [3, H, W], padded by reflection; patches become floats pass by pass.
            job.image = torch::from_blob(const_cast<std::uint8_t *>(in.rgb), {in.height, in.width, 3},
                                         {std::int64_t(in.stride), 3, 1}, torch::kUInt8)
                            .permute({2, 0, 1});
            if (layout.padTop || layout.padBottom)
                job.image = job.image.index_select(1, reflectIndex(layout.padTop, in.height, layout.padBottom));
            if (layout.padLeft || layout.padRight)
                job.image = job.image.index_select(2, reflectIndex(layout.padLeft, in.width, layout.padRight));
            job.watch = &in.watch;
            job.total = layout.patches.size(); // at least 1: a side under 224 px is padded to it
            mine.push_back(&job);
        }
    }
    serve(mine);
    std::vector<std::optional<SpaiScore>> out;
    for (Job &job : jobs)
        out.push_back(job.cancelled ? std::nullopt : std::optional<SpaiScore>(std::move(job.result)));
    return out;
}

SpaiScore SpaiDetector::score(const std::uint8_t *rgb, int width, int height, std::size_t stride) const
{
    return score(rgb, width, height, stride, SpaiWatch{}).value(); // nothing cancels it
}

std::optional<SpaiScore> SpaiDetector::score(const std::uint8_t *rgb, int width, int height, std::size_t stride,
                                             const SpaiWatch &watch) const
{
    return std::move(score(std::vector<Image>{{rgb, width, height, stride, watch}}).front());
}

Result<SpaiBenchReport> runSpaiBenchmark(int patchBatch, double minSeconds, Precision precision)
{
    if (precision != Precision::Fp32 && precision != Precision::Bf16)
        return Result<SpaiBenchReport>::failure("SPAI benchmark: fp32 or bf16");
    if (const std::string refusal = precisionRefusal(precision, false, false); !refusal.empty())
        return Result<SpaiBenchReport>::failure(refusal);
    using Clock = std::chrono::steady_clock;
    try {
        c10::InferenceMode inference;
        SpaiBenchReport report;
        const SpaiConfig config = SpaiConfig::published();
        std::unique_ptr<SpaiDetector> detector(new SpaiDetector());
        detector->m_config = config;
        detector->m_patchBatch = std::max(1, patchBatch);
        detector->m_model = std::make_unique<SpaiModel>(config);
        {
            // Random weights of a trained model's scale: the speed is that of the real model.
            torch::NoGradGuard noGrad;
            at::manual_seed(1);
            for (auto &parameter : detector->m_model->named_parameters()) {
                const bool norm = parameter.key().find("norm") != std::string::npos && parameter.value().dim() == 1;
                if (norm && parameter.key().find("weight") != std::string::npos)
                    parameter.value().fill_(1.0);
                else
                    parameter.value().normal_(0.0, 0.02);
            }
        }
        detector->m_model->eval();
        if (precision == Precision::Bf16) {
            detector->m_model->setComputeDtype(torch::kBFloat16);
            detector->m_precision = "bf16";
        }
        report.precision = detector->m_precision;
        report.configuration = config.describe();
        report.patchBatch = detector->m_patchBatch;
        report.threads = cpuThreads(); // BLAS threads (LibTorch's own pool is held to one beside OpenBLAS)
        // FLOPs per patch: three ViT passes (tokens T, width W, depth D: qkv, attention, proj,
        // MLP) and the projectors over the listed blocks' tokens.
        const double t = double(config.grid() * config.grid() + 1), w = double(config.width);
        const double vit = double(config.depth) * (2 * t * w * (3 * w + w + 2 * config.mlpRatio * w) + 4 * t * t * w)
                           + 2 * (t - 1) * 3 * w * config.patch * config.patch;
        const double projectors = double(config.layers.size()) * 2 * (t - 1) * (w * config.projDim + double(config.projDim) * config.projDim);
        report.gflopPerPatch = 3 * (vit + projectors) / 1e9;

        const torch::Tensor patches = torch::rand({report.patchBatch, 3, config.imageSize, config.imageSize});
        detector->m_model->patchFeatures(patches); // warm-up
        int done = 0;
        const auto start = Clock::now();
        double elapsed = 0;
        do {
            detector->m_model->patchFeatures(patches);
            done += report.patchBatch;
            elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        } while (elapsed < minSeconds);
        report.patchesPerSecond = done / elapsed;

        std::vector<std::uint8_t> image(1000 * 1000 * 3);
        for (std::size_t i = 0; i < image.size(); ++i)
            image[i] = std::uint8_t((i * 2654435761u) >> 24);
        const auto imageStart = Clock::now();
        const SpaiScore score = detector->score(image.data(), 1000, 1000, 3000);
        report.megapixelSeconds = std::chrono::duration<double>(Clock::now() - imageStart).count();
        report.megapixelPatches = int(score.patches.size());
        return report;
    } catch (const c10::Error &error) {
        return Result<SpaiBenchReport>::failure(std::string("SPAI benchmark: ") + error.what_without_backtrace());
    }
}

} // namespace rine
