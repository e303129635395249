// The runner with the test-only engines, in-process, on the synthetic source:
// a plain C engine, a throwing engine next to a good one, and an engine that
// holds frames (frame-ref handoff in a zero-copy build) against a small ring.
#include <atomic>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "config.hpp"
#include "runner.hpp"
#include "runner_test_support.hpp"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

using runner_test::json;
using ::testing::AllOf;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class RunnerEnginesTest : public ::testing::Test {
protected:
    // Runs `document` to the end (in a fresh journal folder each time) and
    // returns the summary; the runner and its engines are gone afterwards.
    RunSummary run(json document) {
        const auto journal_dir = dir_ / ("run" + std::to_string(runs_++));
        document["journal"]["dir"] = journal_dir.string();
        last_journal_dir_ = journal_dir;
        RunnerConfig config = parse_config(document, dir_.path(), "test.json");
        std::atomic<bool> stop{false};
        Runner runner(std::move(config));
        return runner.run(stop);
    }

    [[nodiscard]] runner_test::FactorStream last_stream() const {
        return runner_test::read_factor_stream(last_journal_dir_ / "signals.journal");
    }

    static const EngineSummary& engine(const RunSummary& s, const std::string& name) {
        for (const auto& e : s.engines) {
            if (e.name == name) return e;
        }
        throw std::runtime_error("no engine " + name + " in the summary");
    }

    static std::uint64_t dispatched(const RunSummary& s) { return s.dispatched.depth + s.dispatched.trade; }

    testing::TempDir dir_;
    std::filesystem::path last_journal_dir_;
    int runs_ = 0;
};

// ---- the C engine ----

TEST_F(RunnerEnginesTest, CEngineRunBySyntheticSourceEmitsMidAndLastPrice) {
    // given the plain-C engine on a seeded synthetic stream
    const std::uint64_t events = runner_test::kSlowBuild ? 2'000 : 20'000;
    json doc = runner_test::synthetic_config(dir_.path(), events, 42);
    doc["engines"].push_back(runner_test::engine("c", test_plugins::c_minimal));

    // when run to the end
    const RunSummary s = run(doc);

    // then every event was dispatched and the engine emitted one factor per
    // message (the synthetic book always has both sides)
    EXPECT_THAT(s.error, IsEmpty());
    EXPECT_EQ(s.frames_written, events);
    EXPECT_EQ(dispatched(s), events);
    EXPECT_EQ(s.dispatched.lost, 0u);
    EXPECT_EQ(s.dispatched.rejected, 0u);
    EXPECT_THAT(s.dispatched.depth, Gt(0u));
    EXPECT_THAT(s.dispatched.trade, Gt(0u));
    EXPECT_EQ(engine(s, "c").frames, events);
    EXPECT_EQ(engine(s, "c").factors, events);
    EXPECT_EQ(s.factors_published, events);
    EXPECT_EQ(s.frames_pinned_at_exit, 0u);

    const runner_test::FactorStream stream = last_stream();
    EXPECT_EQ(stream.count, events);
    EXPECT_EQ(stream.last.count({"c", "mid", "SYNTHUSD"}), 1u);
    EXPECT_EQ(stream.last.count({"c", "last_price", "SYNTHUSD"}), 1u);
    EXPECT_THAT(stream.last.at({"c", "mid", "SYNTHUSD"}), Gt(0.0));
    EXPECT_THAT(stream.last.at({"c", "last_price", "SYNTHUSD"}), Gt(0.0));
}

// "instruments" in an engine's runner config: the runner calls the engine
// only for messages of those instruments; its neighbour without a list sees
// every message.
TEST_F(RunnerEnginesTest, InstrumentFilterCallsTheEngineOnlyForListedInstruments) {
    const std::uint64_t events = runner_test::kSlowBuild ? 1'000 : 5'000;
    json doc = runner_test::synthetic_config(dir_.path(), events, 42);
    doc["engines"].push_back(runner_test::engine("listed", test_plugins::c_minimal));
    doc["engines"].back()["instruments"] = json::array({"ETHUSDT", "SYNTHUSD"});
    doc["engines"].push_back(runner_test::engine("other", test_plugins::c_minimal));
    doc["engines"].back()["instruments"] = json::array({"ETHUSDT"});
    doc["engines"].push_back(runner_test::engine("all", test_plugins::c_minimal));

    const RunSummary s = run(doc);

    EXPECT_THAT(s.error, IsEmpty());
    EXPECT_EQ(engine(s, "listed").factors, events);
    EXPECT_EQ(engine(s, "other").factors, 0u) << "no SYNTHUSD message reaches an engine listing only ETHUSDT";
    EXPECT_EQ(engine(s, "all").factors, events);
    const runner_test::FactorStream stream = last_stream();
    EXPECT_EQ(stream.per_engine.count("other"), 0u);
    EXPECT_EQ(stream.per_engine.at("listed"), stream.per_engine.at("all"));
}

