// sigrun/journal/liveness.hpp — is the writer of a journal alive?
//
// For a reader in another process (the runner in "journal" source mode). The
// rule, from the header's owner_pid and heartbeat (the owner's heartbeat
// thread refreshes heartbeat_time every heartbeat_interval_ms while the file
// is open for writing, idle or not):
//   * owner_pid 0: no writer has it open (closed cleanly, or never opened by
//     a writer since creation)                                    -> no_writer
//   * a heartbeat younger than stale_after(interval)               -> alive
//     (the pid is not consulted then: the writer may live in another pid
//     namespace)
//   * otherwise, the pid does not exist on this host               -> died
//   * otherwise, a heartbeat that stopped (the process is stopped, hung as a
//     whole, or the clock jumped)                                  -> stalled
//   * no heartbeat at all (a writer from a build without one) and the pid
//     exists                                                       -> alive
// An idle writer keeps beating, so it is never reported. What the heartbeat
// does not say: whether the writer has data to publish — a quiet market and
// a feed thread stuck inside a live process look the same.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "sigrun/journal/mapping.hpp"

namespace sigrun::journal {

enum class WriterState { alive, no_writer, died, stalled };

struct WriterLiveness {
    WriterState state = WriterState::no_writer;
    std::int32_t pid = 0;                        // owner_pid, 0 = none
    std::chrono::milliseconds heartbeat_age{-1}; // -1: no heartbeat in the header
    std::chrono::milliseconds stale_after{0};    // the threshold applied

    // One line for a log: "journal PATH: its writer (pid N) died: last
    // heartbeat 12.3 s ago; ...".
    [[nodiscard]] std::string describe(const std::filesystem::path& path) const;
};

// Five intervals, at least 250 ms: a writer under load or a short clock step
// does not trip it.
[[nodiscard]] std::chrono::milliseconds stale_after(std::chrono::milliseconds interval) noexcept;

// Reads the header of `mapping` now. [thread-safe]
[[nodiscard]] WriterLiveness writer_liveness(const Mapping& mapping);

}  // namespace sigrun::journal
