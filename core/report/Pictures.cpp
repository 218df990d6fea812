#include "Pictures.h"

#include "image/ImageFacts.h"

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

} // namespace rine
