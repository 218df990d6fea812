#pragma once

#include "EngineTypes.h"

#include <QWizardPage>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QTableWidget;
class QTimer;

namespace rine {

class EngineController;

// The training wizard's first page: the dataset's folder (train/ and val/, ProGAN or flat
// layout), the classes (every class, the paper's 1-, 2- or 4-class sets, or chosen by hand),
// and the images counted per class, split and label by a survey job on the training thread.
class TrainingDataPage : public QWizardPage {
    Q_OBJECT

public:
    TrainingDataPage(EngineController *engine, QWidget *parent = nullptr);

    void setFolder(const QString &folder); // and survey it at once
    QString root() const;
    QStringList chosenClasses() const; // empty: every class
    QString classSetName() const; // "1-class", "2-class", "4-class", or empty
    const TrainingSurvey &survey() const { return m_survey; }
    bool surveyed() const { return m_surveyReady; }

    bool isComplete() const override;

private:
    void changed(); // a choice changed: survey again shortly
    void requestSurvey();
    void onSurveyed(const TrainingSurvey &survey);
    void showCounts();

    EngineController *m_engine;
    QLineEdit *m_folder;
    QComboBox *m_classSet;
    QListWidget *m_classList;
    QTableWidget *m_counts;
    QLabel *m_message;
    QTimer *m_surveyTimer;
    TrainingSurvey m_survey;
    QString m_surveyKey; // root and classes of the survey asked for last
    bool m_surveyReady = false;
};

} // namespace rine
