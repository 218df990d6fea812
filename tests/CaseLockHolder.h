#pragma once

// Another process holding a case's lock, as a scan running elsewhere does (tools/hold_case_lock,
// RINE_HOLD_CASE_LOCK): started by the constructor, released when the object goes.

#include <QProcess>
#include <QString>

namespace rine::test {

class CaseLockHolder {
public:
    explicit CaseLockHolder(const QString &casePath)
    {
        m_process.start(QStringLiteral(RINE_HOLD_CASE_LOCK), {casePath});
        m_locked = m_process.waitForStarted(10000) && m_process.waitForReadyRead(10000)
                && m_process.readLine().trimmed() == "locked";
    }
    ~CaseLockHolder()
    {
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(10000))
            m_process.kill();
    }
    CaseLockHolder(const CaseLockHolder &) = delete;
    CaseLockHolder &operator=(const CaseLockHolder &) = delete;

    bool locked() const { return m_locked; }
    qint64 pid() const { return m_process.processId(); }

private:
    QProcess m_process;
    bool m_locked = false;
};

} // namespace rine::test
