// runner/src/storage_preflight.hpp — will the run's files fit? Checked
// before anything is created.
//
// The journals are reserved block by block when they are created (and
// re-reserved when reopened), so a full disk can no longer kill a run with
// SIGBUS. This check comes first so that it fails before any file is
// created, with one line that adds it all up: the free space on the journal
// dir's filesystem (what an unprivileged user may use, statvfs f_bavail)
// against what the run needs — each journal not yet there at its full size,
// an existing one's blocks still unreserved (a sparse copy), and one private
// copy of each engine's library, plus a 1 MiB margin for the hot swaps'
// second copies. The file-size limit (ulimit -f) is checked against the
// largest journal the same way.
#pragma once

#include <stdexcept>

#include "config.hpp"

namespace sigrun::runner {

// Not enough space or a file-size limit too low; what() is one line.
class StorageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws StorageError. The journal dir must exist.
void check_storage(const RunnerConfig& config);

}  // namespace sigrun::runner
