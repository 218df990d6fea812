#include "ImageScorer.h"

#include <cmath>

namespace rine {

ImageScorer::ImageScorer(Detector &detector, ScoreOptions options)
    : m_detector(detector), m_options(std::move(options))
{
    if (m_options.batchSize < 1)
        m_options.batchSize = 1;
}

std::vector<ImageRecord> ImageScorer::scoreFiles(const std::vector<std::string> &paths, const Progress &progress)
{
    std::vector<ImageRecord> records(paths.size());
    std::vector<Pending> pending;
    const int size = m_detector.info().inputSize;
    std::size_t done = 0;
    for (std::size_t i = 0; i < paths.size(); ++i) {
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
        record.warnings = image->warnings;
        Pending item{i, {}};
        if (m_options.crop == CropMode::Ten)
            item.crops = tenCrop(image->rgb, size);
        else
            item.crops.push_back(centerCrop(image->rgb, size));
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
        for (const auto &crop : item.crops)
            crops.push_back(crop.data());
    auto scores = m_detector.score(crops);
    std::size_t next = 0;
    for (const Pending &item : pending) {
        ImageRecord &record = records[item.index];
        if (!scores) {
            record.error = record.path + ": " + scores.error();
            continue;
        }
        // Ten-crop follows the published Synthbuster evaluation: sigmoid of the mean logit.
        const std::size_t count = item.crops.size();
        double logit = 0;
        std::vector<double> contributions(scores.value()[next].contributions.size(), 0.0);
        for (std::size_t c = 0; c < count; ++c, ++next) {
            const CropScore &s = scores.value()[next];
            logit += s.logit / double(count);
            for (std::size_t l = 0; l < contributions.size(); ++l)
                contributions[l] += s.contributions[l] / double(count);
        }
        record.ok = true;
        record.logit = logit;
        record.probability = 1.0 / (1.0 + std::exp(-logit));
        record.contributions = std::move(contributions);
    }
    pending.clear();
}

} // namespace rine
