#pragma once

#include "EngineTypes.h"
#include "Job.h"
#include "ResultsModel.h"

#include <QPointer>
#include <QWidget>

#include <optional>

class QComboBox;

class QCheckBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTextBrowser;

namespace rine {

class BlockChart;
class ImageView;

// One image, and why it scored as it did: the picture with the analysed region outlined,
// the probability and verdict, the head's learned block importance next to this image's
// block contributions, a tile heat map on request, and the facts of the file.
class InspectPage : public QWidget {
    Q_OBJECT

public:
    explicit InspectPage(QWidget *parent = nullptr);

    void setRule(VerdictRule rule);
    void showPending(const QString &path, const QString &why);
    // stored: the case's record of this file, when it was opened from a scan.
    void showResult(const InspectResult &result, const std::optional<FileReport> &stored);
    // The tile map job of the image shown: drawn as it comes, cancelled by the page's button.
    void followTiles(Job *job);
    void setModelReady(bool ready);
    // RINE is loaded (the default); without it (SPAI alone) its region, tile map and block
    // charts are hidden.
    void setRine(bool rine);

    const InspectResult &result() const { return m_result; }
    ImageView *view() const { return m_view; }
    BlockChart *importanceChart() const { return m_importance; }
    BlockChart *contributionChart() const { return m_contributions; }

signals:
    void tilesRequested();
    void robustnessRequested();

private:
    void showContributions(); // of the image, or of the TextureCrop window chosen
    void updateVerdict();
    void updateSpaiVerdict();
    void showTiles(const TileScores &scores, bool finished, const QString &error = {});
    QString factsHtml(const InspectResult &result, const std::optional<FileReport> &stored) const;

    InspectResult m_result;
    VerdictRule m_rule;
    QPointer<Job> m_tilesJob;
    bool m_tilesRunning = false;
    bool m_modelReady = false;
    TileScores m_tiles;
    QLabel *m_title;
    QLabel *m_verdict;
    QLabel *m_spaiVerdict; // SPAI's, when SPAI is loaded
    QLabel *m_record;
    ImageView *m_view;
    QWidget *m_charts; // RINE's block charts
    QCheckBox *m_showRegion;
    QCheckBox *m_showTiles;
    QCheckBox *m_showSpai;
    QPushButton *m_tilesButton;
    QPushButton *m_robustnessButton;
    QProgressBar *m_tilesProgress;
    BlockChart *m_importance;
    BlockChart *m_contributions;
    QComboBox *m_contributionOf; // TextureCrop: the image or one of its windows
    QTextBrowser *m_facts;
};

} // namespace rine
