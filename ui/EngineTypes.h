#pragma once

#include "image/ImageFacts.h"
#include "model/Detector.h"
#include "report/CaseReport.h"
#include "scan/ScanEngine.h"
#include "scoring/ImageScorer.h"
#include "catalog/ModelStore.h"
#include "scoring/RobustnessSweep.h"
#include "scoring/TileMap.h"
#include "session/ModelSession.h"
#include "store/CaseDatabase.h"
#include "train/TrainingRun.h"

#include <QImage>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QTransform>

#include <memory>
#include <optional>
#include <vector>

// The value types that cross between the GUI thread and the engine's worker threads: a job's
// parameters (…Params) and what its Job reports (ui/Job.h says which type for which kind).
// Each is copied, none is shared.

namespace rine {

// session/ModelSession.h's request and answer, as they cross to the GUI thread.
struct ModelLoadResult {
    ModelRequest request; // trustGivenAs set: the user confirmed the trust dialog
    // Thread-safe (forward passes take turns); shared by the scan and the Inspect lanes.
    std::shared_ptr<Detector> detector;
    ModelInfo info;
    // SPAI, when the request named its file; immutable once loaded, its passes serialised by
    // whoever runs them (the scan engine, the detector lane).
    std::shared_ptr<const SpaiDetector> spai;
    QString error;
    std::vector<UntrustedFile> untrusted; // non-empty: nothing was loaded, the user must decide
};

struct ScanParams {
    QStringList roots;
    QString casePath; // created when it does not exist
    CropMode crop = CropMode::Center;
    int batchSize = 8;
    bool followLinksOutside = false; // symlinks out of the roots: walk events unless set
    bool spai = false; // SPAI scores every image too (the controller's loaded SPAI)
};

// Rows of a case's scan: all of them (replace) or those just committed (merge by file id).
struct CaseRows {
    QString casePath, caseName;
    qint64 scanId = 0;
    QString preprocessing;
    QStringList headSha256s;
    QString spaiSha256; // the scan ran SPAI too; empty: RINE only
    std::vector<FileReport> rows;
    bool replace = true;
    QString readOnly; // non-empty: why the case is only read here (received from elsewhere, altered)
    CaseIntegrity integrity; // the case checked against its audit chain when these rows were read
};

// A scan's progress, with the rows it has just committed when there are any.
struct ScanUpdate {
    ScanProgress progress;
    bool hasRows = false;
    CaseRows rows; // replace false: merge by file id
};

// A scan's end (finished, or cancelled with what it committed): the outcome and every row.
struct ScanFinished {
    ScanOutcome outcome;
    CaseRows rows;
};

// A report's stage ("Thumbnails", "Detail pages", ...) and how far it is.
struct ReportStep {
    QString stage;
    int done = 0, total = 0;
};

struct InspectParams {
    QString path;
    CropMode crop = CropMode::Center;
    int displayLimit = 8192; // longest side of the picture shown; larger images are scaled down
};

struct InspectResult {
    QString path;
    QString error; // the file could not be read or decoded
    QString sha256;
    qint64 size = 0;
    QString format;
    int jpegQuality = 0; // DecodedImage::jpegQuality
    bool jpegQualityExact = false;
    int width = 0, height = 0; // as stored (and as analysed)
    QStringList warnings;
    ImageFacts facts;
    QImage display; // upright (EXIF orientation applied), perhaps scaled down
    QTransform toDisplay; // stored pixel coordinates -> display coordinates
    std::vector<CropRegion> regions; // what was analysed, in stored coordinates
    // TextureCrop: the kept windows in rank order with the scoring head's logit and score of
    // each (ImageAnalysis::windows, windowScores).
    std::vector<WindowScore> windows;
    std::vector<CropScore> windowScores;
    QString scoreError; // decoded, but the model failed on it
    bool scored = false;
    CropScore score;
    QString headSha256;
    std::vector<double> importance; // the scoring head's learned block importance
    // SPAI's score of the whole image at its own resolution, when SPAI is loaded.
    std::optional<SpaiScore> spai;
    QString spaiSha256;
    QString spaiError; // decoded, but SPAI failed on it
};

struct TileParams {
    QString path;
    QString sha256; // the bytes Inspect showed: tiles of other bytes are refused
    int batchSize = 8;
};

struct TileUpdate {
    TileScores scores;
};

// A robustness sweep of the image Inspect shows.
struct SweepParams {
    QString path;
    QString sha256; // the bytes Inspect showed: a sweep of other bytes is refused
    SweepPlan plan;
    double threshold = 0.5;
    std::uint64_t seed = 0;
    int batchSize = 8;
    CropMode crop = CropMode::Center; // the Settings' crop (ten-crop: center; see RobustnessSweep)
    bool spai = false; // swept with SPAI (each perturbed image whole) instead of RINE
};

struct SweepUpdate {
    int done = 0, total = 0; // perturbations prepared plus crops scored
    SweepResult result; // at the end (result.cancelled: stopped on request)
    QImage baseline; // what was scored, as pictures (previews)
    QList<QList<QImage>> previews; // [series][point]
};

// The model folder as the Models page shows it.
struct ModelsState {
    QString storeDir;
    QList<ModelState> models;
    QList<TrustRecord> trusted;
};

struct FetchProgress {
    QString name;
    qint64 received = 0, total = -1;
    double bytesPerSecond = 0, etaSeconds = -1;
};

// What a Models page action (fetch, verify, import, remove) ended with.
struct ModelAction {
    enum class Kind { Fetch, Verify, Import, Remove };
    Kind action = Kind::Fetch;
    QString name;
    bool ok = false;
    bool cancelled = false;
    QString message; // what happened, in a sentence or two
};

// A training dataset as the wizard's data page shows it: the classes under train/ and the
// images of the chosen ones, per class, split and label.
struct TrainingSurvey {
    QString root;
    QStringList chosen; // the classes asked for (empty: every class)
    QString error; // why it cannot be trained on as chosen; empty when it can
    QStringList classes; // every class folder under train/ ("" for the flat layout)
    ClassCounts train, validation; // of the chosen classes
};

// The dataset is found again on the training thread (request.data is filled there).
struct TrainingParams {
    QString root;
    QStringList classes; // empty: every class
    TrainingRequest request;
};

// One report from a training run: a step, an epoch, a note, or the end.
struct TrainingUpdate {
    std::optional<TrainingStage> stage; // none: an epoch's report, a note or the end
    qint64 done = 0, total = 0;
    bool hasEpoch = false;
    EpochReport epoch;
    QString note; // a file left out, a data warning
    TrainingRunOutcome outcome; // at the end of a training run
    TestEvaluation test; // at the end of a test-set evaluation
};

} // namespace rine

