#include "TrainingDataPage.h"

#include "EngineController.h"
#include "WizardTables.h"
#include "util/QtStrings.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSet>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace rine {

using namespace wizard;

TrainingDataPage::TrainingDataPage(EngineController *engine, QWidget *parent) : QWizardPage(parent), m_engine(engine)
{
    setTitle(tr("Data"));
    setSubTitle(tr("A folder with train/ and val/ in it, each holding <class>/0_real and <class>/1_fake "
                   "(the ProGAN layout) or 0_real and 1_fake directly. The images are only read."));
    m_folder = new QLineEdit;
    m_folder->setObjectName(QStringLiteral("trainingFolder"));
    m_folder->setPlaceholderText(tr("The dataset's folder"));
    auto *browse = new QPushButton(tr("Browse..."));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Dataset folder"), m_folder->text());
        if (!folder.isEmpty())
            setFolder(folder);
    });
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);

    m_classSet = new QComboBox;
    m_classSet->setObjectName(QStringLiteral("trainingClassSet"));
    m_classSet->addItem(tr("Every class in the folder"), QString());
    m_classSet->addItem(tr("The paper's 1-class setting: horse"), QStringLiteral("1-class"));
    m_classSet->addItem(tr("The paper's 2-class setting: chair, horse"), QStringLiteral("2-class"));
    m_classSet->addItem(tr("The paper's 4-class setting: car, cat, chair, horse"), QStringLiteral("4-class"));
    m_classSet->addItem(tr("The classes ticked below"), QStringLiteral("chosen"));
    m_classList = new QListWidget;
    m_classList->setObjectName(QStringLiteral("trainingClassList"));
    m_classList->setMaximumHeight(110);
    m_classList->setEnabled(false);

    m_counts = new QTableWidget(0, 5);
    m_counts->setObjectName(QStringLiteral("trainingCounts"));
    m_counts->setHorizontalHeaderLabels({tr("Class"), tr("Train real"), tr("Train fake"), tr("Val real"), tr("Val fake")});
    compact(m_counts);
    m_counts->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);

    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("trainingDataMessage"));
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::RichText); // every string from outside in it is escaped
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("Folder:"), folderRow);
    form->addRow(tr("Classes:"), m_classSet);
    form->addRow(QString(), m_classList);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_counts, 1);
    layout->addWidget(m_message);

    m_surveyTimer = new QTimer(this);
    m_surveyTimer->setSingleShot(true);
    m_surveyTimer->setInterval(300);
    connect(m_surveyTimer, &QTimer::timeout, this, &TrainingDataPage::requestSurvey);
    connect(m_folder, &QLineEdit::textChanged, this, &TrainingDataPage::changed);
    connect(m_classSet, &QComboBox::currentIndexChanged, this, [this] {
        const QString set = classSetName();
        std::vector<std::string> members;
        paperClassSet(set.toStdString(), members);
        const bool chosen = m_classSet->currentData().toString() == QLatin1String("chosen");
        m_classList->setEnabled(chosen);
        if (!chosen) // show what the choice means
            for (int i = 0; i < m_classList->count(); ++i) {
                QListWidgetItem *item = m_classList->item(i);
                const bool in = set.isEmpty()
                             || std::find(members.begin(), members.end(), item->text().toStdString()) != members.end();
                item->setCheckState(in ? Qt::Checked : Qt::Unchecked);
            }
        changed();
    });
    connect(m_classList, &QListWidget::itemChanged, this, [this] {
        if (m_classList->isEnabled())
            changed();
    });
}

void TrainingDataPage::changed()
{
    m_surveyReady = false;
    emit completeChanged();
    m_surveyTimer->start();
}

bool TrainingDataPage::isComplete() const
{
    return m_surveyReady && m_survey.error.isEmpty() && !m_survey.train.empty();
}

void TrainingDataPage::setFolder(const QString &folder)
{
    m_folder->setText(QDir::toNativeSeparators(folder));
    m_surveyTimer->stop();
    requestSurvey();
}

QString TrainingDataPage::root() const { return QDir::fromNativeSeparators(m_folder->text().trimmed()); }

QString TrainingDataPage::classSetName() const
{
    const QString set = m_classSet->currentData().toString();
    return set == QLatin1String("chosen") ? QString() : set;
}

QStringList TrainingDataPage::chosenClasses() const
{
    const QString set = m_classSet->currentData().toString();
    QStringList out;
    if (!m_classSet->isEnabled()) // the flat layout: no classes
        return out;
    if (set == QLatin1String("chosen")) {
        for (int i = 0; i < m_classList->count(); ++i)
            if (m_classList->item(i)->checkState() == Qt::Checked)
                out << m_classList->item(i)->text();
        if (out.isEmpty())
            out << QStringLiteral("\x01none"); // nothing ticked: matches no class
    } else if (!set.isEmpty()) {
        std::vector<std::string> members;
        paperClassSet(set.toStdString(), members);
        for (const std::string &name : members)
            out << q(name);
    }
    return out;
}

