// sigrun/timer_schedule.hpp — when signal_on_timer fires: the one
// implementation of the rule in signal_api.h, used by the runner's
// dispatcher and by sigrun::testing, so a unit test fires an engine's timers
// exactly where the runner would.
//
// The clock is the frames' receive time. Deadlines are the multiples of the
// interval since the Unix epoch. The first frame only sets the clock; after
// it, a frame whose receive time is at or past the next deadline fires the
// timer once, before that frame is handed to the engine, with now_ns = the
// last deadline the frame crossed (several crossed at once: one call).
//
//     sigrun::TimerSchedule timer(1'000'000'000);     // every second
//     if (const std::int64_t now = timer.advance(frame_receive_time_ns)) on_timer(now);
//     on_data(frame);
//
// Costs one compare per frame when nothing is due (advance() is inline; the
// runner compares against due() first and calls advance() only when due).
#ifndef SIGRUN_TIMER_SCHEDULE_HPP
#define SIGRUN_TIMER_SCHEDULE_HPP

#include <cstdint>
#include <limits>

namespace sigrun {

class TimerSchedule {
public:
    // due() of a schedule that never fires (no timer, or past the end of time).
    static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
    // due() before the first frame: any receive time reaches it (and sets the clock).
    static constexpr std::int64_t kUnset = std::numeric_limits<std::int64_t>::min();
    // The intervals a runner config's "timer_ms" accepts: 1 ms to one day.
    static constexpr std::int64_t kMinIntervalMs = 1;
    static constexpr std::int64_t kMaxIntervalMs = 86'400'000;

    // No timer: due() is kNever, advance() never fires.
    constexpr TimerSchedule() noexcept = default;
    // A timer every `interval_ns` (> 0; anything else means no timer).
    constexpr explicit TimerSchedule(std::int64_t interval_ns) noexcept
        : interval_(interval_ns > 0 ? interval_ns : 0), due_(interval_ns > 0 ? kUnset : kNever) {}

    [[nodiscard]] constexpr bool enabled() const noexcept { return interval_ != 0; }
    [[nodiscard]] constexpr std::int64_t interval_ns() const noexcept { return interval_; }
    // The receive time at or past which the next frame calls advance() with
    // effect: the next deadline, kUnset before the first frame, kNever
    // without a timer.
    [[nodiscard]] constexpr std::int64_t due() const noexcept { return due_; }

    // A frame received at `receive_time_ns` is about to be handed to the
    // engine: returns the deadline to call on_timer with first, or 0 when
    // none is due (0 is never a deadline a real frame reaches: the epoch).
    constexpr std::int64_t advance(std::int64_t receive_time_ns) noexcept {
        if (receive_time_ns < due_) return 0;
        const std::int64_t last = floor_to_grid(receive_time_ns);  // latest deadline <= receive time
        const bool first = due_ == kUnset;
        due_ = last <= kNever - interval_ ? last + interval_ : kNever;
        return first ? 0 : last;
    }

    // A hot swap: the new version continues where `previous` stopped (same
    // interval: the engine's runner config does not change at a swap).
    constexpr void continue_from(const TimerSchedule& previous) noexcept {
        if (enabled() && previous.interval_ == interval_) due_ = previous.due_;
    }

private:
    // The largest multiple of the interval <= t (floor, also for t < 0).
    [[nodiscard]] constexpr std::int64_t floor_to_grid(std::int64_t t) const noexcept {
        std::int64_t q = t / interval_;
        if (t % interval_ != 0 && t < 0) --q;
        return q * interval_;
    }

    std::int64_t interval_ = 0;
    std::int64_t due_ = kNever;
};

// A frame at 10.3 s sets the clock; 11.0 s fires 11 s before it; 15.2 s
// (a gap) fires once, with 15 s; a frame going back in time fires nothing.
static_assert([] {
    TimerSchedule t(1'000'000'000);
    return t.advance(10'300'000'000) == 0 && t.due() == 11'000'000'000 && t.advance(10'900'000'000) == 0 &&
           t.advance(11'000'000'000) == 11'000'000'000 && t.advance(11'500'000'000) == 0 &&
           t.advance(15'200'000'000) == 15'000'000'000 && t.due() == 16'000'000'000 &&
           t.advance(14'000'000'000) == 0;
}());

}  // namespace sigrun

#endif  // SIGRUN_TIMER_SCHEDULE_HPP
