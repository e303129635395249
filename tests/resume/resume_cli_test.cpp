// `sigrun` killed with SIGKILL at random points and started again with the
// same config: from the signals journal, no md frame is skipped and repeats
// stay within the documented guarantee (README, "Guarantees": at least once,
// at most the one frame in flight repeated per crash, source_sequence the
// dedupe key). Also the journal source lapped while the runner was down, and
// the one-line errors of an unusable cursor.
//
// What is asserted against an uninterrupted run of the same config:
//   * md.journal: exactly the frames of the uninterrupted run, under the same
//     sequences (the source fed once in total, never from the top again, and
//     its receive times never going back);
//   * per engine, the set of md sequences it published factors for is the
//     uninterrupted run's (none skipped); in journal order they never go
//     back; distinct repeated sequences <= the number of kills;
//   * microprice (a function of the current book only) publishes bit-equal
//     values for every md frame, repeats included. trade_flow and slow_engine
//     keep state that a crash resets (rolling windows, a counter), so only
//     their coverage is compared.
// Kill points: a seeded generator (SIGRUN_CRASH_SEED overrides the seed, and
// a failure prints it) picks, per kill, a dispatch position to wait for (read
// from the cursor file) plus a delay of 0-2 ms, or for the first kill a delay
// after the start (0-30 ms: opening the journals, writing the cursor, loading
// engines). No assertion depends on where a kill lands.
#include <signal.h>

#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "md_event_writing.hpp"
#include "resume_support.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/market_data/synthetic_source.hpp"
#include "spawned_process.hpp"
#include "temp_dir.hpp"
#include "text.hpp"

namespace {

namespace rt = sigrun::resume_test;
using rt::json;
using sigrun::testing::read_text;
using sigrun::testing::SpawnedProcess;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// One spawned `sigrun --config <config>`, stdout and stderr in
// `dir`/<tag>.out and .err.
std::unique_ptr<SpawnedProcess> start_sigrun(const std::filesystem::path& config, const std::filesystem::path& dir,
                                             const std::string& tag) {
    return sigrun::testing::spawn_tool(SIGRUN_EXE, {"--config", config.string()}, dir, tag);
}

json engines() {
    return json::array(
        {{{"name", "microprice"}, {"library", SIGRUN_MICROPRICE_PLUGIN}, {"config", {{"levels", 5}}}},
         {{"name", "trade_flow"}, {"library", SIGRUN_TRADE_FLOW_PLUGIN}, {"config", {{"window_events", 200}}}},
         {{"name", "slow"}, {"library", SIGRUN_SLOW_ENGINE_PLUGIN}}});
}

std::filesystem::path write_config(const std::filesystem::path& dir, json source) {
    const json document = rt::resume_runner_config(dir, std::move(source), engines());
    std::filesystem::create_directories(dir);
    const auto path = dir / "runner.json";
    std::ofstream(path) << document.dump(2) << '\n';
    return path;
}

json replay_source() {
    const std::filesystem::path data = SIGRUN_EXAMPLES_DATA_DIR;
    return json{{"kind", "replay"},
                {"files", {(data / "spot_btcusdt_book20.csv.gz").string(), (data / "spot_btcusdt_trades.csv.gz").string()}},
                {"speed", 0}};
}

std::uint64_t seed() {
    if (const char* s = std::getenv("SIGRUN_CRASH_SEED")) return std::stoull(s);
    return 20261130;
}

struct CrashLoop {
    int kills = 0;                   // SIGKILLs that hit a running sigrun
    int restarts_with_backlog = 0;   // restarts that found written, undispatched frames
    std::string final_out, final_err;
    int final_code = -1;
};

// Runs `config` to the end, killing it `kills` times on the way (see the
// file comment for where).
CrashLoop crash_loop(const std::filesystem::path& config, const std::filesystem::path& dir, int kills,
                     std::uint64_t frames) {
    std::mt19937_64 rng(seed());
    CrashLoop result;
    const auto cursor = dir / "journal" / "runner.cursor";
    const std::regex backlog(R"(resuming at md frame \d+ \(([0-9]+) frames? written before the restart)");
    for (int i = 0; i < kills; ++i) {
        const auto run = start_sigrun(config, dir, "kill" + std::to_string(i));
        if (i == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % 30'000));
        } else {
            const std::uint64_t at = rt::cursor_position(cursor).value_or(1);
            const std::uint64_t target = at + 1 + rng() % (2 * frames / (kills + 1));
            while (run->running() && rt::cursor_position(cursor).value_or(0) < target) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            }
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2'000));
        }
        if (!run->running()) {  // finished (or failed) before the kill
            if (run->wait().shell_code() != 0) ADD_FAILURE() << run->err();
            continue;
        }
        run->signal(SIGKILL);
        EXPECT_EQ(run->wait().shell_code(), 128 + SIGKILL);
        ++result.kills;
        std::smatch m;
        const std::string err = run->err();
        if (std::regex_search(err, m, backlog) && std::stoull(m[1]) > 0) ++result.restarts_with_backlog;
    }
    const auto last = start_sigrun(config, dir, "final");
    result.final_code = last->wait().shell_code();
    result.final_out = last->out();
    result.final_err = last->err();
    std::smatch m;
    if (std::regex_search(result.final_err, m, backlog) && std::stoull(m[1]) > 0) ++result.restarts_with_backlog;
    return result;
}

