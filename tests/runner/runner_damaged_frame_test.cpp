// A damaged md frame never reaches an engine: the runner reading an external
// md.journal (source "journal") with one byte flipped in a frame — in its
// payload, in a header word, in its checksum — dispatches every other frame
// to a real plugin (c_minimal: "last_price" per trade, its source sequence in
// the signals journal) and skips that one, counted and logged.
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "config.hpp"
#include "damaged_frame_log.hpp"
#include "journal_recovery_log.hpp"
#include "runner.hpp"
#include "runner_test_support.hpp"
#include "sigrun/factor_batch.hpp"
#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/writer.hpp"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

using runner_test::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr std::uint64_t kFrames = 6;
constexpr std::uint64_t kDamaged = 3;

// source_sequence -> last_price value, from the signals journal.
std::map<std::uint64_t, double> prices_seen(const std::filesystem::path& signals) {
    std::map<std::uint64_t, double> seen;
    if (!std::filesystem::exists(signals)) return seen;
    journal::Reader reader(signals);
    reader.seek_oldest();
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    for (journal::ReadResult r = reader.next(buffer); r.status != journal::ReadStatus::empty; r = reader.next(buffer)) {
        if (r.status != journal::ReadStatus::frame || r.info.msg_type != SIGRUN_MSG_FACTOR_BATCH) continue;
        (void)for_each_factor(std::span(buffer).first(r.info.length),
                              [&](const sigrun_factor& f) { seen[f.source_sequence] = f.value; });
    }
    return seen;
}

struct Case {
    const char* name;
    std::size_t offset;  // from the start of the frame's slot
};

class RunnerDamagedFrameTest : public ::testing::TestWithParam<Case> {};

TEST_P(RunnerDamagedFrameTest, IsNeverDispatchedAndIsCountedAndLogged) {
    const Case c = GetParam();
    testing::TempDir dir;
    const auto journal_dir = dir / "journal";
    std::filesystem::create_directories(journal_dir);
    json doc = runner_test::synthetic_config(journal_dir, 0);
    doc["source"] = {{"kind", "journal"}, {"start", "oldest"}};
    doc["engines"].push_back(runner_test::engine("c", test_plugins::c_minimal));
    {
        // md.journal written by "another process", with the geometry of the config.
        journal::Writer md(journal_dir / "md.journal",
                           journal::WriterOptions{journal::Geometry{4096, 512}, std::chrono::milliseconds(100)});
        for (std::uint64_t seq = 1; seq <= kFrames; ++seq) {
            md.write_message(SIGRUN_MSG_TRADE, runner_test::trade(100.0 + static_cast<double>(seq), 1.0));
        }
        auto* slot = reinterpret_cast<std::byte*>(&md.mapping()->slot(md.geometry().slot_index(kDamaged)));
        auto& byte = *reinterpret_cast<std::uint8_t*>(slot + c.offset);
        journal::detail::store(byte, static_cast<std::uint8_t>(byte ^ 0x04), std::memory_order_relaxed);
    }
    runner_test::LogCapture log;
    RunSummary summary;
    {
        RunnerConfig config = parse_config(doc, dir.path(), "test.json");
        Runner runner(std::move(config));
        std::atomic<bool> stop{false};
        std::thread run([&] { summary = runner.run(stop); });
        // Until the last frame's factor is in the signals journal (bounded:
        // a hang ends the wait, and the assertions below then fail).
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (prices_seen(journal_dir / "signals.journal").count(kFrames) == 0 &&
               std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        stop.store(true);
        run.join();
    }
    const auto seen = prices_seen(journal_dir / "signals.journal");
    std::vector<std::uint64_t> sequences;
    for (const auto& [seq, price] : seen) {
        sequences.push_back(seq);
        EXPECT_EQ(price, 100.0 + static_cast<double>(seq)) << c.name << ": frame " << seq;
    }
    EXPECT_EQ(sequences, (std::vector<std::uint64_t>{1, 2, 4, 5, 6})) << c.name;
    EXPECT_THAT(summary.error, IsEmpty());
    EXPECT_EQ(summary.dispatched.damaged, 1u) << c.name;
    EXPECT_EQ(summary.dispatched.lost, 0u) << c.name;
    EXPECT_EQ(summary.dispatched.trade, kFrames - 1) << c.name;
    EXPECT_THAT(log.matching("error", "md journal: frame 3 is damaged"), SizeIs(1)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    OneFlippedByte, RunnerDamagedFrameTest,
    ::testing::Values(Case{"payload", sizeof(journal::FrameHeader) + offsetof(sigrun_trade, price) + 6},
                      Case{"msg_type", offsetof(journal::FrameHeader, msg_type)},
                      Case{"length", offsetof(journal::FrameHeader, length)},
                      Case{"checksum", offsetof(journal::FrameHeader, checksum) + 3}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

TEST(DamagedFrameLog, AStretchOfDamagedFramesIsOneLineWithCountsNotOneLinePerFrame) {
    runner_test::LogCapture log;
    DamagedFrameLog damaged;
    for (std::uint64_t seq = 10; seq < 1010; ++seq) damaged.note(seq, 1);
    EXPECT_EQ(damaged.total(), 1000u);
    const auto lines = log.matching("error", "is damaged");
    ASSERT_THAT(lines, ::testing::Not(IsEmpty()));
    EXPECT_LT(lines.size(), 10u);  // one per second at most
    EXPECT_THAT(lines.front(), HasSubstr("frame 10 is damaged"));
    EXPECT_THAT(lines.front(), HasSubstr("1 in total"));
}

TEST(JournalRecoveryLog, ReopeningADamagedJournalSaysWhatRecoveryDiscardedAndWhy) {
    testing::TempDir dir;
    const auto path = dir / "md.journal";
    const journal::WriterOptions options{journal::Geometry{8, 256}, std::chrono::milliseconds(100)};
    runner_test::LogCapture log;
    {
        journal::Writer w(path, options);
        log_journal_recovery("md", w);  // just created: nothing to say
        for (int i = 0; i < 5; ++i) w.write_message(SIGRUN_MSG_TRADE, runner_test::trade(100.0, 1.0));
    }
    {
        journal::Writer w(path, options);
        log_journal_recovery("md", w);
        auto& byte = *reinterpret_cast<std::uint8_t*>(w.mapping()->payload(1) + 5);
        journal::detail::store(byte, static_cast<std::uint8_t>(byte ^ 1), std::memory_order_relaxed);
    }
    EXPECT_THAT(log.matching("info", "md journal " + path.string() + ": reopened, 5 intact frame(s), last sequence 5"),
                SizeIs(1));
    journal::Writer w(path, options);
    log_journal_recovery("md", w);
    const auto warned = log.matching("warning", "md journal " + path.string());
    ASSERT_THAT(warned, SizeIs(1));
    EXPECT_THAT(warned[0], HasSubstr("kept 4 intact frame(s) up to sequence 5 and discarded 1: 1 damaged"));
    EXPECT_THAT(warned[0], HasSubstr("first in slot 1"));
    EXPECT_THAT(warned[0], HasSubstr("counted as damaged") );
}

}  // namespace
}  // namespace sigrun::runner
