#pragma once

#include <cstdint>
#include <string>
#include <vector>

// What a folder walk records: scan/ produces them, store/ keeps them, so they live below both.

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
        OutsideRoots, // a symlink that resolves outside every root: not followed unless asked
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
    // Also follow symlinks whose target lies outside every root (`photos -> /` would scan the
    // machine into the case). Off by default; recorded in the scan's settings.
    bool followOutsideRoots = false;
};

} // namespace rine
