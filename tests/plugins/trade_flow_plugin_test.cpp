// The trade_flow plugin through sigrun::testing: its factors for trades built
// in code, its warnings and config errors, and both factors on the real
// sample against the window sums recomputed here from scratch for every
// trade (count window and time window).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugin_harness.hpp"

namespace sigrun::plugins::test {
namespace {

using sigrun::testing::depth;
using sigrun::testing::Harness;
using sigrun::testing::trade;

TEST(TradeFlowPlugin, EmitsImbalanceAndVwapPerTrade) {
    // buy 2 @ 100: imbalance 1, vwap 100; then sell 2 @ 102: imbalance 0, vwap 101.
    auto engine = Harness::load(SIGRUN_TRADE_FLOW_PLUGIN_PATH, R"({"window_events": 10})");
    engine.feed(trade("BTCUSDT", 1, 100.0, 2.0, SIGRUN_SIDE_BUY));
    engine.feed(trade("BTCUSDT", 2, 102.0, 2.0, SIGRUN_SIDE_SELL));
    EXPECT_EQ(describe(engine.emitted()),
              (std::vector<std::string>{"trade_imbalance BTCUSDT=1.000000", "vwap BTCUSDT=100.000000",
                                        "trade_imbalance BTCUSDT=0.000000", "vwap BTCUSDT=101.000000"}));
}

TEST(TradeFlowPlugin, InvalidTradesEmitNothingAndWarnOnce) {
    auto engine = Harness::load(SIGRUN_TRADE_FLOW_PLUGIN_PATH);
    engine.feed(trade("BTCUSDT", 1, 100.0, 0.0, SIGRUN_SIDE_BUY));
    engine.feed(trade("BTCUSDT", 2, 100.0, -1.0, SIGRUN_SIDE_SELL));
    EXPECT_TRUE(engine.emitted().empty());
    EXPECT_EQ(count_logs(engine, SIGRUN_LOG_WARN), 1u);
}

TEST(TradeFlowPlugin, IgnoresBooks) {
    auto engine = Harness::load(SIGRUN_TRADE_FLOW_PLUGIN_PATH);
    EXPECT_FALSE(engine.accepts(SIGRUN_MSG_DEPTH));
    EXPECT_TRUE(engine.feed(depth("BTCUSDT", 1, {{100.0, 3.0}}, {{101.0, 1.0}})).empty());
}

TEST(TradeFlowPlugin, BothWindowKindsFailCreate) {
    EXPECT_NE(create_error(SIGRUN_TRADE_FLOW_PLUGIN_PATH, R"({"window_events": 1, "window_ns": 1})")
                  .find("trade_flow config"),
              std::string::npos);
}

struct Expected {
    long double imbalance;
    long double vwap;
};

// trade_flow_calculator.hpp's two sums over the trades [first, last] of the
// sample's trades, added up afresh.
Expected window_values(const std::vector<const sigrun_trade*>& trades, std::size_t first, std::size_t last) {
    long double signed_volume = 0, volume = 0, notional = 0;
    for (std::size_t k = first; k <= last; ++k) {
        const sigrun_trade& t = *trades[k];
        const long double sign = t.aggressor_side == SIGRUN_SIDE_BUY ? 1 : t.aggressor_side == SIGRUN_SIDE_SELL ? -1 : 0;
        signed_volume += sign * t.size;
        volume += t.size;
        notional += static_cast<long double>(t.price) * t.size;
    }
    return {signed_volume / volume, notional / volume};
}

// Feeds the sample with `config` and checks every trade's two factors
// against window_values over the trades `first_in_window` says.
template <typename FirstInWindow>
void check_sample(const char* config, FirstInWindow first_in_window) {
    auto engine = Harness::load(SIGRUN_TRADE_FLOW_PLUGIN_PATH, config);
    const auto out = sigrun::testing::feed(engine, sample());
    std::vector<const sigrun_trade*> trades;
    for (const auto& m : sample()) {
        if (m.event.is_trade()) trades.push_back(&m.event.trade());
    }
    ASSERT_EQ(out.size(), 2 * trades.size());
    for (std::size_t n = 0; n < trades.size(); ++n) {
        const Expected want = window_values(trades, first_in_window(trades, n), n);
        ASSERT_EQ(out[2 * n].factor, "trade_imbalance");
        ASSERT_EQ(out[2 * n + 1].factor, "vwap");
        EXPECT_TRUE(agrees(out[2 * n].value, want.imbalance, 1e-9L)) << "trade " << n;
        EXPECT_TRUE(agrees(out[2 * n + 1].value, want.vwap)) << "trade " << n;
    }
    EXPECT_EQ(count_logs(engine, SIGRUN_LOG_WARN), 0u) << "no trade rejected, no window overflow";
}

TEST(TradeFlowPlugin, OnTheRealSampleACountWindowMatchesTheLast200Trades) {
    check_sample(R"({"window_events": 200})",
                 [](const std::vector<const sigrun_trade*>&, std::size_t n) { return n >= 199 ? n - 199 : 0; });
}

TEST(TradeFlowPlugin, OnTheRealSampleATimeWindowMatchesTheTradesOfTheLastSecond) {
    // (now - 1 s, now], now = the trade's receive time
    check_sample(R"({"window_ns": 1000000000})", [](const std::vector<const sigrun_trade*>& trades, std::size_t n) {
        std::size_t first = n;
        while (first > 0 && trades[first - 1]->receive_time_ns > trades[n]->receive_time_ns - 1'000'000'000) --first;
        return first;
    });
}

}  // namespace
}  // namespace sigrun::plugins::test
