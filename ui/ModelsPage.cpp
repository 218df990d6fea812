#include "ModelsPage.h"

#include "PlainText.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace rine {

namespace {

enum Column { Name, Role, Status, Size, Sha, Licence, Columns };

QString h(const QString &text) { return text.toHtmlEscaped(); }

QString bytes(qint64 size)
{
    return size < 0 ? QStringLiteral("?") : QLocale().formattedDataSize(size, 1, QLocale::DataSizeSIFormat);
}

QString row(const QString &name, const QString &valueHtml)
{
    return QStringLiteral("<tr><td valign=\"top\"><b>%1</b></td><td>%2</td></tr>").arg(h(name), valueHtml);
}

} // namespace

ModelsPage::ModelsPage(QWidget *parent) : QWidget(parent)
{
    m_folder = new QLabel(this);
    m_folder->setObjectName(QStringLiteral("modelFolder"));
    m_folder->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_folder->setWordWrap(true);

    m_table = new QTableWidget(0, Columns, this);
    m_table->setObjectName(QStringLiteral("modelsTable"));
    m_table->setHorizontalHeaderLabels({tr("Model"), tr("Role"), tr("Status"), tr("Size"), tr("SHA-256"), tr("Licence")});
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(Status, QHeaderView::Stretch);
    m_table->setWordWrap(false);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        showDetails();
        updateButtons();
    });

    m_details = new QTextBrowser(this);
    m_details->setObjectName(QStringLiteral("modelDetails"));
    m_details->setOpenExternalLinks(false);

    auto button = [this](const QString &text, const char *name, const QString &tooltip) {
        auto *b = new QPushButton(text, this);
        b->setObjectName(QString::fromLatin1(name));
        b->setToolTip(tooltip);
        return b;
    };
    m_download = button(tr("Download"), "downloadButton",
                        tr("Download from the manifest's address into the model folder: resumable, and checked "
                           "against its SHA-256 before it is used"));
    m_downloadFrom = button(tr("Download from..."), "downloadFromButton",
                            tr("Download from another address (a mirror, a server on your network); the file must "
                               "still match the SHA-256"));
    m_cancel = button(tr("Cancel download"), "cancelDownloadButton",
                      tr("Stop; what arrived is kept and the next Download resumes from it"));
    m_verify = button(tr("Verify"), "verifyButton", tr("Hash the installed file again and compare it with the SHA-256 "
                                                       "it must have"));
    m_import = button(tr("Import file..."), "importButton",
                      tr("Copy a file you already have into the model folder, after checking its SHA-256 and shapes"));
    m_remove = button(tr("Remove"), "removeButton", tr("Delete the file from the model folder (never a bundled file, "
                                                       "nor one elsewhere on the machine)"));
    m_activate = button(tr("Set active"), "activateButton",
                        tr("Use this backbone or head from now on (also at the next start, unless the command line "
                           "names another)"));
    m_refresh = button(tr("Refresh"), "refreshButton", tr("Look at the model folder again"));
    m_train = button(tr("Train a head..."), "trainButton",
                     tr("Train a RINE head on your own labelled images with the loaded backbone (the training "
                        "wizard)"));
    connect(m_refresh, &QPushButton::clicked, this, &ModelsPage::refreshRequested);
    connect(m_train, &QPushButton::clicked, this, &ModelsPage::trainRequested);
    connect(m_download, &QPushButton::clicked, this, [this] {
        if (const ModelState *s = selected())
            emit fetchRequested(s->installed.model.name, {}, false);
    });
    connect(m_downloadFrom, &QPushButton::clicked, this, [this] {
        const ModelState *s = selected();
        if (!s)
            return;
        bool ok = false;
        const QString url = QInputDialog::getText(this, tr("Download from"),
                                                  tr("Address of %1 (it must match the SHA-256 in the manifest, "
                                                     "or the one pinned here):")
                                                      .arg(s->installed.model.file),
                                                  QLineEdit::Normal, s->installed.model.url, &ok);
        if (!ok || url.trimmed().isEmpty())
            return;
        bool trust = false;
        if (!ModelStore(state().storeDir).mayFetch(s->installed.model, url.trimmed(), false)) {
            // Nothing published says which file this model is, and this is not the authors'
            // address: the user decides whether that copy is the model, as for --trust.
            const auto answer = QMessageBox::question(
                this, tr("Pin this download?"),
                tr("%1 has no published SHA-256: its first download is pinned as the model, and nothing shows that "
                   "the file at %2 is the one its authors published (%3). Download it and pin it as %1 on this "
                   "installation? Only do so if you know where the copy comes from.")
                    .arg(s->installed.model.name, url.trimmed(), s->installed.model.url));
            if (answer != QMessageBox::Yes)
                return;
            trust = true;
        }
        emit fetchRequested(s->installed.model.name, url.trimmed(), trust);
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_fetchJob)
            m_fetchJob->cancel();
    });
    connect(m_verify, &QPushButton::clicked, this, [this] {
        if (const ModelState *s = selected())
            emit verifyRequested(s->installed.model.name);
    });
    connect(m_import, &QPushButton::clicked, this, [this] {
        const ModelState *s = selected();
        if (!s)
            return;
        const QString path = QFileDialog::getOpenFileName(this, tr("Import %1").arg(s->installed.model.name), QString(),
                                                          tr("Weight files (*.pt *.pth *.bin *.safetensors);;All files (*)"));
        if (path.isEmpty())
            return;
        bool trust = false;
        if (s->installed.model.sha256.isEmpty()) {
            // Nothing published says which file this model is: the user decides, as for --trust.
            const auto answer = QMessageBox::question(
                this, tr("Pin this file?"),
                tr("%1 has no published SHA-256, so nothing shows that %2 is it. Import it and pin it as %1 on this "
                   "installation? Only do so if you know where the file comes from.")
                    .arg(s->installed.model.name, QFileInfo(path).fileName()));
            if (answer != QMessageBox::Yes)
                return;
            trust = true;
        }
        emit importRequested(path, s->installed.model.name, trust);
    });
    connect(m_remove, &QPushButton::clicked, this, [this] {
        if (const ModelState *s = selected())
            emit removeRequested(s->installed.model.name);
    });
    connect(m_activate, &QPushButton::clicked, this, [this] {
        if (const ModelState *s = selected())
            emit activateRequested(s->installed.model.role, s->installed.path);
    });

    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("downloadProgress"));
    m_progress->setVisible(false);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("modelsMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_trusted = new QTableWidget(0, 4, this);
    m_trusted->setObjectName(QStringLiteral("trustedTable"));
    m_trusted->setHorizontalHeaderLabels({tr("SHA-256"), tr("How"), tr("When (UTC)"), tr("File")});
    m_trusted->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_trusted->verticalHeader()->setVisible(false);
    m_trusted->horizontalHeader()->setStretchLastSection(true);
    m_trusted->setToolTip(tr("Weight files used although the manifest does not list their hash"));

    auto *buttons = new QHBoxLayout;
    for (QPushButton *b : {m_download, m_downloadFrom, m_cancel, m_verify, m_import, m_remove, m_activate})
        buttons->addWidget(b);
    buttons->addStretch();
    buttons->addWidget(m_train);
    buttons->addWidget(m_refresh);
    auto *progress = new QHBoxLayout;
    progress->addWidget(m_progress, 1);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_table, 1);
    topLayout->addLayout(buttons);
    topLayout->addLayout(progress);
    topLayout->addWidget(m_message);
    auto *bottom = new QSplitter(Qt::Horizontal, this);
    bottom->addWidget(m_details);
    auto *trustedBox = new QWidget(this);
    auto *trustedLayout = new QVBoxLayout(trustedBox);
    trustedLayout->setContentsMargins(0, 0, 0, 0);
    trustedLayout->addWidget(new QLabel(tr("<b>Trusted beyond the manifest</b> (pinned on first download, trusted by "
                                           "the user, trained here)"),
                                        trustedBox));
    trustedLayout->addWidget(m_trusted, 1);
    bottom->addWidget(trustedBox);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(bottom);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_folder);
    layout->addWidget(split, 1);
    updateButtons();
}

