// The run summary's view of hot swaps: the switch pause (the time dispatch
// stood still for each switch) is reported once there were swaps and is 0
// without any; its percentiles are ordered. No timing thresholds. And the
// hot swapper's handle after the run: a reload once run() has returned must
// fail cleanly (false, counted), not throw.
#include <cstdint>
#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "hot_swap_test_support.hpp"

namespace sigrun::hot_swap_test {
namespace {

using ::testing::IsEmpty;

struct Deployed {
    ScratchDir scratch{/*prefer_memory=*/true};
    fs::path library;
    json doc;
    explicit Deployed(std::uint64_t events) {
        fs::create_directories(scratch / "deploy");
        library = scratch / "deploy" / "libsignal.so";
        deploy(test_plugins::versioned_v1, library);
        doc = runner_config(scratch / "journal", events, 31, 1 << 16);
        doc["engines"].push_back(engine_entry("sw", library));
    }
};

TEST(HotSwapSummaryTest, SwitchPauseIsReportedForSwapsAndOrdered) {
    const std::uint64_t swaps = by_build(20, 10, 5);
    Deployed d(1'000'000'000);
    RunningRunner run(d.doc, d.scratch.path());
    for (std::uint64_t i = 0; i < swaps; ++i) {
        ASSERT_TRUE(run.wait_for_md((i + 1) * 1000));
        deploy(i % 2 == 0 ? test_plugins::versioned_v2 : test_plugins::versioned_v1, d.library);
        ASSERT_TRUE(run.swapper().reload("sw"));
    }
    const runner::RunSummary s = run.stop_and_join();

    EXPECT_THAT(s.error, IsEmpty());
    EXPECT_EQ(s.swaps.swapped, swaps);
    EXPECT_GT(s.swap_pause_p50_ns, 0u);
    EXPECT_GT(s.swap_pause_p99_ns, 0u);
    EXPECT_GT(s.swap_pause_max_ns, 0u);
    EXPECT_LE(s.swap_pause_p50_ns, s.swap_pause_p99_ns);
    EXPECT_LE(s.swap_pause_p99_ns, s.swap_pause_max_ns);
    std::printf("switch pause over %llu swaps: p50=%llu p99=%llu max=%llu ns\n",
                static_cast<unsigned long long>(swaps), static_cast<unsigned long long>(s.swap_pause_p50_ns),
                static_cast<unsigned long long>(s.swap_pause_p99_ns),
                static_cast<unsigned long long>(s.swap_pause_max_ns));
}

TEST(HotSwapSummaryTest, NoSwapNoPause) {
    Deployed d(by_build(10'000, 5'000, 1'000));
    RunningRunner run(d.doc, d.scratch.path());
    const runner::RunSummary s = run.join();

    EXPECT_EQ(s.swaps.swapped, 0u);
    EXPECT_EQ(s.swaps.failed, 0u);
    EXPECT_EQ(s.swap_pause_p50_ns, 0u);
    EXPECT_EQ(s.swap_pause_p99_ns, 0u);
    EXPECT_EQ(s.swap_pause_max_ns, 0u);
}

TEST(HotSwapSummaryTest, ReloadAfterTheRunEndedFailsCleanly) {
    // given a run that ended (its engines are destroyed)
    Deployed d(by_build(10'000, 5'000, 1'000));
    RunningRunner run(d.doc, d.scratch.path());
    const runner::RunSummary s = run.join();
    ASSERT_THAT(s.error, IsEmpty());

    // when the hot swapper is asked for a swap anyway (a late SIGHUP, a tool)
    deploy(test_plugins::versioned_v2, d.library);
    bool swapped = true;
    EXPECT_NO_THROW(swapped = run.swapper().reload("sw"));

    // then it is refused and counted, and leaves no copy behind
    EXPECT_FALSE(swapped);
    EXPECT_EQ(run.swapper().stats().failed, 1u);
    EXPECT_EQ(files_in(d.scratch / "journal" / ".plugins"), 0u);
}

}  // namespace
}  // namespace sigrun::hot_swap_test