void expect_same_as_uninterrupted(const std::filesystem::path& reference, const std::filesystem::path& crashed,
                                  int kills) {
    // md.journal: the same frames under the same sequences, time never back
    const auto md_ref = rt::read_md(reference / "journal" / "md.journal");
    const auto md = rt::read_md(crashed / "journal" / "md.journal");
    EXPECT_EQ(rt::md_last(crashed / "journal" / "md.journal"), rt::md_last(reference / "journal" / "md.journal"));
    ASSERT_EQ(md.size(), md_ref.size());
    for (std::size_t i = 0; i < md.size(); ++i) {
        ASSERT_EQ(md[i].sequence, md_ref[i].sequence);
        ASSERT_EQ(md[i].payload, md_ref[i].payload) << "md frame " << md[i].sequence;
        if (i > 0) {
            ASSERT_GE(md[i].trigger_time, md[i - 1].trigger_time);
        }
    }
    // signals: nothing skipped, repeats only at kills, values of the
    // stateless engine equal
    const auto s_ref = rt::read_signals(reference / "journal" / "signals.journal");
    const auto s = rt::read_signals(crashed / "journal" / "signals.journal");
    ASSERT_EQ(s.lost, 0u);
    for (const std::string engine : {"microprice", "trade_flow", "slow"}) {
        SCOPED_TRACE(engine);
        EXPECT_EQ(rt::sources_of(s, engine), rt::sources_of(s_ref, engine)) << "an md frame was skipped";
        const auto order = rt::check_order(s, engine);
        EXPECT_TRUE(order.never_backwards) << order.first_backwards;
        EXPECT_LE(order.repeated.size(), static_cast<std::size_t>(kills));
        std::printf("%s: %zu md frames, %zu repeated (the frame in flight at a kill), %d kills\n", engine.c_str(),
                    rt::sources_of(s, engine).size(), order.repeated.size(), kills);
    }
    EXPECT_EQ(rt::sources_of(s, "slow").size(), md_ref.back().sequence) << "slow_engine gets every md frame";
    const auto ref_values = rt::values_of(s_ref, "microprice");
    std::uint64_t compared = 0;
    for (const auto& r : s.records) {
        if (r.engine != "microprice") continue;
        const auto it = ref_values.find({r.engine, r.factor, r.source_sequence});
        ASSERT_NE(it, ref_values.end());
        ASSERT_EQ(std::bit_cast<std::uint64_t>(r.value), std::bit_cast<std::uint64_t>(it->second))
            << r.factor << " of md frame " << r.source_sequence;
        ++compared;
    }
    EXPECT_GE(compared, ref_values.size());
}

TEST(ResumeCliTest, CrashLoopOfTheSampleReplaySkipsNothingAndRepeatsOnlyWhatWasInFlight) {
    SCOPED_TRACE("SIGRUN_CRASH_SEED=" + std::to_string(seed()));
    sigrun::testing::TempDir tmp;
    const auto reference = tmp.path() / "reference";
    const auto crashed = tmp.path() / "crashed";
    const auto whole = start_sigrun(write_config(reference, replay_source()), reference, "run");
    ASSERT_EQ(whole->wait().shell_code(), 0) << whole->err();
    const std::uint64_t frames = rt::md_last(reference / "journal" / "md.journal");
    ASSERT_EQ(frames, 1793u + 3222u);

    // 8 kills; 4 under valgrind, where each restart costs seconds
    const CrashLoop loop = crash_loop(write_config(crashed, replay_source()), crashed, SIGRUN_TEST_MEMCHECK ? 4 : 8,
                                      frames);
    ASSERT_EQ(loop.final_code, 0) << loop.final_err;
    EXPECT_THAT(loop.final_out, HasSubstr("lost=0"));
    EXPECT_GE(loop.kills, SIGRUN_TEST_MEMCHECK ? 3 : 6) << "most kills should hit a running sigrun";
    EXPECT_GE(loop.restarts_with_backlog, 1) << "no restart found written but undispatched frames to dispatch";
    std::printf("crash loop (seed %llu): %d kills, %d restarts found a backlog of written, undispatched frames\n",
                static_cast<unsigned long long>(seed()), loop.kills, loop.restarts_with_backlog);
    expect_same_as_uninterrupted(reference, crashed, loop.kills);
}

TEST(ResumeCliTest, SyntheticSourceKilledMidRunResumes) {
    sigrun::testing::TempDir tmp;
    const json source{{"kind", "synthetic"}, {"seed", 5}, {"events", 3000}};
    const auto reference = tmp.path() / "reference";
    const auto crashed = tmp.path() / "crashed";
    const auto whole = start_sigrun(write_config(reference, source), reference, "run");
    ASSERT_EQ(whole->wait().shell_code(), 0) << whole->err();
    const CrashLoop loop = crash_loop(write_config(crashed, source), crashed, 3, 3000);
    ASSERT_EQ(loop.final_code, 0) << loop.final_err;
    EXPECT_GE(loop.kills, 2);
    expect_same_as_uninterrupted(reference, crashed, loop.kills);
}

