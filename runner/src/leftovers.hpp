// runner/src/leftovers.hpp — what a crashed run left in the journal dir.
//
// A run that dies (kill -9, a crash, power loss) cannot clean up after
// itself: its private plugin copies stay in <journal dir>/.plugins
// (<stem>.<pid>.<n>.so) and a journal it was creating stays as
// <name>.creating.<pid> (only on filesystems without O_TMPFILE; elsewhere a
// journal being created has no name until it is complete). The next run
// removes them — only those of processes that no longer exist, or of its own
// pid (a restarted container's runner gets the same pid again), so another
// live process's files are never touched. Called once the runner holds the
// signals journal's writer lock: no other runner works in this folder then.
#pragma once

#include <cstdint>
#include <filesystem>

namespace sigrun::runner {

struct LeftoverCount {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
};

// Removes the leftovers in `journal_dir` and its .plugins folder; never
// throws (what cannot be removed is skipped).
LeftoverCount remove_leftovers(const std::filesystem::path& journal_dir) noexcept;

}  // namespace sigrun::runner
