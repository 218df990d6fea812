#include "ModelStore.h"

#include "model/Detector.h"
#include "model/SpaiDetector.h"
#include "util/Sha256.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>

namespace rine {

namespace {

QString trustFile(const QString &dir) { return dir + QStringLiteral("/trust.json"); }

} // namespace

Result<QString> sha256OfFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Result<QString>::failure(path.toStdString() + ": cannot read: " + file.errorString().toStdString());
    Sha256 hash;
    QByteArray chunk(1 << 20, Qt::Uninitialized);
    for (;;) {
        const qint64 n = file.read(chunk.data(), chunk.size());
        if (n < 0)
            return Result<QString>::failure(path.toStdString() + ": read error: " + file.errorString().toStdString());
        if (n == 0)
            break;
        hash.update(chunk.constData(), std::size_t(n));
    }
    return QString::fromStdString(hash.hexDigest());
}

QString weightFileKind(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray head = file.read(16);
    if (head.startsWith("PK\x03\x04"))
        return QStringLiteral("zip");
    if (head.startsWith("\x80"))
        return QStringLiteral("pickle");
    // safetensors: an 8-byte little-endian header length, then a JSON object.
    if (head.size() >= 9 && head[8] == '{')
        return QStringLiteral("safetensors");
    return {};
}

ModelStore::ModelStore(QString dir) : m_dir(std::move(dir)) {}

QString ModelStore::defaultDir()
{
    const QString fromEnv = qEnvironmentVariable("RINE_MODEL_STORE");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/rine-studio/models");
}

QList<InstalledModel> ModelStore::installed() const
{
    QList<InstalledModel> out;
    const QString bundledDir = ModelLocator::modelsDir();
    for (const KnownModel &model : ModelLocator::knownModels()) {
        InstalledModel entry{model, {}, {}};
        if (model.bundled && QFile::exists(bundledDir + QLatin1Char('/') + model.file)) {
            entry.path = bundledDir + QLatin1Char('/') + model.file;
            entry.where = QStringLiteral("bundled");
        } else if (QFile::exists(pathOf(model))) {
            entry.path = pathOf(model);
            entry.where = QStringLiteral("store");
        } else if (model.role == QLatin1String("detector") && model.name == QLatin1String("spai")) {
            const QString fromEnv = qEnvironmentVariable("RINE_SPAI_WEIGHTS");
            if (!fromEnv.isEmpty() && QFile::exists(fromEnv)) {
                entry.path = fromEnv;
                entry.where = QStringLiteral("$RINE_SPAI_WEIGHTS");
            }
        } else if (model.role == QLatin1String("backbone")) {
            const QString fromEnv = qEnvironmentVariable("RINE_BACKBONE");
            const QString cache = QDir::homePath() + QStringLiteral("/.cache/clip/") + model.file;
            if (!fromEnv.isEmpty() && QFile::exists(fromEnv)) {
                entry.path = fromEnv;
                entry.where = QStringLiteral("$RINE_BACKBONE");
            } else if (QFile::exists(cache)) {
                entry.path = cache;
                entry.where = QStringLiteral("CLIP cache");
            }
        }
        out.append(entry);
    }
    return out;
}

QList<ModelState> ModelStore::states() const
{
    QList<ModelState> out;
    const QList<TrustRecord> records = trusted();
    for (const InstalledModel &entry : installed()) {
        ModelState state;
        state.installed = entry;
        if (!entry.path.isEmpty())
            state.fileSize = QFileInfo(entry.path).size();
        state.expectedSha256 = expectedSha256(entry.model);
        if (!entry.model.sha256.isEmpty()) {
            state.shaSource = QStringLiteral("manifest");
        } else {
            for (const TrustRecord &r : records)
                if (r.sha256 == state.expectedSha256 && !r.sha256.isEmpty())
                    state.shaSource = QStringLiteral("%1 (%2)").arg(r.how, r.when);
        }
        const QFileInfo part(pathOf(entry.model) + QStringLiteral(".part"));
        if (part.exists())
            state.partialBytes = part.size();
        const QDir dir(m_dir);
        for (const QString &name : dir.entryList({entry.model.file + QStringLiteral(".rejected-*")}, QDir::Files, QDir::Name))
            state.rejected << dir.filePath(name);
        out.append(state);
    }
    return out;
}

Result<bool> ModelStore::trustTrained(const QString &path)
{
    auto sha = sha256OfFile(path);
    if (!sha)
        return Result<bool>::failure(sha.error());
    return trust({sha.value(), QFileInfo(path).absoluteFilePath(), QStringLiteral("trained here"),
                  QDateTime::currentDateTimeUtc().toString(Qt::ISODate)});
}

