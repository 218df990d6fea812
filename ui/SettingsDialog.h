#pragma once

#include "ResultsModel.h"
#include "model/Detector.h"
#include "scoring/ImageScorer.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace rine {

// What an analyst sets once and keeps (QSettings): the verdict rule, the preprocessing, the
// batch size, the backbone's precision, the detectors, and where new cases are created.
struct StudioSettings {
    VerdictRule rule;
    CropMode crop = CropMode::Center;
    int batchSize = 8;
    Precision precision = Precision::Standard; // the backbone's; a change reloads the model
    QString casesFolder;
    // Follow symlinks that lead outside the folder being scanned (off: listed, not followed).
    bool followLinksOutside = false;
    // Set active on the Models page; the command line's --backbone/--head win over these.
    QString activeBackbone;
    QString activeHead;
    // The detectors: RINE (on unless turned off with SPAI on: SPAI alone), SPAI when set, from
    // spaiWeights (empty: the model folder's spai.pth or $RINE_SPAI_WEIGHTS). The command line's
    // --spai-weights, --backbone and --head win.
    bool rine = true;
    bool spai = false;
    QString spaiWeights;

    static StudioSettings load();
    void save() const;
};

class SettingsDialog : public QDialog {
    Q_OBJECT

public:
    explicit SettingsDialog(const StudioSettings &settings, QWidget *parent = nullptr);
    StudioSettings settings() const;

private:
    StudioSettings m_base; // what the dialog does not edit is kept
    QDoubleSpinBox *m_threshold, *m_band;
    QComboBox *m_crop, *m_precision;
    QSpinBox *m_batch;
    QLineEdit *m_cases, *m_spaiWeights;
    QCheckBox *m_followOutside, *m_rine, *m_spai;
};

} // namespace rine
