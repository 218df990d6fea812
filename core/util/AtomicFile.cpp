#include "AtomicFile.h"

#include <QSaveFile>

namespace rine {

Result<bool> writeFileAtomically(const QString &path, const QByteArray &bytes)
{
    // A reader never sees half a file, and a failed write leaves the old one in place.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return Result<bool>::failure(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()).toStdString());
    return true;
}

} // namespace rine
