// runner/src/stoppable_wait.hpp — sleeping in the runner without outliving
// a stop request: every wait of the run (pacing a slow replay, waiting for
// room or for a pinned frame in md.journal) wakes within kStopCheck of the
// stop flag being set.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

namespace sigrun::runner {

// How long a runner wait may sleep before it looks at the stop flag again.
inline constexpr std::chrono::milliseconds kStopCheck{10};

// Sleeps for `duration` in slices of at most kStopCheck; returns false (early)
// when `stop` is set.
inline bool sleep_unless_stopped(std::chrono::nanoseconds duration, const std::atomic<bool>& stop) {
    const auto until = std::chrono::steady_clock::now() + duration;
    for (;;) {
        if (stop.load(std::memory_order_relaxed)) return false;
        const auto left = until - std::chrono::steady_clock::now();
        if (left <= std::chrono::nanoseconds::zero()) return true;
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(left, kStopCheck));
    }
}

}  // namespace sigrun::runner
