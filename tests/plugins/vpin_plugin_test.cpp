// The vpin plugin through sigrun::testing (the harness plugin authors use):
// its config errors, its values on the real sample against an independent
// computation of Easley, Lopez de Prado & O'Hara (2012) (the one of
// tests/python/test_vpin.py, which checks the runner's output, written out
// here: bucket boundaries from the cumulative volume where the engine pours
// trade by trade), state carried across a hot swap on the sample giving
// exactly the values of an uninterrupted run, and a state of another bucket
// configuration refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "plugin_harness.hpp"

namespace {

using sigrun::plugins::test::sample;
using sigrun::testing::Harness;
using ::testing::AllOf;
using ::testing::Each;
using ::testing::HasSubstr;

constexpr const char kConfig[] = R"({"bucket_volume": 0.5, "buckets": 20})";
constexpr double kBucketVolume = 0.5;
constexpr std::size_t kBuckets = 20;

void feed(Harness& engine, std::size_t from, std::size_t to) {
    sigrun::testing::feed(engine, std::span(sample()).subspan(from, to - from));
}

TEST(VpinPlugin, ConfigErrorsNameTheKey) {
    const auto create_error = [](const char* config) {
        return sigrun::plugins::test::create_error(SIGRUN_VPIN_PLUGIN_PATH, config);
    };
    EXPECT_THAT(create_error("{}"), HasSubstr("vpin config: \"bucket_volume\" is required"));
    EXPECT_THAT(create_error(R"({"bucket_volume": 0})"), HasSubstr("\"bucket_volume\" must be greater than 0"));
    EXPECT_THAT(create_error(R"({"bucket_volume": "1"})"), HasSubstr("\"bucket_volume\" must be a number"));
    EXPECT_THAT(create_error(R"({"bucket_volume": 1, "buckets": 0})"),
                HasSubstr("\"buckets\" must be an integer from 1 to 10000"));
    EXPECT_THAT(create_error(R"({"bucket_volume": 1, "classification": "tick"})"),
                HasSubstr("\"classification\" must be one of \"aggressor\", \"bulk\", got \"tick\""));
    EXPECT_THAT(create_error(R"({"bucket_volume": 1, "bucket_size": 2})"),
                AllOf(HasSubstr("unknown key \"bucket_size\""),
                      HasSubstr("known keys: bucket_volume, buckets, classification")));
}

TEST(VpinPlugin, DeclaresTradesOnlyAndHasAPluginId) {
    auto engine = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, kConfig);
    EXPECT_EQ(engine.plugin_id(), "org.sigrun.vpin");
    EXPECT_TRUE(engine.accepts(SIGRUN_MSG_TRADE));
    EXPECT_FALSE(engine.accepts(SIGRUN_MSG_DEPTH));
}

class VpinOnSample : public ::testing::TestWithParam<const char*> {};

// A hot swap in the middle of the sample, state carried, gives exactly the
// values of the run without it.
TEST_P(VpinOnSample, StateCarriedAcrossASwapContinuesTheSameBuckets) {
    const std::string config = std::string(R"({"bucket_volume": 0.5, "buckets": 20, "classification": ")") +
                               GetParam() + "\"}";
    const std::size_t size = sample().size();
    auto whole = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, config);
    feed(whole, 0, size);
    const std::vector<double> expected = whole.values("vpin");
    ASSERT_GT(expected.size(), 20u) << "the sample closes enough buckets for a real check";
    EXPECT_THAT(expected, Each(AllOf(::testing::Ge(0.0), ::testing::Le(1.0))));

    auto before = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, config);
    feed(before, 0, size / 2);
    auto after = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, config);
    ASSERT_TRUE(before.carry_state_to(after));
    feed(after, size / 2, size);
    std::vector<double> swapped = before.values("vpin");
    const std::vector<double> tail = after.values("vpin");
    swapped.insert(swapped.end(), tail.begin(), tail.end());
    EXPECT_EQ(swapped, expected);
}

