#pragma once

// A small HTTP/1.1 server on 127.0.0.1 for the download tests: whole files with Content-Length,
// byte ranges (206), a connection cut half-way (first request only), wrong bytes, 404, and a
// slow trickle. Runs in the test's own event loop.

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace rine::test {

class LoopbackHttpServer : public QObject {
public:
    struct Route {
        QByteArray body;
        int status = 200; // 404: not found
        qint64 cutFirstRequestAfter = -1; // send this many bytes, then close (first request only)
        int trickleBytes = 0; // > 0: that many bytes every 100 ms
        int requests = 0;
        QList<QByteArray> ranges; // the Range header of each request ("" when none)
    };

    LoopbackHttpServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection())
                serve(socket);
        });
        m_server.listen(QHostAddress::LocalHost, 0);
    }

    QString url(const QString &path) const { return QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path); }
    Route &route(const QByteArray &path) { return m_routes[path]; }

private:
    void serve(QTcpSocket *socket)
    {
        auto buffer = std::make_shared<QByteArray>();
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
            buffer->append(socket->readAll());
            const qsizetype end = buffer->indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QList<QByteArray> lines = buffer->left(end).split('\n');
            buffer->clear();
            const QByteArray path = lines.value(0).split(' ').value(1);
            QByteArray range;
            for (const QByteArray &line : lines)
                if (line.toLower().startsWith("range:"))
                    range = line.mid(6).trimmed();
            respond(socket, path, range);
        });
    }

    void respond(QTcpSocket *socket, const QByteArray &path, const QByteArray &range)
    {
        if (!m_routes.contains(path)) {
            socket->write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            socket->disconnectFromHost();
            return;
        }
        Route &r = m_routes[path];
        ++r.requests;
        r.ranges.append(range);
        if (r.status == 404) {
            socket->write("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found");
            socket->disconnectFromHost();
            return;
        }
        qint64 from = 0;
        if (range.startsWith("bytes=") && range.endsWith("-"))
            from = range.mid(6, range.size() - 7).toLongLong();
        const QByteArray part = r.body.mid(from);
        QByteArray head = from > 0 ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + QByteArray::number(from) + "-"
                                         + QByteArray::number(r.body.size() - 1) + "/" + QByteArray::number(r.body.size()) + "\r\n"
                                   : QByteArray("HTTP/1.1 200 OK\r\n");
        head += "Content-Length: " + QByteArray::number(part.size()) + "\r\nConnection: close\r\n\r\n";
        socket->write(head);
        if (r.cutFirstRequestAfter >= 0 && r.requests == 1) {
            socket->write(part.left(r.cutFirstRequestAfter));
            socket->flush();
            socket->disconnectFromHost();
            return;
        }
        if (r.trickleBytes > 0) {
            auto timer = new QTimer(socket);
            auto sent = std::make_shared<qint64>(0);
            connect(timer, &QTimer::timeout, socket, [socket, part, sent, step = r.trickleBytes] {
                socket->write(part.mid(*sent, step));
                *sent += step;
                if (*sent >= part.size())
                    socket->disconnectFromHost();
            });
            timer->start(100);
            return;
        }
        socket->write(part);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
    QHash<QByteArray, Route> m_routes;
};

} // namespace rine::test
