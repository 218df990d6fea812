#pragma once

#include "image/ImageDecoder.h"

#include <QImage>
#include <QTransform>

namespace rine {

// Decoded pixels as a QImage (a copy).
QImage toQImage(const RgbImage &rgb);

// The transform from stored pixel coordinates to the upright picture for an EXIF orientation
// (translation included: it maps the stored image onto [0, w') x [0, h')).
QTransform uprightTransform(int exifOrientation, int width, int height);

} // namespace rine
