#pragma once

#include "model/Detector.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace rine {

// What a front-end asks to load: the backbone and its heads (none: the backbone alone, for
// training), where, and on how many CPU threads.
struct ModelRequest {
    QString backbone;
    QStringList heads;
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
    std::unique_ptr<Detector> detector; // null when nothing was loaded
    std::vector<UntrustedFile> untrusted; // non-empty: the user must decide (nothing was loaded)
    QString error; // why nothing was loaded; names the file and what to do
};

// Loads models under the trust policy: every file must exist; each file's SHA-256 is checked
// against the manifest and this installation's trust records before anything parses it; only
// then is the detector built. rine-cli turns `untrusted` into an error (or honours --trust),
// the application into its dialog.
ModelLoad loadModels(const ModelRequest &request);

} // namespace rine
