// The runner end to end, in-process: the committed sample (examples/data)
// replayed through the three shipped engines, and a golden fingerprint of the
// whole factor stream, so that "the default and the zero-copy build publish
// identical factor values" is checked by running this same test in both.
//
// To regenerate the golden file after an intended change of the engines or
// the sample (from the release build):
//   SIGRUN_UPDATE_GOLDEN=1 build/release/tests/runner/runner_test --gtest_filter='*Golden*'
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config.hpp"
#include "runner.hpp"
#include "runner_test_support.hpp"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

using runner_test::json;
using ::testing::Gt;
using ::testing::IsEmpty;

// The committed sample: examples/data/SOURCE.md lists these counts.
constexpr std::uint64_t kSampleDepth = 1793;
constexpr std::uint64_t kSampleTrades = 3222;

// One replay of the sample shared by the suite: it is the expensive part
// (and slow under valgrind), every test only reads its results.
class SampleReplayTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new testing::TempDir();
        const json document{
            {"journal",
             {{"dir", "journal"},
              {"md", {{"capacity", 4096}, {"slot_size", 512}}},
              // room for every factor of the sample: the golden check reads
              // the whole stream back
              {"signals", {{"capacity", 65536}, {"slot_size", 256}}},
              {"pin_timeout_ms", 1000}}},
            {"source",
             {{"kind", "replay"},
              {"files",
               {runner_test::examples_file("spot_btcusdt_book20.csv.gz"),
                runner_test::examples_file("spot_btcusdt_trades.csv.gz")}},
              {"speed", 0}}},
            {"engines",
             {runner_test::engine("ofi", SIGRUN_OFI_PLUGIN, {{"levels", 5}, {"window_events", 100}}),
              runner_test::engine("microprice", SIGRUN_MICROPRICE_PLUGIN, {{"levels", 5}}),
              runner_test::engine("trade_flow", SIGRUN_TRADE_FLOW_PLUGIN, {{"window_events", 200}})}},
            {"hot_swap", {{"watch", false}}},
            {"output", {{"print_factors", 0}}},
        };
        runner_test::write_json(dir_->path() / "runner.json", document);
        RunnerConfig config = load_config(dir_->path() / "runner.json");
        journal_dir_ = new std::filesystem::path(config.journal.dir);
        std::atomic<bool> stop{false};
        {
            Runner runner(std::move(config));
            summary_ = new RunSummary(runner.run(stop));
        }
        stream_ = new runner_test::FactorStream(runner_test::read_factor_stream(*journal_dir_ / "signals.journal"));
    }

    static void TearDownTestSuite() {
        delete stream_;
        delete summary_;
        delete journal_dir_;
        delete dir_;
    }

    static const RunSummary& summary() { return *summary_; }
    static const runner_test::FactorStream& stream() { return *stream_; }

    static testing::TempDir* dir_;
    static std::filesystem::path* journal_dir_;
    static RunSummary* summary_;
    static runner_test::FactorStream* stream_;
};

testing::TempDir* SampleReplayTest::dir_ = nullptr;
std::filesystem::path* SampleReplayTest::journal_dir_ = nullptr;
RunSummary* SampleReplayTest::summary_ = nullptr;
runner_test::FactorStream* SampleReplayTest::stream_ = nullptr;

TEST_F(SampleReplayTest, RunCompletesWithoutError) {
    EXPECT_THAT(summary().error, IsEmpty());
}

TEST_F(SampleReplayTest, EveryFrameWrittenIsDispatchedNoneLostNoneRejected) {
    EXPECT_EQ(summary().dispatched.depth, kSampleDepth);
    EXPECT_EQ(summary().dispatched.trade, kSampleTrades);
    EXPECT_EQ(summary().frames_written, kSampleDepth + kSampleTrades);
    EXPECT_EQ(summary().dispatched.depth + summary().dispatched.trade, summary().frames_written);
    EXPECT_EQ(summary().dispatched.lost, 0u);
    EXPECT_EQ(summary().dispatched.rejected, 0u);
}

TEST_F(SampleReplayTest, NoFrameIsPinnedAtExit) {
    EXPECT_EQ(summary().frames_pinned_at_exit, 0u);
}