// The sample's VPIN values, one per trade that closes buckets once N have
// closed: buckets from the cumulative volume, buy volume at each boundary
// from the cumulative buy volume (tests/python/test_vpin.py's computation).
std::vector<double> independent_vpin(const std::vector<const sigrun_trade*>& trades, bool bulk) {
    const std::size_t n = trades.size();
    std::vector<double> cum(n), cum_buy(n), buy_share(n);
    double volume = 0, buy_volume = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const sigrun_trade& t = *trades[i];
        buy_share[i] = t.aggressor_side == SIGRUN_SIDE_BUY ? 1.0 : t.aggressor_side == SIGRUN_SIDE_SELL ? 0.0 : 0.5;
        cum[i] = volume += t.size;
        cum_buy[i] = buy_volume += t.size * buy_share[i];
    }
    const auto closed = static_cast<std::size_t>(cum.back() / kBucketVolume + 1e-12);
    std::vector<std::size_t> closer(closed);  // the trade that fills bucket k
    std::vector<double> imbalance(closed), dp(closed);
    double buy_at_previous_bound = 0;
    for (std::size_t k = 0; k < closed; ++k) {
        const double bound = kBucketVolume * static_cast<double>(k + 1);
        closer[k] = static_cast<std::size_t>(std::lower_bound(cum.begin(), cum.end(), bound - 1e-12) - cum.begin());
        const std::size_t c = closer[k];
        const double before = c > 0 ? cum[c - 1] : 0.0, buy_before = c > 0 ? cum_buy[c - 1] : 0.0;
        const double buy_at_bound = buy_before + (bound - before) * buy_share[c];
        imbalance[k] = std::fabs(kBucketVolume - 2.0 * (buy_at_bound - buy_at_previous_bound));
        buy_at_previous_bound = buy_at_bound;
        dp[k] = trades[c]->price - (k > 0 ? trades[closer[k - 1]]->price : trades[0]->price);
    }
    if (bulk) {
        for (std::size_t k = 0; k < closed; ++k) {
            const std::size_t first = k + 1 >= kBuckets ? k + 1 - kBuckets : 0;
            const double count = static_cast<double>(k + 1 - first);
            double mean = 0, squares = 0;
            for (std::size_t j = first; j <= k; ++j) mean += dp[j] / count;
            for (std::size_t j = first; j <= k; ++j) squares += (dp[j] - mean) * (dp[j] - mean);
            const double sigma = count >= 2 ? std::sqrt(squares / (count - 1)) : 0.0;
            const double phi = sigma > 0 ? 0.5 * std::erfc(-dp[k] / sigma / std::sqrt(2.0)) : 0.5;
            imbalance[k] = std::fabs(kBucketVolume - 2.0 * kBucketVolume * phi);
        }
    }
    std::map<std::size_t, std::size_t> last_closed_by_trade;
    for (std::size_t k = 0; k < closed; ++k) last_closed_by_trade[closer[k]] = k;
    std::vector<double> out;
    for (const auto& [trade, k] : last_closed_by_trade) {
        if (k + 1 < kBuckets) continue;
        double sum = 0;
        for (std::size_t j = k + 1 - kBuckets; j <= k; ++j) sum += imbalance[j];
        out.push_back(sum / (static_cast<double>(kBuckets) * kBucketVolume));
    }
    return out;
}

TEST_P(VpinOnSample, MatchesAnIndependentComputation) {
    auto engine = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, std::string(R"({"bucket_volume": 0.5, "buckets": 20, "classification": ")") +
                                                        GetParam() + "\"}");
    feed(engine, 0, sample().size());
    std::vector<const sigrun_trade*> trades;
    for (const auto& m : sample()) {
        if (m.event.is_trade()) trades.push_back(&m.event.trade());
    }
    const std::vector<double> want = independent_vpin(trades, std::string(GetParam()) == "bulk");
    const std::vector<double> got = engine.values("vpin");
    ASSERT_GT(want.size(), 20u) << "the sample closes enough buckets for a real check";
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-12 + 1e-9 * std::fabs(want[i])) << "value " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(BothClassifications, VpinOnSample, ::testing::Values("aggressor", "bulk"));

