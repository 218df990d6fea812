#pragma once

#include "EngineTypes.h"

#include <QFrame>
#include <QPointer>

class QLabel;
class QMessageBox;
class QPushButton;

namespace rine {

class EngineController;

// The detector as the window shows it while it is not ready: what is missing or wrong and
// what to do about it (locate the backbone, download it), the trust dialog for weight files
// the manifest does not list, and the model-loading job. Hidden once a detector is loaded.
class ModelBanner : public QFrame {
    Q_OBJECT

public:
    ModelBanner(EngineController *engine, QWidget *parent = nullptr);

    // Loads the detector of the request, or says why it cannot (head or backbone missing).
    void load(const ModelRequest &request);
    bool gaveUp() const { return m_gaveUp; } // no model, and none is tried until the user acts
    bool asking() const { return bool(m_trustDialog); } // the trust dialog waits for the user
    // "Model: rine-2class (ab12...) on ViT-L-14 (b8cc...)", for the status bar.
    QString modelName() const;

signals:
    void loading(); // a load has started
    void loaded(); // the engine has a detector: EngineController::modelInfo()
    void noModel(const QString &label); // gave up ("No model", "Backbone missing")
    void backboneImported(const QString &path); // located by the user, now in the model folder
    void downloadRequested();

private:
    void show(const QString &html, bool offerLocate);
    void giveUp(const QString &html, const QString &label, bool offerLocate = true);
    void onLoaded(const ModelLoadResult &result);
    void askTrust(const ModelLoadResult &result);
    void locateBackbone();

    EngineController *m_engine;
    QLabel *m_status;
    QPushButton *m_locate, *m_download;
    QPointer<QMessageBox> m_trustDialog;
    bool m_gaveUp = false;
};

} // namespace rine
