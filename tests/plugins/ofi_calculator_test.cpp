// OfiCalculator against values worked out by hand from the books in each test.
// Notation: e = [bid term] + [ask term] with
//   bid term = 1{Pb >= Pb'} qb - 1{Pb <= Pb'} qb'
//   ask term = -1{Pa <= Pa'} qa + 1{Pa >= Pa'} qa'
// where ' marks the previous book.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "market_data_builders.hpp"
#include "ofi_calculator.hpp"

namespace sigrun::plugins {
namespace {

using testing::make_book;

OfiConfig count_window(std::size_t events, int levels = 1) {
    OfiConfig config;
    config.levels = levels;
    config.capacity = events;
    return config;
}

OfiConfig time_window(std::int64_t span_ns, std::size_t capacity = 1024) {
    OfiConfig config;
    config.span_ns = span_ns;
    config.capacity = capacity;
    return config;
}

// The book every single-update test starts from: 100 x 2 / 101 x 3.
const sigrun_depth kBase = make_book({{100.0, 2.0}}, {{101.0, 3.0}});

// Windowed OFI at level 1 after feeding kBase and then `next`.
double ofi_after(const sigrun_depth& next) {
    OfiCalculator ofi(count_window(10));
    ofi.update(kBase);
    EXPECT_TRUE(ofi.update(next));
    return ofi.ofi(1);
}

TEST(OfiCalculator, Ofi_FirstBookOnlySetsTheBaseline) {
    OfiCalculator ofi(count_window(10));
    EXPECT_FALSE(ofi.update(kBase));
    EXPECT_EQ(ofi.window_size(), 0u);
    EXPECT_EQ(ofi.ofi(1), 0.0);
}

TEST(OfiCalculator, Ofi_UnchangedBookGivesZero) {
    // bid: +2 - 2 = 0; ask: -3 + 3 = 0
    EXPECT_EQ(ofi_after(kBase), 0.0);
}

TEST(OfiCalculator, Ofi_BidPriceUpCountsNewBidSize) {
    // bid 100 x 2 -> 100.5 x 1.5: Pb > Pb' so +qb = +1.5, no -qb' term
    // ask unchanged 101 x 3: -3 + 3 = 0            e = 1.5
    EXPECT_DOUBLE_EQ(ofi_after(make_book({{100.5, 1.5}}, {{101.0, 3.0}})), 1.5);
}

TEST(OfiCalculator, Ofi_BidPriceDownRemovesOldBidSize) {
    // bid 100 x 2 -> 99.5 x 4: Pb < Pb' so -qb' = -2, the new 4 does not count
    // ask unchanged: 0                              e = -2
    EXPECT_DOUBLE_EQ(ofi_after(make_book({{99.5, 4.0}}, {{101.0, 3.0}})), -2.0);
}

TEST(OfiCalculator, Ofi_SameBidPriceCountsSizeChange) {
    // bid 100 x 2 -> 100 x 5: +5 - 2 = +3; ask 0   e = 3
    EXPECT_DOUBLE_EQ(ofi_after(make_book({{100.0, 5.0}}, {{101.0, 3.0}})), 3.0);
}

TEST(OfiCalculator, Ofi_AskPriceDownCountsNewAskSizeAsSelling) {
    // ask 101 x 3 -> 100.8 x 1: Pa < Pa' so -qa = -1, no +qa' term
    // bid unchanged: 0                              e = -1
    EXPECT_DOUBLE_EQ(ofi_after(make_book({{100.0, 2.0}}, {{100.8, 1.0}})), -1.0);
}

TEST(OfiCalculator, Ofi_AskPriceUpRemovesOldAskSizeAsBuying) {
    // ask 101 x 3 -> 101.5 x 7: Pa > Pa' so +qa' = +3, the new 7 does not count
    // bid unchanged: 0                              e = 3
    EXPECT_DOUBLE_EQ(ofi_after(make_book({{100.0, 2.0}}, {{101.5, 7.0}})), 3.0);
}

TEST(OfiCalculator, Ofi_SameAskPriceCountsSizeChangeWithOppositeSign) {
    // ask 101 x 3 -> 101 x 1: -1 + 3 = +2 (asks were cancelled or lifted); bid 0
    EXPECT_DOUBLE_EQ(ofi_after(make_book({{100.0, 2.0}}, {{101.0, 1.0}})), 2.0);
}

TEST(OfiCalculator, Ofi_BothSidesMovingAddUp) {
    // bid 100 x 2 -> 100.5 x 1: +1
    // ask 101 x 3 -> 100.9 x 4: -4                  e = 1 - 4 = -3
    EXPECT_DOUBLE_EQ(ofi_after(make_book({{100.5, 1.0}}, {{100.9, 4.0}})), -3.0);
}

TEST(OfiCalculator, Ofi_VanishingBestBidRemovesItsWholeQueue) {
    // bid 100 x 2 -> missing (price 0 = -inf): Pb < Pb', so -qb' = -2; ask 0
    EXPECT_DOUBLE_EQ(ofi_after(make_book({}, {{101.0, 3.0}})), -2.0);
}

TEST(OfiCalculator, Ofi_VanishingBestAskRemovesItsWholeQueue) {
    // ask 101 x 3 -> missing (price 0 = +inf): Pa > Pa', so +qa' = +3; bid 0
    EXPECT_DOUBLE_EQ(ofi_after(make_book({{100.0, 2.0}}, {})), 3.0);
}

TEST(OfiCalculator, Ofi_AppearingLevelsAddTheirQueues) {
    // empty book -> 100 x 2 / 101 x 3:
    //   bid -inf -> 100: +2;  ask +inf -> 101: -3    e = -1
    OfiCalculator ofi(count_window(10));
    ofi.update(make_book({}, {}));
    ofi.update(kBase);
    EXPECT_DOUBLE_EQ(ofi.ofi(1), -1.0);
}

TEST(OfiCalculator, Ofi_LevelMissingInBothBooksContributesZero) {
    // Level 2 exists in neither book: -inf vs -inf and +inf vs +inf, sizes 0.
    OfiCalculator ofi(count_window(10, /*levels=*/2));
    ofi.update(kBase);
    ofi.update(make_book({{100.0, 5.0}}, {{101.0, 3.0}}));
    EXPECT_EQ(ofi.ofi(2), 0.0);
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 3.0);
}

TEST(OfiCalculator, Ofi_ZeroSizesGiveZeroNotNaN) {
    // Prices present, every size 0 (or not a number, which counts as 0):
    // bid 100 x 0 -> 100.5 x 0: +0;  ask 101 x 0 -> 101 x NaN: -0 + 0   e = 0
    const double nan = std::numeric_limits<double>::quiet_NaN();
    OfiCalculator ofi(count_window(10));
    ofi.update(make_book({{100.0, 0.0}}, {{101.0, 0.0}}));
    ofi.update(make_book({{100.5, 0.0}}, {{101.0, nan}}));
    EXPECT_EQ(ofi.ofi(1), 0.0);
    EXPECT_FALSE(std::isnan(ofi.ofi(1)));
}

TEST(OfiCalculator, Ofi_WindowSumsEventsOfSuccessiveUpdates) {
    // kBase -> b1: bid 100 x 2 -> 100 x 5: +3; ask 0          e1 = 3
    // b1 -> b2: bid unchanged 0; ask 101 x 3 -> 100.9 x 1: -1 e2 = -1
    //                                                  OFI = 3 - 1 = 2
    OfiCalculator ofi(count_window(10));
    ofi.update(kBase);
    ofi.update(make_book({{100.0, 5.0}}, {{101.0, 3.0}}));
    ofi.update(make_book({{100.0, 5.0}}, {{100.9, 1.0}}));
    EXPECT_EQ(ofi.window_size(), 2u);
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 2.0);
}

