#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QString>

namespace rine {

// Writes a file atomically (QSaveFile): all of it, or the old file (or none) stays.
Result<bool> writeFileAtomically(const QString &path, const QByteArray &bytes);

} // namespace rine
