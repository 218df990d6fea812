#include "Commands.h"

#include "image/ImageDecoder.h"
#include "image/Preprocessing.h"
#include "scan/ScanEngine.h"
#include "catalog/ModelLocator.h"
#include "catalog/ModelStore.h"
#include "scoring/RobustnessSweep.h"
#include "store/CaseDatabase.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sys/resource.h>

namespace rine::cli {

namespace {

double peakRssMiB()
{
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;
}

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Photo-like content (smooth shading, texture, sensor-like noise) so that the JPEGs have the
// size and decoding cost of camera pictures, not of flat test cards.
RgbImage syntheticPhoto(int width, int height, unsigned seed)
{
    std::mt19937 random(seed);
    std::normal_distribution<float> noise(0.0f, 6.0f);
    std::uniform_real_distribution<float> phase(0.0f, 6.28f);
    const float p0 = phase(random), p1 = phase(random), p2 = phase(random);
    RgbImage image{width, height, std::vector<std::uint8_t>(std::size_t(width) * height * 3)};
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const float u = float(x) / float(width), v = float(y) / float(height);
            const float base[3] = {120 + 80 * std::sin(6 * u + p0) * std::cos(4 * v + p1),
                                   110 + 70 * std::sin(5 * v + p1 + 3 * u), 100 + 60 * std::cos(7 * u * v + p2)};
            const float texture = 18 * std::sin(0.35f * float(x) + p2) * std::sin(0.27f * float(y) + p0);
            for (int c = 0; c < 3; ++c) {
                const float value = base[c] + texture + noise(random);
                image.pixels[(std::size_t(y) * width + x) * 3 + c] = std::uint8_t(std::clamp(value, 0.0f, 255.0f));
            }
        }
    return image;
}

} // namespace

