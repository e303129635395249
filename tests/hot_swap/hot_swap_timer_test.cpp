// Timers across hot swaps (ABI 1.3): the new version continues the old
// one's schedule, so over a run with several swaps every deadline the
// receive times reach fires exactly once (none twice, none skipped), before
// the frame that reaches it; on_start is called once for the run and on_stop
// once at its end, on the last version, and every retired version is
// destroyed without on_stop.
#include <chrono>
#include <cstdint>
#include <span>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "consumer_cursor.hpp"
#include "cursor_file.hpp"
#include "hot_swap_test_support.hpp"
#include "md_event_writing.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/market_data/synthetic_source.hpp"
#include "timer_expectations.hpp"

namespace sigrun::hot_swap_test {
namespace {

using ::testing::Gt;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(HotSwapTimer, SwapsDuringARunFireEveryDeadlineExactlyOnce) {
    // given the C timer engine ("timer_ms": 20) reading an md.journal that the
    // test writes from a seeded synthetic stream (a frame every 2 ms on
    // average) and that holds the whole run: the runner reads it as an
    // external journal, so the run lasts until the test stops it and every
    // swap lands mid-run however fast the dispatcher is
    const std::uint64_t events = by_build(30'000, 6'000, 3'000);
    const std::uint64_t swaps = by_build(8, 4, 3);
    constexpr std::uint64_t kSeed = 21;
    ScratchDir scratch(/*prefer_memory=*/true);
    const fs::path library = scratch / "libc_timer.so";
    deploy(test_plugins::c_timer, library);
    const fs::path journal_dir = scratch / "journal";
    fs::create_directories(journal_dir);
    const std::uint64_t md_capacity = power_of_two_at_least(events);
    journal::Writer md(journal_dir / "md.journal",
                       journal::WriterOptions{journal::Geometry{md_capacity, 512}, std::chrono::milliseconds(0)});
    json doc = runner_config(journal_dir, 0, kSeed, power_of_two_at_least(4 * events), md_capacity);
    doc["source"] = json{{"kind", "journal"}, {"start", "end"}};
    doc["engines"].push_back(engine_entry("t", library));
    doc["engines"].back()["timer_ms"] = 20;
    const fs::path cursor = runner::ConsumerCursor::path_for(journal_dir, "runner");
    // md frames the dispatcher is done with (every engine ran for them)
    auto dispatched_through = [&](std::uint64_t sequence) {
        return wait_for([&] { return testing::cursor_position(cursor).value_or(0) > sequence; });
    };
    LogCapture log;
    runner::RunSummary summary;
    {
        // when it is swapped (same plugin, reloaded) several times mid-run:
        // even swaps once dispatch caught up, odd ones while it may still be
        // working through the frames written ahead of it
        RunningRunner run(doc, scratch.path());
        market_data::SyntheticConfig synthetic;
        synthetic.seed = kSeed;
        synthetic.events = events;
        market_data::SyntheticSource source(synthetic);
        std::uint64_t next_swap = 0;
        while (const auto event = source.next()) {
            testing::write_event(md, *event);
            const std::uint64_t sequence = md.last_sequence();
            if (next_swap < swaps && sequence == (next_swap + 1) * events / (swaps + 1)) {
                if (next_swap % 2 == 0) {
                    ASSERT_TRUE(dispatched_through(sequence)) << "swap " << next_swap;
                }
                EXPECT_TRUE(run.swapper().reload("t")) << "swap " << next_swap;
                ++next_swap;
            }
        }
        ASSERT_TRUE(dispatched_through(events));
        summary = run.stop_and_join();
    }
    ASSERT_THAT(summary.error, IsEmpty());
    ASSERT_EQ(summary.dispatched.depth + summary.dispatched.trade, events);
    ASSERT_EQ(summary.engines.size(), 1u);
    EXPECT_EQ(summary.engines[0].versions, swaps + 1);
    EXPECT_THAT(log.swap_points("t"), SizeIs(swaps));

    // then the timers across all versions are exactly those of one engine
    const auto frames = timer_test::md_frames(scratch / "journal" / "md.journal");
    ASSERT_EQ(frames.size(), events);
    const auto expected = timer_test::expected_fires(frames, 20'000'000);
    ASSERT_THAT(expected, SizeIs(Gt(events / 20)));
    const auto published = timer_test::published_fires(scratch / "journal" / "signals.journal", "t");
    EXPECT_EQ(published.fires, expected);
    EXPECT_EQ(summary.engines[0].timers, expected.size());

    // and the run was started once and stopped once; retired versions were not stopped
    EXPECT_THAT(log.matching("info", "c_timer: on_start"), SizeIs(1));
    EXPECT_THAT(log.matching("info", "c_timer: on_stop after"), SizeIs(1));
    EXPECT_THAT(log.matching("info", "c_timer: destroyed after on_stop"), SizeIs(1));
    EXPECT_THAT(log.matching("info", "c_timer: destroyed without on_stop"), SizeIs(swaps));
    EXPECT_THAT(log.matching("error", "c_timer"), IsEmpty());
}

}  // namespace
}  // namespace sigrun::hot_swap_test
