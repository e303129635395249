// The microprice plugin through sigrun::testing: its factors for a book built
// in code, its config errors, and every factor on the real sample against the
// formulas of microprice_calculator.hpp recomputed here, level by level in
// long double, from the messages the harness read.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plugin_harness.hpp"

namespace sigrun::plugins::test {
namespace {

using sigrun::testing::depth;
using sigrun::testing::Harness;

TEST(MicropricePlugin, EmitsLevelOneAndDepthFactors) {
    // levels = 2: bids 100 x 3, 99 x 1; asks 101 x 1, 102 x 3
    // I = 3/4, microprice = 101 * 0.75 + 100 * 0.25 = 100.75
    // Qb = 4, Qa = 4: imbalance_l2 = 0.5; VWAPb = 399/4 = 99.75, VWAPa = 407/4 = 101.75
    // weighted_mid_l2 = (101.75 + 99.75) / 2 = 100.75
    auto engine = Harness::load(SIGRUN_MICROPRICE_PLUGIN_PATH, R"({"levels": 2})");
    const auto out = engine.feed(depth("BTCUSDT", 1, {{100.0, 3.0}, {99.0, 1.0}}, {{101.0, 1.0}, {102.0, 3.0}}));
    EXPECT_EQ(describe(out), (std::vector<std::string>{"microprice BTCUSDT=100.750000", "imbalance_l1 BTCUSDT=0.750000",
                                                       "imbalance_l2 BTCUSDT=0.500000",
                                                       "weighted_mid_l2 BTCUSDT=100.750000"}));
    EXPECT_EQ(engine.plugin_id(), "org.sigrun.microprice");
}

TEST(MicropricePlugin, OneSidedBookEmitsNothing) {
    auto engine = Harness::load(SIGRUN_MICROPRICE_PLUGIN_PATH);
    EXPECT_TRUE(engine.feed(depth("BTCUSDT", 1, {{100.0, 3.0}}, {})).empty());
}

TEST(MicropricePlugin, WrongTypeFailsCreateNamingTheKey) {
    EXPECT_NE(create_error(SIGRUN_MICROPRICE_PLUGIN_PATH, R"({"levels": "5"})").find("\"levels\" must be an integer"),
              std::string::npos);
}

// The reference: the formulas written out for one book, over `levels`.
std::map<std::string, long double> reference(const sigrun_depth& book, int levels) {
    std::map<std::string, long double> out;
    const long double pb = book.bid_price[0], qb = book.bid_size[0];
    const long double pa = book.ask_price[0], qa = book.ask_size[0];
    if (pb <= 0 || pa <= 0) return out;
    if (qb + qa > 0) {
        const long double i = qb / (qb + qa);
        out["microprice"] = pa * i + pb * (1 - i);
        out["imbalance_l1"] = i;
    }
    long double bid_volume = 0, bid_notional = 0, ask_volume = 0, ask_notional = 0;
    for (int l = 0; l < levels; ++l) {
        if (book.bid_price[l] > 0) {
            bid_volume += book.bid_size[l];
            bid_notional += static_cast<long double>(book.bid_price[l]) * book.bid_size[l];
        }
        if (book.ask_price[l] > 0) {
            ask_volume += book.ask_size[l];
            ask_notional += static_cast<long double>(book.ask_price[l]) * book.ask_size[l];
        }
    }
    const std::string n = std::to_string(levels);
    if (bid_volume + ask_volume > 0) out["imbalance_l" + n] = bid_volume / (bid_volume + ask_volume);
    if (bid_volume > 0 && ask_volume > 0) {
        const long double i = bid_volume / (bid_volume + ask_volume);
        out["weighted_mid_l" + n] = ask_notional / ask_volume * i + bid_notional / bid_volume * (1 - i);
    }
    return out;
}

TEST(MicropricePlugin, OnTheRealSampleEveryFactorMatchesTheFormulas) {
    auto engine = Harness::load(SIGRUN_MICROPRICE_PLUGIN_PATH, R"({"levels": 5})");
    const auto out = sigrun::testing::feed(engine, sample());
    std::size_t checked = 0;
    std::size_t next = 0;  // index into `out`: the engine emits in book order
    for (std::size_t i = 0; i < sample().size(); ++i) {
        const auto& event = sample()[i].event;
        if (!event.is_depth()) continue;
        const auto expected = reference(event.depth(), 5);
        std::map<std::string, double> got;
        for (; next < out.size() && out[next].source_sequence == i + 1; ++next) got[out[next].factor] = out[next].value;
        ASSERT_EQ(got.size(), expected.size()) << "book " << i + 1;
        for (const auto& [factor, value] : expected) {
            ASSERT_TRUE(got.contains(factor)) << factor << " of book " << i + 1;
            EXPECT_TRUE(agrees(got[factor], value)) << factor << " of book " << i + 1 << ": " << got[factor] << " vs "
                                                    << static_cast<double>(value);
            ++checked;
        }
    }
    EXPECT_EQ(next, out.size()) << "nothing emitted for a trade";
    EXPECT_GT(checked, 4 * 1700u) << "the four factors of (nearly) every book of the sample were checked";
}

}  // namespace
}  // namespace sigrun::plugins::test
