#include "heartbeat.hpp"

#include <time.h>

#include "sigrun/journal/atomics.hpp"

namespace sigrun::journal::detail {

Heartbeat::Heartbeat(FileHeader& header, std::chrono::milliseconds interval) : header_(header), interval_(interval) {
    store(header_.heartbeat_interval_ms, static_cast<std::uint32_t>(interval_.count()), std::memory_order_relaxed);
    beat();
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) beat();
    });
}

Heartbeat::~Heartbeat() {
    {
        const std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

// CLOCK_REALTIME: the one clock every process (and container) on the host
// agrees on. A step of the clock can make one check see a stale beat;
// liveness.hpp's threshold is several intervals wide for that reason.
void Heartbeat::beat() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    store(header_.heartbeat_time, static_cast<std::int64_t>(ts.tv_sec * 1'000'000'000LL + ts.tv_nsec), std::memory_order_relaxed);
}

}  // namespace sigrun::journal::detail
