#pragma once

#include <QMetaObject>
#include <QObject>
#include <QString>
#include <QVariant>

#include <atomic>
#include <functional>
#include <utility>

namespace rine {

// A long job of the application (qBittorrent's TorrentCreator is the model): plain-struct
// parameters in, a plain-struct result out (ui/EngineTypes.h), an atomic cancel flag, and
// exactly one of finished / failed / cancelled at the end, then ended. The object lives on
// the GUI thread, where the page that asked for it connects to it; its work runs on the
// thread of the resource it needs (EngineController) and reports back through a Reporter,
// whose calls arrive here queued. The engine deletes a job after it has ended.
class Job : public QObject {
    Q_OBJECT

public:
    enum class Kind {
        LoadModel, // ModelLoadResult
        ImportBackbone, // QString: the imported file's path
        OpenCase, // CaseRows
        Scan, // progress ScanUpdate; ScanFinished (also when cancelled)
        Report, // progress ReportStep; ReportOutcome
        Inspect, // InspectResult
        TileMap, // progress and end TileUpdate
        Sweep, // progress and end SweepUpdate
        TrainingSurvey, // TrainingSurvey
        Training, // progress and end TrainingUpdate
        TestEvaluation, // progress and end TrainingUpdate (test set)
        ModelAction, // progress FetchProgress; ModelAction
    };
    enum class State { Running, Finished, Failed, Cancelled };

    explicit Job(Kind kind, QObject *parent = nullptr);

    Kind kind() const { return m_kind; }
    State state() const { return m_state; }
    bool running() const { return m_state == State::Running; }
    // Asks the work to stop (any thread); it ends as cancelled, or finished when it was done.
    void cancel() { m_cancel = true; }
    const std::atomic<bool> &cancelFlag() const { return m_cancel; }

    // What the work calls, on its own thread. The first end counts; later ones are ignored.
    class Reporter {
    public:
        explicit Reporter(Job *job) : m_job(job) {}
        const std::atomic<bool> &cancelFlag() const { return m_job->m_cancel; }
        bool cancelRequested() const { return m_job->m_cancel.load(); }
        void progress(QVariant update) const;
        void finish(QVariant result) const;
        void fail(QString error) const;
        void cancelled(QVariant partial = {}) const;

    private:
        void end(State state, QVariant value, QString error) const;
        Job *m_job;
    };
    Reporter reporter() { return Reporter(this); }

    // Typed connections: f receives the plain struct the job's Kind names.
    template <class T, class F>
    QMetaObject::Connection onProgress(const QObject *context, F f)
    {
        return connect(this, &Job::progressed, context, [f = std::move(f)](const QVariant &v) { f(v.value<T>()); });
    }
    template <class T, class F>
    QMetaObject::Connection onFinished(const QObject *context, F f)
    {
        return connect(this, &Job::finished, context, [f = std::move(f)](const QVariant &v) { f(v.value<T>()); });
    }
    template <class T, class F>
    QMetaObject::Connection onCancelled(const QObject *context, F f)
    {
        return connect(this, &Job::cancelled, context, [f = std::move(f)](const QVariant &v) { f(v.value<T>()); });
    }
    template <class F>
    QMetaObject::Connection onFailed(const QObject *context, F f)
    {
        return connect(this, &Job::failed, context, std::move(f));
    }
    // Every end in one place: finished and cancelled give f their value and an empty error,
    // failed gives T{} and the error.
    template <class T, class F>
    void onEnd(const QObject *context, F f)
    {
        for (auto signal : {&Job::finished, &Job::cancelled})
            connect(this, signal, context, [f](const QVariant &v) { f(v.value<T>(), QString()); });
        connect(this, &Job::failed, context, [f](const QString &error) { f(T{}, error); });
    }

signals:
    void progressed(const QVariant &update);
    void finished(const QVariant &result);
    void failed(const QString &error);
    void cancelled(const QVariant &partial);
    void ended(rine::Job *job);

private:
    Kind m_kind;
    State m_state = State::Running;
    std::atomic<bool> m_cancel{false};
};

} // namespace rine
