// handoff.hpp: keeping a borrowed message in both handoff modes, tested
// directly through the templates so that one build covers copy and frame-ref
// whatever ENABLE_ZERO_COPY says.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "fake_host.hpp"
#include "message_builders.hpp"
#include "sigrun/handoff.hpp"

namespace {

using sigrun::Handoff;
using sigrun::HandoffMode;
using sigrun::Host;
using sigrun::sdk_test::make_depth;
using sigrun::sdk_test::make_trade;
using sigrun::testing::FakeHost;

using CopyHandoff = Handoff<HandoffMode::copy>;
using FrameRefHandoff = Handoff<HandoffMode::frame_ref>;

// ---- copy mode ----

TEST(CopyHandoff, KeepsAnIndependentPooledCopy) {
    FakeHost fake;
    CopyHandoff handoff{Host(fake.api())};
    sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 100.5);

    const auto depth = handoff.keep(frame);
    frame = make_depth("ETHUSDT", 2000, 1.0, 2.0);  // the writer reuses the slot

    EXPECT_NE(depth.get(), &frame);
    EXPECT_STREQ(depth->instrument, "BTCUSDT");
    EXPECT_EQ(depth->receive_time_ns, 1000);
    EXPECT_EQ(depth->ask_price[0], 100.5);
}

TEST(CopyHandoff, NeverTouchesTheHostsFrameReferences) {
    FakeHost fake;
    CopyHandoff handoff{Host(fake.api())};
    const sigrun_trade frame = make_trade("BTCUSDT", 1000, 100.0, 0.5);

    { const auto trade = handoff.keep(frame); }

    EXPECT_EQ(fake.retains(), 0u);
    EXPECT_EQ(fake.refused_retains(), 0u);
    EXPECT_EQ(fake.releases(), 0u);
    EXPECT_EQ(handoff.copy_fallbacks(), 0u);
}

TEST(CopyHandoff, WorksWithAHostThatCannotRetain) {
    CopyHandoff handoff{Host(nullptr)};
    const sigrun_trade frame = make_trade("BTCUSDT", 1000, 100.0, 0.5);

    EXPECT_EQ(handoff.keep(frame)->price, 100.0);
}

// ---- frame-ref mode ----

TEST(FrameRefHandoff, PointsIntoTheFrameWithoutCopying) {
    FakeHost fake;
    FrameRefHandoff handoff{Host(fake.api())};
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 100.5);

    const auto depth = handoff.keep(frame);

    EXPECT_EQ(depth.get(), &frame);
    EXPECT_EQ(fake.references_to(&frame), 1u);
}

TEST(FrameRefHandoff, RetainsOncePerKeepAndMovingTheKeptRetainsNothing) {
    FakeHost fake;
    FrameRefHandoff handoff{Host(fake.api())};
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 100.5);

    auto depth = handoff.keep(frame);
    std::vector<sigrun::Kept<sigrun_depth>> moved;
    moved.push_back(std::move(depth));
    sigrun::Kept<void> erased = std::move(moved.back()).erase();

    EXPECT_EQ(fake.retains(), 1u);
    EXPECT_EQ(fake.releases(), 0u);
    EXPECT_FALSE(depth);
    EXPECT_EQ(erased.get(), &frame);
}

TEST(FrameRefHandoff, ReleasesExactlyWhenTheLastSharedCopyDies) {
    FakeHost fake;
    FrameRefHandoff handoff{Host(fake.api())};
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 100.5);

    auto first = handoff.keep(frame).share();
    auto second = first;
    auto third = second;

    first.reset();
    second.reset();
    EXPECT_EQ(fake.releases(), 0u);
    EXPECT_EQ(fake.references_to(&frame), 1u);

    third.reset();
    EXPECT_EQ(fake.releases(), 1u);
    EXPECT_EQ(fake.references_to(&frame), 0u);
    EXPECT_EQ(fake.unmatched_releases(), 0u);
}

TEST(FrameRefHandoff, EachHandoffOfTheSameFrameIsItsOwnReference) {
    FakeHost fake;
    FrameRefHandoff handoff{Host(fake.api())};
    const sigrun_trade frame = make_trade("BTCUSDT", 1000, 100.0, 0.5);

    auto first = handoff.keep(frame);
    auto second = handoff.keep(frame);
    EXPECT_EQ(fake.references_to(&frame), 2u);

    first.reset();
    EXPECT_EQ(fake.references_to(&frame), 1u);
    second.reset();
    EXPECT_EQ(fake.references_to(&frame), 0u);
    EXPECT_EQ(fake.releases(), 2u);
}

// The case an "empty deleter" design gets wrong: the engine keeps the pointer
// after signal_on_data returned and lets go of it on a thread of its own.
TEST(FrameRefHandoff, KeptPastTheCallAndReleasedFromAnotherThread) {
    FakeHost fake;
    FrameRefHandoff handoff{Host(fake.api())};
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 100.5);

    std::promise<sigrun::Kept<sigrun_depth>> hand_to_worker;
    std::promise<void> worker_has_it;
    std::promise<void> let_go;
    std::thread worker([&, received = hand_to_worker.get_future(), go = let_go.get_future()]() mutable {
        auto kept = received.get();
        worker_has_it.set_value();
        go.wait();
        EXPECT_EQ(kept->receive_time_ns, 1000);  // still readable: the frame is retained
        kept.reset();                           // the release happens here, on this thread
    });

    {
        hand_to_worker.set_value(handoff.keep(frame));  // "inside signal_on_data"
    }  // "signal_on_data returned": only the worker holds it
    worker_has_it.get_future().wait();

    EXPECT_EQ(fake.frames_held(), 1u);
    EXPECT_EQ(fake.releases(), 0u);

    const std::thread::id worker_id = worker.get_id();
    let_go.set_value();
    worker.join();

    EXPECT_EQ(fake.releases(), 1u);
    EXPECT_EQ(fake.frames_held(), 0u);
    EXPECT_EQ(fake.last_release_thread(), worker_id);
}

