#include "ofi_calculator.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "sigrun/plugins/compensated_sum.hpp"
#include "sigrun/plugins/market_values.hpp"

namespace sigrun::plugins {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

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

OfiCalculator::OfiCalculator(const OfiConfig& config)
    : levels_(std::clamp(config.levels, 1, OfiConfig::kMaxLevels)),
      window_(config.capacity, config.span_ns, static_cast<std::size_t>(levels_)) {}

bool OfiCalculator::update(const sigrun_depth& book) noexcept {
    const std::int64_t now = window_.advance_clock(book.receive_time_ns);
    if (!has_previous_) {
        previous_ = book;
        has_previous_ = true;
        return false;
    }
    std::array<double, OfiConfig::kMaxLevels> events{};
    for (int m = 0; m < levels_; ++m) {
        events[m] = ofi_event(previous_, book, m);
    }
    window_.push(now, std::span<const double>(events.data(), window_.width()));
    previous_ = book;
    return true;
}

double OfiCalculator::ofi(int level) const noexcept {
    if (level < 1 || level > levels_) {
        return 0.0;
    }
    return window_.sum(static_cast<std::size_t>(level - 1));
}

double OfiCalculator::mlofi() const noexcept {
    CompensatedSum total;
    for (int m = 0; m < levels_; ++m) {
        total.add(window_.sum(static_cast<std::size_t>(m)));
    }
    return total.value();
}

}  // namespace sigrun::plugins
