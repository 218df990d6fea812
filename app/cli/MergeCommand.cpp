#include "Commands.h"

#include "scan/ShardMerge.h"

#include <QCommandLineParser>
#include <QTextStream>

namespace rine::cli {

int runMerge(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Merges the shard cases of one scan (rine-cli scan --shard I/N, e.g. the tasks of rine-cli slurm) into one "
        "new case: every file once in walk order, each distinct content once (by SHA-256), the shards' results, "
        "TextureCrop windows, cached features and walk events, and in its audit log each shard's file, settings, "
        "models, runtime and audit chain head. Every shard must verify (rine-cli audit) and all must share roots, "
        "walk options, models, preprocessing and precision; shards that differ are refused.\n"
        "Results equal those of one unsharded scan up to the last bits of the logits (< 1e-5): a shard batches "
        "different images together, and a batch's floating-point sums follow its size.\n"
        "Exit status: 0 merged; 1 merged with --allow-partial while shards were missing, unverifiable or "
        "unfinished (the merged scan is left incomplete: scanning the same roots into the merged case, unsharded, "
        "examines the missing files); 2 refused (nothing written)."));
    parser.addHelpOption();
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("The merged case: a new file."),
                                QStringLiteral("CASE.sqlite"));
    const QCommandLineOption caseName(QStringLiteral("case"),
                                      QStringLiteral("Name of the merged case (default: its file name)."),
                                      QStringLiteral("NAME"));
    const QCommandLineOption partial(
        QStringLiteral("allow-partial"),
        QStringLiteral("Merge the shards that can be merged when others are missing, do not verify or did not "
                       "finish; what was left out, and why, is recorded in the merged case's audit log."));
    parser.addOptions({db, caseName, partial});
    parser.addPositionalArgument(QStringLiteral("SHARD"), QStringLiteral("Shard case files."),
                                 QStringLiteral("SHARD.sqlite..."));
    QTextStream err(stderr);
    if (!parser.parse(arguments)) {
        err << "rine-cli merge: " << parser.errorText() << Qt::endl;
        return UsageOrSetup;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << helpText(parser, QStringLiteral("rine-cli merge [options] --db CASE.sqlite SHARD.sqlite..."));
        return Success;
    }
    if (!parser.isSet(db) || parser.positionalArguments().isEmpty()) {
        err << "rine-cli merge: give the merged case (--db CASE.sqlite) and the shard cases; see rine-cli merge --help"
            << Qt::endl;
        return UsageOrSetup;
    }
    MergeRequest request;
    request.target = parser.value(db);
    request.shards = parser.positionalArguments();
    request.allowPartial = parser.isSet(partial);
    request.caseName = parser.value(caseName);
    auto merged = mergeShards(request);
    if (!merged) {
        err << "rine-cli merge: " << QString::fromStdString(merged.error()) << Qt::endl;
        return UsageOrSetup;
    }
    const MergeOutcome &o = merged.value();
    QStringList counts;
    for (const auto &[status, count] : o.statusCounts)
        counts << QStringLiteral("%1 %2").arg(count).arg(status);
    err << "rine-cli merge: " << o.merged.size() << " of " << o.shardCount << " shards into " << request.target << ": "
        << o.counts.files << " files, " << o.counts.contents << " distinct contents, " << o.counts.results
        << " results, " << o.counts.walkEvents << " walk events; " << counts.join(QStringLiteral(", ")) << "; scan "
        << o.state << Qt::endl;
    if (o.counts.contentsDisagreeing > 0)
        err << "rine-cli merge: " << o.counts.contentsDisagreeing
            << " content(s) ended differently in different shards (e.g. a decode that timed out on one node); the "
               "scored outcome is kept"
            << Qt::endl;
    if (o.counts.duplicatePaths > 0)
        err << "rine-cli merge: " << o.counts.duplicatePaths << " path(s) were listed by more than one shard; kept once"
            << Qt::endl;
    if (!o.missing.empty() || !o.leftOut.isEmpty()) {
        QStringList missing;
        for (int index : o.missing)
            missing << QString::number(index);
        err << "rine-cli merge: partial: shard(s) " << missing.join(QStringLiteral(", ")) << " missing";
        for (const QString &left : o.leftOut)
            err << "; left out " << left;
        err << " (recorded in the audit log)" << Qt::endl;
        return SomeFailed;
    }
    return o.state == QLatin1String("completed") ? Success : SomeFailed;
}

} // namespace rine::cli
