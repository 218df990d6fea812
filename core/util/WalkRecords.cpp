#include "WalkRecords.h"

namespace rine {

const char *walkEventName(WalkEvent::Kind kind)
{
    switch (kind) {
    case WalkEvent::Kind::UnreadableFolder: return "unreadable_folder";
    case WalkEvent::Kind::SymlinkLoop: return "symlink_loop";
    case WalkEvent::Kind::AlreadyVisited: return "already_visited";
    case WalkEvent::Kind::DanglingSymlink: return "dangling_symlink";
    case WalkEvent::Kind::SpecialFile: return "special_file";
    case WalkEvent::Kind::Vanished: return "vanished";
    case WalkEvent::Kind::Excluded: return "excluded";
    case WalkEvent::Kind::MissingRoot: return "missing_root";
    case WalkEvent::Kind::OutsideRoots: return "outside_roots";
    }
    return "unknown";
}

} // namespace rine
