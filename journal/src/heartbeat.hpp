// heartbeat.hpp — the owner of a journal proves it is alive.
//
// While a journal is open for writing, a thread of the owner stores the
// wall-clock time into FileHeader::heartbeat_time every interval, whether
// or not anything is published: a reader in another process tells an idle
// writer (fresh heartbeat) from a dead or stopped one (stale heartbeat, see
// liveness.hpp). A thread rather than the writer's own stores, because an
// idle writer publishes nothing and must still be seen alive.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "sigrun/journal/format.hpp"

namespace sigrun::journal::detail {

class Heartbeat {
public:
    // Beats once now, then every `interval` until destroyed.
    Heartbeat(FileHeader& header, std::chrono::milliseconds interval);
    ~Heartbeat();
    Heartbeat(const Heartbeat&) = delete;
    Heartbeat& operator=(const Heartbeat&) = delete;

private:
    void beat() noexcept;

    FileHeader& header_;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace sigrun::journal::detail
