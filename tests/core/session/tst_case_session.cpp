// CaseSession: one writer per case across processes, received cases only read until adopted.

#include "CaseLockHolder.h"
#include "session/CaseSession.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace rine;

class TestCaseSession : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    QString casePath(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)); }

    static void create(const QString &path)
    {
        auto session = CaseSession::open(path, CaseSession::Access::Write, {true, QStringLiteral("a case")});
        QVERIFY2(session, session ? "" : session.error().c_str());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qputenv("RINE_INSTALLATION_ID", "11111111111111111111111111111111");
    }

    void writersHoldTheLock()
    {
        const QString path = casePath("mine.sqlite");
        auto writer = CaseSession::open(path, CaseSession::Access::Write, {true, QStringLiteral("mine")});
        QVERIFY2(writer, writer ? "" : writer.error().c_str());
        QVERIFY(writer.value()->writable());
        QVERIFY(QFile::exists(path + QStringLiteral(".lock")));
        QCOMPARE(writer.value()->database().caseName(), QStringLiteral("mine"));

        auto second = CaseSession::open(path, CaseSession::Access::Write);
        QVERIFY(!second);
        QVERIFY2(QString::fromStdString(second.error()).contains(QStringLiteral("in use by another process")),
                 second.error().c_str());
        // Reading needs no lock.
        auto reader = CaseSession::open(path, CaseSession::Access::Read);
        QVERIFY2(reader, reader ? "" : reader.error().c_str());
        QVERIFY(!reader.value()->writable());

        writer.value().reset();
        QVERIFY(!QFile::exists(path + QStringLiteral(".lock")));
        QVERIFY(CaseSession::open(path, CaseSession::Access::Write));
    }

    void anotherProcessScanningKeepsEveryWriterOut()
    {
        const QString path = casePath("busy.sqlite");
        create(path);
        test::CaseLockHolder holder(path);
        QVERIFY(holder.locked());
        for (CaseSession::Access access : {CaseSession::Access::Write, CaseSession::Access::Adopt}) {
            auto writer = CaseSession::open(path, access);
            QVERIFY(!writer);
            const QString error = QString::fromStdString(writer.error());
            QVERIFY2(error.contains(QStringLiteral("in use by another process")), qPrintable(error));
            QVERIFY2(error.contains(QString::number(holder.pid())), qPrintable(error));
        }
        // The case is ours and intact, so using it means writing to it: refused, not downgraded.
        QVERIFY(!CaseSession::openForUse(path, false));
        auto reader = CaseSession::open(path, CaseSession::Access::Read);
        QVERIFY2(reader, reader ? "" : reader.error().c_str());
    }

    void receivedCaseIsOnlyReadUntilAdopted()
    {
        const QString path = casePath("received.sqlite");
        create(path);
        qputenv("RINE_INSTALLATION_ID", "22222222222222222222222222222222");
        {
            auto used = CaseSession::openForUse(path, false);
            QVERIFY2(used, used ? "" : used.error().c_str());
            QVERIFY(!used.value()->writable());
            QVERIFY2(used.value()->readOnlyReason().contains(QStringLiteral("adopt"), Qt::CaseInsensitive),
                     qPrintable(used.value()->readOnlyReason()));
            QVERIFY(!QFile::exists(path + QStringLiteral(".lock"))); // nothing writes, nothing locks
            QVERIFY(!CaseSession::open(path, CaseSession::Access::Write));
        }
        {
            auto adopted = CaseSession::openForUse(path, true);
            QVERIFY2(adopted, adopted ? "" : adopted.error().c_str());
            QVERIFY(adopted.value()->writable());
            auto log = adopted.value()->database().auditLog();
            QVERIFY(log && !log->empty());
            QCOMPARE(log->back().action, QStringLiteral("case adopted"));
        }
        auto used = CaseSession::openForUse(path, false); // ours now
        QVERIFY(used && used.value()->writable());
        qputenv("RINE_INSTALLATION_ID", "11111111111111111111111111111111");
    }

    void aScanThatAdoptsCreatesAMissingCase()
    {
        // rine-cli scan --adopt --db NEW.sqlite: as a plain scan, the case is made.
        const QString path = casePath("adopted-new.sqlite");
        auto session = CaseSession::open(path, CaseSession::Access::Adopt, {true, QStringLiteral("new")});
        QVERIFY2(session, session ? "" : session.error().c_str());
        QVERIFY(session.value()->writable());
        QCOMPARE(session.value()->database().caseName(), QStringLiteral("new"));
        // Without create, adopting names a case that must exist.
        QVERIFY(!CaseSession::open(casePath("adopted-missing.sqlite"), CaseSession::Access::Adopt));
    }

    void missingOrForeignFilesAreRefused()
    {
        QVERIFY(!CaseSession::open(casePath("none.sqlite"), CaseSession::Access::Read));
        QVERIFY(!CaseSession::open(casePath("none.sqlite"), CaseSession::Access::Write)); // create not asked
        QVERIFY(!QFile::exists(casePath("none.sqlite")));
        QFile text(casePath("notes.sqlite"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("not a case at all\n");
        text.close();
        QVERIFY(!CaseSession::openForUse(casePath("notes.sqlite"), false));
    }
};

QTEST_GUILESS_MAIN(TestCaseSession)
#include "tst_case_session.moc"
