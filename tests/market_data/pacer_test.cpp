// Pacer with an injected fake clock: which sleeps it asks for, never real time.
#include "sigrun/market_data/pacer.hpp"
#include "sigrun/market_data/replay_source.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

namespace sigrun::market_data::test {
namespace {

/// A clock that only moves when told to (or when the pacer sleeps on it).
struct FakeClock {
    std::int64_t now = 1'000'000'000;
    std::vector<std::int64_t> sleeps;

    PacerClock clock() {
        return PacerClock{[this] { return now; },
                          [this](std::int64_t ns) {
                              sleeps.push_back(ns);
                              now += ns;
                          }};
    }
};

TEST(Pacer, AsFastAsPossibleNeverSleeps) {
    Pacer pacer = Pacer::as_fast_as_possible();
    EXPECT_FALSE(pacer.is_paced());
    pacer.wait_for(0);
    pacer.wait_for(1'000'000'000'000);  // would be a long wait if paced
}

TEST(Pacer, RecordedPaceSleepsTheRecordedGaps) {
    FakeClock fake;
    Pacer pacer = Pacer::recorded(1.0, fake.clock());
    pacer.wait_for(5'000);        // first event: the anchor, released at once
    pacer.wait_for(5'000);        // same time: no wait
    pacer.wait_for(1'005'000);    // 1 ms later
    pacer.wait_for(3'005'000);    // 2 ms after that
    EXPECT_EQ(fake.sleeps, (std::vector<std::int64_t>{1'000'000, 2'000'000}));
}

TEST(Pacer, SpeedFactorDividesTheGaps) {
    FakeClock fake;
    Pacer pacer = Pacer::recorded(4.0, fake.clock());
    pacer.wait_for(0);
    pacer.wait_for(4'000'000);
    pacer.wait_for(12'000'000);
    EXPECT_EQ(fake.sleeps, (std::vector<std::int64_t>{1'000'000, 2'000'000}));
}

TEST(Pacer, SlowerThanRecordedStretchesTheGaps) {
    FakeClock fake;
    Pacer pacer = Pacer::recorded(0.5, fake.clock());
    pacer.wait_for(0);
    pacer.wait_for(1'000);
    EXPECT_EQ(fake.sleeps, (std::vector<std::int64_t>{2'000}));
}

TEST(Pacer, TimeSpentByTheConsumerIsSubtracted) {
    FakeClock fake;
    Pacer pacer = Pacer::recorded(1.0, fake.clock());
    pacer.wait_for(0);
    fake.now += 300;  // the consumer worked 300 ns on the first event
    pacer.wait_for(1'000);
    EXPECT_EQ(fake.sleeps, (std::vector<std::int64_t>{700}));
}

TEST(Pacer, AConsumerThatFellBehindCatchesUpWithoutSleeping) {
    FakeClock fake;
    Pacer pacer = Pacer::recorded(1.0, fake.clock());
    pacer.wait_for(0);
    fake.now += 5'000;         // 5 us late
    pacer.wait_for(1'000);     // due 4 us ago
    pacer.wait_for(2'000);     // still overdue
    pacer.wait_for(10'000);    // due 5 us from now: the schedule stayed anchored
    EXPECT_EQ(fake.sleeps, (std::vector<std::int64_t>{5'000}));
}

TEST(Pacer, ResetStartsANewSchedule) {
    FakeClock fake;
    Pacer pacer = Pacer::recorded(1.0, fake.clock());
    pacer.wait_for(0);
    pacer.reset();
    pacer.wait_for(1'000'000'000);  // new anchor: no wait for the 1 s gap
    pacer.wait_for(1'000'000'500);
    EXPECT_EQ(fake.sleeps, (std::vector<std::int64_t>{500}));
}

TEST(Pacer, RejectsSpeedsThatAreNotPositiveAndFinite) {
    FakeClock fake;
    EXPECT_THROW((void)Pacer::recorded(0.0, fake.clock()), std::invalid_argument);
    EXPECT_THROW((void)Pacer::recorded(-1.0, fake.clock()), std::invalid_argument);
    EXPECT_THROW((void)Pacer::recorded(std::numeric_limits<double>::infinity(), fake.clock()),
                 std::invalid_argument);
    EXPECT_THROW((void)Pacer::recorded(std::numeric_limits<double>::quiet_NaN(), fake.clock()),
                 std::invalid_argument);
    EXPECT_THROW((void)Pacer::recorded(1.0, PacerClock{}), std::invalid_argument);
}

using PacedReplay = TempDirTest;

TEST_F(PacedReplay, ReplaySourceWaitsBeforeEachEventAtRecordedPace) {
    const auto book = write_gz("spot_aaa_book20.csv.gz", book_header() + "\n" + book_row(1'000'000, "1", 100) +
                                                              "\n" + book_row(4'000'000, "1", 100) + "\n");
    const auto trades = write_gz("spot_aaa_trades.csv.gz", trade_header() + "\n" + trade_row(2'000'000, 1) + "\n");
    FakeClock fake;
    ReplaySource source(std::vector<std::filesystem::path>{book, trades}, Pacer::recorded(2.0, fake.clock()));
    std::vector<std::int64_t> released_at;
    while (const auto ev = source.next()) released_at.push_back(fake.now);
    const std::int64_t t0 = 1'000'000'000;
    // Recorded gaps 1 ms and 2 ms, at twice the speed.
    EXPECT_EQ(released_at, (std::vector<std::int64_t>{t0, t0 + 500'000, t0 + 1'500'000}));
}

}  // namespace
}  // namespace sigrun::market_data::test
