#include "ModelOptions.h"

#include "catalog/ModelLocator.h"

#include <QFileInfo>

namespace rine::cli {

ModelOptions::ModelOptions(Heads heads)
    : m_heads(heads),
      m_backbone(QStringLiteral("backbone"),
                 QStringLiteral("CLIP ViT backbone file: OpenAI's TorchScript ViT-L-14.pt, a state dict with the same "
                                "names, or Hugging Face's model.safetensors / pytorch_model.bin. Default: "
                                "$RINE_BACKBONE, else ~/.cache/clip/ViT-L-14.pt."),
                 QStringLiteral("FILE")),
      m_head(QStringLiteral("head"),
             heads == Heads::Several ? QStringLiteral("RINE head checkpoint; give it several times to score every image with "
                                           "each head (the backbone runs once). Default: the bundled 2-class head.")
                          : QStringLiteral("RINE head checkpoint. Default: the bundled 2-class head."),
             QStringLiteral("FILE")),
      m_crop(QStringLiteral("crop"),
             QStringLiteral("center: one center crop (the published evaluation); ten: ten-crop, sigmoid of the mean "
                            "logit; texture: TextureCrop, the 10 most textured 224 px windows (grey-histogram "
                            "entropy, as the RINE group's published code), sigmoid of the mean logit: for large "
                            "images (images under 224 px: the center crop). Default center."),
             QStringLiteral("center|ten|texture"), QStringLiteral("center")),
      m_device(QStringLiteral("device"), QStringLiteral("auto (default): CUDA when available, else CPU."),
               QStringLiteral("auto|cpu|cuda"), QStringLiteral("auto")),
      m_precision(QStringLiteral("precision"),
                  QStringLiteral("The backbone's matrix products: standard (default: fp16 on CUDA, fp32 on the CPU, the "
                                 "precisions of the published results and of earlier cases); fp32; bf16 (CPUs with "
                                 "AVX512-BF16 or AMX, about 2x faster than fp32); fp16 (CUDA); auto (fp16 on CUDA; on "
                                 "the CPU bf16 when the processor has it and the model's bf16 scores agree with fp32 "
                                 "within 0.01 in probability, measured once per model, else fp32). SPAI runs in fp32 or "
                                 "bf16 (standard: fp32; fp16 refused; auto: bf16 only on processors with AMX, where it "
                                 "agrees within 0.01). Results are stored and reported with their precision and never "
                                 "mixed."),
                  QStringLiteral("standard|auto|fp32|bf16|fp16"), QStringLiteral("standard")),
      m_batch(QStringLiteral("batch"), QStringLiteral("Images per forward pass (default 8)."), QStringLiteral("N"),
              QStringLiteral("8")),
      m_threads(QStringLiteral("threads"), QStringLiteral("CPU threads (default: one per core)."), QStringLiteral("N")),
      m_trust(QStringLiteral("trust"),
              QStringLiteral("Load weight files whose SHA-256 is not in the model manifest (TorchScript archives can "
                             "carry code; pickle readers have had memory-safety bugs). The decision is recorded in "
                             "the model folder's trust.json.")),
      m_detector(QStringLiteral("detector"),
                 QStringLiteral("rine (default) or spai (SPAI, CVPR 2025: any resolution, 224 px patches in the "
                                "frequency domain; catches many diffusion models RINE misses). Give it twice to run "
                                "both: each image is read and decoded once, and each detector's score is recorded "
                                "beside the other's."),
                 QStringLiteral("rine|spai")),
      m_spaiWeights(QStringLiteral("spai-weights"),
                    QStringLiteral("SPAI's weights: the published checkpoint (a torch.save with its training "
                                   "configuration) or a state dict. Default: $RINE_SPAI_WEIGHTS, else spai.pth in the "
                                   "model folder (rine-cli models fetch spai)."),
                    QStringLiteral("FILE"))
{
}

void ModelOptions::addTo(QCommandLineParser &parser) const
{
    if (m_detectorOptions)
        parser.addOptions({m_detector, m_spaiWeights});
    if (m_heads == Heads::None)
        parser.addOptions({m_backbone, m_device, m_precision, m_batch, m_threads, m_trust});
    else if (!m_cropOption)
        parser.addOptions({m_backbone, m_head, m_device, m_precision, m_batch, m_threads, m_trust});
    else
        parser.addOptions({m_backbone, m_head, m_crop, m_device, m_precision, m_batch, m_threads, m_trust});
}

bool ModelOptions::read(const QCommandLineParser &parser, QString &error)
{
    if (m_heads != Heads::None && m_cropOption) {
        const auto crop = Preprocessing::cropFromOption(parser.value(m_crop).toStdString());
        if (!crop) {
            error = QStringLiteral("--crop must be center, ten or texture, not '%1'").arg(parser.value(m_crop));
            return false;
        }
        m_cropMode = *crop;
    }
    const QString device = parser.value(m_device);
    if (device != QLatin1String("auto") && device != QLatin1String("cpu") && device != QLatin1String("cuda")) {
        error = QStringLiteral("--device must be auto, cpu or cuda, not '%1'").arg(device);
        return false;
    }
    m_request.device = device == QLatin1String("cpu")    ? DeviceChoice::Cpu
                     : device == QLatin1String("cuda") ? DeviceChoice::Cuda
                                                       : DeviceChoice::Auto;
    if (!precisionFromName(parser.value(m_precision).toStdString(), m_request.precision)) {
        error = QStringLiteral("--precision must be standard, auto, fp32, bf16 or fp16, not '%1'")
                    .arg(parser.value(m_precision));
        return false;
    }
    bool ok = false;
    m_batchSize = parser.value(m_batch).toInt(&ok);
    if (!ok || m_batchSize < 1 || m_batchSize > 4096) {
        error = QStringLiteral("--batch must be a whole number from 1 to 4096");
        return false;
    }
    if (parser.isSet(m_threads)) {
        m_request.cpuThreads = parser.value(m_threads).toInt(&ok);
        if (!ok || m_request.cpuThreads < 1) {
            error = QStringLiteral("--threads must be a positive whole number");
            return false;
        }
    }
    m_request.rine = true;
    m_request.spaiWeights.clear();
    if (m_detectorOptions && parser.isSet(m_detector)) {
        QStringList detectors = parser.values(m_detector);
        for (const QString &d : detectors)
            if (d != QLatin1String("rine") && d != QLatin1String("spai")) {
                error = QStringLiteral("--detector must be rine or spai, not '%1'").arg(d);
                return false;
            }
        if (detectors.removeDuplicates() > 0) {
            error = QStringLiteral("--detector names a detector twice");
            return false;
        }
        m_request.rine = detectors.contains(QLatin1String("rine"));
        if (detectors.contains(QLatin1String("spai")))
            m_request.spaiWeights = parser.isSet(m_spaiWeights) ? parser.value(m_spaiWeights) : ModelLocator::defaultSpaiWeights();
    }
    if (m_detectorOptions && parser.isSet(m_spaiWeights) && !usesSpai()) {
        error = QStringLiteral("--spai-weights is for --detector spai");
        return false;
    }
    m_request.backbone = parser.isSet(m_backbone) ? parser.value(m_backbone) : ModelLocator::defaultBackbone();
    if (!m_request.rine) {
        // Nothing of RINE's is loaded: its files are neither needed nor checked.
    } else if (!QFileInfo::exists(m_request.backbone)) {
        error = ModelLocator::missingBackboneMessage(m_request.backbone);
        return false;
    }
    m_request.heads.clear();
    if (m_heads != Heads::None && m_request.rine) {
        m_request.heads = parser.values(m_head);
        if (m_request.heads.size() > 1 && m_heads != Heads::Several) {
            error = QStringLiteral("give one --head (rine-cli scan takes several)");
            return false;
        }
        if (m_request.heads.isEmpty()) {
            const QString bundled = ModelLocator::defaultHead();
            if (bundled.isEmpty()) {
                error = QStringLiteral("the bundled 2-class head was not found (installation damaged?); pass --head FILE");
                return false;
            }
            m_request.heads << bundled;
        }
    }
    m_request.trustGivenAs = parser.isSet(m_trust) ? QStringLiteral("trusted by the user (--trust)") : QString();
    return true;
}

std::unique_ptr<Detector> ModelOptions::load(QString &error) const
{
    ModelLoad loaded = loadModels(m_request);
    if (!loaded.detector)
        error = loaded.error; // an untrusted file's reason already says how --trust answers it
    return std::move(loaded.detector);
}

bool ModelOptions::loadDetectors(Loaded &out, QString &error) const
{
    ModelLoad loaded = loadModels(m_request);
    if (!loaded.ok()) {
        error = loaded.error;
        return false;
    }
    out.rine = std::move(loaded.detector);
    out.spai = std::move(loaded.spai);
    return true;
}

std::unique_ptr<Detector> ModelOptions::readAndLoad(const QCommandLineParser &parser, QString &error)
{
    return read(parser, error) ? load(error) : nullptr;
}

} // namespace rine::cli
