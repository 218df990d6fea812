#include "ModelBanner.h"

#include "EngineController.h"
#include "catalog/ModelLocator.h"
#include "catalog/ModelStore.h"
#include "util/QtStrings.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

namespace rine {

namespace {

QString h(const QString &text) { return text.toHtmlEscaped(); }

} // namespace

ModelBanner::ModelBanner(EngineController *engine, QWidget *parent) : QFrame(parent), m_engine(engine)
{
    setObjectName(QStringLiteral("modelBanner"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("modelStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_locate = new QPushButton(tr("Locate ViT-L-14.pt..."), this);
    m_locate->setObjectName(QStringLiteral("locateBackboneButton"));
    m_locate->setToolTip(tr("Choose the backbone file: it is checked (SHA-256 against the model manifest, tensor "
                            "shapes) and copied into the model store"));
    connect(m_locate, &QPushButton::clicked, this, &ModelBanner::locateBackbone);
    m_download = new QPushButton(tr("Download..."), this);
    m_download->setObjectName(QStringLiteral("openModelsButton"));
    m_download->setToolTip(tr("Open the Models page to download ViT-L-14 (about 890 MB, resumable, checked against "
                              "its SHA-256)"));
    connect(m_download, &QPushButton::clicked, this, &ModelBanner::downloadRequested);
    auto *buttons = new QVBoxLayout;
    buttons->addWidget(m_locate);
    buttons->addWidget(m_download);
    buttons->addStretch();
    auto *layout = new QHBoxLayout(this);
    layout->addWidget(m_status, 1);
    layout->addLayout(buttons);
}

void ModelBanner::show(const QString &html, bool offerLocate)
{
    m_status->setText(html);
    m_locate->setVisible(offerLocate);
    m_download->setVisible(offerLocate);
    setVisible(!html.isEmpty());
}

void ModelBanner::giveUp(const QString &html, const QString &label, bool offerLocate)
{
    m_gaveUp = true;
    show(html, offerLocate);
    emit noModel(label);
}

void ModelBanner::load(const ModelRequest &request)
{
    m_gaveUp = false;
    if (request.rine && request.heads.isEmpty())
        return giveUp(tr("<p><b>Head missing:</b> the bundled 2-class head was not found; the installation is damaged. "
                         "Reinstall RINE Studio, or start it with --head FILE.</p>"),
                      tr("No model"), false);
    if (request.rine && !QFileInfo::exists(request.backbone))
        // First run: say plainly what is missing and offer to locate it.
        return giveUp(tr("<p><b>Backbone missing.</b> RINE needs OpenAI's CLIP ViT-L/14 (890 MB), which cannot be "
                         "shipped with the application. Until it is here nothing can be scanned or inspected; cases "
                         "already scanned can be opened.</p><pre style=\"white-space: pre-wrap\">%1</pre>")
                          .arg(h(ModelLocator::missingBackboneMessage(request.backbone))),
                      tr("Backbone missing"));
    show(tr("<p>Loading the detector: %1 ...</p>").arg(h(request.rine ? request.backbone : request.spaiWeights)), false);
    emit loading();
    Job *job = m_engine->loadModel(request);
    job->onFinished<ModelLoadResult>(this, [this](const ModelLoadResult &result) { onLoaded(result); });
    job->onFailed(this, [this, request](const QString &error) {
        ModelLoadResult result;
        result.request = request;
        result.error = error;
        onLoaded(result);
    });
}

void ModelBanner::onLoaded(const ModelLoadResult &result)
{
    if (!result.untrusted.empty())
        return askTrust(result);
    if (!result.detector && !result.spai)
        return giveUp(tr("<p><b>The detector could not be loaded.</b></p><pre style=\"white-space: pre-wrap\">%1</pre>")
                              .arg(h(result.error))
                          + (result.request.spaiWeights.isEmpty()
                                 ? QString()
                                 : result.request.rine
                                     ? tr("<p>SPAI is on: to run RINE alone, turn SPAI off in Settings.</p>")
                                     : tr("<p>SPAI runs alone (RINE is off in Settings): to run RINE, turn it on in "
                                          "Settings.</p>")),
                      tr("No model"));
    show({}, false);
    emit loaded();
}

QString ModelBanner::modelName() const
{
    if (!m_engine->hasRine())
        return tr("Model: SPAI alone");
    const ModelInfo &info = m_engine->modelInfo();
    const QList<KnownModel> known = ModelLocator::knownModels();
    auto name = [&](const std::string &path, const std::string &sha) {
        const KnownModel *model = ModelStore::knownBySha(known, q(sha));
        return QStringLiteral("%1 (%2)").arg(model ? model->name : QFileInfo(q(path)).fileName(), q(sha).left(12));
    };
    QStringList heads;
    for (const HeadInfo &head : info.heads)
        heads << name(head.path, head.sha256);
    return tr("Model: %1 on %2").arg(heads.join(QStringLiteral(", ")), name(info.backbonePath, info.backboneSha256));
}

void ModelBanner::askTrust(const ModelLoadResult &result)
{
    QString files;
    for (const UntrustedFile &file : result.untrusted)
        files += tr("<li><tt>%1</tt><br>SHA-256 <tt>%2</tt></li>").arg(h(file.path), h(file.sha256));
    m_trustDialog = new QMessageBox(QMessageBox::Warning, tr("Unlisted model file"),
                                    tr("<p>These weight files are not in RINE Studio's model manifest:</p><ul>%1</ul>"
                                       "<p>TorchScript archives can carry code and pickle checkpoints have had "
                                       "memory-safety bugs in their readers. Load them only if you know where they "
                                       "come from. The decision is recorded with the file's SHA-256.</p>")
                                        .arg(files),
                                    QMessageBox::Cancel, window());
    m_trustDialog->setObjectName(QStringLiteral("trustDialog"));
    QPushButton *trust = m_trustDialog->addButton(tr("Trust and load"), QMessageBox::AcceptRole);
    trust->setObjectName(QStringLiteral("trustButton"));
    m_trustDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_trustDialog, &QMessageBox::finished, this, [this, trust, request = result.request] {
        const bool trusted = m_trustDialog->clickedButton() == trust;
        m_trustDialog = nullptr;
        if (!trusted)
            return giveUp(tr("<p><b>No model loaded:</b> the model files were not trusted. Choose another backbone, or "
                             "start again and trust them.</p>"),
                          tr("No model"));
        ModelRequest again = request;
        again.trustGivenAs = QStringLiteral("trusted by the user (RINE Studio dialog)");
        load(again);
    });
    m_trustDialog->open();
}

void ModelBanner::locateBackbone()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Locate the CLIP ViT-L/14 backbone"), QDir::homePath(),
                                                      tr("Model files (*.pt *.pth *.bin *.safetensors);;All files (*)"));
    if (path.isEmpty())
        return;
    show(tr("<p>Checking %1: SHA-256 against the manifest and tensor shapes, then copying it into the model "
            "store...</p>").arg(h(path)),
         false);
    Job *job = m_engine->importBackbone(path);
    job->onFinished<QString>(this, [this](const QString &imported) { emit backboneImported(imported); });
    job->onFailed(this, [this](const QString &error) {
        giveUp(tr("<b>The file was not accepted.</b><pre style=\"white-space: pre-wrap\">%1</pre>").arg(h(error)),
               tr("No model"));
    });
}

} // namespace rine
