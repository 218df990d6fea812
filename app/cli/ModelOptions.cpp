#include "ModelOptions.h"

#include "scoring/ModelLocator.h"
#include "scoring/ModelStore.h"

#include <QDateTime>

#include <QFileInfo>

namespace rine::cli {

ModelOptions::ModelOptions(bool severalHeads)
    : m_severalHeads(severalHeads),
      m_backbone(QStringLiteral("backbone"),
                 QStringLiteral("CLIP ViT backbone file: OpenAI's TorchScript ViT-L-14.pt, a state dict with the same "
                                "names, or Hugging Face's model.safetensors / pytorch_model.bin. Default: "
                                "$RINE_BACKBONE, else ~/.cache/clip/ViT-L-14.pt."),
                 QStringLiteral("FILE")),
      m_head(QStringLiteral("head"),
             severalHeads ? QStringLiteral("RINE head checkpoint; give it several times to score every image with "
                                           "each head (the backbone runs once). Default: the bundled 2-class head.")
                          : QStringLiteral("RINE head checkpoint. Default: the bundled 2-class head."),
             QStringLiteral("FILE")),
      m_crop(QStringLiteral("crop"),
             QStringLiteral("center: one center crop (the published evaluation); ten: ten-crop, sigmoid of the mean "
                            "logit (for large images). Default center."),
             QStringLiteral("center|ten"), QStringLiteral("center")),
      m_device(QStringLiteral("device"), QStringLiteral("auto (default): CUDA when available, else CPU."),
               QStringLiteral("auto|cpu|cuda"), QStringLiteral("auto")),
      m_batch(QStringLiteral("batch"), QStringLiteral("Images per forward pass (default 8)."), QStringLiteral("N"),
              QStringLiteral("8")),
      m_threads(QStringLiteral("threads"), QStringLiteral("CPU threads (default: one per core)."), QStringLiteral("N")),
      m_trust(QStringLiteral("trust"),
              QStringLiteral("Load weight files whose SHA-256 is not in the model manifest (TorchScript archives can "
                             "carry code; pickle readers have had memory-safety bugs). The decision is recorded in "
                             "the model folder's trust.json."))
{
}

void ModelOptions::addTo(QCommandLineParser &parser) const
{
    parser.addOptions({m_backbone, m_head, m_crop, m_device, m_batch, m_threads, m_trust});
}

bool ModelOptions::read(const QCommandLineParser &parser, QString &error)
{
    const QString crop = parser.value(m_crop), device = parser.value(m_device);
    if (crop != QLatin1String("center") && crop != QLatin1String("ten")) {
        error = QStringLiteral("--crop must be center or ten, not '%1'").arg(crop);
        return false;
    }
    m_cropMode = crop == QLatin1String("ten") ? CropMode::Ten : CropMode::Center;
    if (device != QLatin1String("auto") && device != QLatin1String("cpu") && device != QLatin1String("cuda")) {
        error = QStringLiteral("--device must be auto, cpu or cuda, not '%1'").arg(device);
        return false;
    }
    m_options.device = device == QLatin1String("cpu")    ? DeviceChoice::Cpu
                     : device == QLatin1String("cuda") ? DeviceChoice::Cuda
                                                       : DeviceChoice::Auto;
    bool ok = false;
    m_batchSize = parser.value(m_batch).toInt(&ok);
    if (!ok || m_batchSize < 1 || m_batchSize > 4096) {
        error = QStringLiteral("--batch must be a whole number from 1 to 4096");
        return false;
    }
    if (parser.isSet(m_threads)) {
        m_threadCount = parser.value(m_threads).toInt(&ok);
        if (!ok || m_threadCount < 1) {
            error = QStringLiteral("--threads must be a positive whole number");
            return false;
        }
    }
    const QString backbone = parser.isSet(m_backbone) ? parser.value(m_backbone) : ModelLocator::defaultBackbone();
    if (!QFileInfo::exists(backbone)) {
        error = ModelLocator::missingBackboneMessage(backbone);
        return false;
    }
    m_options.backbonePath = backbone.toStdString();
    QStringList heads = parser.values(m_head);
    if (heads.size() > 1 && !m_severalHeads) {
        error = QStringLiteral("give one --head (rine-cli scan takes several)");
        return false;
    }
    if (heads.isEmpty()) {
        const QString bundled = ModelLocator::defaultHead();
        if (bundled.isEmpty()) {
            error = QStringLiteral("the bundled 2-class head was not found (installation damaged?); pass --head FILE");
            return false;
        }
        heads << bundled;
    }
    m_trustGiven = parser.isSet(m_trust);
    m_options.headPaths.clear();
    for (const QString &head : heads)
        m_options.headPaths.push_back(head.toStdString());
    return true;
}

std::unique_ptr<Detector> ModelOptions::load(QString &error) const
{
    // The trust decision is made on the file's hash before anything parses it; the loader
    // reads and hashes it again (about a second for an 890 MB backbone), on purpose.
    ModelStore store;
    std::vector<std::string> files{m_options.backbonePath};
    files.insert(files.end(), m_options.headPaths.begin(), m_options.headPaths.end());
    for (const std::string &file : files) {
        const QString path = QString::fromStdString(file);
        auto sha = sha256OfFile(path);
        if (!sha) {
            error = QString::fromStdString(sha.error());
            return nullptr;
        }
        auto allowed = store.allowed(path, sha.value());
        if (allowed)
            continue;
        if (!m_trustGiven) {
            error = QString::fromStdString(allowed.error());
            return nullptr;
        }
        auto recorded = store.trust({sha.value(), QFileInfo(path).absoluteFilePath(),
                                     QStringLiteral("trusted by the user (--trust)"),
                                     QDateTime::currentDateTimeUtc().toString(Qt::ISODate)});
        if (!recorded) {
            error = QString::fromStdString(recorded.error());
            return nullptr;
        }
    }
    configureCpuThreads(m_threadCount);
    auto detector = Detector::load(m_options);
    if (!detector) {
        error = QString::fromStdString(detector.error());
        return nullptr;
    }
    return std::move(detector.value());
}

std::unique_ptr<Detector> ModelOptions::readAndLoad(const QCommandLineParser &parser, QString &error)
{
    return read(parser, error) ? load(error) : nullptr;
}

} // namespace rine::cli
