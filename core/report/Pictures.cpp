#include "Pictures.h"

#include "image/ImageFacts.h"

#include <algorithm>
#include <cstring>

namespace rine {

QImage toQImage(const RgbImage &rgb)
{
    QImage image(rgb.width, rgb.height, QImage::Format_RGB888);
    if (image.isNull())
        return image;
    for (int y = 0; y < rgb.height; ++y)
        std::memcpy(image.scanLine(y), rgb.pixels.data() + std::size_t(y) * std::size_t(rgb.width) * 3,
                    std::size_t(rgb.width) * 3);
    return image;
}

QTransform uprightTransform(int exifOrientation, int width, int height)
{
    const Orientation upright = orientationTransform(exifOrientation);
    QTransform turn;
    if (upright.mirror)
        turn.scale(-1, 1);
    turn.rotate(upright.degrees);
    return QImage::trueMatrix(turn, width, height);
}

QImage uprightThumbnail(const DecodedImage &decoded, const FileBytes &bytes, int side)
{
    // Scaled first (twice the size, for a smooth second step), turned, then to size.
    const QImage small = toQImage(decoded.rgb).scaled(side * 2, side * 2, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    const int orientation = readImageFacts(bytes.data.data(), bytes.data.size()).orientation;
    return small.transformed(uprightTransform(orientation, small.width(), small.height()))
        .scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

QColor probabilityColour(double p, int alpha)
{
    p = std::clamp(p, 0.0, 1.0);
    const QColor blue(0x21, 0x66, 0xac), white(0xf7, 0xf7, 0xf7), red(0xb2, 0x18, 0x2b);
    const QColor &from = p < 0.5 ? blue : white;
    const QColor &to = p < 0.5 ? white : red;
    const double t = p < 0.5 ? p / 0.5 : (p - 0.5) / 0.5;
    return QColor(int(from.red() + t * (to.red() - from.red())), int(from.green() + t * (to.green() - from.green())),
                  int(from.blue() + t * (to.blue() - from.blue())), alpha);
}

QColor verdictColour(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Fake: return QColor(0xc0, 0x1f, 0x1f);
    case Verdict::Real: return QColor(0x1b, 0x7a, 0x2e);
    case Verdict::Inconclusive: return QColor(0xa8, 0x6a, 0x00);
    case Verdict::None: break;
    }
    return QColor(Qt::gray);
}

} // namespace rine