TEST_F(RunnerEnginesTest, SameSeedGivesTheSameFactorStream) {
    const std::uint64_t events = runner_test::kSlowBuild ? 1'000 : 10'000;
    json doc = runner_test::synthetic_config(dir_.path(), events, 5);
    doc["engines"].push_back(runner_test::engine("c", test_plugins::c_minimal));
    (void)run(doc);
    const auto first = last_stream();
    (void)run(doc);
    const auto second = last_stream();
    EXPECT_EQ(first.count, second.count);
    EXPECT_EQ(first.hash, second.hash);
}

// ---- a throwing neighbour ----

TEST_F(RunnerEnginesTest, ThrowingEngineDoesNotChangeWhatItsNeighbourPublishes) {
    const std::uint64_t events = runner_test::kSlowBuild ? 1'000 : 5'000;
    json alone = runner_test::synthetic_config(dir_.path(), events, 11);
    alone["engines"].push_back(runner_test::engine("good", test_plugins::c_minimal));
    json with_thrower = alone;
    with_thrower["engines"].insert(with_thrower["engines"].begin(),
                                   runner_test::engine("bad", test_plugins::throwing, {{"throw_every", 3}}));

    // given the good engine's output when it runs alone
    const RunSummary reference = run(alone);
    const auto reference_stream = last_stream();
    ASSERT_THAT(reference.error, IsEmpty());

    // when it runs behind an engine that throws on every third message
    runner_test::LogCapture logs;
    const RunSummary s = run(with_thrower);
    const auto stream = last_stream();

    // then the run completes, the good engine published exactly as much, and
    // the exceptions were logged under the throwing engine's name
    EXPECT_THAT(s.error, IsEmpty());
    EXPECT_EQ(dispatched(s), events);
    EXPECT_EQ(engine(s, "bad").frames, events);
    EXPECT_EQ(engine(s, "good").frames, events);
    EXPECT_EQ(engine(s, "good").factors, engine(reference, "good").factors);
    EXPECT_EQ(stream.per_engine.at("good"), reference_stream.per_engine.at("good"));
    EXPECT_EQ(engine(s, "bad").factors, events - events / 3);  // frames_ok on the messages that did not throw
    EXPECT_THAT(logs.matching("error", "[bad]"), Not(IsEmpty()));
    EXPECT_THAT(logs.matching("error", "fails on purpose"), Not(IsEmpty()));
    EXPECT_EQ(s.frames_pinned_at_exit, 0u);
}

TEST_F(RunnerEnginesTest, EngineSlowerThanTheFeedNeverMakesTheWriterWaitForAPinInACopyBuild) {
    // given a small ring and an engine much slower than the feed (it sleeps
    // in every call), so the feed keeps catching up with the dispatcher
    const std::uint64_t events = runner_test::kSlowBuild ? 500 : 2'000;
    json doc = runner_test::synthetic_config(dir_.path(), events, 13);
    doc["journal"]["md"] = {{"capacity", 64}, {"slot_size", 512}};
    doc["engines"].push_back(runner_test::engine("slow", SIGRUN_SLOW_ENGINE_PLUGIN));
    // when run to the end
    const RunSummary s = run(doc);
    // then nothing is lost and the run completes
    EXPECT_THAT(s.error, IsEmpty());
    EXPECT_EQ(dispatched(s), events);
    EXPECT_EQ(s.dispatched.lost, 0u);
    EXPECT_EQ(engine(s, "slow").factors, events);
    EXPECT_EQ(s.frames_pinned_at_exit, 0u);
#if !SIGRUN_ZERO_COPY
    // and in a copy build the journal never waits for engines: the feed's
    // back-pressure keeps it off the frame the dispatcher still has pinned
    EXPECT_EQ(s.pin_waits, 0u);
#endif
}

// ---- an engine holding frames against a small ring ----

class HolderTest : public RunnerEnginesTest {
protected:
    json holder_config(std::uint64_t hold, std::uint64_t pin_timeout_ms) const {
        json doc = runner_test::synthetic_config(dir_.path(), events_, 3);
        doc["journal"]["md"] = {{"capacity", 64}, {"slot_size", 512}};
        doc["journal"]["pin_timeout_ms"] = pin_timeout_ms;
        doc["engines"].push_back(runner_test::engine("keeper", test_plugins::holder, {{"hold", hold}}));
        return doc;
    }

    const std::uint64_t events_ = runner_test::kSlowBuild ? 2'000 : 20'000;
};

