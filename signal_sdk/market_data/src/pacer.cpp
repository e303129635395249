#include "sigrun/market_data/pacer.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>

namespace sigrun::market_data {

PacerClock PacerClock::steady() {
    return PacerClock{
        [] {
            return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 std::chrono::steady_clock::now().time_since_epoch())
                                                 .count());
        },
        [](std::int64_t ns) { std::this_thread::sleep_for(std::chrono::nanoseconds(ns)); }};
}

Pacer Pacer::as_fast_as_possible() { return Pacer(0.0, PacerClock{}); }

Pacer Pacer::recorded(double speed, PacerClock clock) {
    if (!(speed > 0.0) || !std::isfinite(speed)) {
        throw std::invalid_argument("replay speed " + std::to_string(speed) +
                                    " is not a positive finite number; use e.g. 1.0 for recorded pace, "
                                    "10.0 for ten times faster");
    }
    if (!clock.now_ns || !clock.sleep_for_ns) {
        throw std::invalid_argument("Pacer::recorded needs a clock with both now_ns and sleep_for_ns set");
    }
    return Pacer(speed, std::move(clock));
}

void Pacer::wait_for(std::int64_t receive_time_ns) {
    if (!is_paced()) return;
    if (!anchor_) {
        anchor_ = Anchor{clock_.now_ns(), receive_time_ns};
        return;
    }
    const double recorded_gap = static_cast<double>(receive_time_ns - anchor_->recorded_ns);
    const auto due = anchor_->wall_ns + static_cast<std::int64_t>(std::llround(recorded_gap / speed_));
    const std::int64_t wait = due - clock_.now_ns();
    if (wait > 0) clock_.sleep_for_ns(wait);
}

}  // namespace sigrun::market_data
