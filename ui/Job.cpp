#include "Job.h"

namespace rine {

Job::Job(Kind kind, QObject *parent) : QObject(parent), m_kind(kind) {}

void Job::Reporter::progress(QVariant update) const
{
    Job *job = m_job;
    QMetaObject::invokeMethod(job, [job, update = std::move(update)] {
        if (job->running())
            emit job->progressed(update);
    }, Qt::QueuedConnection);
}

void Job::Reporter::finish(QVariant result) const { end(State::Finished, std::move(result), {}); }
void Job::Reporter::fail(QString error) const { end(State::Failed, {}, std::move(error)); }
void Job::Reporter::cancelled(QVariant partial) const { end(State::Cancelled, std::move(partial), {}); }

void Job::Reporter::end(State state, QVariant value, QString error) const
{
    Job *job = m_job;
    QMetaObject::invokeMethod(job, [job, state, value = std::move(value), error = std::move(error)] {
        if (!job->running())
            return;
        job->m_state = state;
        switch (state) {
        case State::Finished: emit job->finished(value); break;
        case State::Failed: emit job->failed(error); break;
        case State::Cancelled: emit job->cancelled(value); break;
        case State::Running: break;
        }
        emit job->ended(job);
    }, Qt::QueuedConnection);
}

} // namespace rine