void TrainingDataPage::requestSurvey()
{
    const QString folder = root();
    if (folder.isEmpty()) {
        m_message->setText(tr("Choose the dataset's folder."));
        return;
    }
    const QStringList classes = chosenClasses();
    m_surveyKey = folder + QLatin1Char('\n') + classes.join(QLatin1Char('\n'));
    m_surveyReady = false;
    m_message->setText(tr("Looking at %1 ...").arg(QDir::toNativeSeparators(folder).toHtmlEscaped()));
    m_engine->surveyTraining(folder, classes)->onFinished<TrainingSurvey>(this, [this](const TrainingSurvey &survey) {
        onSurveyed(survey);
    });
}

void TrainingDataPage::onSurveyed(const TrainingSurvey &survey)
{
    // Only the answer to the question asked last.
    if (survey.root + QLatin1Char('\n') + survey.chosen.join(QLatin1Char('\n')) != m_surveyKey)
        return;
    m_survey = survey;
    m_surveyReady = true;
    // The class list: every class found, ticks kept.
    QSet<QString> ticked;
    for (int i = 0; i < m_classList->count(); ++i)
        if (m_classList->item(i)->checkState() == Qt::Checked)
            ticked.insert(m_classList->item(i)->text());
    const bool firstList = m_classList->count() == 0;
    QStringList names;
    for (const QString &name : survey.classes)
        if (!name.isEmpty())
            names << name;
    QStringList shown;
    for (int i = 0; i < m_classList->count(); ++i)
        shown << m_classList->item(i)->text();
    if (shown != names) {
        const QSignalBlocker block(m_classList);
        m_classList->clear();
        std::vector<std::string> members;
        paperClassSet(classSetName().toStdString(), members);
        for (const QString &name : names) {
            auto *item = new QListWidgetItem(name, m_classList);
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
            const bool in = m_classSet->currentData().toString() == QLatin1String("chosen")
                                ? (firstList || ticked.contains(name))
                                : (classSetName().isEmpty()
                                   || std::find(members.begin(), members.end(), name.toStdString()) != members.end());
            item->setCheckState(in ? Qt::Checked : Qt::Unchecked);
        }
    }
    m_classSet->setEnabled(!names.isEmpty() || m_survey.classes.isEmpty());
    m_classList->setEnabled(m_classSet->isEnabled() && m_classSet->currentData().toString() == QLatin1String("chosen"));
    // What is now shown may mean other classes than were asked about (a first list of classes,
    // a flat layout): ask again.
    if (survey.root + QLatin1Char('\n') + chosenClasses().join(QLatin1Char('\n')) != m_surveyKey) {
        requestSurvey();
        return;
    }
    showCounts();
    emit completeChanged();
}

void TrainingDataPage::showCounts()
{
    m_counts->setRowCount(0);
    if (!m_survey.error.isEmpty()) {
        m_message->setText(errorHtml(m_survey.error));
        return;
    }
    std::set<std::string> names;
    for (const auto &[name, count] : m_survey.train)
        names.insert(name);
    for (const auto &[name, count] : m_survey.validation)
        names.insert(name);
    int totals[4] = {0, 0, 0, 0};
    for (const std::string &name : names) {
        const auto train = m_survey.train.count(name) ? m_survey.train.at(name) : std::array<int, 2>{0, 0};
        const auto val = m_survey.validation.count(name) ? m_survey.validation.at(name) : std::array<int, 2>{0, 0};
        const int row = m_counts->rowCount();
        m_counts->insertRow(row);
        m_counts->setItem(row, 0, cell(className(name), false));
        const int values[4] = {train[0], train[1], val[0], val[1]};
        for (int c = 0; c < 4; ++c) {
            m_counts->setItem(row, c + 1, cell(QString::number(values[c])));
            totals[c] += values[c];
        }
    }
    if (names.size() > 1) {
        const int row = m_counts->rowCount();
        m_counts->insertRow(row);
        m_counts->setItem(row, 0, cell(tr("Total"), false));
        for (int c = 0; c < 4; ++c)
            m_counts->setItem(row, c + 1, cell(QString::number(totals[c])));
    }
    QString balance;
    if (totals[0] && totals[1] && (totals[0] > 2 * totals[1] || totals[1] > 2 * totals[0]))
        balance = tr(" The training set is unbalanced (%1 real, %2 fake): accuracy at 0.5 favours the larger side.")
                      .arg(totals[0])
                      .arg(totals[1]);
    m_message->setText(tr("%1 training and %2 validation images.%3 Real and fake are compared for file format, JPEG "
                          "quality and resolution when the images are read; any difference a detector could learn instead of "
                          "the generator is reported during training.")
                           .arg(totals[0] + totals[1])
                           .arg(totals[2] + totals[3])
                           .arg(balance));
}

} // namespace rine
