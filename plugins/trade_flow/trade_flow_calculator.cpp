#include "trade_flow_calculator.hpp"

#include <algorithm>

#include "sigrun/plugins/market_values.hpp"

namespace sigrun::plugins {

TradeFlowCalculator::TradeFlowCalculator(const TradeFlowConfig& config)
    : window_(config.capacity, config.span_ns, kColumns) {}

bool TradeFlowCalculator::update(const sigrun_trade& trade) noexcept {
    if (!is_positive_finite(trade.price) || !is_positive_finite(trade.size)) {
        ++rejected_;
        return false;
    }
    const std::int64_t now = window_.advance_clock(trade.receive_time_ns);
    const double side = trade.aggressor_side == SIGRUN_SIDE_BUY    ? 1.0
                        : trade.aggressor_side == SIGRUN_SIDE_SELL ? -1.0
                                                                   : 0.0;
    double row[kColumns];
    row[kSignedSize] = side * trade.size;
    row[kSize] = trade.size;
    row[kNotional] = trade.price * trade.size;
    window_.push(now, row);
    return true;
}

std::optional<double> TradeFlowCalculator::trade_imbalance() const noexcept {
    const double total = window_.sum(kSize);
    if (window_.size() == 0 || !(total > 0.0)) {
        return std::nullopt;
    }
    // |signed| <= total exactly; the clamp only absorbs a last-bit rounding.
    return std::clamp(window_.sum(kSignedSize) / total, -1.0, 1.0);
}

std::optional<double> TradeFlowCalculator::vwap() const noexcept {
    const double total = window_.sum(kSize);
    if (window_.size() == 0 || !(total > 0.0)) {
        return std::nullopt;
    }
    return window_.sum(kNotional) / total;
}

}  // namespace sigrun::plugins
