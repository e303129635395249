#include "sigrun/plugins/rolling_window.hpp"

#include <algorithm>
#include <cassert>
#include <memory>
#include <new>

namespace sigrun::plugins {
namespace {

// Starts the lifetime of `n` zeroed T at `at` (a part of the window's block).
template <class T>
T* start_array(std::byte* at, std::size_t n) {
    std::uninitialized_value_construct_n(reinterpret_cast<T*>(at), n);
    return std::launder(reinterpret_cast<T*>(at));
}

}  // namespace

RollingWindow::RollingWindow(std::size_t capacity, std::int64_t span_ns, std::size_t width)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      span_ns_(std::max<std::int64_t>(span_ns, 0)),
      width_(width) {
    static_assert(alignof(CompensatedSum) <= alignof(double) && alignof(std::int64_t) <= alignof(double));
    const std::size_t sums_bytes = width_ * sizeof(CompensatedSum);
    const std::size_t values_bytes = capacity_ * width_ * sizeof(double);
    const std::size_t times_bytes = capacity_ * sizeof(std::int64_t);
    block_.reset(static_cast<std::byte*>(::operator new(sums_bytes + values_bytes + times_bytes, kBlockAlignment)));
    std::byte* const at = block_.get();
    sums_ = start_array<CompensatedSum>(at, width_);
    values_ = start_array<double>(at + sums_bytes, capacity_ * width_);
    times_ = start_array<std::int64_t>(at + sums_bytes + values_bytes, capacity_);
}

std::int64_t RollingWindow::advance_clock(std::int64_t receive_time_ns) noexcept {
    const std::int64_t now =
        has_time_ ? std::max(latest_time_ns_, receive_time_ns) : receive_time_ns;
    latest_time_ns_ = now;
    has_time_ = true;
    return now;
}

void RollingWindow::push(std::int64_t now, std::span<const double> values) noexcept {
    assert(values.size() == width_);
    // Time window: keep rows received in (now - span, now]. The age is taken
    // in unsigned arithmetic: receive times are whatever the feed wrote, and
    // `now - oldest` overflows int64 when they lie far apart (a frame at
    // INT64_MIN followed by a real one).
    if (span_ns_ > 0) {
        while (size_ > 0 && now >= times_[head_] &&
               static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(times_[head_]) >=
                   static_cast<std::uint64_t>(span_ns_)) {
            evict_oldest();
        }
    }
    if (size_ == capacity_) {
        if (span_ns_ > 0) {
            ++dropped_early_;  // still inside the span, but there is no room
        }
        evict_oldest();
    }

    const std::size_t slot = (head_ + size_) % capacity_;
    times_[slot] = now;
    double* row = &values_[slot * width_];
    for (std::size_t c = 0; c < width_; ++c) {
        row[c] = values[c];
        sums_[c].add(row[c]);
    }
    ++size_;
}

void RollingWindow::evict_oldest() noexcept {
    const double* row = &values_[head_ * width_];
    for (std::size_t c = 0; c < width_; ++c) {
        sums_[c].add(-row[c]);
    }
    head_ = (head_ + 1) % capacity_;
    --size_;
    if (size_ == 0) {
        std::fill_n(sums_, width_, CompensatedSum{});  // exactly 0
        head_ = 0;
    }
}

std::string window_overflow_warning(std::string_view engine, std::string_view instrument,
                                    std::string_view events, std::size_t capacity) {
    return std::string(engine) + ": " + std::string(instrument) + ": more " +
           std::string(events) + " arrived within window_ns than window_capacity (" +
           std::to_string(capacity) +
           ") holds; the oldest leave the window early. Raise window_capacity.";
}

}  // namespace sigrun::plugins
