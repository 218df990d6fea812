#pragma once

#include "model/Detector.h"
#include "model/SpaiDetector.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace rine {

// What a front-end asks to load: the detectors (RINE: the backbone and its heads, none: the
// backbone alone, for training; SPAI: its weight file), where, and on how many CPU threads.
struct ModelRequest {
    bool rine = true; // false: RINE is not loaded (backbone and heads are ignored)
    QString backbone;
    QStringList heads;
    QString spaiWeights; // non-empty: SPAI is loaded from this file
    DeviceChoice device = DeviceChoice::Auto;
    Precision precision = Precision::Standard;
    int cpuThreads = 0; // 0: one per core (set once per process, before the first load)
    // The user chose to load files the trust policy does not know (--trust, the application's
    // dialog): each is recorded as trusted, with this as how (e.g. "trusted by the user
    // (--trust)"). Empty: such files are returned as untrusted and nothing is loaded.
    QString trustGivenAs;
};

// A weight file the trust policy refused, with why in a sentence.
struct UntrustedFile {
    QString path, sha256, reason;
};

struct ModelLoad {
    std::unique_ptr<Detector> detector; // RINE; null when it was not asked for or nothing was loaded
    std::unique_ptr<SpaiDetector> spai; // null when it was not asked for or nothing was loaded
    std::vector<UntrustedFile> untrusted; // non-empty: the user must decide (nothing was loaded)
    QString error; // why nothing was loaded; names the file and what to do
    bool ok() const { return error.isEmpty() && untrusted.empty(); }
};

// Loads models under the trust policy: every file must exist; each file's SHA-256 is checked
// against the manifest and this installation's trust records before anything parses it; only
// then is the detector built. rine-cli turns `untrusted` into an error (or honours --trust),
// the application into its dialog.
ModelLoad loadModels(const ModelRequest &request);

} // namespace rine
