#include "storage_preflight.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace sigrun::runner {
namespace {

constexpr std::uint64_t kMargin = std::uint64_t{1} << 20;

std::string mib(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

// Bytes the journal at `path` still has to reserve: all of it when absent,
// its unallocated blocks when present (a sparse file), 0 when complete.
std::uint64_t to_reserve(const std::filesystem::path& path, const journal::Geometry& geometry) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return geometry.file_size();
    const auto allocated = static_cast<std::uint64_t>(st.st_blocks) * 512;
    const auto size = std::max<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), geometry.file_size());
    return size > allocated ? size - allocated : 0;
}

}  // namespace

void check_storage(const RunnerConfig& config) {
    const auto& jc = config.journal;
    struct Need {
        std::string what;
        std::uint64_t bytes;
    };
    std::vector<Need> needs;
    std::uint64_t largest_journal = jc.signals.file_size();
    if (config.source.kind != SourceKind::journal) {
        needs.push_back({"md.journal", to_reserve(jc.dir / "md.journal", jc.md)});
        largest_journal = std::max(largest_journal, jc.md.file_size());
    }
    needs.push_back({"signals.journal", to_reserve(jc.dir / "signals.journal", jc.signals)});
    std::uint64_t plugins = 0;
    for (const auto& engine : config.engines) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(engine.library, ec);
        if (!ec) plugins += size;
    }
    needs.push_back({"plugin copies", plugins});

    rlimit limit{};
    if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && largest_journal > limit.rlim_cur) {
        throw StorageError(fmt::format(
            "journal dir {}: the file-size limit (ulimit -f) is {} bytes but a journal needs {} bytes; raise the "
            "limit or lower $.journal.md.capacity / $.journal.signals.capacity",
            jc.dir.string(), static_cast<std::uint64_t>(limit.rlim_cur), largest_journal));
    }

    struct statvfs fs {};
    if (::statvfs(jc.dir.c_str(), &fs) != 0) {
        throw StorageError(fmt::format("journal dir {}: cannot read its free space ({}); check the path",
                                       jc.dir.string(), std::strerror(errno)));
    }
    const std::uint64_t available = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    std::uint64_t total = kMargin;
    std::string parts;
    for (const auto& n : needs) {
        total += n.bytes;
        if (n.bytes != 0) parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", n.what, mib(n.bytes));
    }
    if (total > available) {
        throw StorageError(fmt::format(
            "journal dir {}: {} free on its filesystem but the run needs {} ({}, 1.0 MiB margin); free space, "
            "use another $.journal.dir or lower $.journal.md.capacity / $.journal.signals.capacity",
            jc.dir.string(), mib(available), mib(total), parts.empty() ? std::string("nothing new") : parts));
    }
}

}  // namespace sigrun::runner