TEST_F(HolderTest, HoldingFewerFramesThanTheRingCompletesWithNothingPinnedAndNothingChanged) {
    // given an engine keeping the 16 newest frames, a ring of 64
    runner_test::LogCapture logs;
    // when run over the whole stream
    const RunSummary s = run(holder_config(16, 1000));
    // then it completes, every frame is dispatched and released, and no
    // frame changed while the engine held it
    EXPECT_THAT(s.error, IsEmpty());
    EXPECT_EQ(s.frames_written, events_);
    EXPECT_EQ(dispatched(s), events_);
    EXPECT_EQ(s.dispatched.lost, 0u);
    EXPECT_EQ(engine(s, "keeper").frames, events_);
    EXPECT_EQ(s.frames_pinned_at_exit, 0u);
    EXPECT_THAT(logs.matching("error", "changed while held"), IsEmpty());
    EXPECT_THAT(logs.matching("error", "still held"), IsEmpty());
    EXPECT_THAT(logs.matching("info", "holder: destroyed after " + std::to_string(events_) + " frames, 0 changed"),
                SizeIs(1));
#if !SIGRUN_ZERO_COPY
    // copy build: the SDK copies, engines never extend a pin, the writer never waits
    EXPECT_EQ(s.pin_waits, 0u);
#endif
}

#if SIGRUN_ZERO_COPY
// ---- an engine releasing wrongly through the raw C API ----

class BadReleaseTest : public RunnerEnginesTest,
                       public ::testing::WithParamInterface<std::pair<std::string, std::string>> {};

TEST_P(BadReleaseTest, IsLoggedOnceAndTheRunCompletesWithNoPinDroppedTwice) {
    const auto [misuse, message] = GetParam();
    // given a C engine that, twice during the run, releases a frame it no
    // longer holds or a pointer it never retained
    runner_test::LogCapture logs;
    json doc = runner_test::synthetic_config(dir_.path(), 200, 3);
    doc["engines"].push_back(runner_test::engine("bad", test_plugins::frame_ref_handoff, {{"misuse", misuse}}));
    // when run
    const RunSummary s = run(doc);
    // then the run completes, every frame reaches the engine, the misuse is
    // logged once for the engine with the fix, and the pins stay balanced
    EXPECT_THAT(s.error, IsEmpty());
    EXPECT_EQ(engine(s, "bad").frames, 200u);
    EXPECT_THAT(logs.matching("error", "[bad] frame_release of " + message + "; fix the engine"), SizeIs(1));
    EXPECT_THAT(logs.matching("error", "still held"), IsEmpty());
    EXPECT_EQ(s.frames_pinned_at_exit, 0u);
}

INSTANTIATE_TEST_SUITE_P(Misuse, BadReleaseTest,
                         ::testing::Values(std::make_pair(std::string("release_twice"), std::string("a frame it does not hold (double release?)")),
                                           std::make_pair(std::string("release_foreign"), std::string("a pointer that is not a retained frame"))),
                         [](const auto& param_info) { return param_info.param.first; });
#endif

#if SIGRUN_ZERO_COPY
TEST_F(HolderTest, HoldingMoreFramesThanTheRingFailsTheRunNamingTheHolder) {
    // given an engine keeping 100 frames in a ring of 64, a short pin timeout
    runner_test::LogCapture logs;
    // when run
    const RunSummary s = run(holder_config(100, 200));
    // then the writer gives up on the pinned frame and the run fails, naming
    // the engine that holds it
    EXPECT_THAT(s.error, AllOf(HasSubstr("still pinned"), HasSubstr("keeper")));
    EXPECT_EQ(s.error.find('\n'), std::string::npos) << s.error;
    EXPECT_THAT(s.pin_waits, Gt(0u));
    EXPECT_LT(s.frames_written, events_);
    // and every frame the dispatcher had was delivered before stopping
    EXPECT_EQ(dispatched(s), s.frames_written);
    // and once the engines are destroyed nothing stays pinned, nothing changed
    EXPECT_EQ(s.frames_pinned_at_exit, 0u);
    EXPECT_THAT(logs.matching("error", "changed while held"), IsEmpty());
}
#else
TEST_F(HolderTest, HoldingMoreFramesThanTheRingRunsCleanInACopyBuild) {
    // given the same over-holding config in a copy build: the engine holds
    // its own heap copies, never the journal's frames
    runner_test::LogCapture logs;
    const RunSummary s = run(holder_config(100, 200));
    // then nothing is ever pinned by the engine: the run completes
    EXPECT_THAT(s.error, IsEmpty());
    EXPECT_EQ(s.frames_written, events_);
    EXPECT_EQ(dispatched(s), events_);
    EXPECT_EQ(s.pin_waits, 0u);
    EXPECT_EQ(s.frames_pinned_at_exit, 0u);
    EXPECT_THAT(logs.matching("error", "changed while held"), IsEmpty());
}
#endif

}  // namespace
}  // namespace sigrun::runner
