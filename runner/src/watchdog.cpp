#include "watchdog.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sigrun::runner {
namespace {

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Nothing of the run is trusted any more: log, flush, leave without running
// destructors (they would call into the stuck engine) or atexit handlers.
void exit_now(const std::string& line) {
    spdlog::default_logger()->flush();
    std::fprintf(stderr, "sigrun: %s\n", line.c_str());
    std::fflush(stderr);
    std::fflush(stdout);
    std::_Exit(kExitStopTimeout);
}

}  // namespace

Watchdog::Watchdog(const DispatchProbe& probe, WatchdogTrips& trips, WatchdogConfig config, const std::atomic<bool>& stop)
    : probe_(probe), trips_(trips), config_(config), stop_(stop), exit_(&exit_now) {}

Watchdog::~Watchdog() { finish(); }

void Watchdog::start() {
    thread_ = std::thread([this] { loop(); });
}

void Watchdog::finish() {
    {
        const std::lock_guard lock(mutex_);
        finished_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::string Watchdog::engine_name(std::uint32_t engine) const {
    const auto& names = trips_.names();
    return engine >= 1 && engine <= names.size() ? names[engine - 1] : fmt::format("#{}", engine);
}

void Watchdog::loop() {
    const auto period = std::clamp<std::chrono::milliseconds>(config_.on_data_deadline / 4,
                                                              std::chrono::milliseconds(10),
                                                              std::chrono::milliseconds(100));
    std::unique_lock lock(mutex_);
    while (!finished_) {
        wake_.wait_for(lock, period);
        if (finished_) break;
        lock.unlock();
        sample(std::chrono::steady_clock::now());
        lock.lock();
    }
}

void Watchdog::sample(std::chrono::steady_clock::time_point now) {
    const std::uint64_t calls = probe_.calls.load(std::memory_order_relaxed);
    const std::uint32_t engine = probe_.engine.load(std::memory_order_relaxed);
    if (engine != 0 && calls == seen_calls_ && engine == seen_engine_) {
        const auto inside = now - seen_since_;
        if (next_report_.count() == 0 && inside >= config_.on_data_deadline) {
            trips_.count(engine - 1);  // engine != 0 here: 1 + its index
            spdlog::warn("watchdog: engine {} has been inside {} of md frame {} ({}) for {:.1f} s, "
                         "over the {} ms deadline ($.watchdog.on_data_ms); dispatch waits for it and the runner "
                         "cannot interrupt it. If it never returns, a stop (SIGTERM) ends the runner after "
                         "$.watchdog.stop_timeout_ms with exit code {}; fix or remove the engine",
                         engine_name(engine), dispatch_call_name(seen_call_), seen_sequence_,
                         message_type_name(seen_type_), seconds(inside),
                         config_.on_data_deadline.count(), kExitStopTimeout);
            next_report_ = config_.on_data_deadline * 2;
        } else if (next_report_.count() != 0 && inside >= next_report_) {
            spdlog::warn("watchdog: engine {} is still inside {} of md frame {} ({}) after {:.1f} s",
                         engine_name(engine), dispatch_call_name(seen_call_), seen_sequence_,
                         message_type_name(seen_type_), seconds(inside));
            next_report_ *= 2;
        }
    } else {
        if (next_report_.count() != 0) {
            spdlog::warn("watchdog: engine {} returned from {} of md frame {} ({}) after {:.1f} s",
                         engine_name(seen_engine_), dispatch_call_name(seen_call_), seen_sequence_,
                         message_type_name(seen_type_),
                         seconds(now - seen_since_));
        }
        seen_calls_ = calls;
        seen_engine_ = engine;
        // Read after calls/engine: when the call is stuck these are its own.
        seen_sequence_ = probe_.sequence.load(std::memory_order_relaxed);
        seen_type_ = probe_.type.load(std::memory_order_relaxed);
        seen_call_ = probe_.call.load(std::memory_order_relaxed);
        seen_since_ = now;
        next_report_ = std::chrono::milliseconds(0);
    }

    if (!stopping_ && stop_.load(std::memory_order_relaxed)) {
        stopping_ = true;
        stop_seen_ = now;
    }
    if (stopping_ && now - stop_seen_ >= config_.stop_timeout) {
        exit_(fmt::format("the run did not end within {} ms of the stop request ($.watchdog.stop_timeout_ms): "
                          "{}; exiting with code {} without destroying the engines. Every frame published to the "
                          "journals stays readable (as after a crash); fix or remove that engine",
                          config_.stop_timeout.count(), in_flight(now), kExitStopTimeout));
    }
}

std::string Watchdog::in_flight(std::chrono::steady_clock::time_point now) const {
    if (seen_engine_ != 0) {
        return fmt::format("engine {} has been inside {} of md frame {} ({}) for {:.1f} s",
                           engine_name(seen_engine_), dispatch_call_name(seen_call_), seen_sequence_,
                           message_type_name(seen_type_),
                           seconds(now - seen_since_));
    }
    return fmt::format("no engine is inside signal_on_data (dispatch is at md frame {}); an engine's "
                       "signal_destroy or a slow drain is holding the run",
                       probe_.sequence.load(std::memory_order_relaxed));
}

}  // namespace sigrun::runner