// ---- on a timer (the runner config's "timer_ms") ----

// Every 10 s of receive time, "vpin_clock" repeats the last "vpin" published
// before the deadline, for as long as one is defined, and nothing else.
TEST(VpinPlugin, OnATimerEmitsTheLastVpinAtEveryDeadline) {
    auto engine = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, kConfig);
    engine.set_timer_ms(10'000);
    feed(engine, 0, sample().size());
    std::optional<double> last;
    std::size_t sampled = 0;
    for (const auto& e : engine.emitted()) {
        if (e.factor == "vpin") {
            EXPECT_FALSE(e.from_timer);
            last = e.value;
            continue;
        }
        ASSERT_EQ(e.factor, "vpin_clock");
        EXPECT_TRUE(e.from_timer);
        EXPECT_EQ(e.source_receive_time_ns % 10'000'000'000, 0) << "stamped with a 10 s deadline";
        ASSERT_TRUE(last.has_value()) << "nothing sampled before the first VPIN";
        EXPECT_EQ(e.value, *last);
        ++sampled;
    }
    // the sample spans 3 minutes: one per deadline once VPIN is defined
    EXPECT_GT(sampled, 10u);
    EXPECT_LE(sampled, engine.timer_calls());
    EXPECT_GE(engine.timer_calls(), 17u);
}

// Messages the engine does not declare (depth) still move the clock.
TEST(VpinPlugin, ADepthItNeverSeesStillFiresItsTimer) {
    constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
    auto engine = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, R"({"bucket_volume": 1, "buckets": 1})");
    engine.set_timer_ms(1000);
    ASSERT_FALSE(engine.accepts(SIGRUN_MSG_DEPTH));
    engine.feed(sigrun::testing::trade("BTCUSDT", kT0 + 1, 100.0, 1.0, SIGRUN_SIDE_BUY));  // one bucket: VPIN 1
    const auto out = engine.feed(sigrun::testing::depth("BTCUSDT", kT0 + 1'000'000'000, {{100.0, 1.0}}, {{101.0, 1.0}}));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].factor, "vpin_clock");
    EXPECT_EQ(out[0].instrument, "BTCUSDT");
    EXPECT_DOUBLE_EQ(out[0].value, 1.0);
    EXPECT_EQ(out[0].source_sequence, 2u);
}

// A hot swap mid-sample with the state carried: the timer continues the same
// deadlines, so both series equal those of the uninterrupted run.
TEST(VpinPlugin, StateAndTimerCarriedAcrossASwapGiveTheUninterruptedSeries) {
    auto whole = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, kConfig);
    whole.set_timer_ms(5'000);
    feed(whole, 0, sample().size());
    auto before = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, kConfig);
    before.set_timer_ms(5'000);
    feed(before, 0, sample().size() / 3);
    auto after = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, kConfig);
    after.set_timer_ms(5'000);
    ASSERT_TRUE(before.carry_state_to(after));
    feed(after, sample().size() / 3, sample().size());
    for (const char* factor : {"vpin", "vpin_clock"}) {
        std::vector<double> swapped = before.values(factor);
        const std::vector<double> tail = after.values(factor);
        swapped.insert(swapped.end(), tail.begin(), tail.end());
        EXPECT_EQ(swapped, whole.values(factor)) << factor;
    }
    EXPECT_EQ(before.timer_calls() + after.timer_calls(), whole.timer_calls());
}

TEST(VpinPlugin, StateOfAnotherBucketConfigurationIsRefused) {
    auto old_engine = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, kConfig);
    old_engine.feed(sigrun::testing::trade("BTCUSDT", 1, 100.0, 0.3, SIGRUN_SIDE_BUY));
    auto new_engine = Harness::load(SIGRUN_VPIN_PLUGIN_PATH, R"({"bucket_volume": 1.0, "buckets": 20})");
    EXPECT_FALSE(old_engine.carry_state_to(new_engine));
}

}  // namespace