Q_DECLARE_METATYPE(rine::ModelRequest)
Q_DECLARE_METATYPE(rine::ModelLoadResult)
Q_DECLARE_METATYPE(rine::ScanParams)
Q_DECLARE_METATYPE(rine::ScanUpdate)
Q_DECLARE_METATYPE(rine::ReportStep)
Q_DECLARE_METATYPE(rine::CaseRows)
Q_DECLARE_METATYPE(rine::ScanProgress)
Q_DECLARE_METATYPE(rine::ScanFinished)
Q_DECLARE_METATYPE(rine::InspectParams)
Q_DECLARE_METATYPE(rine::InspectResult)
Q_DECLARE_METATYPE(rine::TileParams)
Q_DECLARE_METATYPE(rine::TileUpdate)
Q_DECLARE_METATYPE(rine::SweepParams)
Q_DECLARE_METATYPE(rine::SweepUpdate)
Q_DECLARE_METATYPE(rine::ModelsState)
Q_DECLARE_METATYPE(rine::FetchProgress)
Q_DECLARE_METATYPE(rine::ModelAction)
Q_DECLARE_METATYPE(rine::ReportRequest)
Q_DECLARE_METATYPE(rine::ReportOutcome)
Q_DECLARE_METATYPE(rine::TrainingSurvey)
Q_DECLARE_METATYPE(rine::TrainingParams)
Q_DECLARE_METATYPE(rine::TrainingUpdate)
