#include "TrainingSavePage.h"

#include "TrainingConfigPage.h"
#include "TrainingRunPage.h"
#include "WizardTables.h"
#include "util/QtStrings.h"

#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace rine {

TrainingSavePage::TrainingSavePage(const TrainingConfigPage *config, const TrainingRunPage *run, QWidget *parent)
    : QWizardPage(parent), m_config(config), m_run(run)
{
    setTitle(tr("Save and activate"));
    setSubTitle(tr("The head is written in the published checkpoint format, with its model card beside it, "
                   "and recorded as trained here, so it loads without being trusted by hand."));
    m_saved = new QLabel;
    m_saved->setObjectName(QStringLiteral("trainingSaved"));
    m_saved->setWordWrap(true);
    m_saved->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *copy = new QPushButton(tr("Save a copy as..."));
    copy->setObjectName(QStringLiteral("trainingSaveCopy"));
    connect(copy, &QPushButton::clicked, this, &TrainingSavePage::saveCopy);
    m_activate = new QCheckBox(tr("Make it the active head now (scans and inspections then use it)"));
    m_activate->setObjectName(QStringLiteral("trainingActivate"));
    m_activate->setChecked(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_saved);
    layout->addWidget(copy, 0, Qt::AlignLeft);
    layout->addWidget(m_activate);
    layout->addStretch();
}

bool TrainingSavePage::activate() const { return m_activate->isChecked(); }

void TrainingSavePage::initializePage()
{
    m_saved->setText(tr("Head: %1<br>SHA-256: <tt>%2</tt><br>Model card: %3")
                         .arg(QDir::toNativeSeparators(m_config->outputPath()).toHtmlEscaped(),
                              q(m_run->outcome().training.checkpointSha256).toHtmlEscaped(),
                              QDir::toNativeSeparators(q(m_run->outcome().cardPath)).toHtmlEscaped()));
}

void TrainingSavePage::saveCopy()
{
    const QString output = m_config->outputPath();
    const QString target = QFileDialog::getSaveFileName(this, tr("Save a copy of the head"), QFileInfo(output).fileName(),
                                                        tr("RINE head (*.pth)"));
    if (target.isEmpty() || QFileInfo(target).absoluteFilePath() == output)
        return;
    const QString card = target + QStringLiteral(".card.json");
    QFile::remove(target);
    QFile::remove(card);
    if (!QFile::copy(output, target) || !QFile::copy(q(m_run->outcome().cardPath), card)) {
        m_saved->setText(m_saved->text() + QStringLiteral("<br>")
                         + wizard::errorHtml(tr("Could not copy to %1: check that the folder is writable.")
                                                 .arg(QDir::toNativeSeparators(target))));
        return;
    }
    m_saved->setText(m_saved->text() + tr("<br>Copied to %1 (with its model card).")
                                           .arg(QDir::toNativeSeparators(target).toHtmlEscaped()));
}

} // namespace rine
