// MicropriceCalculator against values worked out by hand from the book in
// each test. I = qb / (qb + qa), microprice = Pa * I + Pb * (1 - I).
#include <gtest/gtest.h>

#include <limits>

#include "market_data_builders.hpp"
#include "microprice_calculator.hpp"

namespace sigrun::plugins {
namespace {

using testing::make_book;

MicropriceCalculator calculator(int levels) {
    MicropriceConfig config;
    config.levels = levels;
    return MicropriceCalculator(config);
}

TEST(MicropriceCalculator, Microprice_HeavierBidPullsPriceTowardsAsk) {
    // bid 100 x 3, ask 101 x 1: I = 3 / 4 = 0.75
    // microprice = 101 * 0.75 + 100 * 0.25 = 75.75 + 25 = 100.75
    const BookPressure p = calculator(1).compute(make_book({{100.0, 3.0}}, {{101.0, 1.0}}));
    ASSERT_TRUE(p.imbalance_l1 && p.microprice);
    EXPECT_DOUBLE_EQ(*p.imbalance_l1, 0.75);
    EXPECT_DOUBLE_EQ(*p.microprice, 100.75);
}

TEST(MicropriceCalculator, Microprice_HeavierAskPullsPriceTowardsBid) {
    // bid 100 x 1, ask 101 x 4: I = 1 / 5 = 0.2
    // microprice = 101 * 0.2 + 100 * 0.8 = 20.2 + 80 = 100.2
    const BookPressure p = calculator(1).compute(make_book({{100.0, 1.0}}, {{101.0, 4.0}}));
    ASSERT_TRUE(p.imbalance_l1 && p.microprice);
    EXPECT_DOUBLE_EQ(*p.imbalance_l1, 0.2);
    EXPECT_DOUBLE_EQ(*p.microprice, 100.2);
}

TEST(MicropriceCalculator, Microprice_EqualSizesGiveTheMid) {
    // 100 x 2 / 101 x 2: I = 0.5, microprice = (100 + 101) / 2 = 100.5
    const BookPressure p = calculator(1).compute(make_book({{100.0, 2.0}}, {{101.0, 2.0}}));
    ASSERT_TRUE(p.microprice);
    EXPECT_DOUBLE_EQ(*p.imbalance_l1, 0.5);
    EXPECT_DOUBLE_EQ(*p.microprice, 100.5);
}

TEST(MicropriceCalculator, Microprice_ZeroSizesAtBestLeaveLevelOneValuesAbsent) {
    // Best bid and ask present with size 0: qb + qa = 0, I undefined, so
    // imbalance_l1 and microprice are absent (not NaN). Level 2 has size:
    // bids 100 x 0, 99 x 1; asks 101 x 0, 102 x 3 -> Qb = 1, Qa = 3
    // imbalance_l2 = 1 / 4 = 0.25
    // weighted_mid_l2 = VWAPa * 0.25 + VWAPb * 0.75 = 102 * 0.25 + 99 * 0.75
    //                 = 25.5 + 74.25 = 99.75
    const BookPressure p = calculator(2).compute(
        make_book({{100.0, 0.0}, {99.0, 1.0}}, {{101.0, 0.0}, {102.0, 3.0}}));
    EXPECT_FALSE(p.imbalance_l1);
    EXPECT_FALSE(p.microprice);
    ASSERT_TRUE(p.imbalance_ln && p.weighted_mid_ln);
    EXPECT_DOUBLE_EQ(*p.imbalance_ln, 0.25);
    EXPECT_DOUBLE_EQ(*p.weighted_mid_ln, 99.75);
}

TEST(MicropriceCalculator, Microprice_OneSidedBookGivesNoValues) {
    // No ask at all (price 0): nothing is defined.
    const BookPressure p = calculator(5).compute(make_book({{100.0, 2.0}, {99.0, 1.0}}, {}));
    EXPECT_FALSE(p.imbalance_l1);
    EXPECT_FALSE(p.microprice);
    EXPECT_FALSE(p.imbalance_ln);
    EXPECT_FALSE(p.weighted_mid_ln);
}

TEST(MicropriceCalculator, Microprice_EmptySideSizeGivesPriceOfThatSide) {
    // bid 100 x 0, ask 101 x 2: I = 0 / 2 = 0, microprice = Pb = 100.
    // Over 3 levels Qb = 0: imbalance_l3 = 0, weighted_mid_l3 absent (no bid VWAP).
    const BookPressure p = calculator(3).compute(make_book({{100.0, 0.0}}, {{101.0, 2.0}}));
    ASSERT_TRUE(p.microprice);
    EXPECT_EQ(*p.imbalance_l1, 0.0);
    EXPECT_DOUBLE_EQ(*p.microprice, 100.0);
    ASSERT_TRUE(p.imbalance_ln);
    EXPECT_EQ(*p.imbalance_ln, 0.0);
    EXPECT_FALSE(p.weighted_mid_ln);
}

TEST(MicropriceCalculator, Microprice_NotANumberSizeCountsAsZero) {
    // bid 100 x NaN -> 0, ask 101 x 2: as above, I = 0, microprice = 100.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const BookPressure p = calculator(1).compute(make_book({{100.0, nan}}, {{101.0, 2.0}}));
    ASSERT_TRUE(p.microprice);
    EXPECT_EQ(*p.imbalance_l1, 0.0);
    EXPECT_DOUBLE_EQ(*p.microprice, 100.0);
}

TEST(MicropriceCalculator, Microprice_DepthImbalanceSumsSizesOverLevels) {
    // levels = 3
    // bids 100 x 1, 99 x 2, 98 x 3    Qb = 6, sum Pb qb = 100 + 198 + 294 = 592
    // asks 101 x 2, 102 x 2, 103 x 8  Qa = 12, sum Pa qa = 202 + 204 + 824 = 1230
    // imbalance_l3 = 6 / 18 = 1/3
    // VWAPb = 592 / 6, VWAPa = 1230 / 12 = 102.5
    // weighted_mid_l3 = 102.5 * 1/3 + (592/6) * 2/3 = 307.5/9 + 592/9 = 899.5/9
    // (level 1 alone: I = 1/3, microprice = 101/3 + 200/3 = 100.333...)
    const BookPressure p = calculator(3).compute(
        make_book({{100.0, 1.0}, {99.0, 2.0}, {98.0, 3.0}},
                  {{101.0, 2.0}, {102.0, 2.0}, {103.0, 8.0}}));
    ASSERT_TRUE(p.imbalance_ln && p.weighted_mid_ln && p.microprice);
    EXPECT_DOUBLE_EQ(*p.imbalance_ln, 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(*p.weighted_mid_ln, 899.5 / 9.0);
    EXPECT_DOUBLE_EQ(*p.microprice, 301.0 / 3.0);
}

TEST(MicropriceCalculator, Microprice_LevelsBeyondConfiguredDepthAreIgnored) {
    // levels = 2: the third levels (98 x 100, 103 x 100) do not count.
    // Qb = 1 + 2 = 3, Qa = 2 + 2 = 4: imbalance_l2 = 3 / 7
    const BookPressure p = calculator(2).compute(
        make_book({{100.0, 1.0}, {99.0, 2.0}, {98.0, 100.0}},
                  {{101.0, 2.0}, {102.0, 2.0}, {103.0, 100.0}}));
    ASSERT_TRUE(p.imbalance_ln);
    EXPECT_DOUBLE_EQ(*p.imbalance_ln, 3.0 / 7.0);
}

TEST(MicropriceCalculator, Microprice_MissingDeeperLevelsContributeNothing) {
    // levels = 5 but the book has 2 bid levels and 1 ask level.
    // bids 100 x 1, 99 x 3: Qb = 4, VWAPb = (100 + 297) / 4 = 99.25
    // asks 101 x 4:         Qa = 4, VWAPa = 101
    // imbalance_l5 = 4 / 8 = 0.5; weighted_mid_l5 = 101 * 0.5 + 99.25 * 0.5 = 100.125
    const BookPressure p =
        calculator(5).compute(make_book({{100.0, 1.0}, {99.0, 3.0}}, {{101.0, 4.0}}));
    ASSERT_TRUE(p.imbalance_ln && p.weighted_mid_ln);
    EXPECT_DOUBLE_EQ(*p.imbalance_ln, 0.5);
    EXPECT_DOUBLE_EQ(*p.weighted_mid_ln, 100.125);
}

TEST(MicropriceCalculator, Microprice_OneLevelWeightedMidEqualsMicroprice) {
    // With N = 1, VWAPb = Pb and VWAPa = Pa: weighted_mid_l1 is the microprice.
    const BookPressure p = calculator(1).compute(make_book({{100.0, 3.0}}, {{101.0, 1.0}}));
    ASSERT_TRUE(p.weighted_mid_ln && p.microprice);
    EXPECT_DOUBLE_EQ(*p.weighted_mid_ln, *p.microprice);
}

}  // namespace
}  // namespace sigrun::plugins