TEST(OfiCalculator, Ofi_CountWindowEvictsOldestEvent) {
    // window_events = 2.
    // kBase -> b1: bid 100 x 2 -> 100 x 5       e1 = +3
    // b1 -> b2: bid 100 x 5 -> 100 x 4          e2 = -1
    // b2 -> b3: bid 100 x 4 -> 100 x 10         e3 = +6
    // window after b3 holds e2, e3: OFI = -1 + 6 = 5 (e1 evicted)
    OfiCalculator ofi(count_window(2));
    ofi.update(kBase);
    ofi.update(make_book({{100.0, 5.0}}, {{101.0, 3.0}}));
    ofi.update(make_book({{100.0, 4.0}}, {{101.0, 3.0}}));
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 2.0);  // e1 + e2 = 3 - 1
    ofi.update(make_book({{100.0, 10.0}}, {{101.0, 3.0}}));
    EXPECT_EQ(ofi.window_size(), 2u);
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 5.0);
    EXPECT_EQ(ofi.dropped_early(), 0u);
}

TEST(OfiCalculator, Ofi_TimeWindowEvictsUpdatesOlderThanSpan) {
    // window_ns = 100: the window holds updates received in (now - 100, now].
    // t=0   kBase (baseline)
    // t=10  bid 100 x 2 -> 100 x 5    e1 = +3   window {e1}            = 3
    // t=60  bid 100 x 5 -> 100 x 4    e2 = -1   window {e1, e2}        = 2
    // t=110 bid 100 x 4 -> 100 x 10   e3 = +6   110 - 10 = 100 >= 100: e1 leaves
    //                                           window {e2, e3}        = 5
    OfiCalculator ofi(time_window(100));
    ofi.update(make_book({{100.0, 2.0}}, {{101.0, 3.0}}, 0));
    ofi.update(make_book({{100.0, 5.0}}, {{101.0, 3.0}}, 10));
    ofi.update(make_book({{100.0, 4.0}}, {{101.0, 3.0}}, 60));
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 2.0);
    ofi.update(make_book({{100.0, 10.0}}, {{101.0, 3.0}}, 110));
    EXPECT_EQ(ofi.window_size(), 2u);
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 5.0);
}

