#include "CaseSigning.h"

#include "util/Sha256.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace rine {

namespace {

constexpr std::size_t kKeyBytes = 32, kSignatureBytes = 64;
constexpr qint64 kLargestKeyFile = 16 * 1024; // an Ed25519 PEM is ~120 bytes

QString openSslError()
{
    const unsigned long code = ERR_get_error();
    if (code == 0)
        return QStringLiteral("unknown OpenSSL error");
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return QString::fromLatin1(text);
}

// Exactly `bytes` bytes of lowercase or uppercase hex, else empty.
QByteArray fromHex(const QString &hex, std::size_t bytes)
{
    if (std::size_t(hex.size()) != 2 * bytes)
        return {};
    for (QChar c : hex)
        if (!((c >= QLatin1Char('0') && c <= QLatin1Char('9')) || (c >= QLatin1Char('a') && c <= QLatin1Char('f'))
              || (c >= QLatin1Char('A') && c <= QLatin1Char('F'))))
            return {};
    return QByteArray::fromHex(hex.toLatin1());
}

QString publicKeyOf(EVP_PKEY *key)
{
    unsigned char raw[kKeyBytes];
    std::size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1 || size != kKeyBytes)
        return {};
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(raw), int(size)).toHex());
}

// A new key written with O_EXCL beside the final name, then linked into place: two processes
// making one at the same time end up using the same key.
Result<bool> createKey(const QString &path)
{
    using R = Result<bool>;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key)
        return R::failure("cannot make a signing key: " + openSslError().toStdString());
    BIO *bio = BIO_new(BIO_s_mem());
    const bool written = bio && PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    EVP_PKEY_free(key);
    if (!written) {
        BIO_free(bio);
        return R::failure("cannot encode the signing key: " + openSslError().toStdString());
    }
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    const QByteArray pem(data, int(size));
    BIO_free(bio);

    QDir().mkpath(QFileInfo(path).absolutePath());
    const QByteArray temporary = QFile::encodeName(path + QStringLiteral(".new-%1").arg(getpid()));
    const int fd = ::open(temporary.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return R::failure(path.toStdString() + ": cannot write the signing key: " + std::strerror(errno));
    bool ok = ::write(fd, pem.constData(), std::size_t(pem.size())) == pem.size() && ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    const QByteArray final = QFile::encodeName(path);
    const int linked = ok ? ::link(temporary.constData(), final.constData()) : -1;
    const int linkError = errno;
    ::unlink(temporary.constData());
    if (!ok || (linked != 0 && linkError != EEXIST))
        return R::failure(path.toStdString() + ": cannot write the signing key: " + std::strerror(linkError));
    return true;
}

} // namespace

CaseSigner::~CaseSigner() { EVP_PKEY_free(static_cast<EVP_PKEY *>(m_key)); }

QString CaseSigner::keyPath()
{
    const QString fromEnv = qEnvironmentVariable("RINE_SIGNING_KEY");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
         + QStringLiteral("/rine-studio/case-signing-key.pem");
}

Result<std::shared_ptr<const CaseSigner>> CaseSigner::installation()
{
    using R = Result<std::shared_ptr<const CaseSigner>>;
    static std::mutex mutex;
    static std::shared_ptr<const CaseSigner> cached;
    static QString cachedPath;
    std::lock_guard<std::mutex> lock(mutex);
    const QString path = keyPath();
    if (cached && cachedPath == path)
        return cached;
    if (!QFileInfo::exists(path))
        if (auto created = createKey(path); !created)
            return R::failure(created.error());
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return R::failure(path.toStdString() + ": cannot read this installation's signing key: "
                          + file.errorString().toStdString());
    const QByteArray pem = file.read(kLargestKeyFile + 1);
    const auto damaged = [&](const QString &why) {
        return R::failure(path.toStdString() + ": this installation's signing key is unusable (" + why.toStdString()
                          + "); move it away and a new one is made (cases it signed keep verifying: each carries "
                            "its public key)");
    };
    if (pem.size() > kLargestKeyFile)
        return damaged(QStringLiteral("the file is too large to be a key"));
    BIO *bio = BIO_new_mem_buf(pem.constData(), int(pem.size()));
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (!key)
        return damaged(openSslError());
    std::shared_ptr<CaseSigner> signer(new CaseSigner);
    signer->m_key = key;
    if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
        return damaged(QStringLiteral("not an Ed25519 key"));
    signer->m_publicKeyHex = publicKeyOf(key);
    if (signer->m_publicKeyHex.isEmpty())
        return damaged(openSslError());
    cachedPath = path;
    cached = signer;
    return cached;
}

Result<QString> CaseSigner::sign(const QByteArray &message) const
{
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    unsigned char signature[kSignatureBytes];
    std::size_t size = sizeof signature;
    const bool ok = context
                 && EVP_DigestSignInit(context, nullptr, nullptr, nullptr, static_cast<EVP_PKEY *>(m_key)) == 1
                 && EVP_DigestSign(context, signature, &size, reinterpret_cast<const unsigned char *>(message.constData()),
                                   std::size_t(message.size()))
                        == 1
                 && size == kSignatureBytes;
    EVP_MD_CTX_free(context);
    if (!ok)
        return Result<QString>::failure("cannot sign: " + openSslError().toStdString());
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(signature), int(size)).toHex());
}

QString CaseSigner::fingerprintOf(const QString &publicKeyHex)
{
    const QByteArray raw = fromHex(publicKeyHex, kKeyBytes);
    if (raw.isEmpty())
        return {};
    return QString::fromStdString(Sha256::hex(raw.constData(), std::size_t(raw.size())));
}

bool CaseSigner::verify(const QString &publicKeyHex, const QByteArray &message, const QString &signatureHex)
{
    const QByteArray raw = fromHex(publicKeyHex, kKeyBytes), signature = fromHex(signatureHex, kSignatureBytes);
    if (raw.isEmpty() || signature.isEmpty())
        return false;
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                reinterpret_cast<const unsigned char *>(raw.constData()), kKeyBytes);
    EVP_MD_CTX *context = key ? EVP_MD_CTX_new() : nullptr;
    const bool ok = context && EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key) == 1
                 && EVP_DigestVerify(context, reinterpret_cast<const unsigned char *>(signature.constData()),
                                     kSignatureBytes, reinterpret_cast<const unsigned char *>(message.constData()),
                                     std::size_t(message.size()))
                        == 1;
    EVP_MD_CTX_free(context);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return ok;
}

} // namespace rine
