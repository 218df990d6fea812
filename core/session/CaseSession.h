#pragma once

#include "store/CaseDatabase.h"
#include "util/Result.h"

#include <QString>

#include <memory>

class QLockFile;

namespace rine {

// A case as a use case sees it: the database and, for every kind of access that may write,
// the case's lock (<case>.lock, one writer per case across processes). rine-cli scan, report,
// audit and results and the application all open cases here, so every writer holds the lock.
class CaseSession {
public:
    enum class Access {
        Read, // a read-only connection, no lock: audit, results, a received case
        Write, // the lock, then the case opened for writing (created by a scan when missing)
        Adopt, // Write, taking over a case of another installation (logged as adopted)
    };
    struct Options {
        bool create = false; // Write or Adopt: create the case when it does not exist
        QString caseName; // a new case's name (default: the file's base name)
    };

    ~CaseSession();
    CaseSession(const CaseSession &) = delete;
    CaseSession &operator=(const CaseSession &) = delete;

    static Result<std::unique_ptr<CaseSession>> open(const QString &path, Access access, const Options &options);
    static Result<std::unique_ptr<CaseSession>> open(const QString &path, Access access)
    {
        return open(path, access, Options{});
    }

    // Read first; then for writing when the case is this installation's and its audit log
    // verifies (or when adopt). A case that is not ours stays read-only (and unlocked: nothing
    // writes to it) and readOnlyReason() says why. What reports and the application do.
    static Result<std::unique_ptr<CaseSession>> openForUse(const QString &path, bool adopt);

    CaseDatabase &database() { return *m_database; }
    QString path() const { return m_path; }
    bool writable() const { return m_lock != nullptr; }
    QString readOnlyReason() const { return m_readOnlyReason; }

private:
    CaseSession() = default;
    static Result<std::unique_ptr<QLockFile>> lock(const QString &path);

    QString m_path; // absolute
    std::unique_ptr<QLockFile> m_lock; // held while writable
    std::unique_ptr<CaseDatabase> m_database;
    QString m_readOnlyReason;
};

} // namespace rine
