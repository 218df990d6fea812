#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace rine {

// One entry of models/manifest.json.
struct KnownModel {
    QString name;
    QString role; // "backbone", "head" (RINE's) or "detector" (a whole detector: SPAI)
    QString file;
    QString url; // the first of urls
    QStringList urls;
    QString sha256; // empty: not known before the first download (pinned then)
    QString architecture;
    QString format; // torchscript, state_dict, safetensors
    QString citation;
    qint64 size = -1; // -1: not known in advance
    QString page; // where a person finds the file (the authors' page), when the URL is not one
    // What someone else recorded of the file (size, SHA-256 as they wrote it): shown as theirs,
    // unverified, and never used to accept or refuse a file.
    qint64 thirdPartySize = -1;
    QString thirdPartySha256, thirdPartyNote;
    QString license;
    bool bundled = false;
};

// Where the bundled heads and the manifest are, and where a backbone is expected.
class ModelLocator {
public:
    // The folder holding manifest.json: <prefix>/share/rine-studio/models when installed,
    // the source tree's models/ in a build tree. Empty when neither exists.
    static QString modelsDir();
    static QList<KnownModel> knownModels();
    static KnownModel knownBackbone();

    // The known model of that name; an empty name when there is none.
    static KnownModel known(const QString &name);
    // Where SPAI's weights are expected: $RINE_SPAI_WEIGHTS if set, else the model store's
    // spai.pth (rine-cli models fetch spai).
    static QString defaultSpaiWeights();

    // The bundled 2-class head, or "" when it is not found.
    static QString defaultHead();
    // $RINE_BACKBONE if set; else the first that exists of the CLIP package's cache,
    // ~/.cache/clip/ViT-L-14.pt, and the model store (ModelStore); else the cache path.
    static QString defaultBackbone();
    // What to tell a user whose backbone is missing at `path`.
    static QString missingBackboneMessage(const QString &path);
};

} // namespace rine
