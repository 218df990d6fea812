#include "ModelDownloader.h"

#include "ModelStore.h"

#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkProxyFactory>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <functional>

namespace rine {

ModelDownloader::ModelDownloader(QObject *parent) : QObject(parent), m_network(new QNetworkAccessManager(this))
{
    // http_proxy, https_proxy and no_proxy from the environment.
    QNetworkProxyFactory::setUseSystemConfiguration(true);
}

ModelDownloader::~ModelDownloader()
{
    if (m_reply)
        m_reply->abort();
}

void ModelDownloader::start(const DownloadRequest &request)
{
    m_request = request;
    m_done = m_cancelled = m_headersChecked = false;
    m_received = 0;
    m_total = -1;
    m_failure.clear();
    QDir().mkpath(QFileInfo(request.target).absolutePath());
    m_part.setFileName(request.target + QStringLiteral(".part"));
    if (!m_part.open(QIODevice::ReadWrite)) {
        finish({false, false, false, {}, {}, 0,
                QStringLiteral("%1: cannot write: %2").arg(m_part.fileName(), m_part.errorString())});
        return;
    }
    m_offset = m_part.size();
    m_part.seek(m_offset);

    QNetworkRequest http(request.url);
    http.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    http.setTransferTimeout(request.stallSeconds * 1000);
    http.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("rine-studio"));
    if (m_offset > 0)
        http.setRawHeader("Range", "bytes=" + QByteArray::number(m_offset) + "-");
    m_clock.start();
    m_reply = m_network->get(http);
    connect(m_reply, &QNetworkReply::metaDataChanged, this, &ModelDownloader::onMetaData);
    connect(m_reply, &QNetworkReply::readyRead, this, &ModelDownloader::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &ModelDownloader::onFinished);
}

void ModelDownloader::cancel()
{
    m_cancelled = true;
    if (m_reply)
        m_reply->abort();
}

void ModelDownloader::onMetaData()
{
    if (m_headersChecked || !m_reply)
        return;
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0 || (status >= 300 && status < 400))
        return; // not yet, or a redirect being followed
    m_headersChecked = true;
    const qint64 length = m_reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
    if (status == 206) {
        // Continue only where we stopped: "Content-Range: bytes <offset>-<end>/<total>".
        const QByteArray range = m_reply->rawHeader("Content-Range");
        if (!range.startsWith("bytes " + QByteArray::number(m_offset) + "-")) {
            m_failure = QStringLiteral("the server resumed at the wrong place (%1); run the download again")
                            .arg(QString::fromLatin1(range));
            m_part.resize(0);
            m_reply->abort();
            return;
        }
        m_total = length > 0 ? m_offset + length : -1;
    } else if (status == 200) {
        // The whole file again (the server ignores Range): start the .part over.
        m_offset = 0;
        m_part.resize(0);
        m_part.seek(0);
        m_total = length > 0 ? length : -1;
    }
}

void ModelDownloader::onReadyRead()
{
    if (!m_reply)
        return;
    onMetaData();
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200 && status != 206)
        return; // an error page: not part of the file
    const QByteArray data = m_reply->readAll();
    if (m_part.write(data) != data.size()) {
        m_failure = QStringLiteral("%1: cannot write (%2); is the disk full?").arg(m_part.fileName(), m_part.errorString());
        m_reply->abort();
        return;
    }
    m_received += data.size();
    const double seconds = std::max(1e-3, m_clock.elapsed() / 1000.0);
    const double rate = double(m_received) / seconds;
    const qint64 have = m_offset + m_received;
    emit progress(have, m_total, rate, m_total > 0 && rate > 0 ? double(m_total - have) / rate : -1);
}

QString ModelDownloader::describeNetworkError() const
{
    const QString host = m_request.url.host();
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    switch (m_reply->error()) {
    case QNetworkReply::ContentNotFoundError:
        return QStringLiteral("%1: HTTP %2, the file is not there (moved? see models/manifest.json for other URLs)")
            .arg(m_request.url.toString())
            .arg(status);
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::UnknownNetworkError:
        return QStringLiteral("cannot reach %1 (%2): offline, or a proxy is needed (http_proxy/https_proxy)")
            .arg(host, m_reply->errorString());
    case QNetworkReply::OperationCanceledError:
    case QNetworkReply::TimeoutError:
        return QStringLiteral("%1: no data for %2 s; the download stopped (run it again to resume)")
            .arg(m_request.url.toString())
            .arg(m_request.stallSeconds);
    case QNetworkReply::RemoteHostClosedError:
        return QStringLiteral("%1 closed the connection after %2 bytes; run the download again to resume")
            .arg(host)
            .arg(m_offset + m_received);
    default:
        return QStringLiteral("%1: %2").arg(m_request.url.toString(), m_reply->errorString());
    }
}

