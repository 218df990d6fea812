#pragma once

#include "EngineTypes.h"

#include <QObject>
#include <QPointer>

namespace rine {

class ModelDownloader;

// The Models page's engine side, on its own thread: downloads (Qt Network, resumable,
// verified), re-hashing installed files (an 890 MB backbone takes seconds), imports and
// removals in the model store. Every action ends with one actionDone and a fresh state.
class ModelsWorker : public QObject {
    Q_OBJECT

public:
    explicit ModelsWorker(QString storeDir);

    void list();
    void fetch(const QString &name, const QString &url); // url empty: the manifest's
    void cancelFetch();
    void verify(const QString &name);
    void importFile(const QString &path, const QString &name);
    void remove(const QString &name);

signals:
    void listed(const rine::ModelsState &state);
    void fetchProgress(const rine::FetchProgress &progress);
    void actionDone(const rine::ModelAction &action);

private:
    const KnownModel *find(const QString &name);
    void done(ModelAction action);

    QString m_storeDir;
    QList<KnownModel> m_known;
    QPointer<ModelDownloader> m_download;
};

} // namespace rine
