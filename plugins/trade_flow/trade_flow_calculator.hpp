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
// Hot path: update() allocates nothing; the window is a RollingWindow (one row
// of signed size, size and notional per trade) sized once in the constructor,
// with compensated running sums (no re-summing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "sigrun/messages.h"
#include "sigrun/plugins/rolling_window.hpp"
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
    std::size_t window_size() const noexcept { return window_.size(); }
    // Trades a time window dropped early because it was full (capacity too
    // small for the trade rate). Always 0 for a count window.
    std::uint64_t dropped_early() const noexcept { return window_.dropped_early(); }
    // Trades rejected for a price or size that is not finite and > 0.
    std::uint64_t rejected() const noexcept { return rejected_; }

private:
    // The window's columns: sums over the trades in the window.
    enum Column : std::size_t {
        kSignedSize,  // +q buy, -q sell, 0 unknown side
        kSize,
        kNotional,  // price * size
        kColumns
    };

    RollingWindow window_;
    std::uint64_t rejected_ = 0;
};

}  // namespace sigrun::plugins