// The test writes md.journal as an external process would (sigrun-feed);
// sigrun reads it ("journal" source), is killed, and the writer laps the
// ring while it is down.
TEST(ResumeCliTest, JournalSourceKilledAndLappedWhileDownReportsTheExactLoss) {
    sigrun::testing::TempDir tmp;
    const auto dir = tmp.path() / "run";
    const auto config = write_config(dir, json{{"kind", "journal"}});
    std::filesystem::create_directories(dir / "journal");
    sigrun::journal::Writer writer(dir / "journal" / "md.journal",
                                   sigrun::journal::WriterOptions{{256, 512}, std::chrono::seconds(1)});
    sigrun::market_data::SyntheticSource events(sigrun::market_data::SyntheticConfig{.seed = 3, .events = 100'000});
    const auto write = [&](std::uint64_t n) {
        for (std::uint64_t i = 0; i < n; ++i) {
            const auto e = events.next();
            sigrun::testing::write_event(writer, *e);
        }
        writer.flush_hint();
    };
    const auto cursor = dir / "journal" / "runner.cursor";
    const auto wait_for_cursor = [&](const SpawnedProcess& run, std::uint64_t at_least) {
        while (rt::cursor_position(cursor).value_or(0) < at_least) {
            ASSERT_TRUE(run.running()) << run.err();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    };

    // first run: starts at the end (1), dispatches a backlog, killed midway
    std::uint64_t killed_at = 0;
    {
        const auto run = start_sigrun(config, dir, "first");
        wait_for_cursor(*run, 1);
        write(200);
        wait_for_cursor(*run, 60);
        run->signal(SIGKILL);
        ASSERT_EQ(run->wait().shell_code(), 128 + SIGKILL);
        killed_at = *rt::cursor_position(cursor);
        ASSERT_LE(killed_at, 200u) << "the kill came after the backlog was dispatched";
    }
    // while it is down the writer laps it by 37 frames
    write(killed_at + 256 + 37 - 1 - 200);
    const std::uint64_t last = writer.last_sequence();
    const std::uint64_t oldest = last - 256 + 1;
    ASSERT_EQ(oldest - killed_at, 37u);

    const auto run = start_sigrun(config, dir, "second");
    wait_for_cursor(*run, last + 1);
    run->signal(SIGTERM);
    ASSERT_EQ(run->wait().shell_code(), 0) << run->err();
    EXPECT_THAT(run->err(), AllOf(HasSubstr("resuming at md frame " + std::to_string(killed_at)),
                                 HasSubstr("dispatcher was lapped by the external writer, 37 frame(s) lost")));
    EXPECT_THAT(run->out(), HasSubstr("lost=37"));

    const auto signals = rt::read_signals(dir / "journal" / "signals.journal");
    const auto slow = rt::sources_of(signals, "slow");
    std::set<std::uint64_t> expected;
    for (std::uint64_t s = 1; s < killed_at; ++s) expected.insert(s);
    for (std::uint64_t s = oldest; s <= last; ++s) expected.insert(s);
    // the frame in flight at the kill may have been published before it was overwritten
    std::set<std::uint64_t> without_in_flight = slow;
    without_in_flight.erase(killed_at);
    EXPECT_EQ(without_in_flight, expected);
    EXPECT_THAT(rt::check_order(signals, "slow").repeated, IsEmpty());
}

// Every cursor problem a user can cause: one line on stderr naming the
// cursor and the fix, exit 1, the cursor file untouched.
TEST(ResumeCliTest, UnusableCursorIsOneLineAndExitOneLeavingItUntouched) {
    sigrun::testing::TempDir tmp;
    const auto dir = tmp.path() / "run";
    const auto config = write_config(dir, json{{"kind", "synthetic"}, {"seed", 5}, {"events", 50}});
    {
        const auto run = start_sigrun(config, dir, "first");
        ASSERT_EQ(run->wait().shell_code(), 0) << run->err();
    }
    const auto cursor = dir / "journal" / "runner.cursor";
    std::string bytes = sigrun::testing::read_file_bytes(cursor);
    bytes[20] = static_cast<char>(bytes[20] ^ 1);  // md_slot_size: the identity checksum no longer matches
    sigrun::testing::write_file_bytes(cursor, bytes);

    const auto damaged = start_sigrun(config, dir, "damaged");
    EXPECT_EQ(damaged->wait().shell_code(), 1);
    std::vector<std::string> errors;  // the final error line(s); the rest of stderr is the log
    std::istringstream lines(damaged->err());
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("sigrun: ", 0) == 0) errors.push_back(line);
    }
    ASSERT_THAT(errors, SizeIs(1)) << damaged->err();
    EXPECT_THAT(errors[0], AllOf(HasSubstr("sigrun: consumer cursor " + cursor.string() +
                                           " is damaged (identity checksum mismatch)"),
                                 HasSubstr("move it aside")));
    EXPECT_EQ(sigrun::testing::read_file_bytes(cursor), bytes);
}

}  // namespace
