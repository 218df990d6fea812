#include "ModelSession.h"

#include "catalog/ModelLocator.h"
#include "catalog/ModelStore.h"
#include "util/QtStrings.h"

#include <QDir>
#include <QStandardPaths>
#include <QDateTime>
#include <QFileInfo>

#include <exception>

namespace rine {

ModelLoad loadModels(const ModelRequest &request)
{
    ModelLoad out;
    try {
        ModelStore store;
        QStringList files;
        if (request.rine) {
            files << request.backbone;
            files += request.heads;
        }
        if (!request.spaiWeights.isEmpty())
            files << request.spaiWeights;
        QStringList hashes; // of each file, as its trust was decided
        for (const QString &file : files) {
            if (!QFileInfo(file).isFile()) {
                out.error = request.rine && file == request.backbone ? ModelLocator::missingBackboneMessage(file)
                          : file == request.spaiWeights
                              ? QStringLiteral("%1: SPAI's weights are not there; fetch them with rine-cli models fetch "
                                               "spai (or the Models page), or give the file with --spai-weights FILE")
                                    .arg(file)
                              : QStringLiteral("%1: the head file does not exist; check the path").arg(file);
                return out;
            }
            auto sha = sha256OfFile(file);
            if (!sha) {
                out.error = q(sha.error());
                return out;
            }
            hashes << sha.value();
            auto allowed = store.allowed(file, sha.value());
            if (allowed)
                continue;
            const QString absolute = QFileInfo(file).absoluteFilePath();
            if (request.trustGivenAs.isEmpty()) {
                out.untrusted.push_back({absolute, sha.value(), q(allowed.error())});
                continue;
            }
            auto recorded = store.trust(
                {sha.value(), absolute, request.trustGivenAs, QDateTime::currentDateTimeUtc().toString(Qt::ISODate)});
            if (!recorded) {
                out.error = q(recorded.error());
                return out;
            }
        }
        if (!out.untrusted.empty()) {
            QStringList reasons;
            for (const UntrustedFile &file : out.untrusted)
                reasons << file.reason;
            out.error = reasons.join(QLatin1Char('\n'));
            return out;
        }
        // The loader reads and hashes each file again (about a second for an 890 MB backbone).
        if (request.cpuThreads > 0)
            configureCpuThreads(request.cpuThreads); // else Detector::load sets one per core, once
        else if (!request.rine)
            cpuThreads(); // one per core, once (SPAI alone: no Detector::load to do it)
        if (!request.spaiWeights.isEmpty()) {
            SpaiOptions spai;
            spai.path = toStd(request.spaiWeights);
            spai.sha256 = toStd(hashes.last());
            spai.precision = request.precision; // its own where RINE's is not SPAI's (fp16 is refused)
            auto loaded = SpaiDetector::load(spai);
            if (!loaded) {
                out.error = q(loaded.error());
                return out;
            }
            out.spai = std::move(loaded.value());
        }
        if (!request.rine)
            return out;
        DetectorOptions options;
        options.backbonePath = toStd(request.backbone);
        options.backboneSha256 = toStd(hashes.value(0));
        for (int h = 0; h < request.heads.size(); ++h) {
            options.headPaths.push_back(toStd(request.heads[h]));
            options.headSha256s.push_back(toStd(hashes.value(h + 1)));
        }
        options.device = request.device;
        options.precision = request.precision;
        // Auto's bf16 agreement, measured once per model and processor (see Detector.h).
        const QString data = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
                           + QStringLiteral("/rine-studio");
        if (request.precision == Precision::Auto && QDir().mkpath(data))
            options.agreementCachePath = toStd(data + QStringLiteral("/precision-agreement.txt"));
        auto detector = Detector::load(options);
        if (!detector) {
            out.error = q(detector.error());
            out.spai.reset();
        } else {
            out.detector = std::move(detector.value());
        }
    } catch (const std::exception &e) {
        out.error = QStringLiteral("loading the model failed: %1").arg(QString::fromLocal8Bit(e.what()));
    }
    return out;
}

} // namespace rine
