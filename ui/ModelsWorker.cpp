#include "ModelsWorker.h"

#include "catalog/ModelDownloader.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QTimer>

namespace rine {

ModelsWorker::ModelsWorker(QString storeDir) : m_storeDir(std::move(storeDir)) {}

const KnownModel *ModelsWorker::find(const QString &name)
{
    m_known = ModelLocator::knownModels();
    for (const KnownModel &model : m_known)
        if (model.name == name)
            return &model;
    return nullptr;
}

void ModelsWorker::done(const ModelAction &action, const Job::Reporter &job)
{
    if (action.cancelled)
        job.cancelled(QVariant::fromValue(action));
    else if (action.ok)
        job.finish(QVariant::fromValue(action));
    else
        job.fail(action.message);
    list();
}

void ModelsWorker::list()
{
    ModelStore store(m_storeDir);
    emit listed({store.dir(), store.states(), store.trusted()});
}

void ModelsWorker::fetch(const QString &name, const QString &url, bool trust, const Job::Reporter &job)
{
    ModelAction action{ModelAction::Kind::Fetch, name, false, false, {}};
    const KnownModel *model = find(name);
    if (!model) {
        action.message = tr("%1 is not in the model manifest.").arg(name);
        return done(action, job);
    }
    if (m_download) {
        action.message = tr("Another download is running; wait for it or cancel it.");
        return done(action, job);
    }
    ModelStore store(m_storeDir);
    if (auto allowed = store.mayFetch(*model, url, trust); !allowed) {
        action.message = QString::fromStdString(allowed.error());
        return done(action, job);
    }
    DownloadRequest request;
    request.url = QUrl(url.isEmpty() ? model->url : url);
    request.target = store.pathOf(*model);
    request.expectedSha256 = store.expectedSha256(*model);
    request.expectedSize = model->size;
    m_download = new ModelDownloader(this);
    connect(m_download, &ModelDownloader::progress, this,
            [name, job](qint64 received, qint64 total, double rate, double eta) {
                job.progress(QVariant::fromValue(FetchProgress{name, received, total, rate, eta}));
            });
    // Cancel is the job's flag: seen here within a tenth of a second.
    auto *watch = new QTimer(m_download);
    connect(watch, &QTimer::timeout, m_download, [download = m_download, job] {
        if (job.cancelRequested())
            download->cancel();
    });
    watch->start(100);
    connect(m_download, &ModelDownloader::finished, this,
            [this, name, known = *model, request, job, watch](const DownloadOutcome &outcome) {
        watch->stop(); // the job ends below: nothing may poll it after that
        m_download->deleteLater();
        m_download = nullptr;
        ModelAction action{ModelAction::Kind::Fetch, name, outcome.ok, outcome.cancelled, {}};
        if (outcome.cancelled) {
            action.message = tr("Download of %1 cancelled; the %2 bytes received are kept, and Download resumes "
                                "from there.")
                                 .arg(name)
                                 .arg(QFileInfo(request.target + QStringLiteral(".part")).size());
        } else if (!outcome.ok) {
            action.message = outcome.error;
        } else if (request.expectedSha256.isEmpty()) {
            // The manifest leaves this hash open: pin what arrived once it is the model, and say so.
            auto pinned = ModelStore(m_storeDir).pinDownload(known, outcome.path, outcome.sha256, request.url.toString());
            action.ok = bool(pinned);
            action.message = pinned ? tr("%1 installed: %2 (%3 bytes, SHA-256 %4%5). The manifest gives no SHA-256 for "
                                         "it: this download's is now pinned, and later downloads and imports must "
                                         "match it.")
                                          .arg(name, outcome.path)
                                          .arg(outcome.bytes)
                                          .arg(outcome.sha256, outcome.resumed ? tr(", resumed") : QString())
                                    : QString::fromStdString(pinned.error());
        } else {
            action.message = tr("%1 installed: %2 (%3 bytes, SHA-256 %4%5).")
                                 .arg(name, outcome.path)
                                 .arg(outcome.bytes)
                                 .arg(outcome.sha256, outcome.resumed ? tr(", resumed") : QString());
        }
        done(action, job);
    });
    m_download->start(request);
}

void ModelsWorker::verify(const QString &name, const Job::Reporter &job)
{
    ModelAction action{ModelAction::Kind::Verify, name, false, false, {}};
    ModelStore store(m_storeDir);
    for (const InstalledModel &entry : store.installed()) {
        if (entry.model.name != name)
            continue;
        if (entry.path.isEmpty()) {
            action.message = tr("%1 is not installed.").arg(name);
            return done(action, job);
        }
        const QString expected = store.expectedSha256(entry.model);
        auto sha = sha256OfFile(entry.path);
        if (!sha) {
            action.message = QString::fromStdString(sha.error());
        } else if (expected.isEmpty()) {
            action.message = tr("%1: SHA-256 %2. Neither the manifest nor this installation knows the hash to expect, "
                                "so it cannot be checked.")
                                 .arg(entry.path, sha.value());
        } else if (sha.value() != expected) {
            action.message = tr("%1: SHA-256 %2, expected %3. The file is damaged or another one: remove it and "
                                "download it again.")
                                 .arg(entry.path, sha.value(), expected);
        } else {
            action.ok = true;
            action.message = tr("%1 verified: %2 has the expected SHA-256 %3.").arg(name, entry.path, expected);
        }
        return done(action, job);
    }
    action.message = tr("%1 is not in the model manifest.").arg(name);
    done(action, job);
}

void ModelsWorker::importFile(const QString &path, const QString &name, bool trust, const Job::Reporter &job)
{
    ModelAction action{ModelAction::Kind::Import, name, false, false, {}};
    const KnownModel *model = find(name);
    if (!model) {
        action.message = tr("%1 is not in the model manifest.").arg(name);
        return done(action, job);
    }
    auto imported = ModelStore(m_storeDir).import(path, *model, trust);
    action.ok = bool(imported);
    action.message = imported ? tr("%1 imported from %2 into %3.").arg(name, path, imported.value())
                              : QString::fromStdString(imported.error());
    done(action, job);
}

void ModelsWorker::remove(const QString &name, const Job::Reporter &job)
{
    ModelAction action{ModelAction::Kind::Remove, name, false, false, {}};
    const KnownModel *model = find(name);
    if (!model) {
        action.message = tr("%1 is not in the model manifest.").arg(name);
        return done(action, job);
    }
    ModelStore store(m_storeDir);
    const QString part = store.pathOf(*model) + QStringLiteral(".part");
    if (!QFileInfo::exists(store.pathOf(*model)) && QFileInfo::exists(part)) {
        action.ok = QFile::remove(part);
        action.message = action.ok ? tr("The interrupted download of %1 was discarded.").arg(name)
                                   : tr("%1: cannot delete").arg(part);
        return done(action, job);
    }
    auto removed = store.remove(*model);
    action.ok = bool(removed);
    action.message = removed ? tr("%1 removed from the model folder.").arg(name) : QString::fromStdString(removed.error());
    done(action, job);
}

void ModelsWorker::importBackbone(const QString &path, const Job::Reporter &job)
{
    auto imported = ModelStore(m_storeDir).import(path, ModelLocator::knownBackbone());
    if (imported)
        job.finish(imported.value());
    else
        job.fail(QString::fromStdString(imported.error()));
    list();
}

} // namespace rine
