// Timers and the run's start and stop (ABI 1.3) in the runner, in-process:
// signal_on_timer fired on the sample's receive times exactly where
// signal_api.h says (before the frame that reaches each deadline), what it
// emits in the signals journal with the documented stamp, on_start / on_stop
// once each around the run, older plugins beside it, a C++ engine's timer
// (vpin), and "timer_ms" on a plugin without a timer refused in one line.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "config.hpp"
#include "plugin_library.hpp"
#include "runner.hpp"
#include "runner_test_support.hpp"
#include "temp_dir.hpp"
#include "timer_expectations.hpp"

namespace sigrun::runner {
namespace {

using runner_test::json;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr std::int64_t kMs = 1'000'000;

class RunnerTimerTest : public ::testing::Test {
protected:
    // The whole sample (5015 frames) stays in md.journal for the checks.
    json sample_config() const {
        return json{
            {"journal",
             {{"dir", (dir_ / "journal").string()},
              {"md", {{"capacity", 8192}, {"slot_size", 512}}},
              {"signals", {{"capacity", 65536}, {"slot_size", 256}}}}},
            {"source",
             {{"kind", "replay"},
              {"files",
               {runner_test::examples_file("spot_btcusdt_book20.csv.gz"),
                runner_test::examples_file("spot_btcusdt_trades.csv.gz")}}}},
            {"engines", json::array()},
            {"hot_swap", {{"watch", false}}},
            {"output", {{"print_factors", 0}}},
        };
    }

    RunSummary run(const json& document) {
        Runner runner(parse_config(document, dir_.path(), "test.json"));
        std::atomic<bool> stop{false};
        return runner.run(stop);
    }

    static const EngineSummary& engine(const RunSummary& s, const std::string& name) {
        for (const auto& e : s.engines) {
            if (e.name == name) return e;
        }
        throw std::runtime_error("no engine " + name + " in the summary");
    }

    std::filesystem::path journal(const char* name) const { return dir_ / "journal" / name; }

