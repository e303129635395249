// The vpin calculator against values worked out by hand from the definition
// (Easley, López de Prado & O'Hara 2012): equal-volume buckets, trades split
// across bucket boundaries, aggressor and bulk classification, VPIN over the
// last N buckets.
#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <vector>

#include "vpin_calculator.hpp"

namespace sigrun::plugins {
namespace {

sigrun_trade trade(double price, double size, std::int32_t side) {
    sigrun_trade t{};
    t.price = price;
    t.size = size;
    t.aggressor_side = side;
    return t;
}

VpinConfig config(double volume, std::int64_t buckets, VolumeClassification c = VolumeClassification::aggressor) {
    VpinConfig out;
    out.bucket_volume = volume;
    out.buckets = buckets;
    out.classification = c;
    return out;
}

TEST(VpinCalculator, AggressorBucketsSplitTradesAndAverageTheLastN) {
    VpinCalculator calc(config(10.0, 2));
    // bucket 1: buy 4 + sell 6 -> |6 - 4| = 2; one bucket, no VPIN yet
    EXPECT_TRUE(calc.add(trade(100, 4, SIGRUN_SIDE_BUY)));
    EXPECT_FALSE(calc.closed_bucket());
    calc.add(trade(101, 6, SIGRUN_SIDE_SELL));
    EXPECT_TRUE(calc.closed_bucket());
    EXPECT_EQ(calc.vpin(), std::nullopt);
    // buy 15: fills bucket 2 with 10 buy (|0 - 10| = 10), 5 go on into bucket 3
    calc.add(trade(102, 15, SIGRUN_SIDE_BUY));
    EXPECT_EQ(calc.buckets_closed(), 2u);
    EXPECT_DOUBLE_EQ(*calc.vpin(), (2.0 + 10.0) / (2 * 10.0));
    // sell 5 closes bucket 3: buy 5, sell 5 -> 0; the window is buckets 2, 3
    calc.add(trade(99, 5, SIGRUN_SIDE_SELL));
    EXPECT_DOUBLE_EQ(*calc.vpin(), (10.0 + 0.0) / 20.0);
    // unknown side counts half each way: bucket 4 -> 0
    calc.add(trade(99, 10, SIGRUN_SIDE_UNKNOWN));
    EXPECT_DOUBLE_EQ(*calc.vpin(), 0.0);
}

TEST(VpinCalculator, OneTradeCanCloseSeveralBuckets) {
    VpinCalculator calc(config(1.0, 3));
    calc.add(trade(100, 3.5, SIGRUN_SIDE_SELL));  // three full sell buckets, 0.5 left open
    EXPECT_EQ(calc.buckets_closed(), 3u);
    EXPECT_DOUBLE_EQ(*calc.vpin(), 1.0);
    calc.add(trade(100, 0.5, SIGRUN_SIDE_BUY));  // bucket 4: 0.5 / 0.5 -> 0
    EXPECT_DOUBLE_EQ(*calc.vpin(), 2.0 / 3.0);
}

TEST(VpinCalculator, RejectedTradesChangeNothing) {
    VpinCalculator calc(config(1.0, 1));
    EXPECT_FALSE(calc.add(trade(100, 0.0, SIGRUN_SIDE_BUY)));
    EXPECT_FALSE(calc.add(trade(-1, 1.0, SIGRUN_SIDE_BUY)));
    EXPECT_FALSE(calc.add(trade(NAN, 1.0, SIGRUN_SIDE_BUY)));
    EXPECT_EQ(calc.rejected(), 3u);
    EXPECT_EQ(calc.buckets_closed(), 0u);
}

// Bulk classification: V_B = V * Phi(dP / sigma), so |V_S - V_B| / V =
// |2 Phi(x) - 1| = erf(|x| / sqrt 2).
TEST(VpinCalculator, BulkClassificationUsesTheBucketPriceChanges) {
    VpinCalculator calc(config(1.0, 3, VolumeClassification::bulk));
    // bucket 1 @100: dP = 100 - its first price 100 = 0; sigma undefined -> half/half -> 0
    calc.add(trade(100, 1, SIGRUN_SIDE_SELL));
    // bucket 2 @102: dP = 2; dPs {0, 2}: sample sigma = sqrt(2); x = 2 / sqrt 2 = sqrt 2
    calc.add(trade(102, 1, SIGRUN_SIDE_SELL));
    // bucket 3 @101: dP = -1; dPs {0, 2, -1}: mean 1/3, sample variance (1/9 + 25/9 + 16/9) / 2 = 7/3
    calc.add(trade(101, 1, SIGRUN_SIDE_BUY));
    const double second = std::erf(1.0);                                  // erf(sqrt 2 / sqrt 2)
    const double third = std::erf((1.0 / std::sqrt(7.0 / 3.0)) / std::sqrt(2.0));
    EXPECT_NEAR(*calc.vpin(), (0.0 + second + third) / 3.0, 1e-12);
    EXPECT_NEAR(second, 0.8427007929497149, 1e-15);
}

TEST(VpinCalculator, SavedStateContinuesExactlyWhereItStopped) {
    VpinCalculator original(config(2.0, 3)), restored(config(2.0, 3));
    const double sizes[] = {0.7, 1.9, 0.4, 2.2, 0.3};
    for (int i = 0; i < 5; ++i) original.add(trade(100 + i, sizes[i], i % 2 ? SIGRUN_SIDE_BUY : SIGRUN_SIDE_SELL));
    std::vector<std::byte> state;
    original.save(state);
    std::span<const std::byte> in(state);
    ASSERT_TRUE(restored.load(in));
    EXPECT_TRUE(in.empty());
    for (int i = 0; i < 10; ++i) {
        const sigrun_trade t = trade(99 + i, 0.9, i % 3 ? SIGRUN_SIDE_BUY : SIGRUN_SIDE_SELL);
        original.add(t);
        restored.add(t);
        EXPECT_EQ(original.vpin(), restored.vpin());
    }
    std::span<const std::byte> short_state(state.data(), state.size() - 1);
    EXPECT_FALSE(VpinCalculator(config(2.0, 3)).load(short_state));
}

}  // namespace
}  // namespace sigrun::plugins
