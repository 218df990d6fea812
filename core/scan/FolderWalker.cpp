#include "FolderWalker.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fnmatch.h>
#include <set>
#include <sys/stat.h>
#include <utility>

namespace rine {

namespace {

using FolderId = std::pair<dev_t, ino_t>;

struct PendingFolder {
    std::string path;
    std::string relative;
    std::vector<FolderId> ancestors; // the folders on the way here, this one included
};

std::int64_t mtimeNs(const struct stat &info)
{
    return std::int64_t(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

bool matchesAny(const std::vector<std::string> &patterns, const std::string &name, const std::string &relative)
{
    for (const std::string &pattern : patterns) {
        const bool onPath = pattern.find('/') != std::string::npos;
        if (::fnmatch(pattern.c_str(), onPath ? relative.c_str() : name.c_str(), onPath ? FNM_PATHNAME : 0) == 0)
            return true;
    }
    return false;
}

// The path with every symlink resolved ("" when it cannot be).
std::string resolved(const std::string &path)
{
    char *real = ::realpath(path.c_str(), nullptr);
    if (!real)
        return {};
    std::string out(real);
    std::free(real);
    return out;
}

bool inside(const std::string &path, const std::string &root)
{
    if (path.size() < root.size() || path.compare(0, root.size(), root) != 0)
        return false;
    return path.size() == root.size() || root == "/" || path[root.size()] == '/';
}

std::vector<std::string> sortedNames(DIR *dir)
{
    std::vector<std::string> names;
    while (const dirent *entry = ::readdir(dir)) {
        const char *name = entry->d_name;
        if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0)
            names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

FolderWalker::FolderWalker(WalkOptions options) : m_options(std::move(options)) {}

bool FolderWalker::included(const std::string &name, const std::string &relative) const
{
    return m_options.include.empty() || matchesAny(m_options.include, name, relative);
}

bool FolderWalker::excluded(const std::string &name, const std::string &relative) const
{
    return matchesAny(m_options.exclude, name, relative);
}

WalkResult FolderWalker::walk(const std::vector<std::string> &roots,
                              const std::function<bool(std::size_t found)> &stop) const
{
    using Kind = WalkEvent::Kind;
    WalkResult result;
    std::set<FolderId> visited;
    std::vector<PendingFolder> stack;
    // Where the roots really are: a symlink is followed only to a target under one of them.
    std::vector<std::string> realRoots;
    for (const std::string &root : roots)
        if (std::string real = resolved(root); !real.empty())
            realRoots.push_back(std::move(real));
    const auto withinRoots = [&](const std::string &path) {
        const std::string real = resolved(path);
        return !real.empty() && std::any_of(realRoots.begin(), realRoots.end(),
                                            [&](const std::string &root) { return inside(real, root); });
    };

    for (const std::string &root : roots) {
        struct stat info {};
        if (::stat(root.c_str(), &info) != 0) {
            result.events.push_back({Kind::MissingRoot, root, root + ": " + std::strerror(errno)});
            continue;
        }
        if (S_ISREG(info.st_mode)) {
            result.files.push_back({root, std::uint64_t(info.st_size), mtimeNs(info)});
            continue;
        }
        if (!S_ISDIR(info.st_mode)) {
            result.events.push_back({Kind::SpecialFile, root, root + ": not a file or folder; not opened"});
            continue;
        }
        const FolderId id{info.st_dev, info.st_ino};
        if (!visited.insert(id).second) {
            result.events.push_back({Kind::AlreadyVisited, root, root + ": the same folder was already walked"});
            continue;
        }
        std::string path = root;
        while (path.size() > 1 && path.back() == '/')
            path.pop_back();
        stack.push_back({path, "", {id}});

        // Depth first, names sorted, so that a walk's order is the same every time.
        while (!stack.empty()) {
            if (stop && stop(result.files.size()))
                return result;
            PendingFolder folder = std::move(stack.back());
            stack.pop_back();
            DIR *dir = ::opendir(folder.path.c_str());
            if (!dir) {
                result.events.push_back({Kind::UnreadableFolder, folder.path,
                                         folder.path + ": cannot list the folder: " + std::strerror(errno)});
                continue;
            }
            const std::vector<std::string> names = sortedNames(dir);
            ::closedir(dir);

            std::vector<PendingFolder> subfolders;
            for (const std::string &name : names) {
                const std::string path = folder.path == "/" ? "/" + name : folder.path + "/" + name;
                const std::string relative = folder.relative.empty() ? name : folder.relative + "/" + name;
                struct stat link {};
                if (::lstat(path.c_str(), &link) != 0) {
                    result.events.push_back({Kind::Vanished, path, path + ": " + std::strerror(errno)
                                                                       + " (removed while the folder was listed?)"});
                    continue;
                }
                struct stat target = link;
                if (S_ISLNK(link.st_mode)) {
                    if (!m_options.followSymlinks) {
                        result.events.push_back({Kind::SpecialFile, path, path + ": symlink, not followed"});
                        continue;
                    }
                    if (::stat(path.c_str(), &target) != 0) {
                        const int error = errno;
                        if (error == ELOOP)
                            result.events.push_back({Kind::SymlinkLoop, path, path + ": symlinks that point at each other"});
                        else
                            result.events.push_back({Kind::DanglingSymlink, path,
                                                     path + ": symlink to nothing (" + std::strerror(error) + ")"});
                        continue;
                    }
                    if (!m_options.followOutsideRoots && !withinRoots(path)) {
                        result.events.push_back({Kind::OutsideRoots, path,
                                                 path + ": symlink to " + resolved(path)
                                                     + ", outside the folders being scanned; not followed (follow "
                                                       "such links only when asked: --follow-symlinks-outside)"});
                        continue;
                    }
                }
                if (S_ISDIR(target.st_mode)) {
                    if (excluded(name, relative)) {
                        result.events.push_back({Kind::Excluded, path, path + ": folder excluded by a pattern"});
                        continue;
                    }
                    const FolderId id{target.st_dev, target.st_ino};
                    if (std::find(folder.ancestors.begin(), folder.ancestors.end(), id) != folder.ancestors.end()) {
                        result.events.push_back({Kind::SymlinkLoop, path,
                                                 path + ": leads back to a folder it is inside of; not followed"});
                        continue;
                    }
                    if (!visited.insert(id).second) {
                        result.events.push_back({Kind::AlreadyVisited, path,
                                                 path + ": a folder already walked through another path; not walked twice"});
                        continue;
                    }
                    PendingFolder sub{path, relative, folder.ancestors};
                    sub.ancestors.push_back(id);
                    subfolders.push_back(std::move(sub));
                } else if (S_ISREG(target.st_mode)) {
                    if (!excluded(name, relative) && included(name, relative))
                        result.files.push_back({path, std::uint64_t(target.st_size), mtimeNs(target)});
                } else {
                    result.events.push_back({Kind::SpecialFile, path,
                                             path + ": not a regular file (FIFO, socket or device); not opened"});
                }
            }
            // Reverse, so that the stack pops subfolders in name order.
            for (auto it = subfolders.rbegin(); it != subfolders.rend(); ++it)
                stack.push_back(std::move(*it));
        }
    }
    return result;
}

namespace {

// The sort key of a path in walk order: its root's position, then one element per folder on
// the way ("\1" + name) and the file's own name last ("\0" + name, before any subfolder's).
std::pair<std::size_t, std::vector<std::string>> walkKey(const std::string &path, const std::vector<std::string> &roots)
{
    std::size_t index = roots.size();
    std::string relative = path;
    for (std::size_t i = 0; i < roots.size() && index == roots.size(); ++i) {
        std::string root = roots[i];
        while (root.size() > 1 && root.back() == '/')
            root.pop_back();
        if (path == root) {
            index = i;
            relative.clear();
        } else if (path.size() > root.size() && path.compare(0, root.size(), root) == 0
                   && (root == "/" || path[root.size()] == '/')) {
            index = i;
            relative = path.substr(root == "/" ? 1 : root.size() + 1);
        }
    }
    std::vector<std::string> key;
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = relative.find('/', start);
        if (slash == std::string::npos) {
            key.push_back(std::string(1, '\0') + relative.substr(start));
            break;
        }
        key.push_back(std::string(1, '\1') + relative.substr(start, slash - start));
        start = slash + 1;
    }
    return {index, std::move(key)};
}

} // namespace

bool walkOrderBefore(const std::string &a, const std::string &b, const std::vector<std::string> &roots)
{
    return walkKey(a, roots) < walkKey(b, roots);
}

} // namespace rine