    testing::TempDir dir_;
};

TEST_F(RunnerTimerTest, OnTimerFiresOnTheSampleBeforeTheFrameThatReachesEachDeadline) {
    // given the C timer engine with "timer_ms": 1000 on the sample
    json doc = sample_config();
    doc["engines"].push_back(runner_test::engine("t", test_plugins::c_timer));
    doc["engines"].back()["timer_ms"] = 1000;
    runner_test::LogCapture logs;

    // when replayed
    const RunSummary s = run(doc);

    // then it fired exactly at the deadlines the receive times reach, each
    // stamped with the frame that reached it and the deadline itself
    ASSERT_THAT(s.error, IsEmpty());
    const auto frames = timer_test::md_frames(journal("md.journal"));
    ASSERT_EQ(frames.size(), s.dispatched.depth + s.dispatched.trade);
    const auto expected = timer_test::expected_fires(frames, 1000 * kMs);
    ASSERT_THAT(expected, SizeIs(Gt(100u))) << "the sample spans about 3 minutes";
    const auto published = timer_test::published_fires(journal("signals.journal"), "t");
    EXPECT_EQ(published.fires, expected);
    EXPECT_EQ(engine(s, "t").timers, expected.size());
    // the engine reported the same deadlines, and had seen exactly the frames
    // before the one that fired each timer (so: before it, not after)
    ASSERT_EQ(published.reported_ms.size(), expected.size());
    ASSERT_EQ(published.frames_before.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(published.reported_ms[i] * kMs, expected[i].deadline_ns);
        EXPECT_EQ(published.frames_before[i], expected[i].sequence - frames.front().sequence) << i;
    }
    EXPECT_THAT(logs.matching("error", "c_timer"), IsEmpty());
}

TEST_F(RunnerTimerTest, OnStartAndOnStopAreCalledOnceEachAroundTheRunThenDestroy) {
    json doc = sample_config();
    doc["engines"].push_back(runner_test::engine("t", test_plugins::c_timer));
    doc["engines"].back()["timer_ms"] = 5000;
    runner_test::LogCapture logs;
    const RunSummary s = run(doc);
    ASSERT_THAT(s.error, IsEmpty());
    std::vector<std::string> lifecycle;
    for (const auto& line : logs.lines()) {
        if (line.find("[t] c_timer: ") == std::string::npos) continue;
        std::string text = line.substr(line.find("c_timer: "));
        while (!text.empty() && text.back() == '\n') text.pop_back();
        lifecycle.push_back(text);
    }
    const std::uint64_t frames = s.dispatched.depth + s.dispatched.trade;
    EXPECT_THAT(lifecycle, ElementsAre("c_timer: on_start",
                                       "c_timer: on_stop after " + std::to_string(frames) + " frames, " +
                                           std::to_string(engine(s, "t").timers) + " timers",
                                       "c_timer: destroyed after on_stop"));
}

TEST_F(RunnerTimerTest, PluginsOlderThanAbi13LoadAndRunBesideATimerEngine) {
    // given plugins built for ABI 1.0 and 1.2 (no timer, start or stop)
    for (const char* older : {test_plugins::c_abi_1_0, test_plugins::c_minimal}) {
        const auto library = PluginLibrary::load(older, dir_ / "private");
        EXPECT_EQ(library->on_timer, nullptr);
        EXPECT_EQ(library->on_start, nullptr);
        EXPECT_EQ(library->on_stop, nullptr);
    }
    json doc = sample_config();
    doc["engines"].push_back(runner_test::engine("old", test_plugins::c_abi_1_0));
    doc["engines"].push_back(runner_test::engine("t", test_plugins::c_timer));
    doc["engines"].back()["timer_ms"] = 1000;
    doc["engines"].push_back(runner_test::engine("mid", test_plugins::c_minimal));
    // when run together
    const RunSummary s = run(doc);
    // then they all ran every frame, and only the timer engine had timers
    ASSERT_THAT(s.error, IsEmpty());
    const std::uint64_t frames = s.dispatched.depth + s.dispatched.trade;
    for (const char* name : {"old", "t", "mid"}) EXPECT_EQ(engine(s, name).frames, frames) << name;
    EXPECT_THAT(engine(s, "t").timers, Gt(100u));
    EXPECT_EQ(engine(s, "old").timers, 0u);
    EXPECT_EQ(engine(s, "mid").timers, 0u);
    EXPECT_THAT(engine(s, "mid").factors, Gt(0u));
}

TEST_F(RunnerTimerTest, TimerMsOnAPluginWithoutSignalOnTimerIsRefusedInOneLine) {
    json doc = sample_config();
    doc["engines"].push_back(runner_test::engine("spread", test_plugins::c_minimal));
    doc["engines"].back()["timer_ms"] = 1000;
    try {
        Runner runner(parse_config(doc, dir_.path(), "test.json"));
        ADD_FAILURE() << "the runner took timer_ms for a plugin without signal_on_timer";
    } catch (const PluginError& e) {
        const std::string what = e.what();
        EXPECT_THAT(what, AllOf(HasSubstr("engine \"spread\""), HasSubstr("\"timer_ms\""),
                                HasSubstr("does not export signal_on_timer"), HasSubstr("remove \"timer_ms\"")));
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
}

// A C++ engine's on_timer through the SDK: vpin with "timer_ms" publishes
// "vpin_clock", the VPIN of the last bucket close, at every deadline.
TEST_F(RunnerTimerTest, VpinOnATimerPublishesTheCurrentVpinOnTheClock) {
    json doc = sample_config();
    doc["engines"].push_back(runner_test::engine("vpin", SIGRUN_VPIN_PLUGIN, {{"bucket_volume", 0.5}, {"buckets", 20}}));
    doc["engines"].back()["timer_ms"] = 10'000;
    const RunSummary s = run(doc);
    ASSERT_THAT(s.error, IsEmpty());
    // in journal order, each "vpin_clock" repeats the "vpin" published before it
    journal::Reader reader(journal("signals.journal"));
    reader.seek_oldest();
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    double last_vpin = -1.0;
    std::uint64_t sampled = 0;
    for (auto r = reader.next(buffer); r.status != journal::ReadStatus::empty; r = reader.next(buffer)) {
        ASSERT_EQ(r.status, journal::ReadStatus::frame);
        for_each_factor(std::span(buffer).first(r.info.length), [&](const sigrun_factor& f) {
            const std::string name = runner_test::field(f.factor, sizeof f.factor);
            if (name == "vpin") last_vpin = f.value;
            if (name != "vpin_clock") return;
            ++sampled;
            EXPECT_EQ(f.value, last_vpin);
            EXPECT_EQ(f.source_receive_time_ns % (10'000 * kMs), 0) << "stamped with its deadline";
        });
    }
    EXPECT_THAT(sampled, Gt(10u));
    EXPECT_THAT(engine(s, "vpin").timers, Gt(10u));
}

}  // namespace
}  // namespace sigrun::runner
