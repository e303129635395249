// rolling_window.hpp — the rolling window of the windowed engines (ofi,
// trade_flow): a ring of rows of `width` doubles with a compensated running
// sum per column.
//
// The window is either the last `capacity` rows (count window, span_ns == 0)
// or the rows received in (now - span_ns, now] (time window, at most
// `capacity` of them; when more arrive within the span the oldest leave early
// and are counted in dropped_early()). `now` is the newest row's time on the
// window's clock, see advance_clock().
//
// Hot path: advance_clock() and push() allocate nothing; the ring and the
// sums are sized once in the constructor, and a push or an eviction updates
// the column sums instead of re-summing the window. An empty window sums to
// exactly 0 (the sums restart when the last row leaves).
//
// Memory: the sums, the rows and their times live in ONE cache-line-aligned
// block of their own, sums first. Every push and every eviction touches the
// sums of every column and one row, so where the allocator puts them matters:
// as separate vectors, an 80 B sums block could land in a reused chunk far
// from its rows among start-up objects, and ofi ran 15 % slower in one
// runner build than in the other with the same instructions (issue 9,
// docs/performance.md). Move-only (the block is owned); a moved-from window
// may only be destroyed or assigned to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "sigrun/plugins/compensated_sum.hpp"

namespace sigrun::plugins {

class RollingWindow {
public:
    // Allocates `capacity` rows (at least 1) of `width` values. A span_ns
    // <= 0 makes a count window.
    RollingWindow(std::size_t capacity, std::int64_t span_ns, std::size_t width);
    RollingWindow(RollingWindow&&) noexcept = default;
    RollingWindow& operator=(RollingWindow&&) noexcept = default;

    // The window's clock: takes an event's receive time and returns its time
    // on the clock, which is that time, or the latest time seen so far when
    // it goes backwards.
    std::int64_t advance_clock(std::int64_t receive_time_ns) noexcept;

    // Adds one row (`values`, width() of them) at time `now` (from
    // advance_clock), first evicting the rows that left the window.
    void push(std::int64_t now, std::span<const double> values) noexcept;

    // Sum of column `column` over the rows in the window.
    double sum(std::size_t column) const noexcept { return sums_[column].value(); }

    std::size_t width() const noexcept { return width_; }
    std::size_t capacity() const noexcept { return capacity_; }
    // Rows currently in the window.
    std::size_t size() const noexcept { return size_; }
    // Rows a time window dropped early because it was full (capacity too
    // small for the event rate). Always 0 for a count window.
    std::uint64_t dropped_early() const noexcept { return dropped_early_; }

private:
    void evict_oldest() noexcept;

    static constexpr std::align_val_t kBlockAlignment{64};  // one cache line
    struct BlockDelete {
        void operator()(std::byte* block) const noexcept { ::operator delete(block, kBlockAlignment); }
    };

    std::size_t capacity_;
    std::int64_t span_ns_;
    std::size_t width_;

    // The block: sums_[width_], then values_[capacity_ * width_], then
    // times_[capacity_]; the three pointers point into it (a move keeps them
    // valid, the block does not move).
    std::unique_ptr<std::byte, BlockDelete> block_;
    CompensatedSum* sums_ = nullptr;
    // Ring of rows: times_[i] and values_[i * width_ + c] for slot i; the
    // oldest is at head_, size_ slots in use.
    double* values_ = nullptr;
    std::int64_t* times_ = nullptr;
    std::size_t head_ = 0;
    std::size_t size_ = 0;

    std::uint64_t dropped_early_ = 0;
    std::int64_t latest_time_ns_ = 0;
    bool has_time_ = false;
};

// The warning an engine logs (once per instrument) when a time window first
// drops events early: "<engine>: <instrument>: more <events> arrived within
// window_ns than window_capacity (<capacity>) holds; ...".
std::string window_overflow_warning(std::string_view engine, std::string_view instrument,
                                    std::string_view events, std::size_t capacity);

}  // namespace sigrun::plugins
