#include "vpin_calculator.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "sigrun/plugins/market_values.hpp"

namespace sigrun::plugins {
namespace {

double standard_normal_cdf(double x) noexcept { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

template <class T>
void put(std::vector<std::byte>& out, const T& value) {
    const auto* bytes = reinterpret_cast<const std::byte*>(&value);
    out.insert(out.end(), bytes, bytes + sizeof(T));
}

template <class T>
bool take(std::span<const std::byte>& in, T& value) noexcept {
    if (in.size() < sizeof(T)) return false;
    std::memcpy(&value, in.data(), sizeof(T));
    in = in.subspan(sizeof(T));
    return true;
}

}  // namespace

VpinCalculator::VpinCalculator(const VpinConfig& config)
    : config_(config), n_(static_cast<std::size_t>(config.buckets)), imbalance_(n_, 0.0), price_change_(n_, 0.0) {}

bool VpinCalculator::add(const sigrun_trade& trade) noexcept {
    closed_in_last_add_ = false;
    if (!is_positive_finite(trade.price) || !is_positive_finite(trade.size)) {
        ++rejected_;
        return false;
    }
    const double buy_share = trade.aggressor_side == SIGRUN_SIDE_BUY    ? 1.0
                             : trade.aggressor_side == SIGRUN_SIDE_SELL ? 0.0
                                                                        : 0.5;
    double remaining = trade.size;
    while (remaining > 0.0) {
        if (!has_first_price_) {
            first_price_ = trade.price;
            has_first_price_ = true;
        }
        const double room = config_.bucket_volume - filled_;
        const double part = std::min(remaining, room);
        buy_ += part * buy_share;
        sell_ += part * (1.0 - buy_share);
        filled_ += part;
        remaining -= part;
        if (part >= room) close_bucket(trade.price);
    }
    return true;
}

void VpinCalculator::close_bucket(double price) noexcept {
    const std::size_t at = static_cast<std::size_t>(closed_ % n_);
    const double v = config_.bucket_volume;
    const double change = price - (has_last_close_ ? last_close_ : first_price_);
    price_change_[at] = change;
    if (config_.classification == VolumeClassification::aggressor) {
        imbalance_[at] = std::abs(sell_ - buy_);
    } else {
        // sigma: sample standard deviation of dP over the last N buckets, this one included.
        const std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(closed_ + 1, n_));
        double buy = 0.5 * v;
        if (count >= 2) {
            double mean = 0.0;
            for (std::size_t i = 0; i < count; ++i) mean += price_change_[i];
            mean /= static_cast<double>(count);
            double squares = 0.0;
            for (std::size_t i = 0; i < count; ++i) squares += (price_change_[i] - mean) * (price_change_[i] - mean);
            const double sigma = std::sqrt(squares / static_cast<double>(count - 1));
            if (sigma > 0.0) buy = v * standard_normal_cdf(change / sigma);
        }
        imbalance_[at] = std::abs((v - buy) - buy);
    }
    ++closed_;
    closed_in_last_add_ = true;
    last_close_ = price;
    has_last_close_ = true;
    filled_ = buy_ = sell_ = 0.0;
    has_first_price_ = false;
}

std::optional<double> VpinCalculator::vpin() const noexcept {
    if (closed_ < n_) return std::nullopt;
    double sum = 0.0;
    for (const double x : imbalance_) sum += x;
    return std::clamp(sum / (static_cast<double>(n_) * config_.bucket_volume), 0.0, 1.0);
}

void VpinCalculator::save(std::vector<std::byte>& out) const {
    put(out, filled_);
    put(out, buy_);
    put(out, sell_);
    put(out, first_price_);
    put(out, static_cast<std::uint8_t>(has_first_price_));
    put(out, last_close_);
    put(out, static_cast<std::uint8_t>(has_last_close_));
    put(out, closed_);
    put(out, rejected_);
    for (const double x : imbalance_) put(out, x);
    for (const double x : price_change_) put(out, x);
}

bool VpinCalculator::load(std::span<const std::byte>& in) noexcept {
    std::uint8_t has_first = 0, has_close = 0;
    bool ok = take(in, filled_) && take(in, buy_) && take(in, sell_) && take(in, first_price_) &&
              take(in, has_first) && take(in, last_close_) && take(in, has_close) && take(in, closed_) &&
              take(in, rejected_);
    for (double& x : imbalance_) ok = ok && take(in, x);
    for (double& x : price_change_) ok = ok && take(in, x);
    has_first_price_ = has_first != 0;
    has_last_close_ = has_close != 0;
    return ok;
}

}  // namespace sigrun::plugins