void ModelDownloader::onFinished()
{
    if (!m_reply || m_done)
        return;
    QNetworkReply *reply = m_reply;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    m_part.flush();
    DownloadOutcome outcome;
    outcome.resumed = m_offset > 0;
    outcome.bytes = m_part.size();
    if (m_cancelled) {
        m_part.close();
        outcome.cancelled = true;
        outcome.error = QStringLiteral("cancelled; %1 bytes kept in %2 for a later resume").arg(outcome.bytes).arg(m_part.fileName());
        finish(outcome);
        return;
    }
    if (!m_failure.isEmpty()) {
        m_part.close();
        outcome.error = m_failure;
        finish(outcome);
        return;
    }
    // 416: the .part already holds everything the server has; verify it.
    if (reply->error() != QNetworkReply::NoError && status != 416) {
        m_part.close();
        outcome.error = describeNetworkError();
        finish(outcome);
        return;
    }
    m_part.close();
    // A connection closed early can end without an error from Qt: fewer bytes than the
    // server announced (or than the manifest says) is an interruption to resume, not a file
    // to verify and reject.
    const qint64 announced = m_total > 0 ? m_total : m_request.expectedSize;
    if (announced > 0 && outcome.bytes < announced) {
        outcome.error = QStringLiteral("%1 closed the connection after %2 of %3 bytes; run the download again to resume")
                            .arg(m_request.url.host())
                            .arg(outcome.bytes)
                            .arg(announced);
        finish(outcome);
        return;
    }
    auto sha = sha256OfFile(m_part.fileName());
    if (!sha) {
        outcome.error = QString::fromStdString(sha.error());
        finish(outcome);
        return;
    }
    outcome.sha256 = sha.value();
    const bool sizeOk = m_request.expectedSize < 0 || outcome.bytes == m_request.expectedSize;
    if ((!m_request.expectedSha256.isEmpty() && outcome.sha256 != m_request.expectedSha256) || !sizeOk) {
        // Kept aside for inspection, under a name nothing loads.
        const QString aside = m_request.target + QStringLiteral(".rejected-") + outcome.sha256.left(12);
        QFile::remove(aside);
        QFile::rename(m_part.fileName(), aside);
        outcome.path = aside;
        outcome.error = QStringLiteral("%1: the downloaded file (%2 bytes, SHA-256 %3) is not the expected one "
                                       "(%4 bytes, SHA-256 %5); kept aside as %6 and not used")
                            .arg(m_request.url.toString())
                            .arg(outcome.bytes)
                            .arg(outcome.sha256)
                            .arg(m_request.expectedSize)
                            .arg(m_request.expectedSha256.isEmpty() ? QStringLiteral("?") : m_request.expectedSha256,
                                 aside);
        finish(outcome);
        return;
    }
    QFile::remove(m_request.target);
    if (!QFile::rename(m_part.fileName(), m_request.target)) {
        outcome.error = QStringLiteral("%1: cannot move the verified download into place").arg(m_request.target);
        finish(outcome);
        return;
    }
    outcome.ok = true;
    outcome.path = m_request.target;
    finish(outcome);
}

void ModelDownloader::finish(DownloadOutcome outcome)
{
    if (m_done)
        return;
    m_done = true;
    emit finished(outcome);
}

DownloadOutcome ModelDownloader::run(const DownloadRequest &request,
                                     const std::function<void(qint64, qint64, double, double)> &progress)
{
    ModelDownloader downloader;
    DownloadOutcome result;
    QEventLoop loop;
    if (progress)
        connect(&downloader, &ModelDownloader::progress, &loop, progress);
    connect(&downloader, &ModelDownloader::finished, &loop, [&](const DownloadOutcome &outcome) {
        result = outcome;
        loop.quit();
    });
    downloader.start(request);
    if (!downloader.m_done)
        loop.exec();
    return result;
}

} // namespace rine
