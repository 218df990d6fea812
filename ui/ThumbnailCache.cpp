#include "ThumbnailCache.h"

#include "image/ImageDecoder.h"
#include "image/ImageFacts.h"
#include "report/Pictures.h"

#include <QGuiApplication>
#include <QTransform>

#include <cstring>

namespace rine {

namespace {

QImage makeThumbnail(const QString &path, int side)
{
    FileBytes bytes;
    DecodeLimits limits;
    limits.maxPixels = 100ull << 20; // thumbnails are not worth more than this
    auto decoded = readImage(path.toStdString(), bytes, limits);
    if (!decoded)
        return {};
    return uprightThumbnail(decoded.value(), bytes, side);
}

} // namespace

ThumbnailCache::ThumbnailCache(int side, QObject *parent) : QObject(parent), m_side(side), m_cache(4000)
{
    // Two threads: thumbnails must not take the cores the scan's decoders and model need.
    m_pool.setMaxThreadCount(2);
}

ThumbnailCache::~ThumbnailCache()
{
    m_pool.clear();
    m_pool.waitForDone();
}

QImage ThumbnailCache::get(const QString &path)
{
    if (QImage *image = m_cache.object(path))
        return *image;
    if (m_pending.contains(path) || m_failed.contains(path))
        return {};
    m_pending.insert(path);
    // Sharp on high-density screens: made at the screen's pixel ratio.
    const double ratio = qApp ? qApp->devicePixelRatio() : 1.0;
    const int side = int(m_side * ratio);
    m_pool.start([this, path, side, ratio] {
        QImage image = makeThumbnail(path, side);
        image.setDevicePixelRatio(ratio);
        QMetaObject::invokeMethod(this, [this, path, image] {
            m_pending.remove(path);
            if (image.isNull()) {
                m_failed.insert(path);
                return;
            }
            m_cache.insert(path, new QImage(image));
            emit ready(path);
        }, Qt::QueuedConnection);
    });
    return {};
}

} // namespace rine
