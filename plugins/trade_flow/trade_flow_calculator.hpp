// trade_flow_calculator.hpp — signed trade-volume imbalance and VWAP of one
// instrument's trades over a rolling window.
//
// Over the trades in the window, with size q_i, price p_i and aggressor side
// s_i (+1 buyer-initiated, -1 seller-initiated, 0 unknown):
//
//   trade_imbalance = (sum_{s_i=+1} q_i - sum_{s_i=-1} q_i) / sum q_i   in [-1, 1]
//   vwap            = sum p_i q_i / sum q_i                            quote currency
//
// Trades of unknown side count in the total volume (they dilute the
// imbalance) and in the VWAP. The imbalance is the signed order flow of the
// trade-sign literature normalised by volume, e.g. Chordia & Subrahmanyam
// (2004), "Order imbalance and individual stock returns", Journal of Financial
// Economics 72(3), 485-518; with the exchange's aggressor flag no tick-rule
// classification is needed.
//
// Window: the last `capacity` trades (count window), or the trades received in
// (now - span_ns, now] (time window, at most `capacity` of them). The clock is
// the trade's receive_time_ns; a time that goes backwards is taken as the
// latest time seen so far.
//
// A trade whose price or size is not finite and > 0 is rejected: it leaves the
// window and the values unchanged (counted in rejected()). The values are
// absent (std::nullopt), never NaN, while the window is empty, i.e. before
// the first accepted trade.
//
// Hot path: update() allocates nothing; the window is a ring buffer sized once
// in the constructor, with compensated running sums (no re-summing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "sigrun/messages.h"
#include "trade_flow_config.hpp"

namespace sigrun::plugins {

class TradeFlowCalculator {
public:
    // Allocates the window (config.capacity trades).
    explicit TradeFlowCalculator(const TradeFlowConfig& config);

    // Adds one trade of this instrument, evicting those that left the window.
    // Returns false (and changes nothing) when the trade is rejected.
    bool update(const sigrun_trade& trade) noexcept;

    std::optional<double> trade_imbalance() const noexcept;
    std::optional<double> vwap() const noexcept;

    // Trades currently in the window.
    std::size_t window_size() const noexcept { return size_; }
    // Trades a time window dropped early because it was full (capacity too
    // small for the trade rate). Always 0 for a count window.
    std::uint64_t dropped_early() const noexcept { return dropped_early_; }
    // Trades rejected for a price or size that is not finite and > 0.
    std::uint64_t rejected() const noexcept { return rejected_; }

private:
    // Neumaier-compensated sum: adding and later subtracting a large trade
    // does not swamp the small ones still in the window.
    struct RunningSum {
        double sum = 0.0;
        double compensation = 0.0;
        void add(double x) noexcept;
        double value() const noexcept { return sum + compensation; }
    };

    struct Entry {
        std::int64_t time_ns;
        double signed_size;  // +q buy, -q sell, 0 unknown side
        double size;
        double notional;  // price * size
    };

    void evict_oldest() noexcept;

    std::size_t capacity_;
    std::int64_t span_ns_;
    std::vector<Entry> ring_;  // oldest at head_, size_ entries in use
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    RunningSum signed_size_;
    RunningSum size_sum_;
    RunningSum notional_;

    std::uint64_t dropped_early_ = 0;
    std::uint64_t rejected_ = 0;
    std::int64_t latest_time_ns_ = 0;
    bool has_time_ = false;
};

}  // namespace sigrun::plugins
