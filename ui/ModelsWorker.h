#pragma once

#include "EngineTypes.h"
#include "Job.h"

#include <QObject>
#include <QPointer>

namespace rine {

class ModelDownloader;

// The Models page's engine side, on its own thread: downloads (Qt Network, resumable,
// verified), re-hashing installed files (an 890 MB backbone takes seconds), imports and
// removals in the model store. Each action is a Job's work: it ends its job (finished when it
// succeeded, cancelled, or failed with the message) and then publishes a fresh state.
class ModelsWorker : public QObject {
    Q_OBJECT

public:
    explicit ModelsWorker(QString storeDir);

    void list();
    // url empty: the manifest's. The job's cancel flag stops the download (polled).
    void fetch(const QString &name, const QString &url, bool trust, const Job::Reporter &job);
    void verify(const QString &name, const Job::Reporter &job);
    void importFile(const QString &path, const QString &name, bool trust, const Job::Reporter &job);
    void remove(const QString &name, const Job::Reporter &job);
    // The backbone file the user located, imported into the model folder: the job finishes
    // with its path there.
    void importBackbone(const QString &path, const Job::Reporter &job);

signals:
    void listed(const rine::ModelsState &state);

private:
    const KnownModel *find(const QString &name);
    void done(const ModelAction &action, const Job::Reporter &job);

    QString m_storeDir;
    QList<KnownModel> m_known;
    QPointer<ModelDownloader> m_download;
};

} // namespace rine
