#pragma once

// An evidence folder of the kind analysts receive: images, duplicates, non-images, broken and
// hostile files, an unreadable file and folder, symlink loops. Built fresh by each test.

#include "TestFiles.h"

#include <QDir>
#include <QFile>
#include <QMap>
#include <QString>

#include <sys/stat.h>

namespace rine::test {

struct HostileFolder {
    QString root;
    // Every regular file the walk should list, relative to root, with the status it must end
    // with (scored, degraded, failed, unsupported) and, for reference images, their name in
    // reference.json.
    struct Expected {
        QString status;
        QString reference; // reference image name, empty for others
        QString errorContains;
    };
    QMap<QString, Expected> files;
    int distinctImages = 0;

    // Permissions are restored so that QTemporaryDir can remove everything.
    void restorePermissions() const
    {
        ::chmod(QFile::encodeName(root + "/sealed").constData(), 0755);
        ::chmod(QFile::encodeName(root + "/locked.png").constData(), 0644);
    }
};

inline HostileFolder makeHostileFolder(const QString &root, const QString &referenceImages)
{
    HostileFolder folder;
    folder.root = root;
    QDir dir(root);
    dir.mkpath(QStringLiteral("sub"));
    dir.mkpath(QStringLiteral("x.jpg")); // a folder named like an image
    dir.mkpath(QStringLiteral("sealed"));
    auto put = [&](const QString &relative, const QByteArray &bytes, const QString &status,
                   const QString &reference = {}, const QString &error = {}) {
        QFile file(root + "/" + relative);
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
            qFatal("cannot write %s", qPrintable(relative));
        folder.files.insert(relative, {status, reference, error});
    };
    for (const QString &name : QDir(referenceImages).entryList(QDir::Files, QDir::Name)) {
        // logo.png has an alpha channel, dropped as PIL does: scored with a warning.
        put(name, readAll(referenceImages + "/" + name),
            name == QLatin1String("logo.png") ? QStringLiteral("degraded") : QStringLiteral("scored"), name);
        ++folder.distinctImages;
    }
    const QByteArray jpeg = readAll(referenceImages + "/aadlygmazf.jpg");
    put(QStringLiteral("sub/copy of evidence.jpg"), jpeg, QStringLiteral("scored"), QStringLiteral("aadlygmazf.jpg"));
    put(QStringLiteral("x.jpg/camera again.png"), readAll(referenceImages + "/camera.png"), QStringLiteral("scored"),
        QStringLiteral("camera.png"));
    put(QStringLiteral("empty.jpg"), {}, QStringLiteral("failed"), {}, QStringLiteral("empty file"));
    put(QStringLiteral("notes.jpg"), "not a picture\n", QStringLiteral("unsupported"), {},
        QStringLiteral("named like an image"));
    put(QStringLiteral("readme.txt"), "case notes\n", QStringLiteral("unsupported"), {}, QStringLiteral("not an image"));
    // A name a spreadsheet would run as a formula if an export did not neutralise it.
    put(QStringLiteral("=HYPERLINK(1).png"), "x", QStringLiteral("unsupported"), {}, QStringLiteral("named like an image"));
    put(QStringLiteral("cut.jpg"), jpeg.left(jpeg.size() * 6 / 10), QStringLiteral("failed"), {},
        QStringLiteral("truncated"));
    put(QStringLiteral("bomb.png"), pngDeclaring(100000, 100000), QStringLiteral("failed"), {},
        QStringLiteral("over the limit"));
    put(QStringLiteral("locked.png"), readAll(referenceImages + "/block.png"), QStringLiteral("failed"), {},
        QStringLiteral("Permission denied"));
    ::chmod(QFile::encodeName(root + "/locked.png").constData(), 0);
    QFile(root + "/sealed/hidden.png").open(QIODevice::WriteOnly);
    ::chmod(QFile::encodeName(root + "/sealed").constData(), 0);
    QFile::link(QStringLiteral(".."), root + "/sub/up"); // leads back to root
    QFile::link(root + "/sub/b", root + "/sub/a"); // a -> b -> a
    QFile::link(root + "/sub/a", root + "/sub/b");
    return folder;
}

} // namespace rine::test
