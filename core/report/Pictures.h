#pragma once

#include "image/ImageDecoder.h"
#include "report/Verdict.h"

#include <QColor>
#include <QImage>
#include <QTransform>

namespace rine {

// Decoded pixels as a QImage (a copy).
QImage toQImage(const RgbImage &rgb);

// The transform from stored pixel coordinates to the upright picture for an EXIF orientation
// (translation included: it maps the stored image onto [0, w') x [0, h')).
QTransform uprightTransform(int exifOrientation, int width, int height);

// A small upright picture (EXIF orientation from the file's bytes applied), at most side
// pixels on its longer side.
QImage uprightThumbnail(const DecodedImage &decoded, const FileBytes &bytes, int side);

// A colour for a probability, as heat maps of a two-sided quantity are read: blue (real)
// through white (0.5) to red (generated).
QColor probabilityColour(double probability, int alpha = 255);

// The colour a verdict is written in everywhere (tables, pages, previews): red fake, green
// real, amber inconclusive, grey not scored.
QColor verdictColour(Verdict verdict);

} // namespace rine
