#include "ofi_calculator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sigrun::plugins {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

bool is_present(double price) noexcept { return std::isfinite(price) && price > 0.0; }

double usable_size(double size) noexcept {
    return std::isfinite(size) && size > 0.0 ? size : 0.0;
}

}  // namespace

double ofi_event(const sigrun_depth& prev, const sigrun_depth& cur, int level) noexcept {
    // A missing bid sits at -inf, a missing ask at +inf, both with size 0; the
    // comparisons below then give "queue removed" / "queue added" / 0.
    const auto bid_price = [level](const sigrun_depth& book) {
        return is_present(book.bid_price[level]) ? book.bid_price[level] : -kInfinity;
    };
    const auto ask_price = [level](const sigrun_depth& book) {
        return is_present(book.ask_price[level]) ? book.ask_price[level] : kInfinity;
    };
    const auto bid_size = [level](const sigrun_depth& book) {
        return is_present(book.bid_price[level]) ? usable_size(book.bid_size[level]) : 0.0;
    };
    const auto ask_size = [level](const sigrun_depth& book) {
        return is_present(book.ask_price[level]) ? usable_size(book.ask_size[level]) : 0.0;
    };

    const double pb_prev = bid_price(prev), pb = bid_price(cur);
    const double pa_prev = ask_price(prev), pa = ask_price(cur);
    double e = 0.0;
    if (pb >= pb_prev) e += bid_size(cur);   // bid held or improved: its queue now
    if (pb <= pb_prev) e -= bid_size(prev);  // bid held or worsened: its queue before
    if (pa <= pa_prev) e -= ask_size(cur);   // ask held or improved: its queue now
    if (pa >= pa_prev) e += ask_size(prev);  // ask held or worsened: its queue before
    return e;
}

void OfiCalculator::RunningSum::add(double x) noexcept {
    const double t = sum + x;
    compensation += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
}

OfiCalculator::OfiCalculator(const OfiConfig& config)
    : levels_(std::clamp(config.levels, 1, OfiConfig::kMaxLevels)),
      capacity_(std::max<std::size_t>(config.capacity, 1)),
      span_ns_(std::max<std::int64_t>(config.span_ns, 0)),
      times_(capacity_),
      events_(capacity_ * static_cast<std::size_t>(levels_)) {}

bool OfiCalculator::update(const sigrun_depth& book) noexcept {
    const std::int64_t now =
        has_previous_ ? std::max(latest_time_ns_, book.receive_time_ns) : book.receive_time_ns;
    latest_time_ns_ = now;
    if (!has_previous_) {
        previous_ = book;
        has_previous_ = true;
        return false;
    }

    // Time window: keep updates received in (now - span, now].
    if (span_ns_ > 0) {
        while (size_ > 0 && now - times_[head_] >= span_ns_) {
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
    double* row = &events_[slot * static_cast<std::size_t>(levels_)];
    for (int m = 0; m < levels_; ++m) {
        row[m] = ofi_event(previous_, book, m);
        sums_[m].add(row[m]);
    }
    ++size_;
    previous_ = book;
    return true;
}

void OfiCalculator::evict_oldest() noexcept {
    const double* row = &events_[head_ * static_cast<std::size_t>(levels_)];
    for (int m = 0; m < levels_; ++m) {
        sums_[m].add(-row[m]);
    }
    head_ = (head_ + 1) % capacity_;
    --size_;
    if (size_ == 0) {
        sums_.fill(RunningSum{});  // an empty window sums to exactly 0
        head_ = 0;
    }
}

double OfiCalculator::ofi(int level) const noexcept {
    if (level < 1 || level > levels_) {
        return 0.0;
    }
    return sums_[level - 1].value();
}

double OfiCalculator::mlofi() const noexcept {
    RunningSum total;
    for (int m = 0; m < levels_; ++m) {
        total.add(sums_[m].value());
    }
    return total.value();
}

}  // namespace sigrun::plugins
