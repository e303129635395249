// runner/src/watchdog.hpp — notices an engine stuck in signal_on_data (or
// signal_on_timer, on_start, on_stop: the call is named), and
// bounds how long a stop request may take (Watchdog).
//
// The runner cannot interrupt an engine: C code has no safe cancellation
// point, and killing the dispatch thread would leave the engine's locks and
// the process in an unknown state. What it can do:
//   * say so: when one on_data call has lasted longer than the deadline
//     ($.watchdog.on_data_ms), one warning names the engine, the md frame
//     (sequence, type) and how long it has been inside; again at 2x, 4x, 8x
//     ... the deadline while it stays stuck, and once when it returns. Each
//     such call is counted once, for its engine, in the runner's
//     WatchdogTrips (sigrun_watchdog_trips_total{engine}).
//   * keep a stop request bounded: once `stop` is set, the run has
//     $.watchdog.stop_timeout_ms to end (drain, destroy the engines). If it
//     has not, the watchdog logs what is in flight and ends the process with
//     kExitStopTimeout without running any more plugin code. The journals are
//     then as after a crash: every published frame readable, a frame half
//     written discarded by the next open.
//
// Cost on the hot path: none of its own. It samples the DispatchProbe the
// dispatcher publishes (a call counter and the engine inside), every
// deadline/4 (10 ms .. 100 ms), so a reported duration is at least the true
// one minus one sample period.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config.hpp"
#include "dispatch_probe.hpp"
#include "watchdog_trips.hpp"

namespace sigrun::runner {

// The process exit code when a stop request could not end the run in time
// (an engine that never returns); see main.cpp for all exit codes.
inline constexpr int kExitStopTimeout = 3;

class Watchdog {
public:
    // `trips` names the engine of each probe index and counts the calls
    // past the deadline; it outlives the watchdog (the runner owns it).
    // `stop` is the run's stop request.
    Watchdog(const DispatchProbe& probe, WatchdogTrips& trips, WatchdogConfig config, const std::atomic<bool>& stop);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    // Starts the sampling thread. Throws std::system_error when no thread can
    // be created (call it before any other thread of the run starts).
    void start();
    // The run has ended: stops sampling (no forced exit after this).
    void finish();

    // on_data calls that ran past the deadline (each counted once), all engines.
    [[nodiscard]] std::uint64_t overruns() const noexcept { return trips_.total(); }

    // Test seam: what a forced exit does (default: log, flush, _exit(kExitStopTimeout)).
    using ExitFn = void (*)(const std::string& line);
    void set_exit_for_test(ExitFn fn) noexcept { exit_ = fn; }

private:
    void loop();
    void sample(std::chrono::steady_clock::time_point now);
    [[nodiscard]] std::string in_flight(std::chrono::steady_clock::time_point now) const;
    [[nodiscard]] std::string engine_name(std::uint32_t engine) const;

    const DispatchProbe& probe_;
    WatchdogTrips& trips_;
    WatchdogConfig config_;
    const std::atomic<bool>& stop_;
    ExitFn exit_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool finished_ = false;  // guarded by mutex_
    std::thread thread_;

    // Sampling state (watchdog thread only).
    std::uint64_t seen_calls_ = 0;
    std::uint32_t seen_engine_ = 0;
    std::uint64_t seen_sequence_ = 0;
    std::int32_t seen_type_ = 0;
    std::int32_t seen_call_ = 0;  // a DispatchCall
    std::chrono::steady_clock::time_point seen_since_{};
    std::chrono::milliseconds next_report_{0};  // 0: not over the deadline yet
    std::chrono::steady_clock::time_point stop_seen_{};
    bool stopping_ = false;
};

}  // namespace sigrun::runner
