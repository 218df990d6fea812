#include "ModelLocator.h"
#include "ModelStore.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace rine {

QString ModelLocator::modelsDir()
{
    const QStringList candidates{
        QCoreApplication::applicationDirPath() + QStringLiteral("/../share/rine-studio/models"),
        QStringLiteral(RINE_SOURCE_DIR "/models"),
    };
    for (const QString &dir : candidates)
        if (QFile::exists(dir + QStringLiteral("/manifest.json")))
            return QDir::cleanPath(dir);
    return {};
}

QList<KnownModel> ModelLocator::knownModels()
{
    QList<KnownModel> models;
    QFile file(modelsDir() + QStringLiteral("/manifest.json"));
    if (!file.open(QIODevice::ReadOnly))
        return models;
    const QJsonArray entries = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("models")).toArray();
    for (const QJsonValue &value : entries) {
        const QJsonObject o = value.toObject();
        KnownModel m;
        m.name = o.value(QStringLiteral("name")).toString();
        m.role = o.value(QStringLiteral("role")).toString();
        m.file = o.value(QStringLiteral("file")).toString();
        for (const QJsonValue &url : o.value(QStringLiteral("urls")).toArray())
            m.urls << url.toString();
        m.url = m.urls.value(0);
        m.architecture = o.value(QStringLiteral("architecture")).toString();
        m.format = o.value(QStringLiteral("format")).toString();
        m.citation = o.value(QStringLiteral("citation")).toString();
        m.sha256 = o.value(QStringLiteral("sha256")).toString();
        m.size = o.value(QStringLiteral("size")).isDouble() ? qint64(o.value(QStringLiteral("size")).toDouble()) : -1;
        m.license = o.value(QStringLiteral("license")).toString();
        m.bundled = o.value(QStringLiteral("bundled")).toBool();
        m.page = o.value(QStringLiteral("page")).toString();
        const QJsonObject record = o.value(QStringLiteral("third_party_record")).toObject();
        m.thirdPartySize = record.value(QStringLiteral("size")).isDouble()
                             ? qint64(record.value(QStringLiteral("size")).toDouble()) : -1;
        m.thirdPartySha256 = record.value(QStringLiteral("sha256")).toString();
        m.thirdPartyNote = record.value(QStringLiteral("note")).toString();
        models.append(m);
    }
    return models;
}

KnownModel ModelLocator::known(const QString &name)
{
    for (const KnownModel &m : knownModels())
        if (m.name == name)
            return m;
    return {};
}

QString ModelLocator::defaultSpaiWeights()
{
    const QString fromEnv = qEnvironmentVariable("RINE_SPAI_WEIGHTS");
    if (!fromEnv.isEmpty())
        return fromEnv;
    const KnownModel spai = known(QStringLiteral("spai"));
    return ModelStore::defaultDir() + QLatin1Char('/') + (spai.file.isEmpty() ? QStringLiteral("spai.pth") : spai.file);
}

KnownModel ModelLocator::knownBackbone()
{
    for (const KnownModel &m : knownModels())
        if (m.role == QLatin1String("backbone"))
            return m;
    return {};
}

QString ModelLocator::defaultHead()
{
    const QString dir = modelsDir();
    for (const KnownModel &m : knownModels()) {
        const QString path = dir + QLatin1Char('/') + m.file;
        if (m.role == QLatin1String("head") && m.bundled && QFile::exists(path))
            return path;
    }
    return {};
}

QString ModelLocator::defaultBackbone()
{
    const QString fromEnv = qEnvironmentVariable("RINE_BACKBONE");
    if (!fromEnv.isEmpty())
        return fromEnv;
    const QString cache = QDir::homePath() + QStringLiteral("/.cache/clip/ViT-L-14.pt");
    const QString file = knownBackbone().file;
    const QString stored = ModelStore::defaultDir() + QLatin1Char('/') + file;
    if (!QFile::exists(cache) && !file.isEmpty() && QFile::exists(stored))
        return stored;
    return cache;
}

QString ModelLocator::missingBackboneMessage(const QString &path)
{
    const KnownModel backbone = knownBackbone();
    QString message = QStringLiteral("The CLIP ViT-L/14 backbone was not found at %1.\n").arg(path);
    message += QStringLiteral("It is not shipped with RINE Studio (about 890 MB). Get it, verified, with\n"
                              "  rine-cli models fetch %1\n"
                              "or by hand: curl -L --create-dirs -o ~/.cache/clip/ViT-L-14.pt %2\n"
                              "(SHA-256 %3), or point to an existing copy with --backbone FILE or the "
                              "RINE_BACKBONE environment variable. A copy that the Python 'clip' package "
                              "downloaded, at ~/.cache/clip/ViT-L-14.pt, is found without either.")
                   .arg(backbone.name.isEmpty() ? QStringLiteral("ViT-L-14") : backbone.name,
                        backbone.url.isEmpty() ? QStringLiteral("<see models/manifest.json>") : backbone.url,
                        backbone.sha256);
    return message;
}

} // namespace rine
