// The CUDA path of core/model, checked with LibTorch alone (no Qt, no OpenCV), so that it
// builds against the CUDA LibTorch inside a PyTorch wheel: the tiny golden test on the chosen
// device (reference logits from the published code; fp16 on CUDA within 1e-2), the
// agreement between CUDA fp16 and CPU fp32 on the same crops, and the ViT-L/14 throughput.
// installer/cuda-check.sh builds and runs it; CTest runs it on the CPU.

#include "model/Benchmark.h"
#include "model/Detector.h"
#include "util/Json.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace rine;

namespace {

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A binary PPM (P6) of exactly size x size pixels, 8-bit, as tests/data/tools writes them.
bool readCrop(const std::string &path, int size, std::vector<std::uint8_t> &pixels)
{
    const std::string header = "P6\n" + std::to_string(size) + " " + std::to_string(size) + "\n255\n";
    const std::string text = readText(path);
    if (text.size() != header.size() + std::size_t(size) * size * 3 || text.compare(0, header.size(), header) != 0)
        return false;
    pixels.assign(text.begin() + std::ptrdiff_t(header.size()), text.end());
    return true;
}

std::unique_ptr<Detector> load(const std::string &backbone, const std::string &head, DeviceChoice device)
{
    DetectorOptions options;
    options.backbonePath = backbone;
    options.headPaths = {head};
    options.device = device;
    auto detector = Detector::load(options);
    if (!detector) {
        std::fprintf(stderr, "cuda-check: %s\n", detector.error().c_str());
        return nullptr;
    }
    return std::move(detector.value());
}

} // namespace

int main(int argc, char **argv)
{
    std::map<std::string, std::string> args{{"--device", "cuda"}, {"--tolerance", "1e-2"}, {"--batches", "64,256"}};
    for (int i = 1; i + 1 < argc; i += 2)
        args[argv[i]] = argv[i + 1];
    for (const char *required : {"--data"})
        if (!args.count(required)) {
            std::fprintf(stderr,
                         "usage: rine-cuda-check --data tests/data/reference-tiny [--device cuda|cpu] "
                         "[--tolerance 1e-2] [--batches 64,256 | --batches none]\n");
            return 2;
        }
    const std::string data = args["--data"];
    const bool cuda = args["--device"] == "cuda";
    const double tolerance = std::stod(args["--tolerance"]);
    if (cuda && !cudaAvailable()) {
        std::fprintf(stderr, "cuda-check: LibTorch %s sees no CUDA device\n", libtorchVersion().c_str());
        return 2;
    }

    const std::string json = readText(data + "/reference.json");
    auto reference = parseJson(json.data(), json.size());
    const JsonValue *images = reference ? reference->find("images") : nullptr;
    if (!images) {
        std::fprintf(stderr, "cuda-check: cannot read %s/reference.json\n", data.c_str());
        return 2;
    }
    std::vector<std::string> names;
    std::vector<double> expected;
    std::vector<std::vector<std::uint8_t>> crops;
    for (const auto &[name, value] : images->object) {
        std::vector<std::uint8_t> pixels;
        if (!readCrop(data + "/crops/" + name + ".ppm", 224, pixels)) {
            std::fprintf(stderr, "cuda-check: %s/crops/%s.ppm is missing or not a 224x224 PPM\n", data.c_str(), name.c_str());
            return 2;
        }
        names.push_back(name);
        expected.push_back(value.find("logit")->number);
        crops.push_back(std::move(pixels));
    }
    std::vector<const std::uint8_t *> batch;
    for (const auto &crop : crops)
        batch.push_back(crop.data());

    const std::string backbone = data + "/clip_tiny_traced.pt", head = data + "/rine_tiny_head.pth";
    auto detector = load(backbone, head, cuda ? DeviceChoice::Cuda : DeviceChoice::Cpu);
    if (!detector)
        return 2;
    auto scores = detector->score(batch);
    if (!scores) {
        std::fprintf(stderr, "cuda-check: %s\n", scores.error().c_str());
        return 1;
    }
    double worst = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const double difference = std::abs(scores.value()[i].logit - expected[i]);
        worst = std::max(worst, difference);
        std::printf("%-16s logit %+.6f  reference %+.6f  |difference| %.2e\n", names[i].c_str(),
                    scores.value()[i].logit, expected[i], difference);
    }
    const ModelInfo &info = detector->info();
    const bool golden = worst <= tolerance;
    std::printf("tiny golden on %s, backbone %s: worst |logit - reference| %.2e (limit %.0e): %s\n",
                info.device.c_str(), info.backboneDtype.c_str(), worst, tolerance, golden ? "PASS" : "FAIL");

    if (cuda) {
        auto cpu = load(backbone, head, DeviceChoice::Cpu);
        auto cpuScores = cpu ? cpu->score(batch) : Result<std::vector<CropScore>>::failure("no CPU model");
        if (cpuScores) {
            double gap = 0;
            for (std::size_t i = 0; i < names.size(); ++i)
                gap = std::max(gap, std::abs(cpuScores.value()[i].logit - scores.value()[i].logit));
            std::printf("CUDA fp16 against CPU fp32, same crops: worst |logit difference| %.2e\n", gap);
        }
    }

    if (args["--batches"] != "none") {
        BenchOptions bench;
        bench.cuda = cuda;
        bench.batches.clear();
        std::stringstream list(args["--batches"]);
        for (std::string item; std::getline(list, item, ',');)
            bench.batches.push_back(std::stoi(item));
        auto report = runBenchmark(bench, [](const std::string &line) { std::fprintf(stderr, "cuda-check: %s\n", line.c_str()); });
        if (!report) {
            std::fprintf(stderr, "cuda-check: %s\n", report.error().c_str());
            return 1;
        }
        std::printf("ViT-L/14 (random weights), %s, backbone %s:\n", report->device.c_str(),
                    cuda ? "float16 (LayerNorm float32)" : "float32");
        for (const BenchBatch &b : report->batches)
            std::printf("  batch %4d: %9.1f images/s (%d passes, %.3f s/pass)\n", b.batch, b.imagesPerSecond, b.passes,
                        b.secondsPerPass);
        std::printf("  peak host memory %.0f MiB\n", report->peakRssMiB);
    }
    return golden ? 0 : 1;
}