TEST(OfiCalculator, Ofi_TimeWindowAfterQuietSpellHoldsOnlyTheNewUpdate) {
    // Events of 0.1 and 0.2 (not exact in binary) leave a window that then
    // empties: the sum restarts from exactly 0, no residue.
    // t=0   bid 100 x 2   (baseline)
    // t=10  100 x 2.1     e1 = 2.1 - 2   = 0.1 (approximately, in binary)
    // t=20  100 x 2.3     e2 = 2.3 - 2.1 = 0.2
    // t=500 100 x 2.3     e3 = 0; e1, e2 are 490+ ns old: window {e3} = 0 exactly
    OfiCalculator ofi(time_window(100));
    ofi.update(make_book({{100.0, 2.0}}, {{101.0, 3.0}}, 0));
    ofi.update(make_book({{100.0, 2.1}}, {{101.0, 3.0}}, 10));
    ofi.update(make_book({{100.0, 2.3}}, {{101.0, 3.0}}, 20));
    EXPECT_NEAR(ofi.ofi(1), 0.3, 1e-12);
    ofi.update(make_book({{100.0, 2.3}}, {{101.0, 3.0}}, 500));
    EXPECT_EQ(ofi.window_size(), 1u);
    EXPECT_EQ(ofi.ofi(1), 0.0);
}

TEST(OfiCalculator, Ofi_FullTimeWindowDropsOldestAndCountsIt) {
    // window_ns = 1000 but room for 2 updates; three updates inside the span:
    // e1 = +3, e2 = -1, e3 = +6 (as above); e1 leaves early: OFI = 5, 1 dropped.
    OfiCalculator ofi(time_window(1000, /*capacity=*/2));
    ofi.update(make_book({{100.0, 2.0}}, {{101.0, 3.0}}, 0));
    ofi.update(make_book({{100.0, 5.0}}, {{101.0, 3.0}}, 1));
    ofi.update(make_book({{100.0, 4.0}}, {{101.0, 3.0}}, 2));
    ofi.update(make_book({{100.0, 10.0}}, {{101.0, 3.0}}, 3));
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 5.0);
    EXPECT_EQ(ofi.dropped_early(), 1u);
}

