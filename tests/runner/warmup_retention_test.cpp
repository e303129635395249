// What a hot swap's warm-up reads: MdRetention (runner/src/md_retention.hpp)
// keeps the feed from overwriting the frames behind the dispatcher, and
// replay_into (frame_replay.hpp) replays them into a new engine with its
// emits discarded — or says they are gone (an external writer overwrote them).
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "engine_instance.hpp"
#include "factor_publisher.hpp"
#include "frame_replay.hpp"
#include "md_retention.hpp"
#include "plugin_library.hpp"
#include "runner_test_support.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/messages.h"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

TEST(MdRetentionTest, FeedStaysKeepBehindFramesShortOfTheDispatcher) {
    std::atomic<std::uint64_t> position{100};  // frames 1..99 dispatched
    const MdRetention retention(position, 10);
    EXPECT_TRUE(retention.may_overwrite(89));
    EXPECT_FALSE(retention.may_overwrite(90)) << "frame 90 is one of the last 10 dispatched";
    EXPECT_FALSE(retention.may_overwrite(100)) << "frame 100 is not dispatched yet";
    position = 101;
    EXPECT_TRUE(retention.may_overwrite(90));
}

TEST(MdRetentionTest, AHoldKeepsTheWarmupFramesWhileTheDispatcherMovesOn) {
    std::atomic<std::uint64_t> position{100};
    MdRetention retention(position, 10);
    // when a warm-up of 10 frames holds them
    const std::uint64_t to = retention.hold_recent(10);
    EXPECT_EQ(to, 100u);
    // then, however far dispatch gets, nothing from frame 90 on is overwritten
    position = 5000;
    EXPECT_TRUE(retention.may_overwrite(89));
    EXPECT_FALSE(retention.may_overwrite(90));
    EXPECT_FALSE(retention.may_overwrite(1000));
    // once the warm-up has read them, only the frames the switch catches up
    // on (from `to`) stay held
    retention.hold_from(to);
    EXPECT_TRUE(retention.may_overwrite(99));
    EXPECT_FALSE(retention.may_overwrite(100));
    // until the new engine is live
    retention.release();
    EXPECT_TRUE(retention.may_overwrite(1000));
}

TEST(MdRetentionTest, AHoldEarlierThanTheWarmupLengthHoldsEverything) {
    std::atomic<std::uint64_t> position{5};
    MdRetention retention(position, 10);
    EXPECT_EQ(retention.hold_recent(10), 5u);
    position = 1000;
    EXPECT_FALSE(retention.may_overwrite(1));
}

class FrameReplayTest : public ::testing::Test {
protected:
    void SetUp() override {
        md_ = std::make_unique<journal::Writer>(dir_ / "md.journal",
                                                journal::WriterOptions{journal::Geometry{64, 512}, {}});
        EngineConfig config;
        config.name = "c";
        engine_ = std::make_unique<EngineInstance>(config, PluginLibrary::load(test_plugins::c_minimal, dir_ / ".p"),
                                                   &publisher_, nullptr);
    }

    void write_depths(std::uint64_t n) {
        const sigrun_depth depth = runner_test::top_of_book(100.0, 101.0);
        for (std::uint64_t i = 0; i < n; ++i) md_->write_message(SIGRUN_MSG_DEPTH, depth);
    }

    testing::TempDir dir_;
    FactorPublisher publisher_{dir_ / "signals.journal", journal::Geometry{1024, 256}, 0};
    std::unique_ptr<journal::Writer> md_;
    std::unique_ptr<EngineInstance> engine_;
};

TEST_F(FrameReplayTest, FramesStillInTheRingAreReplayedWithTheirEmitsDiscarded) {
    write_depths(200);  // the 64-slot ring holds frames 137..200
    EXPECT_TRUE(replay_into(*engine_, md_->mapping(), 150, 200));
    EXPECT_EQ(engine_->frames(), 50u);
    EXPECT_EQ(publisher_.published(), 0u) << "a warm-up must not publish";
    // and the engine publishes again once the warm-up is over
    const sigrun_depth depth = runner_test::top_of_book(100.0, 101.0);
    CurrentFrame frame = runner_test::depth_frame(201, depth);
    engine_->on_data(frame);
    EXPECT_EQ(publisher_.published(), 1u);
}

TEST_F(FrameReplayTest, OverwrittenFramesAreReportedNotSkipped) {
    write_depths(200);
    EXPECT_FALSE(replay_into(*engine_, md_->mapping(), 100, 150)) << "frames 100..136 are overwritten";
    EXPECT_EQ(publisher_.published(), 0u);
}

}  // namespace
}  // namespace sigrun::runner
