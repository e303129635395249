// The runner resuming from its consumer cursor, in-process: a run stopped
// midway and started again continues exactly where it stopped, in each
// source mode; a journal source lapped while the runner was down reports the
// exact loss; explicit starts and cursors that do not fit behave as
// documented. (Crashes — SIGKILL — are resume_cli_test's: a kill needs a
// process.)
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config.hpp"
#include "log_capture.hpp"
#include "md_event_writing.hpp"
#include "resume_support.hpp"
#include "runner.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/market_data/synthetic_source.hpp"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

using resume_test::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

json engines() {
    return json::array({{{"name", "microprice"}, {"library", SIGRUN_MICROPRICE_PLUGIN}, {"config", {{"levels", 5}}}},
                        {{"name", "slow"}, {"library", SIGRUN_SLOW_ENGINE_PLUGIN}}});
}

json config(const std::filesystem::path& dir, json source) {
    return resume_test::resume_runner_config(dir, std::move(source), engines());
}

json replay_source() {
    const std::filesystem::path data = SIGRUN_EXAMPLES_DATA_DIR;
    return json{{"kind", "replay"},
                {"files", {(data / "spot_btcusdt_book20.csv.gz").string(), (data / "spot_btcusdt_trades.csv.gz").string()}},
                {"speed", 0}};
}

json synthetic_source(std::uint64_t events, std::uint64_t seed = 7) {
    return json{{"kind", "synthetic"}, {"seed", seed}, {"events", events}};
}

RunnerConfig parsed(const json& document) { return parse_config(document, "/", "runner.json"); }