TEST(FrameRefHandoff, FallsBackToACopyWhenTheHostRefusesTheRetain) {
    FakeHost fake;
    fake.set_fail_retain(true);
    FrameRefHandoff handoff{Host(fake.api())};
    sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 100.5);

    const auto depth = handoff.keep(frame);
    frame.receive_time_ns = 2000;

    EXPECT_NE(depth.get(), &frame);
    EXPECT_EQ(depth->receive_time_ns, 1000);
    EXPECT_EQ(fake.refused_retains(), 1u);
    EXPECT_EQ(handoff.copy_fallbacks(), 1u);
}

TEST(FrameRefHandoff, LogsTheFallbackOnceButCountsEveryOne) {
    FakeHost fake;
    fake.set_fail_retain(true);
    FrameRefHandoff handoff{Host(fake.api())};
    const sigrun_trade frame = make_trade("BTCUSDT", 1000, 100.0, 0.5);

    for (int i = 0; i < 3; ++i) {
        (void)handoff.keep(frame);
    }

    EXPECT_EQ(handoff.copy_fallbacks(), 3u);
    EXPECT_EQ(fake.count_logs(SIGRUN_LOG_WARN), 1u);
    EXPECT_TRUE(fake.has_log_containing(SIGRUN_LOG_WARN, "frame_retain"));
    EXPECT_EQ(fake.releases(), 0u);
}

TEST(FrameRefHandoff, FallsBackToACopyWithAHostTooOldToRetain) {
    FakeHost fake;
    fake.mutable_api().struct_size = offsetof(sigrun_host_api, frame_retain);
    FrameRefHandoff handoff{Host(fake.api())};
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 100.5);

    const auto depth = handoff.keep(frame);

    EXPECT_NE(depth.get(), &frame);
    EXPECT_EQ(fake.retains(), 0u);  // the pointer beyond struct_size was never called
    EXPECT_EQ(handoff.copy_fallbacks(), 1u);
}

TEST(FrameRefHandoff, FallbackCopiesGoBackToThePoolWhenDropped) {
    FakeHost fake;
    fake.set_fail_retain(true);
    FrameRefHandoff handoff{Host(fake.api())};
    const sigrun_trade frame = make_trade("BTCUSDT", 1000, 100.0, 0.5);

    for (int i = 0; i < 1000; ++i) (void)handoff.keep(frame);

    EXPECT_EQ(handoff.pool().capacity(), 64u);  // one chunk, reused 1000 times
}

// ---- the copy pool ----

TEST(CopyPool, ReusesBlocksSoSteadyKeepingStopsAllocating) {
    FakeHost fake;
    CopyHandoff handoff{Host(fake.api())};
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 100.5);
    std::vector<sigrun::Kept<sigrun_depth>> window;

    for (int i = 0; i < 10'000; ++i) {  // keep the last 100, drop the oldest
        window.push_back(handoff.keep(frame));
        if (window.size() > 100) window.erase(window.begin());
    }

    EXPECT_EQ(handoff.pool().capacity(), 128u);  // two chunks of 64 cover 101 held at once
}

TEST(CopyPool, BlocksDroppedOnOtherThreadsComeBack) {
    FakeHost fake;
    CopyHandoff handoff{Host(fake.api())};
    const sigrun_trade frame = make_trade("BTCUSDT", 1000, 100.0, 0.5);

    for (int round = 0; round < 50; ++round) {
        std::vector<sigrun::Kept<sigrun_trade>> batch;
        for (int i = 0; i < 32; ++i) batch.push_back(handoff.keep(frame));
        std::thread dropper([moved = std::move(batch)]() mutable {
            for (const auto& kept : moved) EXPECT_EQ(kept->price, 100.0);
            moved.clear();
        });
        dropper.join();
    }

    EXPECT_EQ(handoff.pool().capacity(), 64u);
}

// ---- the build's mode ----

TEST(BuildHandoffMode, FollowsTheSigrunZeroCopyDefinition) {
#if SIGRUN_ZERO_COPY
    EXPECT_EQ(sigrun::build_handoff_mode, HandoffMode::frame_ref);
#else
    EXPECT_EQ(sigrun::build_handoff_mode, HandoffMode::copy);
#endif
    EXPECT_EQ(static_cast<std::uint32_t>(HandoffMode::copy), static_cast<std::uint32_t>(SIGRUN_HANDOFF_COPY));
    EXPECT_EQ(static_cast<std::uint32_t>(HandoffMode::frame_ref),
              static_cast<std::uint32_t>(SIGRUN_HANDOFF_FRAME_REF));
}

}  // namespace
