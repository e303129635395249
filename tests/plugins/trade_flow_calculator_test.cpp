// TradeFlowCalculator against values worked out by hand from the trades in
// each test. imbalance = (buy volume - sell volume) / total volume,
// vwap = sum(price * size) / sum(size), over the trades in the window.
#include <gtest/gtest.h>

#include <limits>

#include "market_data_builders.hpp"
#include "trade_flow_calculator.hpp"

namespace sigrun::plugins {
namespace {

using testing::make_trade;

constexpr std::int32_t kBuy = SIGRUN_SIDE_BUY;
constexpr std::int32_t kSell = SIGRUN_SIDE_SELL;
constexpr std::int32_t kUnknown = SIGRUN_SIDE_UNKNOWN;

TradeFlowConfig count_window(std::size_t trades) {
    TradeFlowConfig config;
    config.capacity = trades;
    return config;
}

TradeFlowConfig time_window(std::int64_t span_ns, std::size_t capacity = 1024) {
    TradeFlowConfig config;
    config.span_ns = span_ns;
    config.capacity = capacity;
    return config;
}

TEST(TradeFlowCalculator, TradeFlow_EmptyWindowHasNoValues) {
    TradeFlowCalculator flow(count_window(10));
    EXPECT_FALSE(flow.trade_imbalance());
    EXPECT_FALSE(flow.vwap());
}

TEST(TradeFlowCalculator, TradeFlow_ImbalanceIsSignedVolumeOverTotalVolume) {
    // buy 2 @ 100, sell 1 @ 101, buy 1 @ 102
    // imbalance = (2 + 1 - 1) / 4 = 0.5
    // vwap = (200 + 101 + 102) / 4 = 403 / 4 = 100.75
    TradeFlowCalculator flow(count_window(10));
    flow.update(make_trade(100.0, 2.0, kBuy));
    flow.update(make_trade(101.0, 1.0, kSell));
    flow.update(make_trade(102.0, 1.0, kBuy));
    ASSERT_TRUE(flow.trade_imbalance() && flow.vwap());
    EXPECT_DOUBLE_EQ(*flow.trade_imbalance(), 0.5);
    EXPECT_DOUBLE_EQ(*flow.vwap(), 100.75);
}

TEST(TradeFlowCalculator, TradeFlow_OnlySellsGiveMinusOne) {
    // sell 1 @ 100, sell 3 @ 99: imbalance = -4 / 4 = -1; vwap = (100 + 297) / 4 = 99.25
    TradeFlowCalculator flow(count_window(10));
    flow.update(make_trade(100.0, 1.0, kSell));
    flow.update(make_trade(99.0, 3.0, kSell));
    EXPECT_EQ(*flow.trade_imbalance(), -1.0);
    EXPECT_DOUBLE_EQ(*flow.vwap(), 99.25);
}

TEST(TradeFlowCalculator, TradeFlow_UnknownSideDilutesImbalanceAndCountsInVwap) {
    // buy 1 @ 100, unknown 3 @ 104: imbalance = (1 - 0) / 4 = 0.25
    // vwap = (100 + 312) / 4 = 103
    TradeFlowCalculator flow(count_window(10));
    flow.update(make_trade(100.0, 1.0, kBuy));
    flow.update(make_trade(104.0, 3.0, kUnknown));
    EXPECT_DOUBLE_EQ(*flow.trade_imbalance(), 0.25);
    EXPECT_DOUBLE_EQ(*flow.vwap(), 103.0);
}

TEST(TradeFlowCalculator, TradeFlow_CountWindowEvictsOldestTrade) {
    // window_events = 2: buy 2 @ 100, sell 1 @ 101, sell 3 @ 102
    // after the third trade the window is {sell 1 @ 101, sell 3 @ 102}:
    // imbalance = -4 / 4 = -1; vwap = (101 + 306) / 4 = 101.75
    TradeFlowCalculator flow(count_window(2));
    flow.update(make_trade(100.0, 2.0, kBuy));
    flow.update(make_trade(101.0, 1.0, kSell));
    EXPECT_DOUBLE_EQ(*flow.trade_imbalance(), 1.0 / 3.0);  // (2 - 1) / 3
    flow.update(make_trade(102.0, 3.0, kSell));
    EXPECT_EQ(flow.window_size(), 2u);
    EXPECT_EQ(*flow.trade_imbalance(), -1.0);
    EXPECT_DOUBLE_EQ(*flow.vwap(), 101.75);
    EXPECT_EQ(flow.dropped_early(), 0u);
}

TEST(TradeFlowCalculator, TradeFlow_TimeWindowEvictsTradesOlderThanSpan) {
    // window_ns = 100: trades received in (now - 100, now].
    // t=0   buy 1 @ 100
    // t=50  sell 1 @ 102                 window {t0, t50}: imbalance 0, vwap 101
    // t=100 buy 2 @ 103: 100 - 0 >= 100, the t=0 trade leaves
    //       window {sell 1 @ 102, buy 2 @ 103}: imbalance (2 - 1) / 3 = 1/3
    //       vwap = (102 + 206) / 3 = 308 / 3
    TradeFlowCalculator flow(time_window(100));
    flow.update(make_trade(100.0, 1.0, kBuy, 0));
    flow.update(make_trade(102.0, 1.0, kSell, 50));
    EXPECT_EQ(*flow.trade_imbalance(), 0.0);
    EXPECT_DOUBLE_EQ(*flow.vwap(), 101.0);
    flow.update(make_trade(103.0, 2.0, kBuy, 100));
    EXPECT_EQ(flow.window_size(), 2u);
    EXPECT_DOUBLE_EQ(*flow.trade_imbalance(), 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(*flow.vwap(), 308.0 / 3.0);
}

TEST(TradeFlowCalculator, TradeFlow_TimeWindowAfterQuietSpellHoldsOnlyTheNewTrade) {
    // window_ns = 100. Sizes 0.1 and 0.2 (inexact in binary), then a trade at
    // t=1000 after both left: the window is that trade alone, values exact.
    // sell 0.7 @ 50000: imbalance = -1, vwap = 50000
    TradeFlowCalculator flow(time_window(100));
    flow.update(make_trade(50010.0, 0.1, kBuy, 0));
    flow.update(make_trade(50020.0, 0.2, kBuy, 10));
    flow.update(make_trade(50000.0, 0.7, kSell, 1000));
    EXPECT_EQ(flow.window_size(), 1u);
    EXPECT_EQ(*flow.trade_imbalance(), -1.0);
    EXPECT_DOUBLE_EQ(*flow.vwap(), 50000.0);
}

TEST(TradeFlowCalculator, TradeFlow_FullTimeWindowDropsOldestAndCountsIt) {
    // window_ns = 1000, room for 2: three trades inside the span, the first
    // leaves early. Window {sell 1 @ 101, sell 3 @ 102}: imbalance -1, vwap 101.75.
    TradeFlowCalculator flow(time_window(1000, /*capacity=*/2));
    flow.update(make_trade(100.0, 2.0, kBuy, 0));
    flow.update(make_trade(101.0, 1.0, kSell, 1));
    flow.update(make_trade(102.0, 3.0, kSell, 2));
    EXPECT_EQ(*flow.trade_imbalance(), -1.0);
    EXPECT_DOUBLE_EQ(*flow.vwap(), 101.75);
    EXPECT_EQ(flow.dropped_early(), 1u);
}

TEST(TradeFlowCalculator, TradeFlow_ReceiveTimeGoingBackwardsCountsAsLatestTime) {
    // window_ns = 100. buy 1 @ 100 at t=50; sell 1 @ 100 at t=10 (late: taken
    // as 50); at t=149 both are 99 old and stay; at t=150 both leave.
    TradeFlowCalculator flow(time_window(100));
    flow.update(make_trade(100.0, 1.0, kBuy, 50));
    flow.update(make_trade(100.0, 1.0, kSell, 10));
    flow.update(make_trade(100.0, 2.0, kBuy, 149));
    EXPECT_EQ(flow.window_size(), 3u);
    EXPECT_DOUBLE_EQ(*flow.trade_imbalance(), 0.5);  // (1 - 1 + 2) / 4
    flow.update(make_trade(100.0, 2.0, kSell, 150));
    EXPECT_EQ(flow.window_size(), 2u);
    EXPECT_EQ(*flow.trade_imbalance(), 0.0);  // (2 - 2) / 4
}

TEST(TradeFlowCalculator, TradeFlow_ZeroOrInvalidTradeIsRejectedAndChangesNothing) {
    // buy 1 @ 100 is in; size 0, negative size, NaN size, price 0: all rejected,
    // values stay imbalance 1, vwap 100 and never become NaN.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    TradeFlowCalculator flow(count_window(2));
    ASSERT_TRUE(flow.update(make_trade(100.0, 1.0, kBuy)));
    EXPECT_FALSE(flow.update(make_trade(101.0, 0.0, kSell)));
    EXPECT_FALSE(flow.update(make_trade(101.0, -1.0, kSell)));
    EXPECT_FALSE(flow.update(make_trade(101.0, nan, kSell)));
    EXPECT_FALSE(flow.update(make_trade(0.0, 1.0, kSell)));
    EXPECT_EQ(flow.rejected(), 4u);
    EXPECT_EQ(flow.window_size(), 1u);
    EXPECT_EQ(*flow.trade_imbalance(), 1.0);
    EXPECT_EQ(*flow.vwap(), 100.0);
}

TEST(TradeFlowCalculator, TradeFlow_ZeroSizeTradeFirstLeavesValuesAbsent) {
    // Nothing valid has arrived: no value, not NaN.
    TradeFlowCalculator flow(count_window(2));
    EXPECT_FALSE(flow.update(make_trade(100.0, 0.0, kBuy)));
    EXPECT_FALSE(flow.trade_imbalance());
    EXPECT_FALSE(flow.vwap());
}

TEST(TradeFlowCalculator, TradeFlow_EvictedLargeTradeDoesNotSwampSmallOnes) {
    // window_events = 2: buy 1e17 @ 1, then buy 0.25 @ 1 and sell 0.125 @ 1.
    // Window {buy 0.25, sell 0.125}: imbalance = 0.125 / 0.375 = 1/3, vwap = 1.
    // A plain running sum loses 0.25 next to 1e17 (the step there is 16) and
    // would be left dividing rounding residue by rounding residue.
    TradeFlowCalculator flow(count_window(2));
    flow.update(make_trade(1.0, 1e17, kBuy));
    flow.update(make_trade(1.0, 0.25, kBuy));
    flow.update(make_trade(1.0, 0.125, kSell));
    ASSERT_TRUE(flow.trade_imbalance() && flow.vwap());
    EXPECT_DOUBLE_EQ(*flow.trade_imbalance(), 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(*flow.vwap(), 1.0);
}

}  // namespace
}  // namespace sigrun::plugins
