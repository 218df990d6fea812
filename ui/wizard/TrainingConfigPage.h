#pragma once

#include "EngineTypes.h"

#include <QWizardPage>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace rine {

class EngineController;
class TrainingDataPage;

// The training wizard's second page: the published preset (the class set's, by default),
// epochs, batch, seed, early stopping, fast mode or training as published (the trade-off
// said, with the memory fast mode's features take), and where the head is written.
class TrainingConfigPage : public QWizardPage {
    Q_OBJECT

public:
    TrainingConfigPage(EngineController *engine, const TrainingDataPage *data, QWidget *parent = nullptr);

    QString outputPath() const; // absolute
    bool augment() const;
    int patience() const; // 0: no early stopping
    // The training job's parameters, from the data page's choices and this page's.
    TrainingParams params() const;

    void initializePage() override;
    bool isComplete() const override;

private:
    void updateTradeOff();

    EngineController *m_engine;
    const TrainingDataPage *m_data;
    QComboBox *m_preset;
    QSpinBox *m_epochs, *m_batch, *m_seed, *m_patience;
    QCheckBox *m_earlyStop;
    QRadioButton *m_fast, *m_augment;
    QLabel *m_tradeOff;
    QLineEdit *m_output;
    QLabel *m_message;
};

} // namespace rine