// Each engine is called for the message type it declares, and for every
// frame of that type.
TEST_F(SampleReplayTest, EveryEngineSawEveryFrameOfItsTypeAndPublishedFactors) {
    ASSERT_EQ(summary().engines.size(), 3u);
    EXPECT_EQ(summary().engines[0].name, "ofi");
    EXPECT_EQ(summary().engines[0].frames, kSampleDepth);
    EXPECT_EQ(summary().engines[1].name, "microprice");
    EXPECT_EQ(summary().engines[1].frames, kSampleDepth);
    EXPECT_EQ(summary().engines[2].name, "trade_flow");
    EXPECT_EQ(summary().engines[2].frames, kSampleTrades);
    for (const EngineSummary& e : summary().engines) {
        SCOPED_TRACE(e.name);
        EXPECT_THAT(e.factors, Gt(0u));
    }
}

TEST_F(SampleReplayTest, SignalsJournalHoldsEveryPublishedFactor) {
    EXPECT_EQ(stream().lost, 0u);
    EXPECT_EQ(stream().not_factors, 0u);
    EXPECT_EQ(summary().factors_failed, 0u);
    EXPECT_EQ(stream().count, summary().factors_published);
    for (const EngineSummary& e : summary().engines) {
        SCOPED_TRACE(e.name);
        EXPECT_EQ(stream().per_engine.at(e.name), e.factors);
    }
}

TEST_F(SampleReplayTest, SummaryLastValuesAreTheJournalsLastValues) {
    ASSERT_EQ(summary().last_values.size(), stream().last.size());
    for (const FactorValue& v : summary().last_values) {
        SCOPED_TRACE(v.engine + " " + v.factor + " " + v.instrument);
        const auto it = stream().last.find({v.engine, v.factor, v.instrument});
        ASSERT_NE(it, stream().last.end());
        EXPECT_EQ(std::bit_cast<std::uint64_t>(v.value), std::bit_cast<std::uint64_t>(it->second));
    }
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Lines of `text` without the comment lines (those starting with '#').
std::vector<std::string> data_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] != '#') lines.push_back(line);
    }
    return lines;
}

TEST_F(SampleReplayTest, FactorStreamMatchesTheGoldenFingerprint) {
    // given the fingerprint of the whole factor stream of this build
    const std::string actual = stream().render();
    const std::filesystem::path golden_path = SIGRUN_GOLDEN_FACTORS_FILE;

    if (const char* update = std::getenv("SIGRUN_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
        std::filesystem::create_directories(golden_path.parent_path());
        std::ofstream out(golden_path, std::ios::trunc);
        out << "# Fingerprint of the factor stream of the committed sample (examples/data) replayed\n"
               "# through ofi {levels 5, window_events 100}, microprice {levels 5} and trade_flow\n"
               "# {window_events 200}: count, FNV-1a 64 over (engine, factor, instrument, value bits,\n"
               "# source_sequence) of every factor in journal order, then the last value per factor.\n"
               "# Every build (default, zero-copy, sanitizers, valgrind) must reproduce it exactly.\n"
               "# Generated by tests/runner/runner_replay_test.cpp with SIGRUN_UPDATE_GOLDEN=1.\n"
            << actual;
        ADD_FAILURE() << "SIGRUN_UPDATE_GOLDEN=1: wrote " << golden_path << "; run again without it";
        return;
    }

    // when compared with the committed golden file
    ASSERT_TRUE(std::filesystem::exists(golden_path))
        << "golden file " << golden_path << " is missing; generate it with SIGRUN_UPDATE_GOLDEN=1";
    const std::vector<std::string> expected_lines = data_lines(read_text(golden_path));
    const std::vector<std::string> actual_lines = data_lines(actual);

    // then it is identical, line by line; a mismatch says which lines differ
    std::string diff;
    const std::size_t n = std::max(expected_lines.size(), actual_lines.size());
    for (std::size_t i = 0; i < n; ++i) {
        const std::string e = i < expected_lines.size() ? expected_lines[i] : "(no line)";
        const std::string a = i < actual_lines.size() ? actual_lines[i] : "(no line)";
        if (e != a) diff += "  golden: " + e + "\n  actual: " + a + "\n";
    }
    EXPECT_TRUE(diff.empty()) << "the factor stream differs from " << golden_path
                              << " (this build publishes other factor values than the build that generated "
                                 "it; if the change is intended, regenerate it from the release build with "
                                 "SIGRUN_UPDATE_GOLDEN=1):\n"
                              << diff;
}

}  // namespace
}  // namespace sigrun::runner
