// sigrun::testing (sigrun/testing.hpp) driving the test plugins: messages fed
// in code, what they emitted, the ABI 1.2 config accessors and frame_info,
// refusals of bad configs, state carried like a hot swap, older ABIs, and
// the ABI 1.3 timers and run calls fired by the runner's own TimerSchedule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "sigrun/testing.hpp"

namespace {

namespace test_plugins = sigrun::test_plugins;
using sigrun::testing::Harness;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// What signal_create's failure said, or "<created>".
std::string create_error(const char* plugin, const char* config) {
    try {
        Harness::load(plugin, config);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "<created>";
}

const sigrun_depth kBook = sigrun::testing::depth("BTCUSDT", 1'000, {{100.0, 1.0}}, {{102.0, 2.0}});

TEST(TestingHarness, FeedsMessagesAndCollectsWhatEachCallEmitted) {
    auto engine = Harness::load(test_plugins::c_minimal);
    const auto depth_out = engine.feed(kBook);
    ASSERT_EQ(depth_out.size(), 1u);
    EXPECT_EQ(depth_out[0].factor, "mid");
    EXPECT_EQ(depth_out[0].instrument, "BTCUSDT");
    EXPECT_DOUBLE_EQ(depth_out[0].value, 101.0);
    EXPECT_EQ(depth_out[0].source_sequence, 1u);
    EXPECT_EQ(depth_out[0].source_receive_time_ns, 1'000);
    const auto trade_out = engine.feed(sigrun::testing::trade("ETHUSDT", 2'000, 50.5, 1.0, SIGRUN_SIDE_BUY));
    ASSERT_EQ(trade_out.size(), 1u);
    EXPECT_EQ(trade_out[0].factor, "last_price");
    EXPECT_EQ(trade_out[0].source_sequence, 2u);
    EXPECT_EQ(engine.emitted().size(), 2u);
    EXPECT_THAT(engine.values("mid"), ElementsAre(101.0));
    EXPECT_EQ(engine.plugin_id(), "org.sigrun.test.c-minimal");
}

TEST(TestingHarness, CEngineReadsItsConfigThroughTheHost) {
    auto engine = Harness::load(test_plugins::c_minimal, R"({"offset": 1.5})");
    EXPECT_THAT(engine.feed(kBook).at(0).value, 102.5);
}

TEST(TestingHarness, CEngineRefusesAWrongTypeNamingTheKey) {
    EXPECT_THAT(create_error(test_plugins::c_minimal, R"({"offset": "1.5"})"),
                AllOf(HasSubstr("\"offset\" must be a number"), HasSubstr("got \"1.5\"")));
}

TEST(TestingHarness, CEngineRefusesAnUnknownKeyNamingTheKnownOnes) {
    EXPECT_THAT(create_error(test_plugins::c_minimal, R"({"ofset": 1})"),
                HasSubstr("unknown key \"ofset\"; known keys: offset"));
}

TEST(TestingHarness, TypedConfigEngineGetsUnknownKeysRefusedBySdk) {
    EXPECT_THAT(create_error(test_plugins::typed_config, R"({"scale": 2, "scael": 3})"),
                AllOf(HasSubstr("typed_config config: unknown key \"scael\""),
                      HasSubstr("known keys: scale, every, label, verbose")));
}

TEST(TestingHarness, TypedConfigEngineRefusesMissingRequiredAndBadValues) {
    EXPECT_THAT(create_error(test_plugins::typed_config, "{}"), HasSubstr("\"scale\" is required: give a number"));
    EXPECT_THAT(create_error(test_plugins::typed_config, R"({"scale": 2, "every": 0})"),
                HasSubstr("\"every\" must be an integer from 1 to 100"));
    EXPECT_THAT(create_error(test_plugins::typed_config, R"({"scale": 2, "label": "c"})"),
                HasSubstr("\"label\" must be one of \"a\", \"b\", got \"c\""));
    EXPECT_THAT(create_error(test_plugins::typed_config, R"({"scale": true})"), HasSubstr("\"scale\" must be a number"));
}

TEST(TestingHarness, EngineSeesTheFrameSequenceAndReceiveTime) {
    auto engine = Harness::load(test_plugins::typed_config, R"({"scale": 2, "verbose": true})");
    const auto out = engine.feed(kBook, 42);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_DOUBLE_EQ(out[0].value, 200.0);
    EXPECT_EQ(out[1].factor, "sequence");
    EXPECT_DOUBLE_EQ(out[1].value, 42.0);
    EXPECT_EQ(out[2].factor, "receive_time");
    EXPECT_DOUBLE_EQ(out[2].value, 1000.0);
    EXPECT_EQ(engine.feed(kBook).at(1).value, 43.0);  // the next sequence follows the given one
}

TEST(TestingHarness, EngineIsCalledOnlyForTheTypesItDeclares) {
    auto engine = Harness::load(test_plugins::typed_config, R"({"scale": 2})");
    EXPECT_FALSE(engine.accepts(SIGRUN_MSG_TRADE));
    EXPECT_TRUE(engine.feed(sigrun::testing::trade("BTCUSDT", 1, 1.0, 1.0, SIGRUN_SIDE_BUY)).empty());
}

TEST(TestingHarness, StateCarriedToANewVersionContinuesIt) {
    auto v1 = Harness::load(test_plugins::versioned_v1);
    v1.feed(kBook);
    v1.feed(kBook);
    auto v2 = Harness::load(test_plugins::versioned_v2);
    ASSERT_TRUE(v1.carry_state_to(v2));
    const auto out = v2.feed(kBook);
    EXPECT_THAT(v2.values("frames_seen"), ElementsAre(3.0));
    EXPECT_EQ(out.at(0).source_sequence, 3u);
    EXPECT_EQ(v2.plugin_id(), v1.plugin_id());
}

TEST(TestingHarness, OlderAbiPluginsAreIdentifiedByNameAndGetEveryType) {
    auto abi_1_0 = Harness::load(test_plugins::c_abi_1_0);
    EXPECT_EQ(abi_1_0.plugin_id(), "c_abi_1_0");
    EXPECT_TRUE(abi_1_0.accepts(12345));
    EXPECT_EQ(abi_1_0.feed(kBook).size(), 1u);
    auto abi_1_1 = Harness::load(test_plugins::c_abi_1_1);
    EXPECT_EQ(abi_1_1.plugin_id(), "c_abi_1_1");
    EXPECT_FALSE(abi_1_1.accepts(12345));
}

TEST(TestingHarness, NotAPluginIsOneClearError) {
    EXPECT_THAT(create_error(test_plugins::not_a_library, "{}"), HasSubstr("cannot load"));
    EXPECT_THAT(create_error(test_plugins::missing_on_data, "{}"), HasSubstr("is it a sigrun plugin?"));
}

}  // namespace

// ---- timers and the run (ABI 1.3), with the plain-C c_timer plugin ----

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSecond;  // a whole second

sigrun_trade trade_at(std::int64_t receive_time_ns) {
    return sigrun::testing::trade("BTCUSDT", receive_time_ns, 100.0, 1.0, SIGRUN_SIDE_BUY);
}

std::vector<std::string> errors(const Harness& engine) {
    std::vector<std::string> out;
    for (const auto& line : engine.logs()) {
        if (line.level == SIGRUN_LOG_ERROR) out.push_back(line.text);
    }
    return out;
}

TEST(TestingHarnessTimers, AMessageThatReachesTheDeadlineFiresTheTimerBeforeItIsHandled) {
    auto engine = Harness::load(test_plugins::c_timer);
    engine.set_timer_ms(1000);
    EXPECT_TRUE(engine.feed(trade_at(kT0 + kSecond / 2)).empty()) << "the first message only sets the clock";
    EXPECT_EQ(engine.timer_due(), kT0 + kSecond);
    EXPECT_TRUE(engine.feed(trade_at(kT0 + kSecond - 1)).empty());
    // the message received exactly at the deadline comes after the timer
    const auto out = engine.feed(trade_at(kT0 + kSecond));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].factor, "deadline_ms");
    EXPECT_DOUBLE_EQ(out[0].value, static_cast<double>((kT0 + kSecond) / 1'000'000));
    EXPECT_EQ(out[1].factor, "frames");
    EXPECT_DOUBLE_EQ(out[1].value, 2.0) << "the two messages before it, not the one that fired it";
    for (const auto& e : out) {
        EXPECT_TRUE(e.from_timer);
        EXPECT_EQ(e.instrument, "TIMER");
        EXPECT_EQ(e.source_sequence, 3u) << "stamped with the message whose receive time fired it";
        EXPECT_EQ(e.source_receive_time_ns, kT0 + kSecond) << "and the deadline";
    }
    EXPECT_EQ(engine.timer_due(), kT0 + 2 * kSecond);
    EXPECT_EQ(engine.timer_calls(), 1u);
    EXPECT_THAT(errors(engine), ::testing::IsEmpty());
}

TEST(TestingHarnessTimers, AGapOverSeveralDeadlinesFiresOnceWithTheLastOne) {
    auto engine = Harness::load(test_plugins::c_timer);
    engine.set_timer_ms(1000);
    engine.feed(trade_at(kT0 + 100));
    const auto out = engine.feed(trade_at(kT0 + 5 * kSecond + 7));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_DOUBLE_EQ(out[0].value, static_cast<double>((kT0 + 5 * kSecond) / 1'000'000));
    EXPECT_EQ(engine.timer_calls(), 1u);
    EXPECT_EQ(engine.timer_due(), kT0 + 6 * kSecond);
    // a receive time going backwards fires nothing
    EXPECT_TRUE(engine.feed(trade_at(kT0)).empty());
    EXPECT_EQ(engine.timer_calls(), 1u);
}

TEST(TestingHarnessTimers, AdvanceToMovesTheClockWithoutAMessage) {
    auto engine = Harness::load(test_plugins::c_timer);
    engine.set_timer_ms(250);
    EXPECT_TRUE(engine.advance_to(kT0 + 1).empty()) << "sets the clock";
    engine.feed(trade_at(kT0 + 2));  // sequence 1
    const auto out = engine.advance_to(kT0 + kSecond / 4);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].source_sequence, 2u) << "the sequence the next message gets";
    EXPECT_EQ(out[0].source_receive_time_ns, kT0 + kSecond / 4);
    EXPECT_DOUBLE_EQ(out[1].value, 1.0);
    EXPECT_TRUE(engine.advance_to(kT0 + kSecond / 4 + 1).empty());
    EXPECT_EQ(engine.timer_calls(), 1u);
}

TEST(TestingHarnessTimers, OnStartBeforeTheFirstMessageAndOnStopOnceBeforeDestroy) {
    std::vector<sigrun::testing::LogLine> logs;
    {
        auto engine = Harness::load(test_plugins::c_timer);
        EXPECT_TRUE(engine.logs().empty()) << "not started before a message";
        engine.feed(trade_at(kT0));
        engine.feed(trade_at(kT0 + 1));
        engine.stop();
        engine.stop();  // once only
        logs = engine.logs();
        EXPECT_EQ(engine.refused_emits(), 2u) << "emit is refused in on_start and in on_stop";
    }
    std::vector<std::string> texts;
    for (const auto& l : logs) texts.push_back(l.text);
    EXPECT_THAT(texts, ElementsAre("c_timer: on_start", "c_timer: on_stop after 2 frames, 0 timers"));
}

TEST(TestingHarnessTimers, AReplacementContinuesTheScheduleNoDeadlineTwiceNoneSkipped) {
    auto whole = Harness::load(test_plugins::c_timer);
    whole.set_timer_ms(100);
    auto first = Harness::load(test_plugins::c_timer);
    first.set_timer_ms(100);
    auto second = Harness::load(test_plugins::c_timer);
    second.set_timer_ms(100);
    std::vector<double> deadlines;
    for (int i = 0; i < 40; ++i) {
        const std::int64_t t = kT0 + i * 37'000'000;  // 37 ms apart: each 100 ms deadline fired once
        whole.feed(trade_at(t));
        Harness& live = i < 19 ? first : second;
        // a swap between two messages, right before the one (703 ms) that
        // reaches the 700 ms deadline: only the carried schedule fires it
        if (i == 19) first.replace_with(second);
        for (const auto& e : live.feed(trade_at(t))) {
            if (e.factor == "deadline_ms") deadlines.push_back(e.value);
        }
    }
    EXPECT_EQ(deadlines, whole.values("deadline_ms"));
    EXPECT_EQ(whole.timer_calls(), 14u);
    EXPECT_THAT(errors(second), ::testing::IsEmpty()) << "the replacement is not started again";
    std::vector<std::string> second_logs;
    for (const auto& l : second.logs()) second_logs.push_back(l.text);
    EXPECT_THAT(second_logs, ::testing::Not(::testing::Contains("c_timer: on_start")));
}

TEST(TestingHarnessTimers, ATimerTheRunnerWouldRefuseIsRefused) {
    auto timer = Harness::load(test_plugins::c_timer);
    EXPECT_THROW(timer.set_timer_ms(0), std::invalid_argument);
    EXPECT_THROW(timer.set_timer_ms(86'400'001), std::invalid_argument);
    auto older = Harness::load(test_plugins::c_minimal);  // ABI 1.2: no signal_on_timer
    EXPECT_THROW(older.set_timer_ms(1000), std::invalid_argument);
    // and it runs as before, never started or stopped
    EXPECT_EQ(older.feed(kBook).size(), 1u);
}

}  // namespace
