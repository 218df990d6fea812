#pragma once

#include "image/Preprocessing.h"
#include "model/Detector.h"
#include "scoring/ImageScorer.h"
#include "session/ModelSession.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <memory>

namespace rine::cli {

// The options every command that runs the detector shares (--backbone, --head, --crop,
// --device, --precision, --batch, --threads, --trust), with one set of help texts and checks; loading goes
// through the session layer's loadModels (the trust policy), --trust answering its question.
class ModelOptions {
public:
    enum class Heads {
        One, // --head FILE (default: the bundled head)
        Several, // --head given any number of times
        None, // the backbone alone (rine-cli train): no --head, no --crop
    };
    explicit ModelOptions(Heads heads);
    // No --crop (rine-cli report: a scan is reported as it was scored).
    ModelOptions &withoutCrop()
    {
        m_cropOption = false;
        return *this;
    }
    // --detector rine|spai (repeatable) and --spai-weights FILE: commands that run SPAI too.
    ModelOptions &withDetectors()
    {
        m_detectorOptions = true;
        return *this;
    }
    void addTo(QCommandLineParser &parser) const;

    // Checks the values; on failure, error says what is wrong and the caller exits with 2.
    bool read(const QCommandLineParser &parser, QString &error);

    // loadModels: the trust policy (--trust records a decision), then the detector. On
    // failure, error names the file and what to do (the caller exits with 2).
    std::unique_ptr<Detector> load(QString &error) const;

    // read() then load(): the detector, or nullptr with error set.
    std::unique_ptr<Detector> readAndLoad(const QCommandLineParser &parser, QString &error);

    // The detectors --detector asked for, loaded under the trust policy (withDetectors()).
    struct Loaded {
        std::unique_ptr<Detector> rine; // null unless RINE was asked for
        std::unique_ptr<SpaiDetector> spai; // null unless SPAI was asked for
        DetectorSet set() const { return {rine.get(), spai.get()}; }
    };
    // false with error set (the caller exits with 2).
    bool loadDetectors(Loaded &out, QString &error) const;
    bool usesRine() const { return m_request.rine; }
    bool usesSpai() const { return !m_request.spaiWeights.isEmpty(); }

    CropMode crop() const { return m_cropMode; }
    int batchSize() const { return m_batchSize; }

private:
    Heads m_heads;
    bool m_cropOption = true;
    bool m_detectorOptions = false;
    QCommandLineOption m_backbone, m_head, m_crop, m_device, m_precision, m_batch, m_threads, m_trust, m_detector,
        m_spaiWeights;
    ModelRequest m_request;
    CropMode m_cropMode = CropMode::Center;
    int m_batchSize = 8;
};

} // namespace rine::cli
