// Swapping a `holder` engine in and out while frames flow. The holder keeps
// its 32 most recent frames and releases older ones from its own thread. In
// the frame-ref build (SIGRUN_ZERO_COPY) those are pins on md journal slots:
// while the holder is live at least 32 slots are pinned; once a swap
// replaced it, only the dispatcher's pin of the frame in flight may remain
// (<= 1), and none at exit. The journal never overwrote a held frame (the
// holder logs "changed while held" if it did) and the holder never leaked a
// frame past signal_destroy. In the copy build the same run is clean and
// nothing but the dispatcher ever pins (the holder keeps copies).
#include <cstdint>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "hot_swap_test_support.hpp"
#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/mapping.hpp"

namespace sigrun::hot_swap_test {
namespace {

using ::testing::IsEmpty;

constexpr std::uint64_t kMdCapacity = 256;
constexpr std::uint64_t kHold = 32;

// Slots of md.journal with a pin on them, seen through a read-only mapping
// (the pin count is each slot's ref_count).
std::uint64_t pinned_slots(const journal::Mapping& md) {
    std::uint64_t pinned = 0;
    for (std::uint64_t i = 0; i < md.geometry().capacity; ++i) {
        if (journal::detail::load(md.slot(i).ref_count, std::memory_order_relaxed) != 0) {
            ++pinned;
        }
    }
    return pinned;
}

// No warm-up here: this test is about the frames the outgoing engine holds
// (warm-up under the runner's feed: HotSwapStateTest.WarmupUnderTheRunnersFullSpeedFeed...).
TEST(HotSwapFrameRefTest, SwappingAHolderOutReleasesEveryFrameItHeld) {
    const std::uint64_t rounds = by_build(20, 10, 4);
    ScratchDir scratch(/*prefer_memory=*/true);
    const fs::path deploy_dir = scratch / "deploy";
    fs::create_directories(deploy_dir);
    const fs::path library = deploy_dir / "libsignal.so";
    deploy(test_plugins::holder, library);
    json doc = runner_config(scratch / "journal", 1'000'000'000, 21, 1 << 16, kMdCapacity);
    // versioned ignores the config, the holder keeps kHold frames
    doc["engines"].push_back(engine_entry("h", library, json{{"hold", kHold}}));
    LogCapture log;
    RunningRunner run(doc, scratch.path());
    const auto md = journal::Mapping::open_read_only(scratch / "journal" / "md.journal");

    // Waits until the holder (live since `since`) was handed well over kHold
    // frames: the feed can only be kMdCapacity frames ahead of dispatch.
    auto let_frames_flow = [&](std::uint64_t since) {
        return run.wait_for_md(since + kMdCapacity + 2 * kHold);
    };
    std::uint64_t since = run.md_published();
    for (std::uint64_t round = 0; round < rounds; ++round) {
        // the holder is live and has been fed
        ASSERT_TRUE(let_frames_flow(since)) << "round " << round;
        const std::uint64_t while_holding = pinned_slots(*md);
#if SIGRUN_ZERO_COPY
        EXPECT_GE(while_holding, kHold) << "the holder's frames are pinned in the journal";
#else
        EXPECT_LE(while_holding, 1u) << "copy handoff: only the dispatcher pins";
#endif
        // when: swapped out for versioned_v1
        deploy(test_plugins::versioned_v1, library);
        ASSERT_TRUE(run.swapper().reload("h")) << "round " << round;
        // then: every frame it held was released by the time the swap returned
        EXPECT_LE(pinned_slots(*md), 1u) << "round " << round << ": frames still pinned after the holder left";
        ASSERT_TRUE(let_frames_flow(run.md_published()));
        EXPECT_LE(pinned_slots(*md), 1u);
        // and back in
        deploy(test_plugins::holder, library);
        ASSERT_TRUE(run.swapper().reload("h")) << "round " << round;
        since = run.md_published();
    }
    ASSERT_TRUE(let_frames_flow(since));
    const runner::RunSummary summary = run.stop_and_join();

    EXPECT_THAT(summary.error, IsEmpty()) << "the writer timed out on a pinned frame?";
    EXPECT_EQ(summary.frames_pinned_at_exit, 0u);
    EXPECT_EQ(pinned_slots(*md), 0u);
    EXPECT_EQ(summary.dispatched.lost, 0u);
    EXPECT_EQ(summary.swaps.swapped, 2 * rounds);
    EXPECT_EQ(summary.swaps.failed, 0u);
    EXPECT_EQ(summary.swaps.not_unloaded, 0u) << "the holder's releaser thread kept its library mapped";
    EXPECT_THAT(log.matching("error", "changed while held"), IsEmpty());
    EXPECT_THAT(log.matching("error", "after signal_destroy"), IsEmpty()) << "the holder leaked frames";
    EXPECT_THAT(log.matching("error", ""), IsEmpty());
    // every holder said goodbye cleanly: "destroyed after N frames, 0 changed while held"
    EXPECT_EQ(log.matching("info", " 0 changed while held").size(), rounds + 1)
        << "one per retired holder and the one destroyed at exit";
}

}  // namespace
}  // namespace sigrun::hot_swap_test
