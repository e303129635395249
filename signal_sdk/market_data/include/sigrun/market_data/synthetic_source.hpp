// sigrun::market_data::SyntheticSource — a seeded, reproducible stream of
// depth and trade events that look like a liquid order book, for demos,
// tests and benchmarks when no recording is at hand.
//
// Model (prices are whole ticks internally, so levels never collide):
//   - 10 levels per side, bids strictly descending, asks strictly ascending,
//     best ask at least one tick above best bid, every size > 0;
//   - each depth event applies one book change: a size change at a random
//     level, the best level cancelled (spread widens), a new best level inside
//     a wide spread (spread narrows), or the whole book drifting one tick;
//   - a trade hits the best bid (taker sells) or lifts the best ask (taker
//     buys) at the touch the last depth event showed, for at most the size
//     there; the next event is always the depth update that trade caused;
//   - gaps between events are exponential (config mean), exchange time is
//     the receive time minus a fixed latency.
//
// Determinism: everything comes from one std::mt19937_64 seeded with
// config.seed, turned into numbers by this file's own arithmetic (not the
// <random> distributions, whose output differs between standard libraries),
// so a seed gives the same sequence on every platform.
#pragma once

#include "sigrun/market_data/event.hpp"

#include <sigrun/messages.h>

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace sigrun::market_data {

struct SyntheticConfig {
    std::uint64_t seed = 1;
    std::uint64_t events = 10'000;  ///< number of events next() hands out before std::nullopt
    std::string instrument = "SYNTHUSD";
    std::string exchange = "synthetic";
    double tick_size = 0.01;
    double start_price = 60'000.0;            ///< first best bid, rounded to a tick
    double trade_probability = 0.3;           ///< chance that an event (not forced to be depth) is a trade
    double mean_level_size = 0.5;             ///< mean size of a fresh level
    double lot_size = 0.00001;                ///< sizes are whole lots
    std::int64_t start_time_ns = 1'723'161'254'000'000'000;  ///< receive time of the first event
    std::int64_t mean_gap_ns = 2'000'000;     ///< mean gap between events (exponential)
    std::int64_t latency_ns = 1'000'000;      ///< receive time minus exchange time
};

class SyntheticSource {
public:
    /// Throws std::invalid_argument for a config that cannot make a sane book
    /// (non-positive tick, lot, price or gap, probability outside [0,1),
    /// names longer than the message fields).
    explicit SyntheticSource(SyntheticConfig config);

    /// The next event; std::nullopt after config.events events.
    std::optional<Event> next();

    [[nodiscard]] std::uint64_t events_read() const noexcept { return emitted_; }
    [[nodiscard]] const SyntheticConfig& config() const noexcept { return config_; }

private:
    struct Level {
        std::int64_t ticks;  // price in ticks
        std::int64_t lots;   // size in lots, > 0
    };
    using Side = std::array<Level, SIGRUN_DEPTH_LEVELS>;

    double uniform();                               // [0, 1)
    std::uint64_t below(std::uint64_t n);           // [0, n)
    std::int64_t fresh_lots();                      // size of a new level
    void advance_time();
    void apply_book_change();
    void remove_best(Side& side, int direction);    // direction: -1 bids, +1 asks
    void insert_best(Side& side, std::int64_t ticks);
    Event make_depth() const;
    Event make_trade();
    [[nodiscard]] std::int64_t spread_ticks() const noexcept { return asks_[0].ticks - bids_[0].ticks; }

    SyntheticConfig config_;
    std::mt19937_64 rng_;
    Side bids_{};
    Side asks_{};
    std::int64_t now_ns_;
    std::int64_t next_trade_id_ = 1;
    std::uint64_t emitted_ = 0;
    bool depth_due_ = true;  // the first event, and the one after each trade, is a depth update
    sigrun_depth depth_template_{};
    sigrun_trade trade_template_{};
};

}  // namespace sigrun::market_data