QList<TrustRecord> ModelStore::trusted() const
{
    QList<TrustRecord> out;
    QFile file(trustFile(m_dir));
    if (!file.open(QIODevice::ReadOnly))
        return out;
    for (const QJsonValue &v : QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("trusted")).toArray()) {
        const QJsonObject o = v.toObject();
        out.append({o.value(QStringLiteral("sha256")).toString(), o.value(QStringLiteral("path")).toString(),
                    o.value(QStringLiteral("how")).toString(), o.value(QStringLiteral("when")).toString()});
    }
    return out;
}

Result<bool> ModelStore::trust(const TrustRecord &record)
{
    QList<TrustRecord> records = trusted();
    // One record per file and hash: the same bytes may be trusted by the user in one place and
    // pinned for a known model in the store, and the pin must not be lost to the first record.
    for (const TrustRecord &r : records)
        if (r.sha256 == record.sha256 && r.path == record.path)
            return true;
    records.append(record);
    QJsonArray array;
    for (const TrustRecord &r : records)
        array.append(QJsonObject{{QStringLiteral("sha256"), r.sha256},
                                 {QStringLiteral("path"), r.path},
                                 {QStringLiteral("how"), r.how},
                                 {QStringLiteral("when"), r.when}});
    if (!QDir().mkpath(m_dir))
        return Result<bool>::failure(m_dir.toStdString() + ": cannot create the model folder");
    QSaveFile file(trustFile(m_dir));
    const QByteArray text = QJsonDocument(QJsonObject{{QStringLiteral("trusted"), array}}).toJson();
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit())
        return Result<bool>::failure(trustFile(m_dir).toStdString() + ": cannot record the decision: "
                                     + file.errorString().toStdString());
    return true;
}

const KnownModel *ModelStore::knownBySha(const QList<KnownModel> &models, const QString &sha256)
{
    for (const KnownModel &m : models)
        if (!m.sha256.isEmpty() && m.sha256 == sha256)
            return &m;
    return nullptr;
}

Result<bool> ModelStore::allowed(const QString &path, const QString &sha256) const
{
    const QString kind = weightFileKind(path);
    if (kind == QLatin1String("safetensors"))
        return true;
    const QList<KnownModel> known = ModelLocator::knownModels();
    if (knownBySha(known, sha256))
        return true;
    for (const TrustRecord &r : trusted())
        if (r.sha256 == sha256)
            return true;
    return Result<bool>::failure(
        path.toStdString() + " (SHA-256 " + sha256.toStdString()
        + ") is not a known model file. TorchScript archives can carry code, and pickle checkpoints have a history "
          "of memory-safety bugs in their readers: check where this file came from, then trust it on purpose "
          "(rine-cli: --trust; the decision is recorded in "
        + trustFile(m_dir).toStdString() + ")");
}

Result<bool> ModelStore::mayFetch(const KnownModel &model, const QString &url, bool trustGiven) const
{
    if (!expectedSha256(model).isEmpty() || trustGiven || url.isEmpty() || QUrl(url) == QUrl(model.url))
        return true;
    return Result<bool>::failure(
        QStringLiteral("%1 has no published SHA-256, so its first download is pinned as the model: it comes from the "
                       "authors' address (%2), not from %3, unless you pin that copy on purpose (rine-cli: --trust; "
                       "the application asks)")
            .arg(model.name, model.url, url)
            .toStdString());
}

QString ModelStore::expectedSha256(const KnownModel &model) const
{
    if (!model.sha256.isEmpty())
        return model.sha256;
    for (const TrustRecord &r : trusted())
        if (QFileInfo(r.path).fileName() == model.file && r.how.startsWith(QLatin1String("pinned")))
            return r.sha256;
    return {};
}

