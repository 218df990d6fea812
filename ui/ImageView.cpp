#include "ImageView.h"

#include "ResultsModel.h"
#include "report/Pictures.h"

#include <QGraphicsPixmapItem>
#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QPixmap>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace rine {

ImageView::ImageView(QWidget *parent) : QGraphicsView(parent)
{
    setScene(new QGraphicsScene(this));
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setRenderHints(QPainter::SmoothPixmapTransform | QPainter::Antialiasing);
    setBackgroundBrush(palette().color(QPalette::Dark));
    setMinimumSize(320, 240);
}

void ImageView::clear()
{
    scene()->clear();
    m_picture = nullptr;
    m_regionItems.clear();
    m_regionLabels.clear();
    m_tileItems.clear();
    m_spaiItems.clear();
}

void ImageView::setImage(const QImage &image, const QTransform &toDisplay)
{
    clear();
    m_toDisplay = toDisplay;
    m_picture = scene()->addPixmap(QPixmap::fromImage(image));
    m_picture->setTransformationMode(Qt::SmoothTransformation);
    scene()->setSceneRect(m_picture->boundingRect());
    m_fitted = true;
    fitToWindow();
}

void ImageView::setRegions(const std::vector<CropRegion> &regions, const QStringList &labels, const QStringList &tooltips)
{
    qDeleteAll(m_regionItems);
    m_regionItems.clear();
    qDeleteAll(m_regionLabels);
    m_regionLabels.clear();
    for (std::size_t i = 0; i < regions.size(); ++i) {
        const CropRegion &region = regions[i];
        const QRectF rect = m_toDisplay.mapRect(QRectF(region.left, region.top, region.size, region.size));
        auto *outline = scene()->addRect(rect);
        QPen pen(QColor(0xff, 0xd0, 0x00), 2, Qt::DashLine);
        pen.setCosmetic(true);
        outline->setPen(pen);
        outline->setZValue(2);
        outline->setVisible(m_regionsVisible);
        outline->setToolTip(int(i) < tooltips.size() ? tooltips[int(i)]
                                                      : tr("The %1 x %1 pixels the model analysed (stored pixels from x "
                                                           "%2, y %3)")
                                                            .arg(region.size)
                                                            .arg(region.left)
                                                            .arg(region.top));
        m_regionItems << outline;
        if (int(i) < labels.size()) {
            // A number the size of the text whatever the zoom, on a dark patch so it reads on any picture.
            auto *label = scene()->addSimpleText(labels[int(i)]);
            label->setBrush(QColor(0xff, 0xd0, 0x00));
            label->setFlag(QGraphicsItem::ItemIgnoresTransformations);
            label->setPos(rect.topLeft());
            label->setZValue(3);
            label->setVisible(m_regionsVisible);
            auto *patch = scene()->addRect(label->boundingRect().adjusted(-2, -1, 2, 1), Qt::NoPen, QColor(0, 0, 0, 170));
            patch->setParentItem(label);
            patch->setFlag(QGraphicsItem::ItemStacksBehindParent);
            label->setToolTip(outline->toolTip());
            m_regionLabels << label;
        }
    }
}

void ImageView::clearTiles()
{
    qDeleteAll(m_tileItems);
    m_tileItems.clear();
}

void ImageView::setTiles(const TileScores &tiles, const VerdictRule &rule)
{
    clearTiles();
    const int columns = std::max(1, tiles.grid.columns);
    for (std::size_t i = 0; i < tiles.done && i < tiles.grid.tiles.size() && i < tiles.probabilities.size(); ++i) {
        const CropRegion &tile = tiles.grid.tiles[i];
        const double p = tiles.probabilities[i];
        int width = 0, height = 0;
        const CropRegion cell = tileCell(tiles.grid, i, width, height);
        const QRectF rect = m_toDisplay.mapRect(QRectF(cell.left, cell.top, width, height));
        auto *item = scene()->addRect(rect, Qt::NoPen, probabilityColour(p, 120));
        item->setZValue(1);
        item->setVisible(m_tilesVisible);
        item->setToolTip(tr("Tile row %1, column %2 (stored pixels from x %3, y %4): probability %5, %6")
                             .arg(int(i) / columns + 1)
                             .arg(int(i) % columns + 1)
                             .arg(tile.left)
                             .arg(tile.top)
                             .arg(p, 0, 'f', 4)
                             .arg(verdictName(rule.of(p)).toLower()));
        item->setData(0, p);
        item->setData(1, QRectF(tile.left, tile.top, tile.size, tile.size));
        m_tileItems << item;
    }
}

