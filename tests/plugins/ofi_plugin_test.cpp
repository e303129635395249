// The ofi plugin through sigrun::testing: its factors for books built in
// code, per-instrument books, its warnings and config errors, and every
// factor on the real sample against Cont, Kukanov & Stoikov's e_n (per level,
// Xu, Gould & Howison) recomputed here and summed afresh over each window —
// not with the engine's running sums.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "plugin_harness.hpp"

namespace sigrun::plugins::test {
namespace {

using sigrun::testing::depth;
using sigrun::testing::Harness;

TEST(OfiPlugin, ReportsItsNameAndCopyCompatibleAbi) {
    auto engine = Harness::load(SIGRUN_OFI_PLUGIN_PATH);
    EXPECT_EQ(engine.info().abi_major, static_cast<std::uint32_t>(SIGRUN_ABI_VERSION_MAJOR));
    EXPECT_STREQ(engine.info().name, "ofi");
    EXPECT_EQ(engine.plugin_id(), "org.sigrun.ofi");
    EXPECT_EQ(engine.info().state_version, 0u);
}

TEST(OfiPlugin, EmitsEachLevelAndMlofiFromTheSecondBook) {
    // levels = 2. Books as in OfiCalculator's multi-level test:
    // level 1: e = 2, level 2: e = 1, mlofi = 3.
    auto engine = Harness::load(SIGRUN_OFI_PLUGIN_PATH, R"({"levels": 2, "window_events": 10})");
    EXPECT_TRUE(engine.feed(depth("BTCUSDT", 1, {{100.0, 2.0}, {99.0, 4.0}}, {{101.0, 3.0}, {102.0, 5.0}})).empty())
        << "the first book is only the baseline";
    const auto out = engine.feed(depth("BTCUSDT", 2, {{100.0, 2.0}, {99.5, 1.0}}, {{101.0, 1.0}, {102.0, 5.0}}));
    EXPECT_EQ(describe(out), (std::vector<std::string>{"ofi_l1 BTCUSDT=2.000000", "ofi_l2 BTCUSDT=1.000000",
                                                       "mlofi BTCUSDT=3.000000"}));
}

TEST(OfiPlugin, KeepsSeparateBooksPerInstrument) {
    // BTC 100 x 2 -> (ETH first book, baseline only) -> BTC 100 x 5: e = +3.
    auto engine = Harness::load(SIGRUN_OFI_PLUGIN_PATH);
    engine.feed(depth("BTCUSDT", 1, {{100.0, 2.0}}, {{101.0, 3.0}}));
    engine.feed(depth("ETHUSDT", 2, {{2000.0, 7.0}}, {{2001.0, 1.0}}));
    engine.feed(depth("BTCUSDT", 3, {{100.0, 5.0}}, {{101.0, 3.0}}));
    EXPECT_EQ(describe(engine.emitted()), (std::vector<std::string>{"ofi_l1 BTCUSDT=3.000000"}));
}

TEST(OfiPlugin, FullTimeWindowIsLoggedOncePerInstrument) {
    auto engine = Harness::load(SIGRUN_OFI_PLUGIN_PATH, R"({"window_ns": 1000000000, "window_capacity": 1})");
    for (int i = 0; i < 5; ++i) engine.feed(depth("BTCUSDT", i, {{100.0, 2.0 + i}}, {{101.0, 3.0}}));
    EXPECT_EQ(count_logs(engine, SIGRUN_LOG_WARN), 1u);
    EXPECT_EQ(count_logs(engine, SIGRUN_LOG_WARN, "window_capacity"), 1u);
}

TEST(OfiPlugin, UnknownKeyFailsCreateNamingIt) {
    EXPECT_NE(create_error(SIGRUN_OFI_PLUGIN_PATH, R"({"levls": 2})").find("unknown key \"levls\""), std::string::npos);
}

// e_n at one level (0 = best) between two books: a missing level (price not
// > 0) is a bid at -infinity / an ask at +infinity with size 0.
long double level_event(const sigrun_depth& prev, const sigrun_depth& cur, int level) {
    constexpr long double inf = std::numeric_limits<long double>::infinity();
    const auto bid = [level](const sigrun_depth& b) { return b.bid_price[level] > 0 ? b.bid_price[level] : -inf; };
    const auto ask = [level](const sigrun_depth& b) { return b.ask_price[level] > 0 ? b.ask_price[level] : inf; };
    const auto bid_size = [level](const sigrun_depth& b) -> long double { return b.bid_price[level] > 0 ? b.bid_size[level] : 0; };
    const auto ask_size = [level](const sigrun_depth& b) -> long double { return b.ask_price[level] > 0 ? b.ask_size[level] : 0; };
    long double e = 0;
    if (bid(cur) >= bid(prev)) e += bid_size(cur);
    if (bid(cur) <= bid(prev)) e -= bid_size(prev);
    if (ask(cur) <= ask(prev)) e -= ask_size(cur);
    if (ask(cur) >= ask(prev)) e += ask_size(prev);
    return e;
}

TEST(OfiPlugin, OnTheRealSampleEveryLevelMatchesTheWindowSumOfEn) {
    constexpr int kLevels = 5;
    constexpr std::size_t kWindow = 100;
    auto engine = Harness::load(SIGRUN_OFI_PLUGIN_PATH, R"({"levels": 5, "window_events": 100})");
    const auto out = sigrun::testing::feed(engine, sample());

    std::vector<const sigrun_depth*> books;  // the sample's books, in order
    std::vector<std::uint64_t> sequences;
    for (std::size_t i = 0; i < sample().size(); ++i) {
        if (!sample()[i].event.is_depth()) continue;
        books.push_back(&sample()[i].event.depth());
        sequences.push_back(i + 1);
    }
    ASSERT_EQ(out.size(), (books.size() - 1) * (kLevels + 1)) << "levels + mlofi for every book but the first";
    std::size_t at = 0;
    for (std::size_t n = 1; n < books.size(); ++n) {
        long double mlofi = 0;
        for (int level = 0; level < kLevels; ++level) {
            long double ofi = 0;
            for (std::size_t k = n >= kWindow ? n - kWindow + 1 : 1; k <= n; ++k) {
                ofi += level_event(*books[k - 1], *books[k], level);
            }
            mlofi += ofi;
            const auto& e = out[at++];
            ASSERT_EQ(e.factor, "ofi_l" + std::to_string(level + 1));
            ASSERT_EQ(e.source_sequence, sequences[n]);
            EXPECT_TRUE(agrees(e.value, ofi, 1e-9L)) << e.factor << " of book " << n << ": " << e.value << " vs "
                                                     << static_cast<double>(ofi);
        }
        const auto& e = out[at++];
        ASSERT_EQ(e.factor, "mlofi");
        EXPECT_TRUE(agrees(e.value, mlofi, 1e-9L)) << "mlofi of book " << n;
    }
}

}  // namespace
}  // namespace sigrun::plugins::test