Result<QString> ModelStore::import(const QString &path, const KnownModel &as, bool trustGiven)
{
    using R = Result<QString>;
    auto sha = sha256OfFile(path);
    if (!sha)
        return R::failure(sha.error());
    const QString expected = expectedSha256(as);
    if (expected.isEmpty() && !trustGiven)
        return R::failure(path.toStdString() + ": " + as.name.toStdString()
                          + " has no published SHA-256, so nothing shows that this file is it; to pin this file (SHA-256 "
                          + sha->toStdString() + ") as " + as.name.toStdString()
                          + " on this installation, import it with --trust (or confirm in RINE Studio)");
    if (!expected.isEmpty() && sha.value() != expected)
        return R::failure(path.toStdString() + ": SHA-256 " + sha->toStdString() + " is not that of " + as.name.toStdString()
                          + " (" + expected.toStdString() + "); this is another file, or a damaged copy");
    // The architecture, from the tensors' shapes, before anything is copied.
    if (auto checked = checkArchitecture(path, as); !checked)
        return R::failure(checked.error());
    if (!QDir().mkpath(m_dir))
        return R::failure(m_dir.toStdString() + ": cannot create the model folder");
    const QString target = pathOf(as), partial = target + QStringLiteral(".importing");
    QFile::remove(partial);
    if (!QFile::copy(path, partial))
        return R::failure(target.toStdString() + ": cannot copy into the model folder (disk full?)");
    auto copied = sha256OfFile(partial);
    if (!copied || copied.value() != sha.value()) {
        QFile::remove(partial);
        return R::failure(target.toStdString() + ": the copy differs from the original; nothing was installed");
    }
    QFile::remove(target);
    if (!QFile::rename(partial, target))
        return R::failure(target.toStdString() + ": cannot move the copy into place");
    if (expected.isEmpty())
        trust({sha.value(), target, QStringLiteral("pinned on first import"),
               QDateTime::currentDateTimeUtc().toString(Qt::ISODate)});
    return target;
}

Result<bool> ModelStore::checkArchitecture(const QString &path, const KnownModel &as)
{
    QFile file(path);
    if (file.open(QIODevice::ReadOnly)) {
        const QByteArray head = file.read(512).trimmed().toLower();
        if (head.startsWith("<!doctype html") || head.startsWith("<html") || head.startsWith("<?xml")
            || head.startsWith("<head"))
            return Result<bool>::failure(
                path.toStdString() + ": this is a web page, not " + as.name.toStdString()
                + "'s weights (a file host that asks a browser to confirm the download sends one); download it in a "
                  "browser from "
                + (as.page.isEmpty() ? as.url : as.page).toStdString() + " and import it with rine-cli models import FILE --as "
                + as.name.toStdString());
    }
    const std::string file8 = path.toStdString();
    if (as.role == QLatin1String("head")) {
        if (auto head = inspectHead(file8); !head)
            return Result<bool>::failure(head.error());
    } else if (as.role == QLatin1String("detector")) {
        if (auto spai = inspectSpai(file8); !spai)
            return Result<bool>::failure(spai.error());
    } else if (auto backbone = inspectBackbone(file8); !backbone) {
        return Result<bool>::failure(backbone.error());
    }
    return true;
}

Result<bool> ModelStore::pinDownload(const KnownModel &model, const QString &path, const QString &sha256, const QString &url)
{
    if (auto checked = checkArchitecture(path, model); !checked) {
        // Kept aside for inspection, under a name nothing loads, as a download that failed its hash.
        const QString aside = pathOf(model) + QStringLiteral(".rejected-") + sha256.left(12);
        QFile::remove(aside);
        QFile::rename(path, aside);
        return Result<bool>::failure(checked.error() + "; nothing was pinned, the download is kept aside as "
                                     + aside.toStdString());
    }
    return trust({sha256, path, QStringLiteral("pinned on first download from ") + url,
                  QDateTime::currentDateTimeUtc().toString(Qt::ISODate)});
}

QList<QJsonObject> ModelStore::calibrations() const
{
    QList<QJsonObject> out;
    QFile file(m_dir + QStringLiteral("/calibrations.json"));
    if (file.open(QIODevice::ReadOnly))
        for (const QJsonValue &v : QJsonDocument::fromJson(file.readAll()).array())
            out.append(v.toObject());
    return out;
}

Result<bool> ModelStore::saveCalibration(const QJsonObject &calibration)
{
    QJsonArray all;
    for (const QJsonObject &c : calibrations())
        all.append(c);
    all.append(calibration);
    if (!QDir().mkpath(m_dir))
        return Result<bool>::failure(m_dir.toStdString() + ": cannot create the model folder");
    QSaveFile file(m_dir + QStringLiteral("/calibrations.json"));
    const QByteArray text = QJsonDocument(all).toJson();
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit())
        return Result<bool>::failure(file.fileName().toStdString() + ": cannot save: " + file.errorString().toStdString());
    return true;
}

Result<bool> ModelStore::remove(const KnownModel &model)
{
    const QString path = pathOf(model);
    if (!QFile::exists(path))
        return Result<bool>::failure(model.name.toStdString() + " is not in the model folder " + m_dir.toStdString());
    if (!QFile::remove(path))
        return Result<bool>::failure(path.toStdString() + ": cannot delete");
    return true;
}

} // namespace rine