void ImageView::clearSpaiPatches()
{
    qDeleteAll(m_spaiItems);
    m_spaiItems.clear();
}

void ImageView::setSpaiPatches(const SpaiScore &score, const VerdictRule &rule)
{
    clearSpaiPatches();
    const SpaiLayout &layout = score.layout;
    const int storedWidth = layout.width - layout.padLeft - layout.padRight;
    const int storedHeight = layout.height - layout.padTop - layout.padBottom;
    double strongest = 0;
    for (const SpaiPatchScore &patch : score.patches)
        strongest = std::max(strongest, patch.attentionMean);
    const int side = 224; // SPAI's patch (SpaiConfig::imageSize)
    const int count = int(score.patches.size());
    for (int i = 0; i < count; ++i) {
        const SpaiPatchScore &patch = score.patches[std::size_t(i)];
        // Padded coordinates to stored ones, clipped: padding is not in the file.
        const QRectF stored = QRectF(patch.left - layout.padLeft, patch.top - layout.padTop, side, side)
                                  .intersected(QRectF(0, 0, storedWidth, storedHeight));
        const double solo = 1.0 / (1.0 + std::exp(-patch.soloLogit));
        const double weight = strongest > 0 ? patch.attentionMean / strongest : 0;
        QPen outline(QColor(255, 255, 255, 160), 1);
        outline.setCosmetic(true);
        auto *item = scene()->addRect(m_toDisplay.mapRect(stored), outline,
                                      probabilityColour(solo, 30 + int(std::lround(150 * weight))));
        item->setZValue(1.5);
        item->setVisible(m_spaiVisible);
        QString heads;
        for (double a : patch.attention)
            heads += (heads.isEmpty() ? QString() : QStringLiteral(", ")) + QString::number(a, 'f', 3);
        item->setToolTip(tr("SPAI patch %1 of %2 (stored pixels from x %3, y %4)\n"
                            "Attention weight %5 (mean over SPAI's %6 heads; %7 would be an even share)\n"
                            "This patch alone: logit %8, probability %9, %10\n"
                            "Per head: %11")
                             .arg(i + 1)
                             .arg(count)
                             .arg(int(stored.left()))
                             .arg(int(stored.top()))
                             .arg(patch.attentionMean, 0, 'f', 4)
                             .arg(patch.attention.size())
                             .arg(count > 0 ? 1.0 / count : 0.0, 0, 'f', 4)
                             .arg(patch.soloLogit, 0, 'f', 4)
                             .arg(solo, 0, 'f', 4)
                             .arg(verdictName(rule.of(solo)).toLower(), heads));
        item->setData(0, patch.attentionMean);
        item->setData(1, patch.soloLogit);
        item->setData(2, stored);
        m_spaiItems << item;
    }
}

void ImageView::setSpaiVisible(bool visible)
{
    m_spaiVisible = visible;
    for (QGraphicsItem *item : m_spaiItems)
        item->setVisible(visible);
}

int ImageView::tileCount() const { return int(m_tileItems.size()); }

void ImageView::setRegionsVisible(bool visible)
{
    m_regionsVisible = visible;
    for (QGraphicsItem *item : m_regionItems)
        item->setVisible(visible);
    for (QGraphicsItem *item : m_regionLabels)
        item->setVisible(visible);
}

void ImageView::setTilesVisible(bool visible)
{
    m_tilesVisible = visible;
    for (QGraphicsItem *item : m_tileItems)
        item->setVisible(visible);
}

void ImageView::zoomBy(double factor)
{
    const double next = std::clamp(zoom() * factor, 0.02, 64.0);
    m_fitted = false;
    setTransform(QTransform::fromScale(next, next));
}

void ImageView::fitToWindow()
{
    if (!m_picture)
        return;
    m_fitted = true;
    fitInView(m_picture, Qt::KeepAspectRatio);
}

void ImageView::wheelEvent(QWheelEvent *event)
{
    if (!m_picture)
        return;
    zoomBy(event->angleDelta().y() > 0 ? 1.25 : 0.8);
    event->accept();
}

void ImageView::resizeEvent(QResizeEvent *event)
{
    QGraphicsView::resizeEvent(event);
    if (m_fitted)
        fitToWindow();
}

} // namespace rine
