// runner/src/rate_limited_log.hpp — one warning that can repeat on every
// frame (a lapped reader, an engine throwing on every call, rejected frames)
// logged at most once per interval, with the count of what was not logged.
//
//     RateLimit limit;                       // one per warning site
//     if (const auto gate = limit.admit()) spdlog::warn("... {}", gate.suffix());
//
// admit() reads the clock, so it belongs on a path that is already slow
// (something went wrong); the first `burst` events are always logged.
// Not thread-safe: one per thread, or guard it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace sigrun::runner {

class RateLimit {
public:
    using Clock = std::chrono::steady_clock;

    struct Admission {
        bool log = false;
        std::uint64_t suppressed = 0;   // events not logged since the last line
        double suppressed_over_s = 0;   // ... over this many seconds
        explicit operator bool() const noexcept { return log; }
        // "" or " (and 1234 more like it in the last 1.0 s)"
        [[nodiscard]] std::string suffix() const {
            return suppressed == 0 ? std::string()
                                   : fmt::format(" (and {} more like it in the last {:.1f} s)", suppressed,
                                                 suppressed_over_s);
        }
    };

    explicit RateLimit(std::chrono::milliseconds interval = std::chrono::seconds(1), std::uint32_t burst = 3) noexcept
        : interval_(interval), burst_(burst) {}

    // Counts one event; says whether to log it, and how many were dropped.
    Admission admit(Clock::time_point now = Clock::now()) noexcept {
        ++total_;
        if (logged_ < burst_) {
            ++logged_;
            last_ = now;
            return {true, 0, 0};
        }
        if (now - last_ < interval_) {
            ++suppressed_;
            return {};
        }
        Admission a{true, suppressed_, std::chrono::duration<double>(now - last_).count()};
        suppressed_ = 0;
        last_ = now;
        return a;
    }

    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }

private:
    std::chrono::milliseconds interval_;
    std::uint32_t burst_;
    std::uint32_t logged_ = 0;
    std::uint64_t total_ = 0;
    std::uint64_t suppressed_ = 0;
    Clock::time_point last_{};
};

}  // namespace sigrun::runner