const ModelState *ModelsPage::selected() const
{
    const int r = m_table->currentRow();
    if (r < 0 || r >= m_state.models.size() || m_table->selectedItems().isEmpty())
        return nullptr;
    return &m_state.models[r];
}

QString ModelsPage::selectedName() const
{
    const ModelState *s = selected();
    return s ? s->installed.model.name : QString();
}

void ModelsPage::select(const QString &name)
{
    m_wanted = name;
    for (int r = 0; r < m_state.models.size(); ++r) {
        if (m_state.models[r].installed.model.name == name) {
            m_table->selectRow(r);
            m_wanted.clear();
        }
    }
}

bool ModelsPage::isLoaded(const QString &path) const
{
    if (path.isEmpty())
        return false;
    const QString canonical = QFileInfo(path).canonicalFilePath();
    if (QFileInfo(m_backbone).canonicalFilePath() == canonical)
        return true;
    for (const QString &head : m_heads)
        if (QFileInfo(head).canonicalFilePath() == canonical)
            return true;
    return !m_spai.isEmpty() && QFileInfo(m_spai).canonicalFilePath() == canonical;
}

QString ModelsPage::statusText(const ModelState &s) const
{
    const InstalledModel &i = s.installed;
    QString text;
    if (i.path.isEmpty()) {
        text = tr("Not installed");
        if (s.partialBytes > 0)
            text += tr("; %1 of %2 downloaded, Download resumes").arg(bytes(s.partialBytes), bytes(i.model.size));
    } else if (i.where == QLatin1String("bundled")) {
        text = tr("Bundled");
    } else if (i.where == QLatin1String("store")) {
        text = tr("Installed");
    } else {
        text = tr("Found (%1)").arg(i.where);
    }
    if (isLoaded(i.path))
        text += tr(" - in use");
    if (!s.rejected.isEmpty())
        text += tr(" - %n rejected download(s) kept aside", nullptr, int(s.rejected.size()));
    return text;
}

