#include "resource_limits.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <system_error>

#include <fmt/format.h>

namespace sigrun::runner {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// Descriptors open in this process now (the directory listing's own one excluded).
std::uint64_t open_descriptors() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return 0;
    std::uint64_t n = 0;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] != '.') ++n;
    }
    ::closedir(dir);
    return n > 0 ? n - 1 : 0;
}

// Bytes of address space mapped now (VmSize), 0 when unknown.
std::uint64_t mapped_bytes() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;  // "VmSize:  1234 kB"
    }
    return 0;
}

std::string read_sysctl(const char* path) {
    std::ifstream in(path);
    std::string value;
    in >> value;
    return value.empty() ? "?" : value;
}

std::uint64_t journal_bytes(const journal::Geometry& g) { return g.capacity * g.slot_size + 4096; }

}  // namespace

std::string describe_nofile_limit() {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    return fmt::format("the open-file limit (ulimit -n) is {} with {} open", lim.rlim_cur, open_descriptors());
}

std::string describe_as_limit() {
    rlimit lim{};
    ::getrlimit(RLIMIT_AS, &lim);
    if (lim.rlim_cur == RLIM_INFINITY) return "the address-space limit (ulimit -v) is unlimited";
    return fmt::format("the address-space limit (ulimit -v) is {} MiB with {} MiB mapped", lim.rlim_cur / kMiB,
                       mapped_bytes() / kMiB);
}

void check_start_headroom(const RunnerConfig& config) {
    // Descriptors the runner holds or opens at once while starting: stdio,
    // both journals (plus one while creating), each replay file, per engine
    // the library copy (source and target) and /proc/self/maps, the hot-swap
    // eventfd and inotify instance, and a little slack.
    const std::uint64_t needed = 3 + 3 + config.source.files.size() + 3 + 2 + 8;
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
        const std::uint64_t open = open_descriptors();
        if (open + needed > files.rlim_cur) {
            throw ResourceLimitError(fmt::format(
                "cannot start: {}, and the runner needs about {} more; raise it (ulimit -n 1024, or LimitNOFILE= "
                "in a systemd unit)", describe_nofile_limit(), needed));
        }
    }
    rlimit space{};
    if (::getrlimit(RLIMIT_AS, &space) == 0 && space.rlim_cur != RLIM_INFINITY) {
        const std::uint64_t journals = journal_bytes(config.journal.md) + journal_bytes(config.journal.signals);
        // Thread stacks (feed, dispatch, hot swap, watchdog, signals), the
        // engines' libraries and heap: a generous fixed allowance.
        rlimit stack{};
        ::getrlimit(RLIMIT_STACK, &stack);
        const std::uint64_t stack_bytes =
            stack.rlim_cur == RLIM_INFINITY || stack.rlim_cur > 64 * kMiB ? 64 * kMiB : stack.rlim_cur;
        const std::uint64_t needed_bytes = journals + 5 * stack_bytes + (64 + 16 * config.engines.size()) * kMiB;
        const std::uint64_t mapped = mapped_bytes();
        if (mapped + needed_bytes > space.rlim_cur) {
            throw ResourceLimitError(fmt::format(
                "cannot start: {}, and the runner needs about {} MiB more (the journals {} MiB); raise it "
                "(ulimit -v unlimited) or lower $.journal.md.capacity / $.journal.signals.capacity",
                describe_as_limit(), needed_bytes / kMiB, journals / kMiB));
        }
    }
}

std::string describe_os_failure(const std::string& what, int err, bool inotify) {
    const std::string base = fmt::format("{} failed: {}", what, std::strerror(err));
    switch (err) {
        case EMFILE:
            if (inotify) {
                rlimit files{};
                ::getrlimit(RLIMIT_NOFILE, &files);
                if (files.rlim_cur == RLIM_INFINITY || open_descriptors() + 1 < files.rlim_cur) {
                    return fmt::format("{}: the per-user inotify instance limit (fs.inotify.max_user_instances = "
                                       "{}) is reached; raise it (sysctl fs.inotify.max_user_instances=1024) or "
                                       "set $.hot_swap.watch to false", base,
                                       read_sysctl("/proc/sys/fs/inotify/max_user_instances"));
                }
            }
            return fmt::format("{}: {}; raise it (ulimit -n 1024)", base, describe_nofile_limit());
        case ENFILE:
            return fmt::format("{}: the system-wide open-file table is full (fs.file-max = {}); close files "
                               "elsewhere or raise it", base, read_sysctl("/proc/sys/fs/file-max"));
        case ENOSPC:
            if (inotify) {
                return fmt::format("{}: the per-user inotify watch limit (fs.inotify.max_user_watches = {}) is "
                                   "reached; raise it (sysctl fs.inotify.max_user_watches=65536) or set "
                                   "$.hot_swap.watch to false", base,
                                   read_sysctl("/proc/sys/fs/inotify/max_user_watches"));
            }
            return base + ": the file system is full; free space";
        case ENOMEM:
            return fmt::format("{}: out of memory: {}; raise it (ulimit -v unlimited) or lower the journal "
                               "capacities", base, describe_as_limit());
        case EAGAIN:
            return fmt::format("{}: no resources for another thread or mapping: the process limit (ulimit -u) or "
                               "{}; raise them", base, describe_as_limit());
        default:
            return base;
    }
}

std::string describe_limit_exception(const std::exception& e) {
    if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
        return fmt::format("out of memory while starting or running: {}; raise it (ulimit -v unlimited) or lower "
                           "the journal capacities", describe_as_limit());
    }
    if (const auto* se = dynamic_cast<const std::system_error*>(&e);
        se != nullptr && (se->code().category() == std::generic_category() ||
                          se->code().category() == std::system_category())) {
        const int err = se->code().value();
        if (err == EMFILE || err == ENFILE || err == ENOMEM || err == EAGAIN) {
            return describe_os_failure(se->what(), err);
        }
    }
    return {};
}

}  // namespace sigrun::runner
