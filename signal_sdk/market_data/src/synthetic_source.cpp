#include "sigrun/market_data/synthetic_source.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace sigrun::market_data {
namespace {

constexpr int kBid = -1;  // deeper bid levels have lower prices
constexpr int kAsk = +1;  // deeper ask levels have higher prices
constexpr std::int64_t kMaxSpreadTicks = 5;

void copy_name(char* dst, std::size_t cap, const std::string& name) {
    std::memset(dst, 0, cap);
    std::memcpy(dst, name.data(), std::min(cap, name.size()));
}

void require(bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("SyntheticConfig: ") + what);
}

}  // namespace

SyntheticSource::SyntheticSource(SyntheticConfig config)
    : config_(std::move(config)), rng_(config_.seed), now_ns_(config_.start_time_ns) {
    require(std::isfinite(config_.tick_size) && config_.tick_size > 0.0, "tick_size must be > 0");
    require(std::isfinite(config_.lot_size) && config_.lot_size > 0.0, "lot_size must be > 0");
    require(std::isfinite(config_.mean_level_size) && config_.mean_level_size >= config_.lot_size,
            "mean_level_size must be at least one lot");
    require(std::isfinite(config_.start_price) && config_.start_price >= 1000.0 * config_.tick_size,
            "start_price must be at least 1000 ticks");
    require(config_.trade_probability >= 0.0 && config_.trade_probability < 1.0,
            "trade_probability must be in [0, 1)");
    require(config_.mean_gap_ns > 0, "mean_gap_ns must be > 0");
    require(config_.latency_ns >= 0, "latency_ns must be >= 0");
    require(config_.instrument.size() <= SIGRUN_INSTRUMENT_LEN, "instrument name is longer than 32 characters");
    require(config_.exchange.size() <= SIGRUN_EXCHANGE_LEN, "exchange name is longer than 16 characters");

    copy_name(depth_template_.instrument, sizeof depth_template_.instrument, config_.instrument);
    copy_name(depth_template_.exchange, sizeof depth_template_.exchange, config_.exchange);
    copy_name(trade_template_.instrument, sizeof trade_template_.instrument, config_.instrument);
    copy_name(trade_template_.exchange, sizeof trade_template_.exchange, config_.exchange);

    const auto best_bid = static_cast<std::int64_t>(std::llround(config_.start_price / config_.tick_size));
    std::int64_t bid = best_bid;
    std::int64_t ask = best_bid + 1;
    for (std::size_t i = 0; i < SIGRUN_DEPTH_LEVELS; ++i) {
        bids_[i] = Level{bid, fresh_lots()};
        asks_[i] = Level{ask, fresh_lots()};
        bid -= 1 + (uniform() < 0.2 ? 1 : 0);
        ask += 1 + (uniform() < 0.2 ? 1 : 0);
    }
}

double SyntheticSource::uniform() {
    // 53 random bits -> [0, 1), identical on every platform.
    return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

std::uint64_t SyntheticSource::below(std::uint64_t n) {
    return static_cast<std::uint64_t>(uniform() * static_cast<double>(n));
}

std::int64_t SyntheticSource::fresh_lots() {
    const double mean_lots = config_.mean_level_size / config_.lot_size;
    return 1 + static_cast<std::int64_t>(-std::log1p(-uniform()) * mean_lots);
}

void SyntheticSource::advance_time() {
    const double gap = -std::log1p(-uniform()) * static_cast<double>(config_.mean_gap_ns);
    now_ns_ += std::max<std::int64_t>(1, std::llround(gap));
}

void SyntheticSource::remove_best(Side& side, int direction) {
    std::shift_left(side.begin(), side.end(), 1);
    Level& deepest = side[SIGRUN_DEPTH_LEVELS - 1];
    const Level& above = side[SIGRUN_DEPTH_LEVELS - 2];
    deepest = Level{above.ticks + direction * (1 + (uniform() < 0.2 ? 1 : 0)), fresh_lots()};
}

void SyntheticSource::insert_best(Side& side, std::int64_t ticks) {
    std::shift_right(side.begin(), side.end(), 1);
    side[0] = Level{ticks, fresh_lots()};
}

void SyntheticSource::apply_book_change() {
    const double r = uniform();
    const bool on_bids = uniform() < 0.5;
    if (spread_ticks() > 1 && (r < 0.25 || spread_ticks() > kMaxSpreadTicks)) {
        // A new best level one tick inside the spread.
        if (on_bids) {
            insert_best(bids_, bids_[0].ticks + 1);
        } else {
            insert_best(asks_, asks_[0].ticks - 1);
        }
    } else if (r < 0.40) {
        // The best level is cancelled: the spread widens.
        if (on_bids) {
            remove_best(bids_, kBid);
        } else {
            remove_best(asks_, kAsk);
        }
    } else if (r < 0.55) {
        // The whole book drifts one tick (kept well away from zero).
        const std::int64_t step = (on_bids || bids_.back().ticks < 1000) ? 1 : -1;
        for (auto& l : bids_) l.ticks += step;
        for (auto& l : asks_) l.ticks += step;
    } else {
        // Orders added or cancelled at one level: a new size there.
        Side& side = on_bids ? bids_ : asks_;
        side[below(SIGRUN_DEPTH_LEVELS)].lots = fresh_lots();
    }
}

Event SyntheticSource::make_depth() const {
    sigrun_depth d = depth_template_;
    d.receive_time_ns = now_ns_;
    d.exchange_time_ns = now_ns_ - config_.latency_ns;
    for (std::size_t i = 0; i < SIGRUN_DEPTH_LEVELS; ++i) {
        d.bid_price[i] = static_cast<double>(bids_[i].ticks) * config_.tick_size;
        d.bid_size[i] = static_cast<double>(bids_[i].lots) * config_.lot_size;
        d.ask_price[i] = static_cast<double>(asks_[i].ticks) * config_.tick_size;
        d.ask_size[i] = static_cast<double>(asks_[i].lots) * config_.lot_size;
    }
    return Event(d);
}

Event SyntheticSource::make_trade() {
    const bool taker_buys = uniform() < 0.5;
    Side& side = taker_buys ? asks_ : bids_;
    Level& touch = side[0];
    // Most trades are small against the touch; a few take all of it.
    const double mean_lots = 0.25 * config_.mean_level_size / config_.lot_size;
    const auto wanted = 1 + static_cast<std::int64_t>(-std::log1p(-uniform()) * mean_lots);
    const std::int64_t lots = std::min(wanted, touch.lots);

    sigrun_trade t = trade_template_;
    t.receive_time_ns = now_ns_;
    t.exchange_time_ns = now_ns_ - config_.latency_ns;
    t.price = static_cast<double>(touch.ticks) * config_.tick_size;
    t.size = static_cast<double>(lots) * config_.lot_size;
    t.trade_id = next_trade_id_++;
    t.aggressor_side = taker_buys ? SIGRUN_SIDE_BUY : SIGRUN_SIDE_SELL;

    touch.lots -= lots;
    if (touch.lots == 0) remove_best(side, taker_buys ? kAsk : kBid);
    depth_due_ = true;
    return Event(t);
}

std::optional<Event> SyntheticSource::next() {
    if (emitted_ >= config_.events) return std::nullopt;
    if (emitted_ > 0) advance_time();
    ++emitted_;
    if (depth_due_) {
        depth_due_ = false;
        return make_depth();
    }
    if (uniform() < config_.trade_probability) return make_trade();
    apply_book_change();
    return make_depth();
}

}  // namespace sigrun::market_data