TEST(OfiCalculator, Ofi_ReceiveTimeGoingBackwardsCountsAsLatestTime) {
    // window_ns = 100. t=0 baseline; t=50 e1 = +3; t=20 (late: taken as 50)
    // e2 = -1; t=149: 149 - 50 = 99 < 100, both stay; e3 = +6 -> OFI = 8.
    OfiCalculator ofi(time_window(100));
    ofi.update(make_book({{100.0, 2.0}}, {{101.0, 3.0}}, 0));
    ofi.update(make_book({{100.0, 5.0}}, {{101.0, 3.0}}, 50));
    ofi.update(make_book({{100.0, 4.0}}, {{101.0, 3.0}}, 20));
    ofi.update(make_book({{100.0, 10.0}}, {{101.0, 3.0}}, 149));
    EXPECT_EQ(ofi.window_size(), 3u);
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 8.0);
    // t=150: e1 and e2 (both stamped 50) are now 100 old and leave; e4 = 0.
    ofi.update(make_book({{100.0, 10.0}}, {{101.0, 3.0}}, 150));
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 6.0);
}

TEST(OfiCalculator, Ofi_EachLevelUsesItsOwnPricesAndMlofiSumsThem) {
    // levels = 2.
    // before: bids 100 x 2, 99 x 4          asks 101 x 3, 102 x 5
    // after:  bids 100 x 2, 99.5 x 1        asks 101 x 1, 102 x 5
    // level 1: bid +2 - 2 = 0; ask -1 + 3 = +2          e(1) = 2
    // level 2: bid 99 -> 99.5 up: +1; ask unchanged 0   e(2) = 1
    // mlofi = 2 + 1 = 3
    OfiCalculator ofi(count_window(10, /*levels=*/2));
    ofi.update(make_book({{100.0, 2.0}, {99.0, 4.0}}, {{101.0, 3.0}, {102.0, 5.0}}));
    ofi.update(make_book({{100.0, 2.0}, {99.5, 1.0}}, {{101.0, 1.0}, {102.0, 5.0}}));
    EXPECT_DOUBLE_EQ(ofi.ofi(1), 2.0);
    EXPECT_DOUBLE_EQ(ofi.ofi(2), 1.0);
    EXPECT_DOUBLE_EQ(ofi.mlofi(), 3.0);
}

TEST(OfiCalculator, Ofi_VanishingSecondLevelRemovesItsQueue) {
    // levels = 2. Second bid 99 x 4 disappears (thin book): level 2 bid -4;
    // second ask 102 x 5 unchanged: 0.   e(2) = -4; level 1 unchanged: 0.
    OfiCalculator ofi(count_window(10, /*levels=*/2));
    ofi.update(make_book({{100.0, 2.0}, {99.0, 4.0}}, {{101.0, 3.0}, {102.0, 5.0}}));
    ofi.update(make_book({{100.0, 2.0}}, {{101.0, 3.0}, {102.0, 5.0}}));
    EXPECT_DOUBLE_EQ(ofi.ofi(2), -4.0);
    EXPECT_DOUBLE_EQ(ofi.mlofi(), -4.0);
}

TEST(OfiCalculator, Ofi_EvictedLargeEventDoesNotSwampSmallOnes) {
    // window_events = 2.
    // baseline bid 100 x 0, ask 101 x 0.5
    // b1: bid 100 x 0 -> 100 x 1e17                e1 = +1e17
    // b2: ask 101 x 0.5 -> 101 x 0.25: -0.25 + 0.5  e2 = +0.25
    // b3: ask 101 x 0.25 -> 101 x 0.125             e3 = +0.125
    // window {e2, e3} = 0.375. A plain running sum loses it: 1e17 + 0.25 rounds
    // to 1e17 (a double's step there is 16), so it would end at 0.
    OfiCalculator ofi(count_window(2));
    ofi.update(make_book({{100.0, 0.0}}, {{101.0, 0.5}}));
    ofi.update(make_book({{100.0, 1e17}}, {{101.0, 0.5}}));
    ofi.update(make_book({{100.0, 1e17}}, {{101.0, 0.25}}));
    ofi.update(make_book({{100.0, 1e17}}, {{101.0, 0.125}}));
    EXPECT_EQ(ofi.ofi(1), 0.375);
}

}  // namespace
}  // namespace sigrun::plugins
