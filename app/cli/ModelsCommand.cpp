#include "Commands.h"

#include "catalog/ModelDownloader.h"
#include "catalog/ModelLocator.h"
#include "catalog/ModelStore.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QFileInfo>
#include <QTextStream>

#include <cstdio>

namespace rine::cli {

namespace {

void err(const QString &text) { QTextStream(stderr) << "rine-cli models: " << text << Qt::endl; }

const KnownModel *findModel(const QList<KnownModel> &models, const QString &name)
{
    for (const KnownModel &m : models)
        if (m.name == name)
            return &m;
    return nullptr;
}

QString size(qint64 bytes)
{
    if (bytes < 0)
        return QStringLiteral("?");
    if (bytes >= (1 << 20))
        return QStringLiteral("%1 MB").arg(double(bytes) / 1e6, 0, 'f', 1);
    return QStringLiteral("%1 KB").arg(double(bytes) / 1e3, 0, 'f', 1);
}

int list(const ModelStore &store)
{
    QTextStream out(stdout);
    out << "model folder: " << store.dir() << "\n";
    for (const InstalledModel &entry : store.installed()) {
        const KnownModel &m = entry.model;
        const QString sha = store.expectedSha256(m);
        out << "\n" << m.name << " (" << m.role << ")\n"
            << "  " << m.architecture << "\n"
            << "  status:   " << (entry.path.isEmpty() ? QStringLiteral("not installed") : entry.where + ": " + entry.path) << "\n"
            << "  size:     " << size(m.size) << "\n"
            << "  sha256:   " << (sha.isEmpty() ? QStringLiteral("not known before the first download (pinned then)") : sha) << "\n"
            << "  licence:  " << m.license << "\n"
            << "  url:      " << m.url << "\n";
        if (!m.page.isEmpty())
            out << "  page:     " << m.page << "\n";
        if (m.thirdPartySize >= 0 || !m.thirdPartySha256.isEmpty())
            out << "  recorded by a third party, UNVERIFIED: " << m.thirdPartySize << " bytes, SHA-256 "
                << m.thirdPartySha256 << " (" << m.thirdPartyNote << ")\n";
    }
    return Success;
}

int verify(const ModelStore &store, const QStringList &names)
{
    int bad = 0, checked = 0;
    for (const InstalledModel &entry : store.installed()) {
        if (entry.path.isEmpty() || (!names.isEmpty() && !names.contains(entry.model.name)))
            continue;
        ++checked;
        const QString expected = store.expectedSha256(entry.model);
        auto sha = sha256OfFile(entry.path);
        const bool ok = sha && (expected.isEmpty() || sha.value() == expected);
        QTextStream(stdout) << entry.model.name << ": " << (ok ? "ok" : "MISMATCH") << "  " << entry.path << "\n";
        if (!ok) {
            ++bad;
            err(sha ? QStringLiteral("%1: SHA-256 %2, expected %3; the file is damaged or another one: fetch it again")
                          .arg(entry.path, sha.value(), expected)
                    : QString::fromStdString(sha.error()));
        }
    }
    if (checked == 0)
        err(QStringLiteral("no installed model to verify"));
    return bad ? SomeFailed : Success;
}

int fetch(ModelStore &store, const KnownModel &model, const QString &url, bool quiet, bool trust)
{
    if (model.bundled && url.isEmpty()) {
        QTextStream(stdout) << model.name << " is bundled with RINE Studio; nothing to fetch\n";
        return Success;
    }
    DownloadRequest request;
    request.url = QUrl(url.isEmpty() ? model.url : url);
    request.target = store.pathOf(model);
    request.expectedSha256 = store.expectedSha256(model);
    request.expectedSize = model.size;
    if (auto allowed = store.mayFetch(model, url, trust); !allowed) {
        err(QString::fromStdString(allowed.error()));
        return SomeFailed;
    }
    QTextStream(stderr) << "rine-cli models: fetching " << model.name << " from " << request.url.toString() << " to "
                        << request.target << Qt::endl;
    qint64 lastShown = -1;
    const DownloadOutcome outcome = ModelDownloader::run(request, [&](qint64 have, qint64 total, double rate, double eta) {
        if (quiet || (have - lastShown < (1 << 20) && have != total))
            return;
        lastShown = have;
        std::fprintf(stderr, "rine-cli models: %s of %s, %.1f MB/s, ETA %s\n", qPrintable(size(have)), qPrintable(size(total)),
                     rate / 1e6, eta < 0 ? "?" : qPrintable(QStringLiteral("%1 s").arg(qint64(eta + 0.5))));
    });
    if (!outcome.ok) {
        err(outcome.error);
        return SomeFailed;
    }
    if (request.expectedSha256.isEmpty()) {
        if (auto pinned = store.pinDownload(model, outcome.path, outcome.sha256, request.url.toString()); !pinned) {
            err(QString::fromStdString(pinned.error()));
            return SomeFailed;
        }
        QTextStream(stderr) << "rine-cli models: the manifest gives no SHA-256 for " << model.name
                            << "; pinned this download's, " << outcome.sha256
                            << ": later downloads and imports must match it" << Qt::endl;
    }
    QTextStream(stdout) << model.name << ": installed " << outcome.path << " (" << outcome.bytes << " bytes, SHA-256 "
                        << outcome.sha256 << (outcome.resumed ? ", resumed" : "") << ")\n";
    return Success;
}

} // namespace

int runModels(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Manages model files: the known ones (models/manifest.json) and the model folder ($RINE_MODEL_STORE, "
        "else ~/.local/share/rine-studio/models).\n"
        "  list                 known models, where each is installed, size, SHA-256, licence\n"
        "  fetch NAME           download (resumable), verify the SHA-256, install\n"
        "  verify [NAME...]     re-hash installed files against the manifest\n"
        "  import FILE --as NAME  install a file you have, after checking its SHA-256 and shapes\n"
        "  remove NAME          delete a model from the model folder\n"
        "Files whose hash the manifest leaves open are pinned on first download. Exit status: 0 done, 1 a "
        "download, check or import failed, 2 bad usage."));
    parser.addHelpOption();
    const QCommandLineOption url(QStringLiteral("url"), QStringLiteral("fetch: download from URL instead (a mirror)."),
                                 QStringLiteral("URL"));
    const QCommandLineOption as(QStringLiteral("as"), QStringLiteral("import: the known model the file is."),
                                QStringLiteral("NAME"));
    const QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("No progress on standard error."));
    const QCommandLineOption trust(QStringLiteral("trust"),
                                   QStringLiteral("import, or fetch --url: pin the file as the model when the manifest "
                                                  "publishes no SHA-256 for it (without it, such an import or mirror "
                                                  "download is refused)."));
    parser.addOptions({url, as, quiet, trust});
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("list, fetch, verify, import or remove."),
                                 QStringLiteral("list|fetch|verify|import|remove [NAME|FILE]..."));
    if (!parser.parse(arguments)) {
        err(parser.errorText());
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli models list|fetch|verify|import|remove [options] [NAME|FILE]..."));
        return Success;
    }
    QStringList args = parser.positionalArguments();
    const QString action = args.isEmpty() ? QStringLiteral("list") : args.takeFirst();
    ModelStore store;
    const QList<KnownModel> known = ModelLocator::knownModels();
    if (known.isEmpty()) {
        err(QStringLiteral("the model manifest was not found (installation damaged?)"));
        return UsageOrSetup;
    }
    if (action == QLatin1String("list"))
        return list(store);
    if (action == QLatin1String("verify"))
        return verify(store, args);
    if (action == QLatin1String("fetch") || action == QLatin1String("remove")) {
        if (args.size() != 1 || !findModel(known, args[0])) {
            err(QStringLiteral("%1 takes the name of one known model (see rine-cli models list)").arg(action));
            return UsageOrSetup;
        }
        const KnownModel &model = *findModel(known, args[0]);
        if (action == QLatin1String("fetch"))
            return fetch(store, model, parser.value(url), parser.isSet(quiet), parser.isSet(trust));
        auto removed = store.remove(model);
        if (!removed) {
            err(QString::fromStdString(removed.error()));
            return SomeFailed;
        }
        QTextStream(stdout) << model.name << ": removed from " << store.dir() << "\n";
        return Success;
    }
    if (action == QLatin1String("import")) {
        const KnownModel *model = findModel(known, parser.value(as));
        if (args.size() != 1 || !model) {
            err(QStringLiteral("import takes one FILE and --as NAME of a known model (see rine-cli models list)"));
            return UsageOrSetup;
        }
        auto imported = store.import(args[0], *model, parser.isSet(trust));
        if (!imported) {
            err(QString::fromStdString(imported.error()));
            return SomeFailed;
        }
        QTextStream(stdout) << model->name << ": installed " << imported.value() << "\n";
        return Success;
    }
    err(QStringLiteral("unknown action '%1'; see rine-cli models --help").arg(action));
    return UsageOrSetup;
}

} // namespace rine::cli
