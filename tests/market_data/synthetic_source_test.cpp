// SyntheticSource: reproducible from its seed, and always a sane book.
#include "sigrun/market_data/synthetic_source.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

namespace sigrun::market_data {
namespace {

SyntheticConfig config(std::uint64_t seed, std::uint64_t events = 5'000) {
    SyntheticConfig c;
    c.seed = seed;
    c.events = events;
    return c;
}

/// Events compared byte for byte (the structs are zero-initialised, so padding-free bytes).
bool same(const Event& a, const Event& b) {
    return a.type() == b.type() && a.payload_size() == b.payload_size() &&
           std::memcmp(a.payload(), b.payload(), a.payload_size()) == 0;
}

std::vector<Event> all_events(SyntheticSource& source) {
    std::vector<Event> out;
    while (auto ev = source.next()) out.push_back(*ev);
    return out;
}

TEST(SyntheticSource, HandsOutExactlyTheConfiguredNumberOfEvents) {
    SyntheticSource source(config(7, 1234));
    EXPECT_EQ(all_events(source).size(), 1234U);
    EXPECT_FALSE(source.next().has_value());
    EXPECT_EQ(source.events_read(), 1234U);
}

TEST(SyntheticSource, SameSeedGivesTheSameSequence) {
    SyntheticSource a(config(42));
    SyntheticSource b(config(42));
    const auto ea = all_events(a);
    const auto eb = all_events(b);
    ASSERT_EQ(ea.size(), eb.size());
    for (std::size_t i = 0; i < ea.size(); ++i) ASSERT_TRUE(same(ea[i], eb[i])) << "event " << i;
}

TEST(SyntheticSource, DifferentSeedsGiveDifferentSequences) {
    SyntheticSource a(config(42));
    SyntheticSource b(config(43));
    const auto ea = all_events(a);
    const auto eb = all_events(b);
    std::size_t differing = 0;
    for (std::size_t i = 0; i < ea.size(); ++i) differing += same(ea[i], eb[i]) ? 0 : 1;
    EXPECT_GT(differing, ea.size() / 2);
}

TEST(SyntheticSource, FirstEventIsABookWithTheConfiguredLabels) {
    SyntheticConfig c = config(1, 1);
    c.instrument = "ETHUSDT";
    c.exchange = "sim";
    c.start_price = 2'500.0;
    SyntheticSource source(c);
    const auto ev = source.next();
    ASSERT_TRUE(ev && ev->is_depth());
    EXPECT_STREQ(ev->depth().instrument, "ETHUSDT");
    EXPECT_STREQ(ev->depth().exchange, "sim");
    EXPECT_DOUBLE_EQ(ev->depth().bid_price[0], 2'500.0);
    EXPECT_EQ(ev->depth().receive_time_ns, c.start_time_ns);
}

TEST(SyntheticSource, BookIsAlwaysSaneAndTradesHitTheTouch) {
    SyntheticConfig c = config(2024, 50'000);
    SyntheticSource source(c);
    const double half_tick = c.tick_size / 2;
    std::optional<sigrun_depth> book;
    std::int64_t last_time = 0;
    std::int64_t last_trade_id = 0;
    std::uint64_t trades = 0;
    std::uint64_t buys = 0;
    double min_bid = 1e300;
    double max_bid = 0;
    while (const auto ev = source.next()) {
        const std::uint64_t n = source.events_read();
        ASSERT_GE(ev->receive_time_ns(), last_time) << "event " << n;
        last_time = ev->receive_time_ns();
        if (ev->is_depth()) {
            const sigrun_depth& d = ev->depth();
            ASSERT_GE(d.ask_price[0] - d.bid_price[0], c.tick_size - half_tick) << "event " << n;
            for (int i = 0; i < SIGRUN_DEPTH_LEVELS; ++i) {
                ASSERT_GT(d.bid_size[i], 0.0) << "event " << n;
                ASSERT_GT(d.ask_size[i], 0.0) << "event " << n;
                ASSERT_GT(d.bid_price[i], 0.0) << "event " << n;
                if (i > 0) {
                    ASSERT_LT(d.bid_price[i], d.bid_price[i - 1] - half_tick) << "event " << n;
                    ASSERT_GT(d.ask_price[i], d.ask_price[i - 1] + half_tick) << "event " << n;
                }
            }
            ASSERT_LE(d.exchange_time_ns, d.receive_time_ns);
            min_bid = std::min(min_bid, d.bid_price[0]);
            max_bid = std::max(max_bid, d.bid_price[0]);
            book = d;
        } else {
            const sigrun_trade& t = ev->trade();
            ASSERT_TRUE(book.has_value()) << "a trade before any book";
            ++trades;
            ASSERT_GT(t.size, 0.0);
            ASSERT_EQ(t.trade_id, last_trade_id + 1);
            last_trade_id = t.trade_id;
            if (t.aggressor_side == SIGRUN_SIDE_BUY) {
                ++buys;
                ASSERT_EQ(t.price, book->ask_price[0]) << "event " << n;
                ASSERT_LE(t.size, book->ask_size[0] + 1e-12) << "event " << n;
            } else {
                ASSERT_EQ(t.aggressor_side, SIGRUN_SIDE_SELL);
                ASSERT_EQ(t.price, book->bid_price[0]) << "event " << n;
                ASSERT_LE(t.size, book->bid_size[0] + 1e-12) << "event " << n;
            }
        }
    }
    // A realistic mix: plenty of trades on both sides, and a price that moves.
    EXPECT_GT(trades, 5'000U);
    EXPECT_GT(buys, trades / 4);
    EXPECT_LT(buys, trades * 3 / 4);
    EXPECT_GT(max_bid - min_bid, 10 * c.tick_size);
}

TEST(SyntheticSource, RejectsAConfigThatCannotMakeASaneBook) {
    SyntheticConfig bad_tick = config(1);
    bad_tick.tick_size = 0.0;
    EXPECT_THROW(SyntheticSource{bad_tick}, std::invalid_argument);
    SyntheticConfig bad_probability = config(1);
    bad_probability.trade_probability = 1.0;
    EXPECT_THROW(SyntheticSource{bad_probability}, std::invalid_argument);
    SyntheticConfig long_name = config(1);
    long_name.instrument = std::string(33, 'X');
    EXPECT_THROW(SyntheticSource{long_name}, std::invalid_argument);
}

}  // namespace
}  // namespace sigrun::market_data
