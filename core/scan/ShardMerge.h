#pragma once

#include "store/CaseDatabase.h"
#include "util/Result.h"

#include <QString>
#include <QStringList>

#include <utility>
#include <vector>

namespace rine {

// rine-cli merge: the shard cases of one scan (rine-cli scan --shard I/N) into one case.
struct MergeRequest {
    QString target; // the merged case: a new file (an existing one is refused)
    QStringList shards; // shard case files
    // Merge what can be merged when shards are missing, do not verify or did not finish;
    // recorded in the merged case, whose scan is then left incomplete (scanning the same roots
    // into it, unsharded, examines the files that are missing).
    bool allowPartial = false;
    QString caseName; // default: the target's file name without its extension
};

struct MergeOutcome {
    qint64 scanId = 0;
    QString state; // "completed", or "incomplete" (a partial merge, or shards with files left)
    int shardCount = 0;
    std::vector<int> merged; // the shard indices taken in
    std::vector<int> missing; // shard indices no usable file was given for
    QStringList leftOut; // "FILE: why", each shard file left out (allowPartial)
    ImportCounts counts;
    std::vector<std::pair<QString, qint64>> statusCounts; // files per status in the merged scan
};

// Checks every shard before anything is written: each must be a case of this format whose
// audit chain, signatures and rows verify, holding one sharded scan that completed; all must
// be shards of the same scan (roots, walk options, limits, models, preprocessing, precision
// and shard count), each index once. Models, preprocessing or precision that differ, a file
// that is not a shard and an index given twice are always refused; a missing, unverifiable
// or unfinished shard is refused unless allowPartial.
//
// The merged case is written under a temporary name beside the target and renamed into place
// when complete: the target is whole or absent. One scan, with the settings an unsharded scan
// of the same roots has, holds every shard's files in walk order, their contents once per
// SHA-256, their results, windows, cached features and walk events; its audit entry "shards
// merged" records each shard's file (and its SHA-256), settings, models, runtime, file counts
// and audit chain (length, head, signers), and what was missing or left out.
Result<MergeOutcome> mergeShards(const MergeRequest &request);

} // namespace rine
