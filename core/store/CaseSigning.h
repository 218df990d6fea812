#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace rine {

// This installation's Ed25519 key (OpenSSL), with which it signs every audit entry it appends
// to a case. A signature proves which installation wrote an entry, not that its operator was
// honest. The private key lives in <data>/rine-studio/case-signing-key.pem (mode 0600, made on
// first use), or at $RINE_SIGNING_KEY; cases carry the public key beside each signature, so
// they verify anywhere.
class CaseSigner {
public:
    // The installation's key, loaded once (made when there is none).
    static Result<std::shared_ptr<const CaseSigner>> installation();
    static QString keyPath();

    QString publicKeyHex() const { return m_publicKeyHex; } // 32 bytes
    // SHA-256 of the raw public key: what reports print and `rine-cli audit` compares.
    QString fingerprint() const { return fingerprintOf(m_publicKeyHex); }
    Result<QString> sign(const QByteArray &message) const; // 64 bytes as hex

    static QString fingerprintOf(const QString &publicKeyHex);
    // False for anything malformed (a hostile case's columns): never throws or crashes.
    static bool verify(const QString &publicKeyHex, const QByteArray &message, const QString &signatureHex);

    ~CaseSigner();
    CaseSigner(const CaseSigner &) = delete;
    CaseSigner &operator=(const CaseSigner &) = delete;

private:
    CaseSigner() = default;
    void *m_key = nullptr; // EVP_PKEY
    QString m_publicKeyHex;
};

} // namespace rine
