#include "ImageScorer.h"

#include <cmath>

namespace rine {

CropScore combineCrops(const std::vector<CropScore> &scores, std::size_t first, std::size_t count)
{
    CropScore out;
    out.contributions.assign(scores[first].contributions.size(), 0.0);
    for (std::size_t c = first; c < first + count; ++c) {
        out.logit += scores[c].logit / double(count);
        for (std::size_t l = 0; l < out.contributions.size(); ++l)
            out.contributions[l] += scores[c].contributions[l] / double(count);
    }
    out.probability = 1.0 / (1.0 + std::exp(-out.logit));
    return out;
}

ImageScorer::ImageScorer(Detector &detector, ScoreOptions options) : ImageScorer(DetectorSet{&detector, nullptr}, std::move(options))
{
}

ImageScorer::ImageScorer(DetectorSet detectors, ScoreOptions options)
    : m_spai(detectors.spai), m_options(std::move(options))
{
    if (Detector *rine = detectors.rine) {
        m_scorer = [rine](const std::vector<const std::uint8_t *> &crops) { return rine->score(crops); };
        m_inputSize = rine->info().inputSize;
    }
    if (m_options.batchSize < 1)
        m_options.batchSize = 1;
}

ImageScorer::ImageScorer(CropScorer scorer, int inputSize, ScoreOptions options)
    : m_scorer(std::move(scorer)), m_inputSize(inputSize), m_options(std::move(options))
{
    if (m_options.batchSize < 1)
        m_options.batchSize = 1;
}

std::vector<ImageRecord> ImageScorer::scoreFiles(const std::vector<std::string> &paths, const Progress &progress)
{
    std::vector<ImageRecord> records(paths.size());
    std::vector<Pending> pending;
    const int size = m_inputSize;
    std::size_t done = 0;
    m_cancelled = false;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        if (m_options.cancel && m_options.cancel->load()) {
            m_cancelled = true;
            pending.clear();
            return records;
        }
        ImageRecord &record = records[i];
        record.path = paths[i];
        FileBytes bytes;
        auto image = readImage(paths[i], bytes, m_options.limits);
        record.sha256 = bytes.sha256;
        if (!image) {
            record.error = image.error();
            if (progress)
                progress(++done, paths.size());
            continue;
        }
        record.format = image->format;
        record.width = image->width;
        record.height = image->height;
        record.jpegQuality = image->jpegQuality;
        record.warnings = image->warnings;
        if (m_spai) {
            // SPAI first, on the decoded image at its own resolution; the image is freed once
            // RINE's crops are planned.
            try {
                const RgbImage &rgb = image->rgb;
                record.spai = m_spai->score(rgb.pixels.data(), rgb.width, rgb.height, std::size_t(rgb.width) * 3);
            } catch (const std::exception &e) {
                record.error = paths[i] + ": SPAI could not score this image: " + e.what();
            }
        }
        if (!m_scorer) {
            record.ok = record.spai.has_value();
            if (progress)
                progress(++done, paths.size());
            continue;
        }
        Pending item{i, Preprocessing{m_options.crop, size}.plan(image->rgb)};
        record.warnings.insert(record.warnings.end(), item.plan.warnings.begin(), item.plan.warnings.end());
        pending.push_back(std::move(item));
        if (int(pending.size()) >= m_options.batchSize) {
            done += pending.size();
            flush(pending, records);
            if (progress)
                progress(done, paths.size());
        }
    }
    done += pending.size();
    flush(pending, records);
    if (progress)
        progress(done, paths.size());
    return records;
}

void ImageScorer::flush(std::vector<Pending> &pending, std::vector<ImageRecord> &records)
{
    if (pending.empty())
        return;
    std::vector<const std::uint8_t *> crops;
    for (const Pending &item : pending)
        for (const auto &crop : item.plan.crops)
            crops.push_back(crop.data());
    auto scores = m_scorer(crops);
    std::size_t next = 0;
    for (const Pending &item : pending) {
        ImageRecord &record = records[item.index];
        if (!scores) {
            record.error = record.path + ": " + scores.error();
            continue;
        }
        const CropScore combined = combineCrops(scores.value(), next, item.plan.crops.size());
        for (std::size_t w = 0; w < item.plan.entropies.size(); ++w)
            record.windows.push_back({item.plan.regions[w], item.plan.entropies[w], scores.value()[next + w].logit});
        next += item.plan.crops.size();
        record.rineScored = true;
        record.ok = !m_spai || record.spai.has_value();
        record.logit = combined.logit;
        record.probability = combined.probability;
        record.contributions = combined.contributions;
    }
    pending.clear();
}

} // namespace rine
