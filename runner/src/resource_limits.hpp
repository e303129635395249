// runner/src/resource_limits.hpp — running out of a process or system limit
// (file descriptors, inotify instances, address space, threads) ends the
// start-up with one line naming the limit, its value and how to raise it —
// before dispatch starts, and never as advice about permissions.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

#include "config.hpp"

namespace sigrun::runner {

// A limit the runner cannot start under; what() is the one line.
class ResourceLimitError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Before anything is opened: enough free file descriptors (RLIMIT_NOFILE
// minus those open) and address space (RLIMIT_AS minus what is mapped) for
// the journals, engines and threads of `config`? Throws ResourceLimitError.
void check_start_headroom(const RunnerConfig& config);

// "<what> failed: <strerror>" plus the limit and its fix when `err` means a
// limit was hit (EMFILE, ENFILE, ENOMEM, EAGAIN, ENOSPC for inotify).
// `inotify`: the failure was inotify_init1/inotify_add_watch, whose EMFILE
// and ENOSPC mean the per-user inotify limits when descriptors are left.
std::string describe_os_failure(const std::string& what, int err, bool inotify = false);

// When `e` is a limit being hit (std::bad_alloc, std::system_error from
// creating a thread, or an error carrying EMFILE/ENFILE/ENOMEM), the line
// to print instead of what(); otherwise empty.
std::string describe_limit_exception(const std::exception& e);

// Helpers for the lines above (also used by the tests).
std::string describe_nofile_limit();  // "the open-file limit (ulimit -n) is 64 with 60 open"
std::string describe_as_limit();      // "the address-space limit (ulimit -v) is 512 MiB with 300 MiB mapped"

}  // namespace sigrun::runner
