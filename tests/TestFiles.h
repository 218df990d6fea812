#pragma once

// File helpers shared by the test suites.

#include <QByteArray>
#include <QFile>
#include <QString>
#include <QTemporaryDir>

namespace rine::test {

inline QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read test file %s", qPrintable(path));
    return file.readAll();
}

// Writes data to name inside dir and returns the path.
inline QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &data)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size())
        qFatal("cannot write test file %s", qPrintable(path));
    return path;
}

} // namespace rine::test