void ModelsPage::setState(const ModelsState &state)
{
    const QString keep = m_wanted.isEmpty() ? selectedName() : m_wanted;
    m_state = state;
    QString inUse = tr("no model is loaded");
    if (!m_backbone.isEmpty()) {
        QStringList heads;
        for (const QString &head : m_heads)
            heads << QDir::toNativeSeparators(head);
        inUse = tr("backbone %1; head %2").arg(h(QDir::toNativeSeparators(m_backbone)), h(heads.join(QStringLiteral(", "))));
        if (!m_spai.isEmpty())
            inUse += tr("; SPAI %1").arg(h(QDir::toNativeSeparators(m_spai)));
    }
    m_folder->setText(tr("Model folder: <b>%1</b> (set RINE_MODEL_STORE to use another)<br>In use now: %2")
                          .arg(h(QDir::toNativeSeparators(state.storeDir)), inUse));
    m_table->setRowCount(int(state.models.size()));
    for (int r = 0; r < state.models.size(); ++r) {
        const ModelState &s = state.models[r];
        const KnownModel &m = s.installed.model;
        const QString sha = s.expectedSha256.isEmpty() ? tr("not known yet (pinned on first download)")
                                                       : s.expectedSha256.left(16) + QStringLiteral("...");
        const QStringList cells{m.name, m.role, statusText(s), bytes(s.fileSize >= 0 ? s.fileSize : m.size), sha, m.license};
        for (int c = 0; c < Columns; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            if (c == Sha)
                item->setToolTip(s.expectedSha256); // from the bundled manifest
            if (c == Status && !s.installed.path.isEmpty())
                item->setToolTip(plainToolTip(s.installed.path));
            m_table->setItem(r, c, item);
        }
    }
    m_table->resizeColumnsToContents();
    m_trusted->setRowCount(int(state.trusted.size()));
    for (int r = 0; r < state.trusted.size(); ++r) {
        const TrustRecord &t = state.trusted[r];
        const QStringList cells{t.sha256, t.how, t.when, t.path};
        for (int c = 0; c < 4; ++c)
            m_trusted->setItem(r, c, new QTableWidgetItem(cells[c]));
    }
    m_trusted->resizeColumnsToContents();
    if (!keep.isEmpty())
        select(keep);
    else if (m_table->rowCount() > 0)
        m_table->selectRow(0);
    showDetails();
    updateButtons();
}

void ModelsPage::setLoaded(const QString &backbonePath, const QStringList &headPaths, const QString &spaiPath)
{
    m_backbone = backbonePath;
    m_heads = headPaths;
    m_spai = spaiPath;
    setState(m_state);
}

void ModelsPage::followAction(Job *job, ModelAction::Kind kind, const QString &name)
{
    if (!job)
        return;
    if (kind == ModelAction::Kind::Fetch) {
        m_fetchJob = job;
        job->onProgress<FetchProgress>(this, [this](const FetchProgress &p) { setProgress(p); });
    }
    for (auto signal : {&Job::finished, &Job::cancelled})
        connect(job, signal, this, [this](const QVariant &v) { setActionDone(v.value<ModelAction>()); });
    job->onFailed(this, [this, kind, name](const QString &error) { setActionDone({kind, name, false, false, error}); });
}

void ModelsPage::setProgress(const FetchProgress &p)
{
    m_fetching = true;
    m_progress->setVisible(true);
    if (p.total > 0) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(1000.0 * double(p.received) / double(p.total)));
    } else {
        m_progress->setRange(0, 0);
    }
    const QString eta = p.etaSeconds < 0 ? tr("unknown")
                                         : p.etaSeconds < 120 ? tr("%1 s").arg(qint64(p.etaSeconds + 0.5))
                                                              : tr("%1 min").arg(qint64(p.etaSeconds / 60 + 0.5));
    m_progress->setFormat(tr("%1: %2 of %3, %4/s, %5 left")
                              .arg(p.name, bytes(p.received), bytes(p.total), bytes(qint64(p.bytesPerSecond)), eta));
    m_progress->setTextVisible(true);
    updateButtons();
}

