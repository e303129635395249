// Unit tests of spread_engine with sigrun::testing: the built plugin is
// loaded like the runner loads it, fed books built in code or the recorded
// sample, and what it emitted is checked.
#include <gtest/gtest.h>

#include <cmath>

#include <sigrun/testing.hpp>
#include <sigrun/testing/recorded.hpp>

using sigrun::testing::Harness;

TEST(SpreadEngine, EmitsTheSpreadInTicks) {
    auto engine = Harness::load(SPREAD_ENGINE_PATH, R"({"tick_size": 0.5})");
    const auto out = engine.feed(sigrun::testing::depth("BTCUSDT", 1, {{100.0, 1.0}}, {{101.0, 2.0}}));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].factor, "spread_ticks");
    EXPECT_EQ(out[0].instrument, "BTCUSDT");
    EXPECT_DOUBLE_EQ(out[0].value, 2.0);
}

TEST(SpreadEngine, EmitsNothingForAOneSidedBook) {
    auto engine = Harness::load(SPREAD_ENGINE_PATH);
    EXPECT_TRUE(engine.feed(sigrun::testing::depth("BTCUSDT", 1, {{100.0, 1.0}}, {})).empty());
}

TEST(SpreadEngine, RefusesATypoInItsConfig) {
    EXPECT_THROW(Harness::load(SPREAD_ENGINE_PATH, R"({"tick_sise": 0.5})"), std::runtime_error);
}

// The real sample installed with the SDK, read by the runner's own replay
// code: every book's emitted spread equals the one worked out from the book.
TEST(SpreadEngine, OnTheRecordedSampleEmitsEachBooksSpread) {
    auto engine = Harness::load(SPREAD_ENGINE_PATH, R"({"tick_size": 0.01})");
    const auto messages = sigrun::testing::read_csv(SAMPLE_DIR "/spot_btcusdt_book20.csv.gz",
                                                    SAMPLE_DIR "/spot_btcusdt_trades.csv.gz");
    const auto out = sigrun::testing::feed(engine, messages);
    std::size_t books = 0;
    for (const auto& m : messages) {
        if (!m.event.is_depth()) continue;
        const sigrun_depth& book = m.event.depth();
        ASSERT_LT(books, out.size());
        EXPECT_EQ(out[books++].value, std::round((book.ask_price[0] - book.bid_price[0]) / 0.01));
    }
    EXPECT_EQ(books, out.size());
    EXPECT_GT(books, 1000u);
}
