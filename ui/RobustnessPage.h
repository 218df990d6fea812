#pragma once

#include "EngineTypes.h"
#include "Job.h"
#include "report/Verdict.h"

#include <QPointer>
#include <QWidget>

#include <array>
#include <memory>

class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace rine {

class SweepChart;

// Where the verdict on one image breaks: the image is re-encoded, blurred, cropped, noised
// and resized at a series of strengths, every version is scored (in batches, on the worker),
// and the page shows a grid of what was scored with each score coloured by verdict, and a
// chart of probability against strength with the threshold and the inconclusive band.
// Opened from Inspect for the image shown there.
class RobustnessPage : public QWidget {
    Q_OBJECT

public:
    explicit RobustnessPage(QWidget *parent = nullptr);

    // The image to sweep (Inspect's result); clears the previous sweep.
    void setImage(const InspectResult &image);
    void setRule(VerdictRule rule);
    void setModel(bool ready, const ModelInfo &info);
    // SPAI, when loaded: the page can sweep with it instead of RINE (the detector choice).
    // rine false: SPAI alone is loaded; the sweep is SPAI's.
    void setSpai(std::shared_ptr<const SpaiDetector> spai, bool rine = true);
    bool sweepsWithSpai() const; // the detector chosen for the next sweep
    void setRunning(bool running);
    // The sweep job of the image shown: its progress and end are shown here, and the page's
    // button cancels it. A new image (setImage) cancels and drops it.
    void followSweep(Job *job);

    // The plan the controls describe, or an error naming the field ("JPEG: ...").
    Result<SweepPlan> plan() const;
    void choosePreset(const QString &name); // "paper" or "fine"
    std::uint64_t seed() const;
    const QString &imagePath() const { return m_path; }
    const QString &imageSha256() const { return m_sha256; }
    bool hasSweep() const { return m_hasSweep; }
    const SweepResult &sweep() const { return m_sweep; }
    SweepChart *chart() const { return m_chart; }
    // Writes the sweep as rine-cli robustness --json writes it (atomically).
    bool saveJson(const QString &path, QString &error) const;

signals:
    void runRequested(); // read plan() and seed()

private:
    void showSweep();
    void showProgress(const SweepUpdate &update, bool finished, const QString &error = {});
    void clearPreviews();
    void updateButtons();
    QWidget *previewTile(const QImage &picture, const QString &caption, double probability, const QString &tooltip,
                         bool flip);

    struct KindRow {
        PerturbationKind kind;
        QCheckBox *use;
        QLineEdit *strengths;
    };
    QString m_path, m_sha256;
    VerdictRule m_rule;
    ModelInfo m_model;
    std::shared_ptr<const SpaiDetector> m_spai, m_sweepSpai; // loaded; the one m_sweep was made with
    bool m_modelReady = false, m_running = false, m_hasSweep = false;
    QPointer<Job> m_sweepJob;
    SweepResult m_sweep;
    SweepPlan m_sweepPlan; // the plan m_sweep was made with
    std::uint64_t m_sweepSeed = 0;
    QImage m_baseline;
    QList<QList<QImage>> m_previews;

    QLabel *m_title;
    QLabel *m_summary;
    QComboBox *m_preset;
    QComboBox *m_detector; // RINE or SPAI
    std::array<KindRow, 5> m_kinds;
    QCheckBox *m_resize;
    QSpinBox *m_seed;
    QPushButton *m_run;
    QPushButton *m_save;
    QProgressBar *m_progress;
    SweepChart *m_chart;
    QWidget *m_grid;
    QGridLayout *m_gridLayout;
};

} // namespace rine
