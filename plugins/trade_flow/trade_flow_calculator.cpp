#include "trade_flow_calculator.hpp"

#include <algorithm>
#include <cmath>

namespace sigrun::plugins {

void TradeFlowCalculator::RunningSum::add(double x) noexcept {
    const double t = sum + x;
    compensation += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
}

TradeFlowCalculator::TradeFlowCalculator(const TradeFlowConfig& config)
    : capacity_(std::max<std::size_t>(config.capacity, 1)),
      span_ns_(std::max<std::int64_t>(config.span_ns, 0)),
      ring_(capacity_) {}

bool TradeFlowCalculator::update(const sigrun_trade& trade) noexcept {
    const bool valid = std::isfinite(trade.price) && trade.price > 0.0 &&
                       std::isfinite(trade.size) && trade.size > 0.0;
    if (!valid) {
        ++rejected_;
        return false;
    }
    const std::int64_t now =
        has_time_ ? std::max(latest_time_ns_, trade.receive_time_ns) : trade.receive_time_ns;
    latest_time_ns_ = now;
    has_time_ = true;

    // Time window: keep trades received in (now - span, now].
    if (span_ns_ > 0) {
        while (size_ > 0 && now - ring_[head_].time_ns >= span_ns_) {
            evict_oldest();
        }
    }
    if (size_ == capacity_) {
        if (span_ns_ > 0) {
            ++dropped_early_;  // still inside the span, but there is no room
        }
        evict_oldest();
    }

    const double side = trade.aggressor_side == SIGRUN_SIDE_BUY    ? 1.0
                        : trade.aggressor_side == SIGRUN_SIDE_SELL ? -1.0
                                                                   : 0.0;
    const Entry entry{now, side * trade.size, trade.size, trade.price * trade.size};
    ring_[(head_ + size_) % capacity_] = entry;
    ++size_;
    signed_size_.add(entry.signed_size);
    size_sum_.add(entry.size);
    notional_.add(entry.notional);
    return true;
}

void TradeFlowCalculator::evict_oldest() noexcept {
    const Entry& oldest = ring_[head_];
    signed_size_.add(-oldest.signed_size);
    size_sum_.add(-oldest.size);
    notional_.add(-oldest.notional);
    head_ = (head_ + 1) % capacity_;
    --size_;
    if (size_ == 0) {  // an empty window sums to exactly 0
        signed_size_ = size_sum_ = notional_ = RunningSum{};
        head_ = 0;
    }
}

std::optional<double> TradeFlowCalculator::trade_imbalance() const noexcept {
    const double total = size_sum_.value();
    if (size_ == 0 || !(total > 0.0)) {
        return std::nullopt;
    }
    // |signed| <= total exactly; the clamp only absorbs a last-bit rounding.
    return std::clamp(signed_size_.value() / total, -1.0, 1.0);
}

std::optional<double> TradeFlowCalculator::vwap() const noexcept {
    const double total = size_sum_.value();
    if (size_ == 0 || !(total > 0.0)) {
        return std::nullopt;
    }
    return notional_.value() / total;
}

}  // namespace sigrun::plugins