// Runs to the end, or until the cursor reaches `stop_at` (then a clean stop).
RunSummary run(const json& document, std::uint64_t stop_at = UINT64_MAX) {
    const RunnerConfig c = parsed(document);
    const auto cursor = ConsumerCursor::path_for(c.journal.dir, c.journal.cursor);
    std::atomic<bool> stop{false};
    std::atomic<bool> done{false};
    Runner runner(c);  // the cursor it reads below is this run's from here on
    std::thread watcher([&] {
        while (!done.load() && stop_at != UINT64_MAX) {
            if (resume_test::cursor_position(cursor).value_or(0) >= stop_at) {
                stop.store(true);
                return;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    });
    RunSummary summary = runner.run(stop);
    done.store(true);
    watcher.join();
    return summary;
}

std::filesystem::path journal_dir(const testing::TempDir& dir) { return dir.path() / "journal"; }

class OwnedSourceResumeTest : public ::testing::TestWithParam<std::string> {
protected:
    json source() const {
        if (GetParam() == "replay") return replay_source();
        return synthetic_source(resume_test::kSlowBuild ? 1500 : 4000);
    }
};

// A run stopped at a third and started again ends with exactly what one
// uninterrupted run writes: the same md frames under the same sequences
// (the source fed once, never from the top again, its time never going
// back) and every factor once, with the same values.
TEST_P(OwnedSourceResumeTest, StoppedRunContinuesWhereItStopped) {
    testing::TempDir reference, resumed;
    const RunSummary whole = run(config(reference.path(), source()));
    ASSERT_THAT(whole.error, IsEmpty());
    const std::uint64_t total = whole.frames_written;
    ASSERT_GT(total, 1000u);

    const RunSummary first = run(config(resumed.path(), source()), total / 3);
    ASSERT_THAT(first.error, IsEmpty());
    ASSERT_LT(first.frames_written, total) << "the run was not stopped midway";
    testing::LogCapture log;
    const RunSummary second = run(config(resumed.path(), source()));
    ASSERT_THAT(second.error, IsEmpty());

    EXPECT_EQ(first.frames_written + second.frames_written, total);
    EXPECT_THAT(second.cursor, HasSubstr("resumed at md frame " + std::to_string(first.frames_written + 1) +
                                         ", source event " + std::to_string(first.frames_written + 1)));
    EXPECT_THAT(log.matching("info", "resuming at md frame"), SizeIs(1));
    EXPECT_EQ(second.dispatched.lost, 0u);

    const auto md_whole = resume_test::read_md(journal_dir(reference) / "md.journal");
    const auto md_resumed = resume_test::read_md(journal_dir(resumed) / "md.journal");
    EXPECT_EQ(resume_test::md_last(journal_dir(resumed) / "md.journal"), total);
    ASSERT_EQ(md_resumed.size(), md_whole.size());
    for (std::size_t i = 0; i < md_whole.size(); ++i) {
        ASSERT_EQ(md_resumed[i].sequence, md_whole[i].sequence);
        ASSERT_EQ(md_resumed[i].payload, md_whole[i].payload) << "md frame " << md_whole[i].sequence;
        if (i > 0) {
            ASSERT_GE(md_resumed[i].trigger_time, md_resumed[i - 1].trigger_time);
        }
    }

    const auto s_whole = resume_test::read_signals(journal_dir(reference) / "signals.journal");
    const auto s_resumed = resume_test::read_signals(journal_dir(resumed) / "signals.journal");
    EXPECT_EQ(s_resumed.lost, 0u);
    for (const std::string engine : {"microprice", "slow"}) {
        SCOPED_TRACE(engine);
        EXPECT_EQ(resume_test::sources_of(s_resumed, engine), resume_test::sources_of(s_whole, engine));
        const auto order = resume_test::check_order(s_resumed, engine);
        EXPECT_TRUE(order.never_backwards) << order.first_backwards;
        EXPECT_THAT(order.repeated, IsEmpty()) << "a clean stop repeats nothing";
    }
    EXPECT_EQ(resume_test::sources_of(s_resumed, "slow").size(), total);
    EXPECT_EQ(resume_test::values_of(s_resumed, "microprice"), resume_test::values_of(s_whole, "microprice"));
}

INSTANTIATE_TEST_SUITE_P(Sources, OwnedSourceResumeTest, ::testing::Values("replay", "synthetic"));

TEST(ResumeRunnerTest, FinishedSourceIsNotFedAgain) {
    testing::TempDir dir;
    const json document = config(dir.path(), synthetic_source(300));
    ASSERT_EQ(run(document).frames_written, 300u);
    const RunSummary again = run(document);
    EXPECT_EQ(again.frames_written, 0u);
    EXPECT_EQ(again.dispatched.depth + again.dispatched.trade, 0u);
    EXPECT_EQ(resume_test::md_last(journal_dir(dir) / "md.journal"), 300u);
}

TEST(ResumeRunnerTest, StartBeginningFeedsTheSourceAgainAfterWhatMdJournalHolds) {
    testing::TempDir dir;
    json document = config(dir.path(), synthetic_source(300));
    ASSERT_EQ(run(document).frames_written, 300u);
    document["source"]["start"] = "beginning";
    testing::LogCapture log;
    const RunSummary again = run(document);
    EXPECT_EQ(again.frames_written, 300u);
    EXPECT_EQ(resume_test::md_last(journal_dir(dir) / "md.journal"), 600u);
    EXPECT_THAT(log.matching("warning", "$.source.start is \"beginning\": consumer cursor"), SizeIs(1));
    EXPECT_THAT(again.cursor, HasSubstr("replaced ($.source.start \"beginning\"), dispatch started at md frame 301"));
    const auto slow = resume_test::sources_of(resume_test::read_signals(journal_dir(dir) / "signals.journal"), "slow");
    EXPECT_EQ(slow.size(), 600u);
}

// An md frame carrying one synthetic event, written by the test as an
// external writer would.
class ExternalWriter {
public:
    explicit ExternalWriter(const std::filesystem::path& md)
        : writer_(md, journal::WriterOptions{journal::Geometry{256, 512}, std::chrono::milliseconds(1000)}),
          source_(market_data::SyntheticConfig{.seed = 11, .events = 1'000'000}) {}
    void write(std::uint64_t n) {
        for (std::uint64_t i = 0; i < n; ++i) {
            const auto e = source_.next();
            testing::write_event(writer_, *e);
        }
        writer_.flush_hint();
    }
    [[nodiscard]] std::uint64_t last() const { return writer_.last_sequence(); }

private:
    journal::Writer writer_;
    market_data::SyntheticSource source_;
};

TEST(ResumeRunnerTest, JournalSourceLappedWhileDownReportsTheExactLossAndContinues) {
    testing::TempDir dir;
    std::filesystem::create_directories(journal_dir(dir));
    ExternalWriter writer(journal_dir(dir) / "md.journal");
    writer.write(100);  // before the first run: "resume" without a cursor starts at the end
    const json document = config(dir.path(), json{{"kind", "journal"}});
    const auto cursor = ConsumerCursor::path_for(journal_dir(dir), "runner");

    // first run: dispatches 101..300, written while it runs, then stops
    RunSummary first;
    std::thread runner_thread([&] { first = run(document, 301); });
    while (!resume_test::cursor_position(cursor)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    for (int chunk = 0; chunk < 4; ++chunk) {
        writer.write(50);
        while (resume_test::cursor_position(cursor).value_or(0) <= writer.last()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    runner_thread.join();
    ASSERT_EQ(resume_test::cursor_position(cursor), 301u);
    EXPECT_EQ(first.dispatched.depth + first.dispatched.trade, 200u);

    // while it is down the writer goes on past a whole ring: 445..700 remain
    writer.write(400);
    testing::LogCapture log;
    const RunSummary second = run(document, 701);
    EXPECT_EQ(second.dispatched.lost, 144u);  // 301..444
    EXPECT_EQ(second.dispatched.depth + second.dispatched.trade, 256u);
    EXPECT_THAT(log.matching("warning", "dispatcher was lapped by the external writer, 144 frame(s) lost"), SizeIs(1));
    EXPECT_THAT(log.matching("warning", "the writer overwrote md frames from 301 on"), SizeIs(1));
    EXPECT_THAT(second.cursor, HasSubstr("resumed at md frame 301"));

    const auto signals = resume_test::read_signals(journal_dir(dir) / "signals.journal");
    std::set<std::uint64_t> expected;
    for (std::uint64_t s = 101; s <= 300; ++s) expected.insert(s);
    for (std::uint64_t s = 445; s <= 700; ++s) expected.insert(s);
    EXPECT_EQ(resume_test::sources_of(signals, "slow"), expected);
    EXPECT_THAT(resume_test::check_order(signals, "slow").repeated, IsEmpty());

    // an explicit "oldest" replaces the cursor and says what it repeats
    json oldest = document;
    oldest["source"]["start"] = "oldest";
    const RunSummary third = run(oldest, 701);
    EXPECT_EQ(third.dispatched.depth + third.dispatched.trade, 256u);
    EXPECT_THAT(log.matching("warning", "md frames 445..700 (256) before the cursor are dispatched again"), SizeIs(1));
}

void expect_refused_untouched(const json& document, const std::string& text) {
    const RunnerConfig c = parsed(document);
    const auto cursor = ConsumerCursor::path_for(c.journal.dir, c.journal.cursor);
    const std::string before = testing::read_file_bytes(cursor);
    try {
        Runner runner(c);
        ADD_FAILURE() << "the runner started";
    } catch (const CursorError& e) {
        EXPECT_THAT(e.what(), HasSubstr(text));
    }
    EXPECT_EQ(testing::read_file_bytes(cursor), before);
}

TEST(ResumeRunnerTest, CursorOfAnotherSourceIsRefusedUntouchedAndReplacedOnlyByAnExplicitStart) {
    testing::TempDir dir;
    ASSERT_EQ(run(config(dir.path(), synthetic_source(100, 7))).frames_written, 100u);
    json other = config(dir.path(), synthetic_source(100, 8));
    expect_refused_untouched(other, "was written for another synthetic stream (seed or instrument differ)");
    other["source"]["start"] = "beginning";
    EXPECT_EQ(run(other).frames_written, 100u);
    EXPECT_EQ(resume_test::md_last(journal_dir(dir) / "md.journal"), 200u);
}

TEST(ResumeRunnerTest, CursorOfADeletedMdJournalIsRefused) {
    testing::TempDir dir;
    const json document = config(dir.path(), synthetic_source(100));
    ASSERT_EQ(run(document).frames_written, 100u);
    std::filesystem::remove(journal_dir(dir) / "md.journal");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // another creation time
    expect_refused_untouched(document, "belongs to another md.journal than");
}

TEST(ResumeRunnerTest, DamagedCursorIsRefusedUnlessAnExplicitStartReplacesIt) {
    testing::TempDir dir;
    json document = config(dir.path(), synthetic_source(100));
    ASSERT_EQ(run(document).frames_written, 100u);
    const auto cursor = journal_dir(dir) / "runner.cursor";
    std::string bytes = testing::read_file_bytes(cursor);
    bytes[0] = 'X';
    testing::write_file_bytes(cursor, bytes);
    expect_refused_untouched(document, "is damaged (not a sigrun cursor: bad magic)");
    document["source"]["start"] = "beginning";
    testing::LogCapture log;
    EXPECT_EQ(run(document).frames_written, 100u);
    EXPECT_THAT(log.matching("warning", "replacing it, as $.source.start is given"), SizeIs(1));
}

}  // namespace
}  // namespace sigrun::runner