int runEndToEndBench(const EndToEndOptions &options)
{
    auto log = [](const QString &text) { QTextStream(stderr) << "rine-cli bench: " << text << Qt::endl; };
    QTemporaryDir work;
    if (!work.isValid()) {
        log(QStringLiteral("cannot create a temporary folder"));
        return UsageOrSetup;
    }
    QString folder = options.folder;
    if (folder.isEmpty()) {
        folder = work.filePath(QStringLiteral("jpegs"));
        QDir().mkpath(folder);
        log(QStringLiteral("writing %1 synthetic 1024x768 photos as JPEG quality 90 to %2").arg(options.images).arg(folder));
        for (int i = 0; i < options.images; ++i) {
            auto jpeg = encodeJpeg(syntheticPhoto(1024, 768, unsigned(i + 1)), 90);
            if (!jpeg) {
                log(QString::fromStdString(jpeg.error()));
                return UsageOrSetup;
            }
            std::ofstream(QStringLiteral("%1/photo%2.jpg").arg(folder).arg(i, 5, 10, QLatin1Char('0')).toStdString(),
                          std::ios::binary)
                .write(reinterpret_cast<const char *>(jpeg->data()), std::streamsize(jpeg->size()));
        }
    }

    // Weight files are parsed only once trusted here, as for every other command (the
    // bench has no --trust: a file is trusted by loading it once with rine-cli score --trust).
    {
        const QString headFile = options.head.isEmpty() ? ModelLocator::defaultHead() : options.head;
        ModelStore store;
        for (const QString &file : QStringList{options.backbone, headFile}) {
            if (file.isEmpty())
                continue;
            auto sha = sha256OfFile(file);
            if (!sha) {
                log(QString::fromStdString(sha.error()));
                return UsageOrSetup;
            }
            if (auto allowed = store.allowed(file, sha.value()); !allowed) {
                log(QString::fromStdString(allowed.error()));
                return UsageOrSetup;
            }
        }
    }

    DetectorOptions detectorOptions;
    detectorOptions.device = options.device;
    detectorOptions.precision = options.precision;
    detectorOptions.randomBackbone = options.backbone.isEmpty();
    detectorOptions.backbonePath = options.backbone.toStdString();
    const QString head = options.head.isEmpty() ? ModelLocator::defaultHead() : options.head;
    detectorOptions.headPaths = {head.toStdString()};
    auto detector = Detector::load(detectorOptions);
    if (!detector) {
        log(QString::fromStdString(detector.error()));
        return UsageOrSetup;
    }
    Detector &model = *detector.value();
    const int size = model.info().inputSize;

    // 1. Input preparation alone, one thread: read + SHA-256 + decode + crop, per image.
    std::vector<std::vector<std::uint8_t>> crops;
    const QStringList names = QDir(folder).entryList(QDir::Files, QDir::Name);
    auto started = std::chrono::steady_clock::now();
    std::size_t prepared = 0;
    double textureSeconds = 0; // choosing TextureCrop's windows and cutting them, on top of the above
    for (const QString &name : names) {
        FileBytes bytes;
        auto image = readImage(QDir(folder).filePath(name).toStdString(), bytes);
        if (!image)
            continue;
        ++prepared;
        if (int(crops.size()) < options.batch)
            crops.push_back(centerCrop(image->rgb, size));
        const auto planned = std::chrono::steady_clock::now();
        const CropPlan plan = Preprocessing{CropMode::Texture, size}.plan(image->rgb);
        textureSeconds += seconds(planned);
    }
    const double prepareMs = prepared ? 1000.0 * (seconds(started) - textureSeconds) / double(prepared) : 0;
    const double textureMs = prepared ? 1000.0 * textureSeconds / double(prepared) : 0;
    if (crops.empty()) {
        log(QStringLiteral("no decodable image in %1").arg(folder));
        return UsageOrSetup;
    }
    while (int(crops.size()) < options.batch)
        crops.push_back(crops.front());
    std::vector<const std::uint8_t *> batch;
    for (const auto &crop : crops)
        batch.push_back(crop.data());

    // 2. Backbone alone on those crops at the scan's batch size (after one warm-up pass).
    log(QStringLiteral("backbone alone, batch %1 ...").arg(options.batch));
    if (auto warm = model.features(batch); !warm) {
        log(QString::fromStdString(warm.error()));
        return UsageOrSetup;
    }
    started = std::chrono::steady_clock::now();
    int passes = 0;
    while (passes < 2 || seconds(started) < options.minSeconds) {
        model.features(batch);
        ++passes;
    }
    const double backboneRate = double(passes) * options.batch / seconds(started);

    // 3. The whole scan: walk, read, hash, decode, crop, backbone, head, database commits.
    log(QStringLiteral("end-to-end scan of %1 files ...").arg(names.size()));
    auto database = CaseDatabase::open(work.filePath(QStringLiteral("bench.sqlite")), CaseDatabase::Mode::OpenOrCreate);
    if (!database) {
        log(QString::fromStdString(database.error()));
        return UsageOrSetup;
    }
    ScanRequest request;
    request.roots = {folder.toStdString()};
    request.batchSize = options.batch;
    std::atomic<bool> cancel{false};
    ScanEngine engine(model, *database.value());
    auto outcome = engine.run(request, cancel);
    if (!outcome) {
        log(QString::fromStdString(outcome->cancelled ? "cancelled" : outcome.error()));
        return UsageOrSetup;
    }
    const double scanRate = outcome->seconds > 0 ? double(outcome->inferred) / outcome->seconds : 0;

    // 3b. The same scan with TextureCrop: ten windows per image through the backbone.
    log(QStringLiteral("end-to-end scan with TextureCrop ..."));
    auto textureCase = CaseDatabase::open(work.filePath(QStringLiteral("bench-texture.sqlite")),
                                          CaseDatabase::Mode::OpenOrCreate);
    if (!textureCase) {
        log(QString::fromStdString(textureCase.error()));
        return UsageOrSetup;
    }
    request.crop = CropMode::Texture;
    ScanEngine textureEngine(model, *textureCase.value());
    auto texture = textureEngine.run(request, cancel);
    if (!texture) {
        log(QString::fromStdString(texture.error()));
        return UsageOrSetup;
    }
    const double textureRate = texture->seconds > 0 ? double(texture->inferred) / texture->seconds : 0;

    // 4. A robustness sweep of one image: 5 perturbations x 6 strengths, batched.
    SweepPlan plan{"bench",
                   {{PerturbationKind::Jpeg, {90, 75, 60, 45, 30, 15}},
                    {PerturbationKind::Blur, {3, 5, 7, 9, 11, 13}},
                    {PerturbationKind::Crop, {0.05, 0.1, 0.15, 0.2, 0.25, 0.3}},
                    {PerturbationKind::Noise, {3, 6, 9, 12, 15, 20}},
                    {PerturbationKind::Resize, {0.9, 0.75, 0.6, 0.5, 0.4, 0.25}}},
                   true};
    RobustnessSweep::Options sweepOptions;
    sweepOptions.batchSize = options.batch;
    log(QStringLiteral("robustness sweep of one image ..."));
    auto sweep = RobustnessSweep(model, sweepOptions).run(QDir(folder).filePath(names.front()).toStdString(), plan);

    const ModelInfo &info = model.info();
    std::printf("device          %s, backbone %s (%s)\n", info.device.c_str(), info.backboneFormat.c_str(),
                info.backboneDtype.c_str());
    std::printf("folder          %s: %lld files, %zu images scored\n", qPrintable(folder), qlonglong(names.size()),
                outcome->inferred);
    std::printf("input           %.1f ms/image on one thread (read + SHA-256 + decode + crop)\n", prepareMs);
    std::printf("backbone alone  %.3f images/s (batch %d, %d passes)\n", backboneRate, options.batch, passes);
    std::printf("end to end      %.3f images/s (%.1f s for the scan, walk and commits included)\n", scanRate,
                outcome->seconds);
    std::printf("ratio           %.1f%% of backbone-alone (target: 90%% or more on CPU)\n",
                backboneRate > 0 ? 100.0 * scanRate / backboneRate : 0.0);
    std::printf("texture crop    %.3f images/s end to end (%.1f s; 10 windows each, %.1f%% of center crop's rate); "
                "choosing the windows: %.1f ms/image\n",
                textureRate, texture->seconds, scanRate > 0 ? 100.0 * textureRate / scanRate : 0.0, textureMs);
    if (sweep)
        std::printf("robustness      %.1f s for one image: 5 perturbations x 6 strengths, %d crops in %d passes\n",
                    sweep->seconds, sweep->crops, sweep->forwardPasses);
    else
        std::printf("robustness      failed: %s\n", sweep.error().c_str());
    std::printf("peak memory     %.0f MiB (resident)\n", peakRssMiB());
    return Success;
}

} // namespace rine::cli
