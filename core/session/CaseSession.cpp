#include "CaseSession.h"

#include <QFileInfo>
#include <QLockFile>

namespace rine {

CaseSession::~CaseSession()
{
    m_database.reset(); // the connection closes before the lock is released
    m_lock.reset();
}

Result<std::unique_ptr<QLockFile>> CaseSession::lock(const QString &path)
{
    using R = Result<std::unique_ptr<QLockFile>>;
    auto lock = std::make_unique<QLockFile>(path + QStringLiteral(".lock"));
    // A lock is stale only when its process is gone, never by age: scans run for days.
    lock->setStaleLockTime(0);
    if (lock->tryLock(0))
        return R(std::move(lock));
    if (lock->error() == QLockFile::LockFailedError) {
        qint64 pid = 0;
        QString host, app;
        lock->getLockInfo(&pid, &host, &app);
        return R::failure(QStringLiteral("%1 is in use by another process (%2, process %3 on %4); wait for it to "
                                         "finish or open another case")
                              .arg(path, app.isEmpty() ? QStringLiteral("unknown program") : app)
                              .arg(pid)
                              .arg(host.isEmpty() ? QStringLiteral("this machine") : host)
                              .toStdString());
    }
    return R::failure(QStringLiteral("%1: cannot create the case's lock file %1.lock (permissions, or a read-only "
                                     "folder?); copy the case somewhere writable")
                          .arg(path)
                          .toStdString());
}

Result<std::unique_ptr<CaseSession>> CaseSession::open(const QString &path, Access access, const Options &options)
{
    using R = Result<std::unique_ptr<CaseSession>>;
    std::unique_ptr<CaseSession> session(new CaseSession);
    session->m_path = QFileInfo(path).absoluteFilePath();
    if (access == Access::Read) {
        auto database = CaseDatabase::open(session->m_path, CaseDatabase::Mode::ReadOnly);
        if (!database)
            return R::failure(database.error());
        session->m_database = std::move(database.value());
        session->m_readOnlyReason = QStringLiteral("opened for reading only");
        return R(std::move(session));
    }
    auto held = lock(session->m_path);
    if (!held)
        return R::failure(held.error());
    // rine-cli scan --adopt creates a missing case as plain scans do (scripts pass --adopt always).
    const CaseDatabase::Mode mode = options.create ? CaseDatabase::Mode::OpenOrCreate : CaseDatabase::Mode::OpenExisting;
    auto database = CaseDatabase::open(session->m_path, mode, options.caseName, access == Access::Adopt);
    if (!database)
        return R::failure(database.error());
    session->m_lock = std::move(held.value());
    session->m_database = std::move(database.value());
    return R(std::move(session));
}

Result<std::unique_ptr<CaseSession>> CaseSession::openForUse(const QString &path, bool adopt)
{
    using R = Result<std::unique_ptr<CaseSession>>;
    if (adopt)
        return open(path, Access::Adopt);
    auto read = open(path, Access::Read);
    if (!read)
        return read;
    const QString why = read.value()->database().whyNotWritable();
    if (!why.isEmpty()) {
        read.value()->m_readOnlyReason = why;
        return read;
    }
    read.value().reset(); // the read-only connection closes before the writer opens
    return open(path, Access::Write);
}

} // namespace rine
