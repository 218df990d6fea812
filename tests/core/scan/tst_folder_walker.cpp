// The folder walk: patterns, symlinks, loops, special files and missing roots, each
// reported and none fatal; nothing is opened.

#include "scan/FolderWalker.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <sys/stat.h>

using namespace rine;

class TestFolderWalker : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_root;

    void touch(const QString &relative)
    {
        QDir().mkpath(QFileInfo(m_root + "/" + relative).path());
        QFile file(m_root + "/" + relative);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("x");
    }

    QStringList walked(const WalkOptions &options, std::map<QString, QString> *events = nullptr,
                       const std::vector<std::string> &roots = {})
    {
        const WalkResult result = FolderWalker(options).walk(roots.empty() ? std::vector<std::string>{m_root.toStdString()} : roots);
        QStringList files;
        for (const WalkEntry &entry : result.files)
            files << QDir(m_root).relativeFilePath(QString::fromStdString(entry.path));
        if (events)
            for (const WalkEvent &event : result.events)
                (*events)[QDir(m_root).relativeFilePath(QString::fromStdString(event.path))] =
                    QString::fromLatin1(walkEventName(event.kind));
        return files;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_root = m_dir.filePath("root");
        touch("b.png");
        touch("a.jpg");
        touch("notes.txt");
        touch("cache/thumb.png");
        touch("deep/er/c.png");
        touch("deep/er/d.jpg");
        QVERIFY(::mkfifo(QFile::encodeName(m_root + "/pipe.png").constData(), 0644) == 0);
        QVERIFY(QFile::link(m_root + "/nowhere", m_root + "/dangling.png"));
        QVERIFY(QFile::link(m_root + "/deep", m_root + "/shortcut")); // a second way into deep/
    }

    void walkOrderInterleavesSeparateListsAsOneWalk()
    {
        // What merging shards relies on: the order of any two paths is the walk's, written
        // out by hand: roots in the order given, a folder's files before its subfolders,
        // names in byte order ("B" < "a"), a file given as a root where that root comes.
        const std::vector<std::string> roots{"/ev/second", "/ev/first/", "/ev/single.png"};
        const std::vector<std::string> expected{
            "/ev/second/z.png",   "/ev/second/a/b.png", "/ev/first/B.png",       "/ev/first/a.png",
            "/ev/first/zz.png",   "/ev/first/a/x.png",  "/ev/first/a/y/deep.png", "/ev/first/a.d/q.png",
            "/ev/first/b/a.png",  "/ev/single.png"};
        for (std::size_t i = 0; i < expected.size(); ++i)
            for (std::size_t j = 0; j < expected.size(); ++j)
                QVERIFY2(walkOrderBefore(expected[i], expected[j], roots) == (i < j),
                         (expected[i] + " / " + expected[j]).c_str());
        // And it agrees with a walk of this folder.
        const WalkResult result = FolderWalker({}).walk({m_root.toStdString()});
        for (std::size_t i = 1; i < result.files.size(); ++i)
            QVERIFY(walkOrderBefore(result.files[i - 1].path, result.files[i].path, {m_root.toStdString()}));
    }

    void walksInNameOrderAndReportsWhatItSkips()
    {
        std::map<QString, QString> events;
        const QStringList files = walked({}, &events);
        // Files of a folder first, then its subfolders, names sorted; deep/ once only.
        QCOMPARE(files, (QStringList{"a.jpg", "b.png", "notes.txt", "cache/thumb.png", "deep/er/c.png", "deep/er/d.jpg"}));
        QCOMPARE(events["pipe.png"], QStringLiteral("special_file")); // never opened: a FIFO would block
        QCOMPARE(events["dangling.png"], QStringLiteral("dangling_symlink"));
        QCOMPARE(events["shortcut"], QStringLiteral("already_visited"));
        QCOMPARE(events.size(), std::size_t(3));
    }

    void patternsSelectFilesAndPruneFolders()
    {
        WalkOptions options;
        options.include = {"*.png"};
        QCOMPARE(walked(options), (QStringList{"b.png", "cache/thumb.png", "deep/er/c.png"}));
        options.exclude = {"cache"};
        std::map<QString, QString> events;
        QCOMPARE(walked(options, &events), (QStringList{"b.png", "deep/er/c.png"}));
        QCOMPARE(events["cache"], QStringLiteral("excluded"));
        WalkOptions onPath;
        onPath.include = {"deep/*/*.jpg"}; // with '/': matched against the path under the root
        QCOMPARE(walked(onPath), (QStringList{"deep/er/d.jpg"}));
    }

    void symlinksCanBeLeftAlone()
    {
        WalkOptions options;
        options.followSymlinks = false;
        std::map<QString, QString> events;
        walked(options, &events);
        QCOMPARE(events["shortcut"], QStringLiteral("special_file"));
        QCOMPARE(events["dangling.png"], QStringLiteral("special_file"));
    }

    void linksOutOfTheRootsAreEventsUnlessAsked()
    {
        // photos -> / would scan the machine into the case (issue 19): a link whose target is
        // outside every root is reported, not walked, unless following such links is asked.
        QTemporaryDir elsewhere, evidence;
        const QString outside = elsewhere.filePath("private");
        QDir().mkpath(outside);
        QFile secret(outside + "/secret.png");
        QVERIFY(secret.open(QIODevice::WriteOnly));
        secret.write("x");
        secret.close();
        const QString root = evidence.filePath("case");
        QDir().mkpath(root + "/inner");
        QFile inner(root + "/inner/kept.png");
        QVERIFY(inner.open(QIODevice::WriteOnly));
        inner.write("x");
        inner.close();
        QVERIFY(QFile::link(outside, root + "/photos")); // a folder outside
        QVERIFY(QFile::link(outside + "/secret.png", root + "/linked.png")); // a file outside
        QVERIFY(QFile::link("/", root + "/everything"));
        QVERIFY(QFile::link(root + "/inner", root + "/alias")); // inside: still followed
        QVERIFY(QFile::link("inner/kept.png", root + "/relative.png")); // inside, relative
        const auto walk = [&](bool followOutside, std::map<QString, QString> &events) {
            WalkOptions options;
            options.followOutsideRoots = followOutside;
            const WalkResult result = FolderWalker(options).walk({root.toStdString()});
            QStringList files;
            for (const WalkEntry &entry : result.files)
                files << QDir(root).relativeFilePath(QString::fromStdString(entry.path));
            for (const WalkEvent &event : result.events)
                events[QDir(root).relativeFilePath(QString::fromStdString(event.path))] =
                    QString::fromLatin1(walkEventName(event.kind));
            return files;
        };
        std::map<QString, QString> events;
        QStringList files = walk(false, events);
        QCOMPARE(files, (QStringList{"relative.png", "alias/kept.png"})); // inner/ is alias/, walked once
        QCOMPARE(events["inner"], QStringLiteral("already_visited"));
        QCOMPARE(events["photos"], QStringLiteral("outside_roots"));
        QCOMPARE(events["linked.png"], QStringLiteral("outside_roots"));
        QCOMPARE(events["everything"], QStringLiteral("outside_roots"));
        events.clear();
        QVERIFY(QFile::remove(root + "/everything")); // the rest of the machine is not this test's
        files = walk(true, events);
        QVERIFY(files.contains(QStringLiteral("photos/secret.png")));
        QVERIFY(files.contains(QStringLiteral("linked.png")));
        QVERIFY(!events.count("photos"));
    }

    void rootsMayBeFilesOrMissing()
    {
        std::map<QString, QString> events;
        const QStringList files = walked({}, &events,
                                         {(m_root + "/a.jpg").toStdString(), (m_root + "/gone").toStdString(),
                                          (m_root + "/deep").toStdString(), (m_root + "/deep/").toStdString()});
        QCOMPARE(files, (QStringList{"a.jpg", "deep/er/c.png", "deep/er/d.jpg"}));
        QCOMPARE(events["gone"], QStringLiteral("missing_root"));
        QCOMPARE(events["deep"], QStringLiteral("already_visited")); // the same root twice
    }
};

QTEST_GUILESS_MAIN(TestFolderWalker)
#include "tst_folder_walker.moc"
