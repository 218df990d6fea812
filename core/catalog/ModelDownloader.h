#pragma once

#include <QElapsedTimer>
#include <QFile>
#include <QMetaType>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace rine {

struct DownloadRequest {
    QUrl url;
    QString target; // the final path; the bytes arrive in target + ".part" until verified
    QString expectedSha256; // empty: not known in advance (the caller pins what arrives)
    qint64 expectedSize = -1;
    int stallSeconds = 30; // abort when no byte arrives for this long
};

struct DownloadOutcome {
    bool ok = false;
    bool cancelled = false;
    bool resumed = false; // continued a .part left by an earlier attempt (HTTP Range)
    QString path; // the verified file in place (ok), or where rejected bytes were kept aside
    QString sha256;
    qint64 bytes = 0;
    QString error;
};

// Downloads one model file: resumable (a .part file and HTTP Range), SHA-256 verified before
// the file is moved into place; a file that fails verification is kept aside under another
// name and never used. Proxies come from the environment (http_proxy, https_proxy,
// no_proxy). Emits exactly one finished().
class ModelDownloader : public QObject {
    Q_OBJECT
public:
    explicit ModelDownloader(QObject *parent = nullptr);
    ~ModelDownloader() override;

    void start(const DownloadRequest &request);
    // Stops; the .part file stays, so a later start resumes.
    void cancel();

    // start(), then waits (running an event loop) for the outcome. progress may be empty.
    static DownloadOutcome run(const DownloadRequest &request,
                               const std::function<void(qint64, qint64, double, double)> &progress = {});

signals:
    // total: -1 when the server does not say. bytesPerSecond over this attempt; eta -1 unknown.
    void progress(qint64 received, qint64 total, double bytesPerSecond, double etaSeconds);
    void finished(const rine::DownloadOutcome &outcome);

private:
    void onMetaData();
    void onReadyRead();
    void onFinished();
    void finish(DownloadOutcome outcome);
    QString describeNetworkError() const;

    QNetworkAccessManager *m_network;
    QPointer<QNetworkReply> m_reply;
    DownloadRequest m_request;
    QFile m_part;
    qint64 m_offset = 0; // bytes already in the .part when this attempt began
    qint64 m_received = 0; // bytes this attempt
    qint64 m_total = -1;
    bool m_headersChecked = false;
    bool m_cancelled = false;
    bool m_done = false;
    QString m_failure;
    QElapsedTimer m_clock;
};

} // namespace rine

Q_DECLARE_METATYPE(rine::DownloadOutcome)
