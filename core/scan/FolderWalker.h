#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rine {

// A regular file found by a walk, with what lstat/stat said of it at that moment.
struct WalkEntry {
    std::string path;
    std::uint64_t size = 0;
    std::int64_t mtimeNs = 0; // modification time, nanoseconds since the epoch (UTC)
};

// Something met on the way that is not a file to examine: reported, never fatal.
struct WalkEvent {
    enum class Kind {
        UnreadableFolder, // opendir failed (permissions, I/O error)
        SymlinkLoop, // a symlink leads back to a folder on its own path
        AlreadyVisited, // a symlink leads to a folder already walked through another path
        DanglingSymlink, // a symlink to nothing
        SpecialFile, // FIFO, socket, device: never opened
        Vanished, // listed by the folder, gone before it could be looked at
        Excluded, // matched an exclude pattern (folders only; excluded files are not listed)
        MissingRoot, // a root given by the user does not exist
    };
    Kind kind;
    std::string path;
    std::string message;
};

const char *walkEventName(WalkEvent::Kind kind);

struct WalkOptions {
    // Shell patterns (fnmatch). A pattern without '/' matches a file's name, one with '/'
    // matches its path relative to the root. Empty include: every file.
    std::vector<std::string> include;
    std::vector<std::string> exclude; // also prunes matching folders
    bool followSymlinks = true;
};

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

} // namespace rine
