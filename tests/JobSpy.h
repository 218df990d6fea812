#pragma once

// Records the jobs of one kind that an engine starts (and the one already running when the spy
// is made): each job's progress updates and its end. What the GUI tests wait on and read,
// as QSignalSpy would for a single object.

#include "EngineController.h"
#include "Job.h"

#include <QList>
#include <QObject>
#include <QVariant>

namespace rine::test {

class JobSpy : public QObject {
public:
    struct End {
        Job::State state = Job::State::Running;
        QVariant value; // finished or cancelled: the job's result
        QString error; // failed: why
        template <class T> T as() const { return value.value<T>(); }
    };

    JobSpy(EngineController *engine, Job::Kind kind) : m_kind(kind)
    {
        if (Job *running = engine->running(kind))
            follow(running);
        connect(engine, &EngineController::jobStarted, this, [this](Job *job) {
            if (job->kind() == m_kind)
                follow(job);
        });
    }

    int count() const { return int(m_ends.size()); } // jobs that have ended
    bool isEmpty() const { return m_ends.isEmpty(); }
    const End &first() const { return m_ends.first(); }
    const End &last() const { return m_ends.last(); }
    const End &at(int i) const { return m_ends.at(i); }
    const QList<QVariant> &progress() const { return m_progress; }
    // Progress updates of type T for which pred holds.
    template <class T, class F> int progressWhere(F pred) const
    {
        int n = 0;
        for (const QVariant &update : m_progress)
            n += pred(update.value<T>()) ? 1 : 0;
        return n;
    }

private:
    void follow(Job *job)
    {
        connect(job, &Job::progressed, this, [this](const QVariant &update) { m_progress << update; });
        connect(job, &Job::finished, this, [this](const QVariant &v) { m_ends << End{Job::State::Finished, v, {}}; });
        connect(job, &Job::cancelled, this, [this](const QVariant &v) { m_ends << End{Job::State::Cancelled, v, {}}; });
        connect(job, &Job::failed, this, [this](const QString &e) { m_ends << End{Job::State::Failed, {}, e}; });
    }

    Job::Kind m_kind;
    QList<End> m_ends;
    QList<QVariant> m_progress;
};

} // namespace rine::test
