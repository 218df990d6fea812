#pragma once

#include "EngineTypes.h"
#include "Job.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QTextBrowser;

namespace rine {

// The model folder: the known models (backbone and heads, from the manifest) with where each
// is, its size, hash and licence; Download (resumable, verified), Verify, Remove, Import and
// Set active; and the weight files this installation trusts beyond the manifest, with how
// (pinned on first download, trusted by the user, trained here) and when.
class ModelsPage : public QWidget {
    Q_OBJECT

public:
    explicit ModelsPage(QWidget *parent = nullptr);

    void setState(const ModelsState &state);
    // What the detectors use now (spaiPath empty: SPAI is not loaded).
    void setLoaded(const QString &backbonePath, const QStringList &headPaths, const QString &spaiPath = {});
    // The job of an action this page asked for (fetch, verify, import, remove): a download's
    // progress and every action's end are shown here; Cancel cancels a download.
    void followAction(Job *job, ModelAction::Kind kind, const QString &name);
    void setBusy(bool busy); // an action is running: the buttons that would start another wait

    void select(const QString &name);
    QString selectedName() const;
    const ModelsState &state() const { return m_state; }
    QTableWidget *table() const { return m_table; }

signals:
    void refreshRequested();
    void trainRequested(); // the training wizard
    // url empty: the manifest's. trust: the user pinned a mirror's copy of a model with no
    // published SHA-256 (asked here before the request).
    void fetchRequested(const QString &name, const QString &url, bool trust);
    void verifyRequested(const QString &name);
    // trust: the user confirmed pinning this file as a model whose hash is not published.
    void importRequested(const QString &path, const QString &name, bool trust);
    void removeRequested(const QString &name);
    void activateRequested(const QString &role, const QString &path);

private:
    void setProgress(const FetchProgress &progress);
    void setActionDone(const ModelAction &action);
    QPointer<Job> m_fetchJob;
    const ModelState *selected() const;
    void updateButtons();
    void showDetails();
    QString statusText(const ModelState &state) const;
    bool isLoaded(const QString &path) const;

    ModelsState m_state;
    QString m_backbone;
    QStringList m_heads;
    QString m_spai;
    bool m_busy = false, m_fetching = false;
    QString m_wanted; // selected once the state arrives
    QLabel *m_folder;
    QTableWidget *m_table;
    QTextBrowser *m_details;
    QPushButton *m_download, *m_downloadFrom, *m_cancel, *m_verify, *m_import, *m_remove, *m_activate, *m_refresh, *m_train;
    QProgressBar *m_progress;
    QLabel *m_message;
    QTableWidget *m_trusted;
};

} // namespace rine
