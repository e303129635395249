// Swapping a `holder` engine in and out while frames flow. The holder keeps
// its 32 most recent frames and releases older ones from its own thread. In
// the frame-ref build (SIGRUN_ZERO_COPY) those are pins on md journal slots:
// while the holder is live at least 32 slots are pinned; once a swap
// replaced it, only the dispatcher's pin of the frame in flight may remain
// (<= 1), and none at exit. The journal never overwrote a held frame (the
// holder logs "changed while held" if it did) and the holder never leaked a
// frame past signal_destroy. In the copy build the same run is clean and
// nothing but the dispatcher ever pins (the holder keeps copies). The
// runner's sigrun_pin_held_longest_seconds follows the same pins: above 0
// while the holder keeps frames, 0 once it was swapped out.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "hot_swap_test_support.hpp"
#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/mapping.hpp"
#include "sigrun/journal/pins.hpp"

namespace sigrun::hot_swap_test {
namespace {

using ::testing::IsEmpty;

constexpr std::uint64_t kMdCapacity = 256;
constexpr std::uint64_t kHold = 32;

// Slots of md.journal with a pin on them, seen through a read-only mapping
// (journal::pins_on: each slot's pin adds minus its drops).
std::uint64_t pinned_slots(const journal::Mapping& md) {
    std::uint64_t pinned = 0;
    for (std::uint64_t i = 0; i < md.geometry().capacity; ++i) {
        if (journal::pins_on(md.slot(i)) != 0) {
            ++pinned;
        }
    }
    return pinned;
}

// Engine "h" runs the holder (keeping kHold frames), deployed as
// deploy/libsignal.so in a scratch folder, over an endless synthetic feed
// into a ring of kMdCapacity; no warm-up: these tests are about the frames
// the outgoing engine holds (warm-up under the runner's feed:
// HotSwapStateTest.WarmupUnderTheRunnersFullSpeedFeed...).
class HotSwapFrameRefTest : public ::testing::Test {
protected:
    HotSwapFrameRefTest() {
        fs::create_directories(library.parent_path());
        deploy(test_plugins::holder, library);
    }

    [[nodiscard]] json holder_config(std::uint64_t seed) const {
        json doc = runner_config(scratch / "journal", 1'000'000'000, seed, 1 << 16, kMdCapacity);
        // versioned ignores the config, the holder keeps kHold frames
        doc["engines"].push_back(engine_entry("h", library, json{{"hold", kHold}}));
        return doc;
    }

    ScratchDir scratch{/*prefer_memory=*/true};
    const fs::path library = scratch / "deploy" / "libsignal.so";
};

TEST_F(HotSwapFrameRefTest, SwappingAHolderOutReleasesEveryFrameItHeld) {
    const std::uint64_t rounds = by_build(20, 10, 4);
    json doc = holder_config(21);
    doc["engines"][0]["allow_replace_with"] = {"org.sigrun.test.versioned", "holder"};  // swapped back and forth
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
#if SIGRUN_ZERO_COPY
        // Waited for, not sampled once: under TSan beside another test it was
        // seen with 7 of its 32 frames pinned at the first look.
        EXPECT_TRUE(wait_for([&] { return pinned_slots(*md) >= kHold; }))
            << "round " << round << ": the holder's frames are not pinned in the journal (" << pinned_slots(*md)
            << " slots pinned)";
#else
        EXPECT_LE(pinned_slots(*md), 1u) << "copy handoff: only the dispatcher pins";
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

// A runner-wide gauge as a scrape of /metrics would read it now; nullopt
// when the runner does not serve it.
std::optional<double> gauge(runner::Runner& r, const std::string& name) {
    for (const auto& family : r.metrics()->Collect()) {
        if (family.name == name && family.metric.size() == 1) return family.metric[0].gauge.value;
    }
    return std::nullopt;
}

TEST_F(HotSwapFrameRefTest, LongestPinHeldIsAboveZeroWhileAnEngineKeepsFramesAndZeroOnceItReleasedThem) {
    json doc = holder_config(22);
    doc["engines"][0]["allow_replace_with"] = {"org.sigrun.test.versioned"};
    RunningRunner run(doc, scratch.path());
    // given the holder was fed well over the kHold frames it keeps
    ASSERT_TRUE(run.wait_for_md(kMdCapacity + 2 * kHold));
    const std::optional<double> held = gauge(run.runner(), "sigrun_pin_held_longest_seconds");
    ASSERT_TRUE(held.has_value()) << "the runner writes md.journal itself: it serves the gauge";
#if SIGRUN_ZERO_COPY
    // then its kept frames are pins, and the oldest has been held a while
    EXPECT_GT(*held, 0.0);
    EXPECT_GE(gauge(run.runner(), "sigrun_frames_pinned").value_or(0), static_cast<double>(kHold));
#else
    // then (copy handoff) it keeps copies: no pin, nothing held
    EXPECT_EQ(*held, 0.0);
#endif
    // when it is swapped out for an engine that keeps nothing, which then
    // gets frames of its own
    deploy(test_plugins::versioned_v1, library);
    ASSERT_TRUE(run.swapper().reload("h"));
    ASSERT_TRUE(run.wait_for_md(run.md_published() + kMdCapacity + 2 * kHold));
    // then every pin is gone and the gauge is back to 0
    EXPECT_EQ(gauge(run.runner(), "sigrun_pin_held_longest_seconds"), 0.0);
    EXPECT_EQ(gauge(run.runner(), "sigrun_frames_pinned"), 0.0);
    const runner::RunSummary summary = run.stop_and_join();
    EXPECT_THAT(summary.error, IsEmpty());
    EXPECT_EQ(summary.swaps.swapped, 1u);
}

}  // namespace
}  // namespace sigrun::hot_swap_test
