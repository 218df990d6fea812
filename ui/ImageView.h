#pragma once

#include "image/ImageDecoder.h"
#include "model/SpaiDetector.h"
#include "scoring/TileMap.h"

#include <QGraphicsView>
#include <QTransform>

#include <vector>

class QGraphicsRectItem;
class QGraphicsPixmapItem;

namespace rine {

struct VerdictRule;

// The picture under examination with zoom (wheel, buttons) and pan (drag), the region the
// model analysed outlined on it, and the tile map as a semi-transparent heat map whose tiles
// tell their scores on hover. Overlays are given in stored pixel coordinates and drawn
// through the same transform as the picture (EXIF orientation, display scaling).
class ImageView : public QGraphicsView {
    Q_OBJECT

public:
    explicit ImageView(QWidget *parent = nullptr);

    void setImage(const QImage &image, const QTransform &toDisplay);
    void clear();
    // labels: drawn at each region's top-left corner (TextureCrop's ranks); tooltips replace
    // the default one. Either may be empty.
    void setRegions(const std::vector<CropRegion> &regions, const QStringList &labels = {},
                    const QStringList &tooltips = {});
    void setTiles(const TileScores &tiles, const VerdictRule &rule);
    void clearTiles();
    // SPAI's patches: each filled with the colour of its own score alone, as opaque as its
    // attention weight is high, its numbers on hover. Patches are given in the padded image
    // SPAI scored (score.layout) and drawn clipped to the stored pixels they cover.
    void setSpaiPatches(const SpaiScore &score, const VerdictRule &rule);
    void clearSpaiPatches();
    void setSpaiVisible(bool visible);
    const QList<QGraphicsRectItem *> &spaiItems() const { return m_spaiItems; }
    void setRegionsVisible(bool visible);
    void setTilesVisible(bool visible);

    int tileCount() const; // tiles drawn
    const QList<QGraphicsRectItem *> &tileItems() const { return m_tileItems; }
    const QList<QGraphicsRectItem *> &regionItems() const { return m_regionItems; }

    void zoomBy(double factor);
    void fitToWindow();
    double zoom() const { return transform().m11(); }

protected:
    void wheelEvent(QWheelEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    QGraphicsPixmapItem *m_picture = nullptr;
    QList<QGraphicsRectItem *> m_regionItems, m_tileItems, m_spaiItems;
    QList<QGraphicsItem *> m_regionLabels;
    bool m_regionsVisible = true, m_tilesVisible = true, m_spaiVisible = true;
    QTransform m_toDisplay;
    bool m_fitted = true;
};

} // namespace rine
