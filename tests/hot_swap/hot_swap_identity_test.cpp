// Plugin identity at a hot swap: a library of another plugin renamed over an
// engine's path is refused with one line naming both plugin ids and the fix,
// unless the engine's "allow_replace_with" lists the new id; the swap line
// names the plugin id, both versions and how the new version was brought up
// to date; the summary counts frames and factors across every version.
#include <cstdint>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "hot_swap_test_support.hpp"

namespace sigrun::hot_swap_test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct Deployed {
    ScratchDir scratch{/*prefer_memory=*/true};
    fs::path library;
    json doc;
    explicit Deployed(json allow = json::array()) {
        fs::create_directories(scratch / "deploy");
        library = scratch / "deploy" / "libsignal.so";
        deploy(test_plugins::versioned_v1, library);
        doc = runner_config(scratch / "journal", 1'000'000'000, 7, 1 << 16);
        doc["engines"].push_back(engine_entry("sw", library));
        if (!allow.empty()) doc["engines"][0]["allow_replace_with"] = allow;
    }
};

TEST(HotSwapIdentityTest, AnotherPluginRenamedOverThePathIsRefused) {
    Deployed d;
    LogCapture log;
    RunningRunner run(d.doc, d.scratch.path());
    ASSERT_TRUE(run.wait_for_md(1000));

    deploy(test_plugins::c_minimal, d.library);
    EXPECT_FALSE(run.swapper().reload("sw"));
    const auto errors = log.matching("error", "hot swap of engine sw");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_THAT(errors[0], AllOf(HasSubstr("the new library is plugin org.sigrun.test.c-minimal but engine sw runs "
                                           "plugin org.sigrun.test.versioned"),
                                 HasSubstr("add \"org.sigrun.test.c-minimal\" to the engine's \"allow_replace_with\""),
                                 HasSubstr("the running version keeps dispatching")));
    std::printf("refused: %s\n", errors[0].c_str());

    // a new build of the same plugin still swaps, state carried
    deploy(test_plugins::versioned_v2, d.library);
    ASSERT_TRUE(run.wait_for_md(run.md_published() + 1000));
    EXPECT_TRUE(run.swapper().reload("sw"));
    ASSERT_TRUE(run.wait_for_md(run.md_published() + 1000));
    const runner::RunSummary s = run.stop_and_join();
    EXPECT_THAT(s.error, IsEmpty());
    EXPECT_EQ(s.swaps.failed, 1u);
    EXPECT_EQ(s.swaps.swapped, 1u);
    const auto swaps = log.matching("info", "hot swap of engine sw");
    ASSERT_THAT(swaps, SizeIs(1));
    EXPECT_THAT(swaps[0], AllOf(HasSubstr("(plugin org.sigrun.test.versioned): version 1.0.0 replaced by 2.0.0"),
                                HasSubstr("(state carried)")));
    std::printf("swapped: %s\n", swaps[0].c_str());
}

// The identity is checked before the new library creates an engine: a
// plugin that would refuse this engine's config (or crash on it) is never
// asked, and the line blames the library, not the config.
TEST(HotSwapIdentityTest, AnotherPluginIsRefusedBeforeItsSignalCreateRuns) {
    Deployed d;
    LogCapture log;
    RunningRunner run(d.doc, d.scratch.path());
    ASSERT_TRUE(run.wait_for_md(1000));

    deploy(test_plugins::null_create, d.library);  // its signal_create always logs an ERROR and fails
    EXPECT_FALSE(run.swapper().reload("sw"));
    const auto errors = log.matching("error", "hot swap of engine sw");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_THAT(errors[0], HasSubstr("the new library is plugin null_create but engine sw runs plugin "
                                     "org.sigrun.test.versioned"));
    EXPECT_THAT(log.matching("error", "null_create: refusing to create"), IsEmpty());
    ASSERT_TRUE(run.wait_for_md(run.md_published() + 1000));
    const runner::RunSummary s = run.stop_and_join();
    EXPECT_EQ(s.swaps.failed, 1u);
    EXPECT_EQ(s.swaps.swapped, 0u);
}

TEST(HotSwapIdentityTest, AllowReplaceWithLetsTheListedPluginIn) {
    Deployed d(json::array({"org.sigrun.test.c-minimal"}));
    LogCapture log;
    RunningRunner run(d.doc, d.scratch.path());
    ASSERT_TRUE(run.wait_for_md(1000));
    deploy(test_plugins::c_minimal, d.library);
    EXPECT_TRUE(run.swapper().reload("sw"));
    ASSERT_TRUE(run.wait_for_md(run.md_published() + 1000));
    const runner::RunSummary s = run.stop_and_join();
    EXPECT_EQ(s.swaps.swapped, 1u);
    const auto swaps = log.matching("info", "hot swap of engine sw");
    ASSERT_THAT(swaps, SizeIs(1));
    EXPECT_THAT(swaps[0], AllOf(HasSubstr("(plugin org.sigrun.test.c-minimal): version 1.0.0 replaced by 1.0.0"),
                                HasSubstr("(fresh: no state, no warm-up)")));
}

TEST(HotSwapIdentityTest, WarmUpIsNamedInTheSwapLine) {
    Deployed d(json::array({"org.sigrun.test.c-minimal"}));
    d.doc["hot_swap"]["warmup_frames"] = 64;
    LogCapture log;
    RunningRunner run(d.doc, d.scratch.path());
    ASSERT_TRUE(run.wait_for_md(1000));
    deploy(test_plugins::c_minimal, d.library);
    EXPECT_TRUE(run.swapper().reload("sw"));
    run.stop_and_join();
    EXPECT_THAT(log.matching("info", "hot swap of engine sw"), ::testing::ElementsAre(HasSubstr("(64 frames warm-up)")));
}

TEST(HotSwapIdentityTest, SummaryCountsFramesAcrossEveryVersion) {
    const std::uint64_t swaps = by_build(6, 4, 2);
    Deployed d;
    RunningRunner run(d.doc, d.scratch.path());
    for (std::uint64_t i = 0; i < swaps; ++i) {
        ASSERT_TRUE(run.wait_for_md((i + 1) * 1000));
        deploy(i % 2 == 0 ? test_plugins::versioned_v2 : test_plugins::versioned_v1, d.library);
        ASSERT_TRUE(run.swapper().reload("sw"));
    }
    const runner::RunSummary s = run.stop_and_join();
    ASSERT_THAT(s.engines, SizeIs(1));
    // versioned takes every frame and emits two values per frame
    const std::uint64_t dispatched = s.dispatched.depth + s.dispatched.trade;
    EXPECT_EQ(s.engines[0].frames, dispatched);
    EXPECT_EQ(s.engines[0].factors, 2 * dispatched);
    EXPECT_EQ(s.engines[0].versions, swaps + 1);
}

}  // namespace
}  // namespace sigrun::hot_swap_test
