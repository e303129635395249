#include "microprice_calculator.hpp"

#include <algorithm>

#include "sigrun/plugins/market_values.hpp"

namespace sigrun::plugins {
namespace {

// Size and size-weighted price sum of one side over its first `levels` levels.
struct SideDepth {
    double size = 0.0;
    double notional = 0.0;  // sum of price * size
};

SideDepth side_depth(const double* prices, const double* sizes, int levels) noexcept {
    SideDepth side;
    for (int i = 0; i < levels; ++i) {
        if (is_present(prices[i])) {
            const double size = usable_size(sizes[i]);
            side.size += size;
            side.notional += prices[i] * size;
        }
    }
    return side;
}

}  // namespace

MicropriceCalculator::MicropriceCalculator(const MicropriceConfig& config) noexcept
    : levels_(std::clamp(config.levels, 1, MicropriceConfig::kMaxLevels)) {}

BookPressure MicropriceCalculator::compute(const sigrun_depth& book) const noexcept {
    BookPressure out;
    const double pb = book.bid_price[0];
    const double pa = book.ask_price[0];
    if (!is_present(pb) || !is_present(pa)) {
        return out;  // one-sided or empty book: nothing is defined
    }

    const double qb = usable_size(book.bid_size[0]);
    const double qa = usable_size(book.ask_size[0]);
    if (qb + qa > 0.0) {
        const double imbalance = qb / (qb + qa);
        out.imbalance_l1 = imbalance;
        out.microprice = pa * imbalance + pb * (1.0 - imbalance);
    }

    const SideDepth bids = side_depth(book.bid_price, book.bid_size, levels_);
    const SideDepth asks = side_depth(book.ask_price, book.ask_size, levels_);
    if (bids.size + asks.size > 0.0) {
        out.imbalance_ln = bids.size / (bids.size + asks.size);
    }
    if (bids.size > 0.0 && asks.size > 0.0) {
        const double imbalance = bids.size / (bids.size + asks.size);
        const double bid_vwap = bids.notional / bids.size;
        const double ask_vwap = asks.notional / asks.size;
        out.weighted_mid_ln = ask_vwap * imbalance + bid_vwap * (1.0 - imbalance);
    }
    return out;
}

}  // namespace sigrun::plugins
