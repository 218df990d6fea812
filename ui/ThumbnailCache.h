#pragma once

#include <QCache>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QThreadPool>

namespace rine {

// Small pictures of evidence files for the results table, made lazily (only for rows the
// view shows) on a pool of background threads with the same bounded decoder as the scan,
// never on the GUI thread. Files are opened read-only.
class ThumbnailCache : public QObject {
    Q_OBJECT

public:
    explicit ThumbnailCache(int side = 48, QObject *parent = nullptr);
    ~ThumbnailCache() override;

    int side() const { return m_side; }
    // The thumbnail when it is made; otherwise a null image, and it is requested (once).
    QImage get(const QString &path);

signals:
    void ready(const QString &path);

private:
    int m_side;
    QThreadPool m_pool;
    QCache<QString, QImage> m_cache;
    QSet<QString> m_pending, m_failed;
};

} // namespace rine
