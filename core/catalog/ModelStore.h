#pragma once

#include "catalog/ModelLocator.h"
#include "util/Result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace rine {

// A weight file this installation trusts although the manifest does not list its hash:
// pinned on its first verified download, trusted by the user (--trust), or made by our own
// training. Recorded with when and how, in trust.json beside the store's files.
struct TrustRecord {
    QString sha256;
    QString path;
    QString how; // "pinned on first download", "trusted by the user (--trust)", "trained here"
    QString when; // ISO 8601, UTC
};

// Where a known model is on this machine, if anywhere.
struct InstalledModel {
    KnownModel model;
    QString path; // empty: not installed
    QString where; // "bundled", "store", "CLIP cache", "$RINE_BACKBONE"
};

// What the Models page shows of a known model: where it is, what its hash must be and how
// that hash is known, and what an interrupted or rejected download left behind.
struct ModelState {
    InstalledModel installed;
    qint64 fileSize = -1; // of the installed file; -1 when none
    QString expectedSha256; // the manifest's, else pinned here; empty when neither
    QString shaSource; // "manifest", "pinned on first download from ... (when)", or ""
    qint64 partialBytes = 0; // an interrupted download kept for resuming (.part)
    QStringList rejected; // downloads that failed verification, kept aside and never used
};

// The user's model folder ($RINE_MODEL_STORE, else <data>/rine-studio/models) and the
// trust policy. TorchScript archives are programs and pickle checkpoints have a history of
// memory-safety bugs in their readers: a file of either kind is used only when its SHA-256
// is in the manifest, pinned, or trusted on purpose. safetensors files hold data only.
class ModelStore {
public:
    explicit ModelStore(QString dir = defaultDir());
    static QString defaultDir();

    QString dir() const { return m_dir; }
    QString pathOf(const KnownModel &model) const { return m_dir + QLatin1Char('/') + model.file; }

    // Known models with where each is found (bundled heads, the store, the CLIP cache, the
    // environment).
    QList<InstalledModel> installed() const;

    QList<ModelState> states() const;

    QList<TrustRecord> trusted() const;
    // Records a trust decision (atomically). Recording the same hash for the same file again
    // keeps the first.
    Result<bool> trust(const TrustRecord &record);
    // Records a weight file written by our own training ("trained here"): the checkpoint
    // writer calls this once the file is complete, so the file loads without --trust.
    Result<bool> trustTrained(const QString &path);

    // Whether a weight file may be loaded: safetensors always (data only); TorchScript or
    // pickle when its hash is in the manifest or trusted here. On refusal, a message naming
    // the file and what to do.
    Result<bool> allowed(const QString &path, const QString &sha256) const;

    // The manifest entry whose hash this is, else an entry pinned here for a model whose
    // hash the manifest leaves open.
    static const KnownModel *knownBySha(const QList<KnownModel> &models, const QString &sha256);

    // The hash a download or import of this model must match: the manifest's, else the one
    // pinned here on its first download or import; empty when neither exists yet.
    QString expectedSha256(const KnownModel &model) const;

    // Whether a download of this model from `url` (empty: the manifest's address) may pin what
    // arrives. A model with no published or pinned SHA-256 is pinned on its first download:
    // from the authors' address that is the published file; from any other address (a mirror)
    // only when the user pinned it on purpose (trustGiven: --trust, or the dialog). On
    // refusal, a message naming the model and what to do.
    Result<bool> mayFetch(const KnownModel &model, const QString &url, bool trustGiven) const;

    // Copies a file into the store after checking it (SHA-256 against the manifest or the
    // pinned hash; architecture read from its tensors by `inspect`). Returns the new path.
    // trustGiven: the user pinned this file as that model (--trust, or the dialog). A model
    // with no published SHA-256 (and none pinned here yet) is refused without it, before the
    // file is parsed: nothing else says the file is that model.
    Result<QString> import(const QString &path, const KnownModel &as, bool trustGiven = false);

    // What a file must be before it is pinned or installed as `as`: not a web page, and the
    // architecture its role needs, read from the tensors' shapes (a RINE head, a CLIP backbone,
    // a SPAI checkpoint). On refusal, a message naming the file and what is wrong.
    static Result<bool> checkArchitecture(const QString &path, const KnownModel &as);

    // The first download of a model with no published or pinned SHA-256 (now at `path`, with
    // `sha256`, from `url`): pinned when checkArchitecture accepts it; else moved aside as
    // .rejected-SHA and nothing is pinned. Both front-ends' downloads end here.
    Result<bool> pinDownload(const KnownModel &model, const QString &path, const QString &sha256, const QString &url);

    // Calibrations (a threshold for a target false-positive rate, with the rates measured on
    // a reference set) recorded for a head, so that verdicts can state their error rates.
    // Appended to calibrations.json; the newest for a head is the one in force.
    Result<bool> saveCalibration(const QJsonObject &calibration);
    QList<QJsonObject> calibrations() const;

    // Deletes a model file from the store (never a bundled or external file).
    Result<bool> remove(const KnownModel &model);

private:
    QString m_dir;
};

// SHA-256 of a file, read in chunks (no size limit: backbones are 890 MB).
Result<QString> sha256OfFile(const QString &path);

// The kind of weight file by its first bytes: "zip" (torch.save or TorchScript), "pickle"
// (legacy torch.save), "safetensors", or "" when none.
QString weightFileKind(const QString &path);

} // namespace rine
