#pragma once

#include "model/Detector.h"
#include "scoring/ImageScorer.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <memory>

namespace rine::cli {

// The options every command that runs the detector shares (--backbone, --head, --crop,
// --device, --batch, --threads), with one set of help texts and checks.
class ModelOptions {
public:
    explicit ModelOptions(bool severalHeads);
    void addTo(QCommandLineParser &parser) const;

    // Checks the values; on failure, error says what is wrong and the caller exits with 2.
    bool read(const QCommandLineParser &parser, QString &error);

    // Applies the trust policy (ModelStore::allowed; --trust records a decision), then loads
    // the detector, configuring the CPU threads first. On failure, error names the file and
    // what to do (the caller exits with 2).
    std::unique_ptr<Detector> load(QString &error) const;

    // read() then load(): the detector, or nullptr with error set.
    std::unique_ptr<Detector> readAndLoad(const QCommandLineParser &parser, QString &error);

    CropMode crop() const { return m_cropMode; }
    int batchSize() const { return m_batchSize; }

private:
    bool m_severalHeads;
    QCommandLineOption m_backbone, m_head, m_crop, m_device, m_batch, m_threads, m_trust;
    bool m_trustGiven = false;
    DetectorOptions m_options;
    CropMode m_cropMode = CropMode::Center;
    int m_batchSize = 8;
    int m_threadCount = 0;
};

} // namespace rine::cli
