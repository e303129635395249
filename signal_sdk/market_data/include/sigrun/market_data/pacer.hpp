// sigrun::market_data::Pacer — decides when a replayed event may be handed
// on: at once ("as fast as possible") or at the recorded pace, so that the
// gaps between events follow their receive_time_ns divided by a speed factor
// (2.0 = twice as fast as recorded).
//
// Recorded pace anchors on the first event: event k is due at
//     start + (t_k - t_0) / speed
// on the pacer's clock, so rounding in one sleep never accumulates. A
// consumer that falls behind is not slowed further: an event already due is
// released without sleeping, and the schedule stays anchored (it catches up).
//
// The clock is injected (PacerClock) so tests drive a fake one and never sleep.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

namespace sigrun::market_data {

/// Where a Pacer reads the time and how it waits.
struct PacerClock {
    std::function<std::int64_t()> now_ns;          ///< monotonic time in ns
    std::function<void(std::int64_t)> sleep_for_ns;  ///< block for about this many ns (> 0)

    /// std::chrono::steady_clock and std::this_thread::sleep_for.
    static PacerClock steady();
};

class Pacer {
public:
    /// Never waits.
    static Pacer as_fast_as_possible();
    /// Follows the recorded gaps divided by `speed` (> 0, finite; throws
    /// std::invalid_argument otherwise).
    static Pacer recorded(double speed, PacerClock clock = PacerClock::steady());

    /// Blocks until the event with this receive time is due. Receive times
    /// must not decrease between calls (ReplaySource guarantees it).
    void wait_for(std::int64_t receive_time_ns);

    /// Forgets the anchor: the next event is released at once and starts a new schedule.
    void reset() noexcept { anchor_.reset(); }

    [[nodiscard]] bool is_paced() const noexcept { return speed_ > 0.0; }
    [[nodiscard]] double speed() const noexcept { return speed_; }

private:
    struct Anchor {
        std::int64_t wall_ns;
        std::int64_t recorded_ns;
    };
    Pacer(double speed, PacerClock clock) : speed_(speed), clock_(std::move(clock)) {}

    double speed_;  // 0 = as fast as possible
    PacerClock clock_;
    std::optional<Anchor> anchor_;
};

}  // namespace sigrun::market_data