void ModelsPage::setActionDone(const ModelAction &action)
{
    if (action.action == ModelAction::Kind::Fetch) {
        m_fetching = false;
        m_progress->setVisible(false);
    }
    const QString colour = action.ok ? QStringLiteral("#1b7a2e") : action.cancelled ? QStringLiteral("#555555")
                                                                                    : QStringLiteral("#c01f1f");
    m_message->setText(QStringLiteral("<span style=\"color: %1\">%2</span>").arg(colour, h(action.message)));
    m_message->setProperty("ok", action.ok);
    updateButtons();
}

void ModelsPage::setBusy(bool busy)
{
    m_busy = busy;
    if (busy && !m_fetching)
        m_message->setText(tr("Working..."));
    updateButtons();
}

void ModelsPage::updateButtons()
{
    const ModelState *s = selected();
    const bool any = s != nullptr;
    const bool installed = any && !s->installed.path.isEmpty();
    const bool bundled = any && s->installed.model.bundled;
    const bool loaded = any && isLoaded(s->installed.path);
    const bool idle = !m_busy && !m_fetching;
    m_download->setEnabled(idle && any && !installed && !bundled);
    m_download->setText(any && s->partialBytes > 0 && !installed ? tr("Resume download") : tr("Download"));
    m_downloadFrom->setEnabled(idle && any && !installed && !bundled);
    m_cancel->setVisible(m_fetching);
    m_verify->setEnabled(idle && installed);
    m_import->setEnabled(idle && any && !bundled && !installed);
    const bool partial = any && !installed && s->partialBytes > 0;
    m_remove->setText(partial ? tr("Discard partial download") : tr("Remove"));
    m_remove->setEnabled(idle && ((installed && s->installed.where == QLatin1String("store") && !loaded) || partial));
    m_remove->setToolTip(loaded ? tr("In use: set another one active first")
                                : tr("Delete the file from the model folder (never a bundled file, nor one elsewhere "
                                     "on the machine)"));
    // A detector (SPAI) is used beside RINE, not in place of a backbone or head.
    const bool detector = any && s->installed.model.role == QLatin1String("detector");
    m_activate->setEnabled(idle && installed && !loaded);
    m_activate->setToolTip(detector ? tr("Run SPAI beside RINE with this file from now on: scans, Inspect, the "
                                         "Robustness page and reports show both detectors (Settings: Detectors)")
                                    : tr("Use this backbone or head from now on (also at the next start, unless "
                                         "the command line names another)"));
}

void ModelsPage::showDetails()
{
    const ModelState *s = selected();
    if (!s) {
        m_details->clear();
        return;
    }
    const KnownModel &m = s->installed.model;
    QString html = QStringLiteral("<h3>%1</h3><table cellspacing=\"4\">").arg(h(m.name));
    html += row(tr("Role"), h(m.role));
    html += row(tr("Architecture"), h(m.architecture));
    html += row(tr("Status"), h(statusText(*s)));
    if (!s->installed.path.isEmpty())
        html += row(tr("File"), QStringLiteral("<code>%1</code> (%2 bytes)").arg(h(s->installed.path)).arg(s->fileSize));
    html += row(tr("SHA-256"), s->expectedSha256.isEmpty()
                                   ? tr("not published; pinned on the first verified download")
                                   : QStringLiteral("<code>%1</code><br>from %2")
                                         .arg(h(s->expectedSha256),
                                              h(s->shaSource == QLatin1String("manifest") ? tr("the manifest")
                                                                                          : s->shaSource)));
    QStringList urls;
    for (const QString &url : m.urls)
        urls << QStringLiteral("<code>%1</code>").arg(h(url));
    html += row(tr("Download from"), urls.join(QStringLiteral("<br>")));
    if (!m.page.isEmpty())
        html += row(tr("Authors' page"), QStringLiteral("<code>%1</code>").arg(h(m.page)));
    if (m.thirdPartySize >= 0 || !m.thirdPartySha256.isEmpty())
        html += row(tr("Recorded elsewhere"),
                    tr("<b>unverified</b>: %1 bytes, SHA-256 <code>%2</code>, as a third party recorded it; %3")
                        .arg(m.thirdPartySize)
                        .arg(h(m.thirdPartySha256), h(m.thirdPartyNote)));
    html += row(tr("Licence"), h(m.license));
    html += row(tr("Cite"), h(m.citation));
    if (!s->rejected.isEmpty()) {
        QStringList files;
        for (const QString &f : s->rejected)
            files << QStringLiteral("<code>%1</code>").arg(h(f));
        html += row(tr("Rejected"), tr("downloads whose SHA-256 or contents did not match, kept aside and never used:<br>%1")
                                        .arg(files.join(QStringLiteral("<br>"))));
    }
    html += QStringLiteral("</table>");
    m_details->setHtml(html);
}

} // namespace rine
