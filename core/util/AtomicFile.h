#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QString>

namespace rine {

// Writes a file atomically (QSaveFile): all of it, or the old file (or none) stays.
Result<bool> writeFileAtomically(const QString &path, const QByteArray &bytes);

// Copies a file to `to` so that `to` is either absent or whole: a temporary file in its
// folder, written in chunks, flushed to disk, then renamed over it. "" or the error.
QString copyFileAtomically(const QString &from, const QString &to);

// Moves a file (a case database written on scratch space) to `to`: rename() when both are on
// one file system; else copyFileAtomically, then the original is removed. "" or the error.
QString moveFileAtomically(const QString &from, const QString &to);

} // namespace rine
