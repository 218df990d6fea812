#pragma once

#include "util/WalkRecords.h"

#include <functional>
#include <string>
#include <vector>

namespace rine {

struct WalkResult {
    std::vector<WalkEntry> files; // in walk order: roots in the order given, names sorted
    std::vector<WalkEvent> events;
};

// Walks folders recursively (and takes files given as roots as they are). Folders are
// identified by device and inode, so a symlink loop or a second way into the same folder is
// reported once instead of walked forever. Only lstat/stat/opendir are used: no file is
// opened here.
class FolderWalker {
public:
    explicit FolderWalker(WalkOptions options);

    // stop: polled between folders with the number of files found so far; returning true
    // ends the walk early.
    WalkResult walk(const std::vector<std::string> &roots,
                    const std::function<bool(std::size_t found)> &stop = {}) const;

private:
    bool included(const std::string &name, const std::string &relative) const;
    bool excluded(const std::string &name, const std::string &relative) const;

    WalkOptions m_options;
};

// Whether a walk of `roots` lists file `a` before file `b`: roots in the order given (a file
// belongs to the first root it lies under), then depth first with names sorted and a folder's
// files before its subfolders. For interleaving the lists of separate walks of the same roots
// (the shards of a scan) into the one a single walk makes.
bool walkOrderBefore(const std::string &a, const std::string &b, const std::vector<std::string> &roots);

} // namespace rine
