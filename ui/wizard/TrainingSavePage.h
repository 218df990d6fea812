#pragma once

#include <QWizardPage>

class QCheckBox;
class QLabel;

namespace rine {

class TrainingConfigPage;
class TrainingRunPage;

// The training wizard's last page: where the head and its model card are, with the head's
// SHA-256, a copy elsewhere, and whether to make it the active head on Finish.
class TrainingSavePage : public QWizardPage {
    Q_OBJECT

public:
    TrainingSavePage(const TrainingConfigPage *config, const TrainingRunPage *run, QWidget *parent = nullptr);

    bool activate() const;

    void initializePage() override;

private:
    void saveCopy();

    const TrainingConfigPage *m_config;
    const TrainingRunPage *m_run;
    QLabel *m_saved;
    QCheckBox *m_activate;
};

} // namespace rine
