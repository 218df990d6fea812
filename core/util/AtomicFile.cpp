#include "AtomicFile.h"

#include <QFile>
#include <QSaveFile>

#include <cstdio>
#include <unistd.h>

namespace rine {

Result<bool> writeFileAtomically(const QString &path, const QByteArray &bytes)
{
    // A reader never sees half a file, and a failed write leaves the old one in place.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return Result<bool>::failure(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()).toStdString());
    return true;
}

QString copyFileAtomically(const QString &from, const QString &to)
{
    QFile in(from);
    if (!in.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot read %1: %2").arg(from, in.errorString());
    const QString temporary = to + QStringLiteral(".incoming-%1").arg(::getpid());
    QFile out(temporary);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QStringLiteral("cannot write %1: %2").arg(temporary, out.errorString());
    QByteArray chunk;
    bool ok = true;
    while (ok && !(chunk = in.read(8 << 20)).isEmpty())
        ok = out.write(chunk) == chunk.size();
    ok = ok && in.error() == QFileDevice::NoError && out.flush() && ::fsync(out.handle()) == 0;
    out.close();
    if (!ok || std::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(to).constData()) != 0) {
        QFile::remove(temporary);
        return QStringLiteral("cannot write %1 (disk full? read-only?)").arg(to);
    }
    return {};
}

QString moveFileAtomically(const QString &from, const QString &to)
{
    if (std::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) == 0)
        return {};
    if (const QString error = copyFileAtomically(from, to); !error.isEmpty())
        return error;
    QFile::remove(from);
    return {};
}

} // namespace rine
