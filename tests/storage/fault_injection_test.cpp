// I/O fault injection, in the style of SQLite's tests: a run of `sigrun`
// under fault_shim.c makes K counted calls (open, mmap, fallocate, write,
// ftruncate, rename, link in its journal dir); then it is run K more times,
// the N-th call failing in run N. Every run must end with exit 0, or exit 1
// and one "sigrun: " line naming the problem — never a signal — and leave
// no temporary file, no private plugin copy and no journal that does not
// read back intact. Twice: creating the journals, and reopening them.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage_support.hpp"
#include "temp_dir.hpp"

namespace {

using json = nlohmann::json;
using sigrun::testing::spawn_tool;
using sigrun::testing::files_containing;
using sigrun::testing::journal_damage;
using sigrun::testing::lines_of;
using sigrun::testing::TempDir;
using ::testing::IsEmpty;
using ::testing::StartsWith;

namespace fs = std::filesystem;

class FaultInjection : public ::testing::Test {
protected:
    fs::path journal_dir() const { return dir_ / "journal"; }

    void SetUp() override {
        const json config{{"journal",
                           {{"dir", journal_dir().string()},
                            {"md", {{"capacity", 256}, {"slot_size", 512}}},
                            {"signals", {{"capacity", 1024}, {"slot_size", 512}}}}},
                          {"source", {{"kind", "synthetic"}, {"events", 300}}},
                          {"engines", {{{"name", "ofi"}, {"library", SIGRUN_OFI_PLUGIN}}}},
                          {"hot_swap", {{"watch", false}}},
                          {"output", {{"print_factors", 0}}}};
        config_ = dir_ / "runner.json";
        std::ofstream(config_) << config.dump(2) << '\n';
    }

    // One run; fail_at 0 fails nothing. Returns the exit code.
    int run(long fail_at, std::string& err) {
        std::map<std::string, std::string> env{{"LD_PRELOAD", SIGRUN_FAULT_SHIM},
                                               {"SIGRUN_FAULT_PATH", journal_dir().string()},
                                               {"SIGRUN_FAULT_COUNT", (dir_ / "count.txt").string()},
                                               {"ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1:halt_on_error=1"}};
        if (fail_at > 0) env["SIGRUN_FAULT_AT"] = std::to_string(fail_at);
        const auto p = spawn_tool(SIGRUN_EXE, {"--config", config_.string()}, dir_.path(), "run", std::move(env));
        const int code = p->wait().shell_code();
        err = p->err();
        return code;
    }

    long counted_calls() const {
        std::ifstream in(dir_ / "count.txt");
        long n = 0;
        in >> n;
        return n;
    }

    // Runs once clean to count, then once per call with that call failing.
    // `fresh`: the journal dir is removed before every run (the create path);
    // otherwise the journals of a clean run are there (the reopen path).
    void every_call_fails_once(bool fresh) {
        auto prepare = [&] {
            fs::remove_all(journal_dir());
            if (fresh) return;
            std::string err;
            ASSERT_EQ(run(0, err), 0) << err;
        };
        prepare();
        std::string err;
        ASSERT_EQ(run(0, err), 0) << err;
        const long calls = counted_calls();
        ASSERT_GE(calls, fresh ? 8 : 4) << "the shim counted too few calls: is it preloaded?";
        int failed_runs = 0;
        for (long n = 1; n <= calls; ++n) {
            prepare();
            const int code = run(n, err);
            SCOPED_TRACE("call " + std::to_string(n) + " of " + std::to_string(calls) + " failed; stderr:\n" + err);
            ASSERT_TRUE(code == 0 || code == 1) << "exit " << code << " (128 + a signal means a crash)";
            if (code == 1) {
                ++failed_runs;
                const auto lines = lines_of(err);
                ASSERT_FALSE(lines.empty());
                EXPECT_THAT(lines.back(), StartsWith("sigrun: "));
                EXPECT_GT(lines.back().size(), 30u) << "a line that says what and how to fix it";
            }
            EXPECT_THAT(files_containing(journal_dir(), ".creating."), IsEmpty());
            EXPECT_THAT(files_containing(journal_dir() / ".plugins", ".so"), IsEmpty());
            EXPECT_EQ(journal_damage(journal_dir() / "md.journal"), "");
            EXPECT_EQ(journal_damage(journal_dir() / "signals.journal"), "");
        }
        EXPECT_GT(failed_runs, 0) << "no injected fault was ever noticed";
        RecordProperty("counted_calls", static_cast<int>(calls));
        RecordProperty("failed_runs", failed_runs);
    }

    TempDir dir_;
    fs::path config_;
};

TEST_F(FaultInjection, EveryCallOfACreatingRunFailsOnceCleanly) { every_call_fails_once(true); }

TEST_F(FaultInjection, EveryCallOfAReopeningRunFailsOnceCleanly) { every_call_fails_once(false); }

}  // namespace
