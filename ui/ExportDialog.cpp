#include "ExportDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace rine {

namespace {

QWidget *fileRow(QWidget *parent, QLineEdit *edit, const QString &filter)
{
    auto *row = new QWidget(parent);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *browse = new QPushButton(QObject::tr("Browse..."), row);
    QObject::connect(browse, &QPushButton::clicked, edit, [edit, filter, parent] {
        const QString path = QFileDialog::getSaveFileName(parent, QObject::tr("Save as"), edit->text(), filter);
        if (!path.isEmpty())
            edit->setText(path);
    });
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    return row;
}

} // namespace

ExportDialog::ExportDialog(const QString &caseName, const QStringList &detailPaths, const QString &brokenCase,
                           QWidget *parent)
    : QDialog(parent), m_details(detailPaths)
{
    setWindowTitle(tr("Export report"));
    setObjectName(QStringLiteral("exportDialog"));
    QSettings settings;
    const QString folder = settings.value(QStringLiteral("export/folder"), QDir::homePath()).toString();
    const QString base = QStringLiteral("%1/%2-report").arg(folder, caseName.isEmpty() ? QStringLiteral("case") : caseName);
    m_title = new QLineEdit(tr("Synthetic image analysis: %1").arg(caseName), this);
    m_analyst = new QLineEdit(settings.value(QStringLiteral("export/analyst")).toString(), this);
    m_pdf = new QLineEdit(base + QStringLiteral(".pdf"), this);
    m_csv = new QLineEdit(base + QStringLiteral(".csv"), this);
    m_json = new QLineEdit(base + QStringLiteral(".json"), this);
    m_writeCsv = new QCheckBox(tr("CSV"), this);
    m_writeCsv->setChecked(true);
    m_writeJson = new QCheckBox(tr("JSON"), this);
    m_writeJson->setChecked(true);
    connect(m_writeCsv, &QCheckBox::toggled, m_csv, &QWidget::setEnabled);
    connect(m_writeJson, &QCheckBox::toggled, m_json, &QWidget::setEnabled);

    auto *form = new QFormLayout;
    form->addRow(tr("Title"), m_title);
    form->addRow(tr("Analyst"), m_analyst);
    form->addRow(tr("PDF report"), fileRow(this, m_pdf, tr("PDF (*.pdf)")));
    form->addRow(m_writeCsv, fileRow(this, m_csv, tr("CSV (*.csv)")));
    form->addRow(m_writeJson, fileRow(this, m_json, tr("JSON (*.json)")));
    auto *details = new QLabel(detailPaths.isEmpty()
                                   ? tr("No detail pages: select rows in the results table first to give those images "
                                        "a page each (picture with the analysed region and tile map, charts, metadata).")
                                   : tr("%n selected image(s) get a detail page each (with a tile map: one model pass per "
                                        "224 x 224 tile).", nullptr, int(detailPaths.size())),
                               this);
    details->setWordWrap(true);
    auto *note = new QLabel(tr("Files are written atomically; each one's SHA-256 is recorded in the case's audit log."), this);
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    QLabel *broken = nullptr;
    if (!brokenCase.isEmpty()) {
        broken = new QLabel(this);
        broken->setTextFormat(Qt::PlainText); // the reason names rows and entries of a received file
        broken->setWordWrap(true);
        broken->setStyleSheet(QStringLiteral("color: #b00000"));
        broken->setText(tr("This case does not verify against its audit chain: %1\nIts results may have been altered "
                           "since they were recorded.").arg(brokenCase));
        m_allowUnverified = new QCheckBox(tr("Write it although the case does not verify (the cover and every page "
                                             "say so)"),
                                          this);
        m_allowUnverified->setObjectName(QStringLiteral("allowUnverified"));
        buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
        connect(m_allowUnverified, &QCheckBox::toggled, buttons->button(QDialogButtonBox::Ok), &QWidget::setEnabled);
    }
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        QSettings settings;
        settings.setValue(QStringLiteral("export/analyst"), m_analyst->text());
        settings.setValue(QStringLiteral("export/folder"), QFileInfo(m_pdf->text()).absolutePath());
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(details);
    layout->addWidget(note);
    if (broken) {
        layout->addWidget(broken);
        layout->addWidget(m_allowUnverified);
    }
    layout->addWidget(buttons);
    resize(640, sizeHint().height());
}

ReportRequest ExportDialog::request() const
{
    ReportRequest request;
    request.title = m_title->text();
    request.analyst = m_analyst->text();
    request.detailPaths = m_details;
    request.pdfPath = m_pdf->text();
    if (m_writeCsv->isChecked())
        request.csvPath = m_csv->text();
    if (m_writeJson->isChecked())
        request.jsonPath = m_json->text();
    request.allowUnverified = m_allowUnverified && m_allowUnverified->isChecked();
    return request;
}

} // namespace rine
