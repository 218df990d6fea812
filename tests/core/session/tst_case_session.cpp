// CaseSession: one writer per case across processes, received cases only read until adopted.

#include "CaseLockHolder.h"
#include "TestFiles.h"
#include "session/CaseSession.h"
#include "store/CaseSigning.h"

#include <QFile>
#include <QProcess>
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

    void anUnusableSigningKeyStopsEveryWriteWithAMessage()
    {
        // The installation's key file, damaged in every way we can think of: nothing is signed
        // with it, no case is written unsigned, and the message names the file.
        const QByteArray savedKey = qgetenv("RINE_SIGNING_KEY");
        QByteArray rsa;
        {
            QProcess openssl;
            openssl.start(QStringLiteral("openssl"), {QStringLiteral("genpkey"), QStringLiteral("-algorithm"),
                                                      QStringLiteral("RSA"), QStringLiteral("-pkeyopt"),
                                                      QStringLiteral("rsa_keygen_bits:1024")});
            QVERIFY(openssl.waitForFinished(30000));
            rsa = openssl.readAllStandardOutput();
        }
        QVERIFY(rsa.startsWith("-----BEGIN PRIVATE KEY-----"));
        const QList<QPair<const char *, QByteArray>> keys{
            {"garbage", QByteArray("-----BEGIN PRIVATE KEY-----\n<script>\n-----END PRIVATE KEY-----\n")},
            {"empty", QByteArray()},
            {"huge", QByteArray(8 * 1024 * 1024, 'A')},
            {"rsa", rsa},
        };
        for (const auto &[name, bytes] : keys) {
            const QString key = casePath("key-") + QLatin1String(name) + QStringLiteral(".pem");
            QFile file(key);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(bytes);
            file.close();
            qputenv("RINE_SIGNING_KEY", key.toLocal8Bit());
            auto signer = CaseSigner::installation();
            QVERIFY2(!signer, name);
            QVERIFY2(signer.error().find(key.toStdString()) != std::string::npos, signer.error().c_str());
            const QString path = casePath("unsigned-") + QLatin1String(name) + QStringLiteral(".sqlite");
            auto session = CaseSession::open(path, CaseSession::Access::Write, {true, QStringLiteral("unsigned")});
            QVERIFY2(!session, name);
            QVERIFY2(session.error().find("signing key") != std::string::npos, session.error().c_str());
            QVERIFY(!QFile::exists(path)); // no half-made case is left there
            QCOMPARE(test::readAll(key), bytes); // and the key file is left for the user to look at
        }
        // A key made here verifies; a signature of other bytes, or by another key, does not.
        qputenv("RINE_SIGNING_KEY", casePath("fresh.pem").toLocal8Bit());
        auto signer = CaseSigner::installation();
        QVERIFY2(signer, signer ? "" : signer.error().c_str());
        QCOMPARE(QFile(casePath("fresh.pem")).permissions() & (QFile::ReadGroup | QFile::ReadOther), QFile::Permissions());
        auto signature = signer.value()->sign("entry");
        QVERIFY(signature);
        QVERIFY(CaseSigner::verify(signer.value()->publicKeyHex(), "entry", signature.value()));
        QVERIFY(!CaseSigner::verify(signer.value()->publicKeyHex(), "entrz", signature.value()));
        QVERIFY(!CaseSigner::verify(QString(64, QLatin1Char('0')), "entry", signature.value()));
        QVERIFY(!CaseSigner::verify(QStringLiteral("<b>"), "entry", signature.value()));
        QVERIFY(!CaseSigner::verify(signer.value()->publicKeyHex(), "entry", signature.value().left(100)));
        if (savedKey.isEmpty())
            qunsetenv("RINE_SIGNING_KEY");
        else
            qputenv("RINE_SIGNING_KEY", savedKey);
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
