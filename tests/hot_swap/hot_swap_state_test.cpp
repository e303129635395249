// State across a hot swap, with a rolling-window engine (the last 1000
// prices; its "mean", "oldest" and "filled" depend on exactly what is in the
// window). Swapped several times mid-stream — with snapshot/restore
// (rolling_window, an 8 KB state: more than the runner's first snapshot
// buffer), or without state but warmed up with hot_swap.warmup_frames equal
// to the window (rolling_window_stateless) — it must emit, frame for frame,
// exactly what the same engine emits on the same seeded stream when it is
// never swapped. A stateless swap without warm-up is the control: it visibly
// restarts the window at every swap, so the comparison can see a difference.
//
// Warm-up is checked twice: under the runner's own full-speed feed (which
// must keep the warm-up window behind the dispatcher in the md ring and not
// overwrite it while the warm-up reads it — MdRetention), and with the md
// journal written by the test as the external writer, keeping the warm-up
// window in the ring, with swaps both between frames and while frames arrive
// during the warm-up (the switch then catches up).
#include <cstdint>
#include <future>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "hot_swap_test_support.hpp"
#include "md_event_writing.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/market_data/synthetic_source.hpp"

namespace sigrun::hot_swap_test {
namespace {

using ::testing::Each;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr std::uint64_t kWindow = 1000;
constexpr std::uint64_t kSeed = 77;
constexpr std::uint64_t kMdCapacity = 1024;

struct RollingRun {
    std::uint64_t frames = 0;
    FactorsByFrame factors;
    std::vector<std::uint64_t> swap_points;
    std::vector<std::string> swap_lines;
    runner::SwapStats stats;
};

// Runs rolling-window engine `library` on the seeded stream. Without swaps:
// exactly `frames` frames to the end. With swaps: at least `frames` frames,
// swap i (a fresh deploy of the same library, then reload) once the feed is
// (i+1)/(swaps+1) of the way.
RollingRun run_rolling(const char* library_file, std::uint64_t frames, std::uint64_t swaps, std::uint64_t warmup,
                       std::uint64_t md_capacity = kMdCapacity) {
    ScratchDir scratch(/*prefer_memory=*/true);
    const fs::path deploy_dir = scratch / "deploy";
    fs::create_directories(deploy_dir);
    const fs::path library = deploy_dir / "librolling.so";
    deploy(library_file, library);
    const std::uint64_t events = swaps == 0 ? frames : 3 * frames;
    json doc = runner_config(scratch / "journal", events, kSeed, power_of_two_at_least(3 * events), md_capacity);
    doc["engines"].push_back(engine_entry("rw", library, json{{"window", kWindow}}));
    doc["hot_swap"]["warmup_frames"] = warmup;
    RollingRun out;
    runner::RunSummary summary;
    {
        LogCapture log;
        RunningRunner run(doc, scratch.path());
        if (swaps == 0) {
            summary = run.join();
        } else {
            for (std::uint64_t i = 0; i < swaps; ++i) {
                EXPECT_TRUE(run.wait_for_md((i + 1) * frames / (swaps + 1))) << "the run ended before swap " << i;
                // The dispatcher may lag the feed by up to the md ring (8192
                // frames in the warm-up test, more than frames/(swaps+1) in
                // the sanitizer and valgrind sizes): the first switch waits
                // until the engine's window has filled (3 factors per frame).
                EXPECT_TRUE(wait_for([&] { return run.factors_published() / 3 > kWindow; }))
                    << "the run ended before the window filled";
                deploy(library_file, library);
                EXPECT_TRUE(run.swapper().reload("rw")) << "swap " << i;
            }
            EXPECT_TRUE(run.wait_for_md(frames));
            summary = run.stop_and_join();
        }
        out.swap_points = log.swap_points("rw");
        out.swap_lines = log.matching("info", "hot swap of engine rw");
        EXPECT_THAT(log.matching("error", ""), IsEmpty());
    }
    EXPECT_THAT(summary.error, IsEmpty());
    EXPECT_EQ(summary.dispatched.lost, 0u);
    out.frames = summary.dispatched.depth + summary.dispatched.trade;
    out.stats = summary.swaps;
    out.factors = factors_by_frame(scratch / "journal" / "signals.journal", "rw");
    return out;
}

// The same engine and stream, but the md journal is written by the test (the
// runner reads it as an external journal, "source": {"kind": "journal"}).
// The test's feed stays at most `capacity - warmup - 64` frames ahead of
// dispatch, so the last `warmup` frames behind the dispatcher are always in
// the ring. Swap i happens after frame (i+1)*frames/(swaps+1): even swaps
// once dispatch caught up (the switch is exactly there), odd ones while the
// dispatcher still works through frames written ahead of it (warm-up on the
// swap thread, catch-up of the frames dispatched meanwhile at the switch);
// the feed pauses during a swap so that nothing overwrites the warm-up
// frames while the swap thread reads them.
RollingRun run_rolling_external(const char* library_file, std::uint64_t frames, std::uint64_t swaps,
                                std::uint64_t warmup) {
    constexpr std::uint64_t kCapacity = 4096;
    constexpr std::uint64_t kFactorsPerFrame = 3;
    ScratchDir scratch(/*prefer_memory=*/true);
    const fs::path deploy_dir = scratch / "deploy";
    fs::create_directories(deploy_dir);
    const fs::path library = deploy_dir / "librolling.so";
    deploy(library_file, library);
    fs::create_directories(scratch / "journal");
    journal::Writer md(scratch / "journal" / "md.journal",
                       journal::WriterOptions{journal::Geometry{kCapacity, 512}, std::chrono::milliseconds(0)});
    json doc = runner_config(scratch / "journal", 0, kSeed, power_of_two_at_least(kFactorsPerFrame * frames));
    doc["source"] = json{{"kind", "journal"}, {"start", "end"}};
    doc["engines"].push_back(engine_entry("rw", library, json{{"window", kWindow}}));
    doc["hot_swap"]["warmup_frames"] = warmup;

    RollingRun out;
    runner::RunSummary summary;
    {
        LogCapture log;
        RunningRunner run(doc, scratch.path());
        // frames fully handled so far (every frame emits three factors)
        auto dispatched = [&] { return run.factors_published() / kFactorsPerFrame; };
        const std::uint64_t max_lead = kCapacity - warmup - 64;
        market_data::SyntheticConfig synthetic;
        synthetic.seed = kSeed;
        synthetic.events = frames;
        market_data::SyntheticSource source(synthetic);
        std::uint64_t next_swap = 0;
        while (const auto event = source.next()) {
            const std::uint64_t sequence = md.last_sequence() + 1;
            EXPECT_TRUE(wait_for([&] { return sequence - dispatched() <= max_lead; }));
            testing::write_event(md, *event);
            if (next_swap < swaps && sequence == (next_swap + 1) * frames / (swaps + 1)) {
                deploy(library_file, library);
                if (next_swap % 2 == 0) {
                    EXPECT_TRUE(wait_for([&] { return dispatched() >= sequence; }));
                    EXPECT_TRUE(run.swapper().reload("rw")) << "swap " << next_swap;
                } else {
                    // the dispatcher works through the frames written ahead of it
                    // while the swap thread warms up; the feed pauses so that the
                    // warm-up frames stay in the ring however slow the warm-up is
                    auto swap = std::async(std::launch::async, [&] { return run.swapper().reload("rw"); });
                    EXPECT_TRUE(swap.get()) << "swap " << next_swap;
                }
                ++next_swap;
            }
        }
        EXPECT_TRUE(wait_for([&] { return dispatched() >= frames; }));
        summary = run.stop_and_join();
        out.swap_points = log.swap_points("rw");
        out.swap_lines = log.matching("info", "hot swap of engine rw");
        EXPECT_THAT(log.matching("error", ""), IsEmpty());
    }
    EXPECT_EQ(summary.dispatched.lost, 0u);
    out.frames = summary.dispatched.depth + summary.dispatched.trade;
    EXPECT_EQ(out.frames, frames);
    out.stats = summary.swaps;
    out.factors = factors_by_frame(scratch / "journal" / "signals.journal", "rw");
    return out;
}

// Frames 1..n whose outputs differ from the reference (or are missing).
std::vector<std::uint64_t> differing_frames(const RollingRun& run, const RollingRun& reference) {
    std::vector<std::uint64_t> differ;
    for (std::uint64_t s = 1; s <= run.frames; ++s) {
        const auto a = run.factors.frames.find(s);
        const auto b = reference.factors.frames.find(s);
        if (a == run.factors.frames.end() || b == reference.factors.frames.end() || a->second != b->second) {
            differ.push_back(s);
        }
    }
    return differ;
}

class HotSwapStateTest : public ::testing::Test {
protected:
    const std::uint64_t frames_ = by_build(100'000, 30'000, 10'000);
    const std::uint64_t swaps_ = by_build(10, 10, 4);
};

TEST_F(HotSwapStateTest, SnapshotRestoreGivesTheOutputsOfAnEngineNeverSwapped) {
    // given a run swapped mid-stream with state carried
    const RollingRun swapped = run_rolling(test_plugins::rolling_window, frames_, swaps_, 0);
    // and the same engine on the same stream, never swapped
    const RollingRun reference = run_rolling(test_plugins::rolling_window, swapped.frames, 0, 0);

    ASSERT_EQ(swapped.stats.swapped, swaps_);
    ASSERT_THAT(swapped.swap_points, SizeIs(swaps_));
    EXPECT_THAT(swapped.swap_lines, Each(HasSubstr("(state carried)")));
    // the first switch comes after the window filled (the md ring's 1024 frames
    // of lag are less than frames_/(swaps_+1)), so the carried state is whole
    EXPECT_THAT(swapped.swap_points, Each(Gt(kWindow)));
    EXPECT_EQ(swapped.factors.repeated, 0u);
    EXPECT_EQ(swapped.factors.frames.size(), swapped.frames);
    EXPECT_EQ(reference.factors.frames.size(), swapped.frames);
    EXPECT_THAT(differing_frames(swapped, reference), IsEmpty());
}

TEST_F(HotSwapStateTest, WarmupOfTheWindowGivesTheOutputsOfAnEngineNeverSwapped) {
    // given a stateless engine swapped mid-stream, warmed up with one window;
    // the test's own feed keeps the warm-up frames in the md ring
    const RollingRun swapped = run_rolling_external(test_plugins::rolling_window_stateless, frames_, swaps_, kWindow);
    const RollingRun reference = run_rolling_external(test_plugins::rolling_window_stateless, frames_, 0, 0);

    ASSERT_EQ(swapped.stats.swapped, swaps_);
    ASSERT_EQ(swapped.stats.failed, 0u);
    ASSERT_THAT(swapped.swap_points, SizeIs(swaps_));
    EXPECT_THAT(swapped.swap_points, Each(Gt(kWindow)));
    for (const auto& line : swapped.swap_lines) EXPECT_THAT(line, ::testing::Not(HasSubstr("state carried")));
    EXPECT_EQ(swapped.factors.repeated, 0u);
    EXPECT_EQ(swapped.factors.frames.size(), swapped.frames);
    EXPECT_EQ(reference.factors.frames.size(), swapped.frames);
    EXPECT_THAT(differing_frames(swapped, reference), IsEmpty());
}

// The runner's own feed (synthetic, full speed) with warm-up: the md ring is
// 8 windows. Were the feed allowed to run a whole ring ahead of the
// dispatcher, the frames just behind the dispatch position would be
// overwritten and every such swap would fail with "the warm-up frames are no
// longer in the md journal"; the feed keeps them, and a warm-up swap works.
TEST_F(HotSwapStateTest, WarmupUnderTheRunnersFullSpeedFeedGivesTheOutputsOfAnEngineNeverSwapped) {
    const RollingRun swapped =
        run_rolling(test_plugins::rolling_window_stateless, frames_, swaps_, kWindow, 8192);
    const RollingRun reference = run_rolling(test_plugins::rolling_window_stateless, swapped.frames, 0, 0);

    ASSERT_EQ(swapped.stats.swapped, swaps_);
    ASSERT_THAT(swapped.swap_points, SizeIs(swaps_));
    EXPECT_THAT(swapped.swap_points, Each(Gt(kWindow)));
    for (const auto& line : swapped.swap_lines) EXPECT_THAT(line, ::testing::Not(HasSubstr("state carried")));
    EXPECT_EQ(swapped.factors.repeated, 0u);
    EXPECT_EQ(swapped.factors.frames.size(), swapped.frames);
    EXPECT_THAT(differing_frames(swapped, reference), IsEmpty());
}

TEST_F(HotSwapStateTest, WithoutStateOrWarmupTheWindowRestartsAtEverySwap) {
    // the control: the comparison above can see a lost window
    const RollingRun swapped = run_rolling(test_plugins::rolling_window_stateless, frames_, swaps_, 0);
    const RollingRun reference = run_rolling(test_plugins::rolling_window_stateless, swapped.frames, 0, 0);

    ASSERT_THAT(swapped.swap_points, SizeIs(swaps_));
    for (const std::uint64_t point : swapped.swap_points) {
        EXPECT_EQ(swapped.factors.frames.at(point).at("filled"), 1.0) << "swap at frame " << point;
        EXPECT_EQ(reference.factors.frames.at(point).at("filled"), static_cast<double>(kWindow));
    }
    EXPECT_THAT(differing_frames(swapped, reference), SizeIs(Gt(0u)));
}

}  // namespace
}  // namespace sigrun::hot_swap_test
