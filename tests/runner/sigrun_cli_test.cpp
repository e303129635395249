// The `sigrun` executable as a user runs it: spawned with real arguments,
// its exit code, stdout and stderr checked. Exit codes (runner/src/main.cpp):
// 0 a clean run, 1 a run that failed or could not start (one line on
// stderr), 2 bad command-line arguments.
#include <signal.h>

#include <chrono>
#include <functional>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sigrun_test_plugins.hpp>

#include "sigrun/journal/error.hpp"
#include "sigrun/journal/reader.hpp"
#include "spawned_process.hpp"
#include "temp_dir.hpp"
#include "text.hpp"

namespace {

using json = nlohmann::json;
using sigrun::testing::lines_of;
using sigrun::testing::read_text;
using sigrun::testing::SpawnedProcess;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// One spawned `sigrun args...`, its stdout and stderr in files of `dir`.
std::unique_ptr<SpawnedProcess> start_sigrun(const std::vector<std::string>& args, const std::filesystem::path& dir) {
    return sigrun::testing::spawn_tool(SIGRUN_EXE, args, dir, "sigrun");
}

// Size and modification time of a file: what "untouched" means here.
struct FileStamp {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
    std::string bytes_hash;
    bool operator==(const FileStamp&) const = default;
};

FileStamp stamp(const std::filesystem::path& path) {
    return {std::filesystem::file_size(path), std::filesystem::last_write_time(path),
            std::to_string(std::hash<std::string>{}(read_text(path)))};
}

std::filesystem::path examples_file(const char* name) {
    return std::filesystem::path(SIGRUN_EXAMPLES_DATA_DIR) / name;
}

class SigrunCliTest : public ::testing::Test {
protected:
    // True once the run's md.journal holds a frame; false if `p` ended or
    // 60 s passed (bounded: a broken runner fails the test, not hangs it).
    bool wait_for_first_frame(const SpawnedProcess& p) const {
        const auto md = dir_ / "journal" / "md.journal";
        for (int i = 0; i < 600 && p.running(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (!std::filesystem::exists(md)) continue;
            try {
                if (sigrun::journal::Reader(md).last_published() > 0) return true;
            } catch (const sigrun::journal::JournalError&) {
                // the writer is still creating the file
            }
        }
        return false;
    }

    void SetUp() override {
        for (const auto* name : {"spot_btcusdt_book20.csv.gz", "spot_btcusdt_trades.csv.gz"}) {
            data_files_.push_back(examples_file(name));
            data_stamps_.push_back(stamp(data_files_.back()));
        }
    }

    // A valid replay config in the temp dir; tests break one thing in it.
    [[nodiscard]] json replay_config() const {
        return json{
            {"journal", {{"dir", (dir_ / "journal").string()}}},
            {"source",
             {{"kind", "replay"}, {"files", {data_files_[0].string(), data_files_[1].string()}}}},
            {"engines", {{{"name", "ofi"}, {"library", SIGRUN_OFI_PLUGIN}}}},
            {"hot_swap", {{"watch", false}}},
        };
    }

    std::filesystem::path write_config(const json& document, const std::string& name = "runner.json") const {
        const auto path = dir_ / name;
        std::ofstream(path) << document.dump(2) << '\n';
        return path;
    }

    void expect_data_untouched() const {
        for (std::size_t i = 0; i < data_files_.size(); ++i) {
            EXPECT_TRUE(stamp(data_files_[i]) == data_stamps_[i]) << data_files_[i] << " changed";
        }
    }

    // Runs sigrun to the end; `code`, `out`, `err` hold what it did.
    void run(const std::vector<std::string>& args) {
        const auto p = start_sigrun(args, dir_.path());
        code_ = p->wait().shell_code();
        out_ = p->out();
        err_ = p->err();
    }

    sigrun::testing::TempDir dir_;
    std::vector<std::filesystem::path> data_files_;
    std::vector<FileStamp> data_stamps_;
    int code_ = -1;
    std::string out_, err_;
};

// ---- a clean run ----

TEST_F(SigrunCliTest, DemoConfigRunsToTheEndExitsZeroAndPrintsTheSummary) {
    // given the demo config generated for this build
    ASSERT_TRUE(std::filesystem::exists(SIGRUN_DEMO_CONFIG)) << SIGRUN_DEMO_CONFIG;
    // and a fresh journal, as tools/demo.sh does (with the last run's journal
    // and consumer cursor it would resume at the end: nothing left to feed)
    std::filesystem::remove_all(std::filesystem::path(SIGRUN_DEMO_CONFIG).parent_path() / "journal");
    // when run
    run({"--config", SIGRUN_DEMO_CONFIG});
    // then it exits 0 and prints the summary, nothing left pinned
    EXPECT_EQ(code_, 0) << "stderr:\n" << err_;
    EXPECT_THAT(out_, HasSubstr("=== sigrun summary"));
    EXPECT_THAT(out_, HasSubstr("frames dispatched depth=1793 trade=3222 rejected=0 lost=0"));
    EXPECT_THAT(out_, HasSubstr("frames pinned at exit 0\n"));
    EXPECT_THAT(out_, AllOf(HasSubstr("ofi"), HasSubstr("microprice"), HasSubstr("trade_flow")));
    EXPECT_THAT(out_, Not(HasSubstr("run failed")));
    expect_data_untouched();
}

TEST_F(SigrunCliTest, CheckConfigLoadsTheEnginesAndExitsZeroWithoutRunning) {
    const auto config = write_config(replay_config());
    run({"--check-config", "--config", config.string()});
    EXPECT_EQ(code_, 0) << "stderr:\n" << err_;
    EXPECT_THAT(out_, HasSubstr("is valid; 1 engine(s) loaded and created"));
    EXPECT_THAT(out_, Not(HasSubstr("=== sigrun summary")));
}

// ---- bad command lines: exit 2, one line ----

TEST_F(SigrunCliTest, NoArgumentsExitsTwoWithOneLineNamingTheMissingOption) {
    run({});
    EXPECT_EQ(code_, 2);
    EXPECT_THAT(lines_of(err_), SizeIs(1)) << err_;
    EXPECT_THAT(err_, HasSubstr("--config"));
}

TEST_F(SigrunCliTest, UnknownFlagExitsTwoWithOneLineNamingTheFlag) {
    run({"--config", SIGRUN_DEMO_CONFIG, "--turbo"});
    EXPECT_EQ(code_, 2);
    EXPECT_THAT(lines_of(err_), SizeIs(1)) << err_;
    EXPECT_THAT(err_, HasSubstr("--turbo"));
    EXPECT_THAT(out_, IsEmpty());
}

TEST_F(SigrunCliTest, HelpExitsZeroAndDescribesConfig) {
    run({"--help"});
    EXPECT_EQ(code_, 0);
    EXPECT_THAT(out_, HasSubstr("--config"));
}

// ---- runs that cannot start: exit 1, one line naming the thing ----

TEST_F(SigrunCliTest, MissingConfigFileExitsOneWithOneLineNamingTheFile) {
    const auto missing = dir_ / "nowhere.json";
    run({"--config", missing.string()});
    EXPECT_EQ(code_, 1);
    ASSERT_THAT(lines_of(err_), SizeIs(1)) << err_;
    EXPECT_THAT(err_, AllOf(HasSubstr(missing.string()), HasSubstr("no such file")));
    EXPECT_THAT(out_, IsEmpty());
    expect_data_untouched();
}

TEST_F(SigrunCliTest, UnknownConfigKeyExitsOneWithOneLineNamingTheJsonPath) {
    json document = replay_config();
    document["engines"][0]["libary"] = "typo";
    const auto config = write_config(document);
    run({"--config", config.string()});
    EXPECT_EQ(code_, 1);
    ASSERT_THAT(lines_of(err_), SizeIs(1)) << err_;
    EXPECT_THAT(err_, AllOf(HasSubstr(config.string()), HasSubstr("$.engines[0].libary"), HasSubstr("not a known key")));
    EXPECT_THAT(out_, IsEmpty());
    // rejected before anything was created
    EXPECT_FALSE(std::filesystem::exists(dir_ / "journal"));
    expect_data_untouched();
}

TEST_F(SigrunCliTest, WrongAbiPluginExitsOneWithOneLineNamingTheLibraryAndBothVersions) {
    json document = replay_config();
    document["engines"][0]["library"] = sigrun::test_plugins::wrong_abi;
    const auto config = write_config(document);
    run({"--config", config.string()});
    EXPECT_EQ(code_, 1);
    ASSERT_THAT(lines_of(err_), SizeIs(1)) << err_;
    EXPECT_THAT(err_, AllOf(HasSubstr(sigrun::test_plugins::wrong_abi), HasSubstr("built for sigrun ABI"),
                            HasSubstr("this runner speaks ABI")));
    EXPECT_THAT(out_, IsEmpty());
    expect_data_untouched();
    // no private copy of the refused library is left behind
    std::error_code ec;
    EXPECT_TRUE(std::filesystem::is_empty(dir_ / "journal" / ".plugins", ec) || ec) << "private copy left";
}

TEST_F(SigrunCliTest, InvalidJsonExitsOneWithOneLineNamingTheFile) {
    const auto config = dir_ / "broken.json";
    std::ofstream(config) << "{ \"journal\": { \"dir\": \"j\" }\n";
    run({"--config", config.string()});
    EXPECT_EQ(code_, 1);
    ASSERT_THAT(lines_of(err_), SizeIs(1)) << err_;
    EXPECT_THAT(err_, AllOf(HasSubstr(config.string()), HasSubstr("is not valid JSON")));
}

// ---- SIGTERM drains and exits cleanly ----

TEST_F(SigrunCliTest, SigtermDuringALongRunExitsZeroAndPrintsTheSummary) {
    // given a synthetic run far longer than the test
    json document = replay_config();
    document["source"] = {{"kind", "synthetic"}, {"seed", 1}, {"events", 50'000'000}};
    const auto config = write_config(document);
    const auto p = start_sigrun({"--config", config.string()}, dir_.path());

    // when the journal shows frames
    ASSERT_TRUE(wait_for_first_frame(*p)) << "no frame in md.journal after 60 s; stderr:\n" << p->err();
    ASSERT_TRUE(p->running()) << "sigrun ended before SIGTERM; stdout:\n" << p->out();
    // and SIGTERM arrives
    p->signal(SIGTERM);
    const int code = p->wait().shell_code();

    // then it drains, exits 0 and prints the summary with nothing pinned
    const std::string out = p->out();
    EXPECT_EQ(code, 0) << "stderr:\n" << p->err();
    EXPECT_THAT(out, HasSubstr("=== sigrun summary"));
    EXPECT_THAT(out, HasSubstr("frames pinned at exit 0\n"));
    EXPECT_THAT(out, HasSubstr("lost=0"));
    EXPECT_THAT(p->err(), HasSubstr("SIGTERM received"));
}

TEST_F(SigrunCliTest, SigintDuringALongRunExitsZeroAndPrintsTheSummary) {
    json document = replay_config();
    document["source"] = {{"kind", "synthetic"}, {"seed", 2}, {"events", 50'000'000}};
    const auto config = write_config(document);
    const auto p = start_sigrun({"--config", config.string()}, dir_.path());
    ASSERT_TRUE(wait_for_first_frame(*p)) << "no frame in md.journal after 60 s; stderr:\n" << p->err();
    p->signal(SIGINT);
    EXPECT_EQ(p->wait().shell_code(), 0) << "stderr:\n" << p->err();
    EXPECT_THAT(p->out(), AllOf(HasSubstr("=== sigrun summary"), HasSubstr("frames pinned at exit 0\n")));
}

}  // namespace

// ---- sigrun inspect LIB.so: exit 0 loads, 1 refused, 3 not a plugin ----

namespace {

// The verdict this runner must give each test plugin.
int expected_inspect_code(const std::string& library) {
    const std::string file = std::filesystem::path(library).filename().string();
    if (file == "libnot_a_library.so") return 3;
    if (file == "libwrong_abi.so" || file == "libmissing_on_data.so" || file == "libbad_plugin_id.so") return 1;
#if !SIGRUN_ZERO_COPY
    if (file == "libframe_ref_handoff.so") return 1;
#endif
    return 0;
}

}  // namespace

TEST_F(SigrunCliTest, InspectGivesEveryTestPluginItsVerdict) {
    for (const char* library : sigrun::test_plugins::all) {
        run({"inspect", library});
        const int expected = expected_inspect_code(library);
        EXPECT_EQ(code_, expected) << library << "\nstdout:\n" << out_ << "stderr:\n" << err_;
        if (expected == 3) {
            EXPECT_THAT(lines_of(err_), SizeIs(1)) << err_;
            EXPECT_THAT(err_, AllOf(HasSubstr(library), HasSubstr("not a plugin")));
            continue;
        }
        EXPECT_THAT(out_, AllOf(HasSubstr("library        " + std::string(library)), HasSubstr("abi            "),
                                HasSubstr("exports        "), HasSubstr("unique symbols none"),
                                HasSubstr(expected == 0 ? "verdict        loads into this runner"
                                                        : "verdict        refused: ")))
            << library;
    }
}

TEST_F(SigrunCliTest, InspectShowsIdentityTypesAndStateOfAShippedPlugin) {
    run({"inspect", SIGRUN_OFI_PLUGIN});
    EXPECT_EQ(code_, 0) << err_;
    EXPECT_THAT(out_, AllOf(HasSubstr("plugin id      org.sigrun.ofi\n"), HasSubstr("name           ofi\n"),
                            HasSubstr("version        0.1.0\n"), HasSubstr("abi            1.3 (this runner: 1.3)\n"),
                            HasSubstr("state version  0 (no state carried)\n"),
                            HasSubstr("message types  depth (101)\n"),
                            HasSubstr("exports        "), Not(HasSubstr("not signal_*")),
                            HasSubstr("stays mapped   nothing in the file keeps it")));
    std::printf("%s", out_.c_str());
}

TEST_F(SigrunCliTest, InspectNamesWhyABadPluginIsRefused) {
    run({"inspect", sigrun::test_plugins::wrong_abi});
    EXPECT_EQ(code_, 1);
    EXPECT_THAT(out_, HasSubstr("this runner speaks ABI 1.3; rebuild the plugin against this SDK"));
    run({"inspect", sigrun::test_plugins::bad_plugin_id});
    EXPECT_EQ(code_, 1);
    EXPECT_THAT(out_, AllOf(HasSubstr("plugin id      Bad Plugin Id"), HasSubstr("verdict        refused: "),
                            HasSubstr("has the character 'B'")));
    std::printf("%s", out_.c_str());
    run({"inspect", sigrun::test_plugins::c_abi_1_0});
    EXPECT_EQ(code_, 0);
    EXPECT_THAT(out_, AllOf(HasSubstr("plugin id      (none: identified by its name)"),
                            HasSubstr("message types  every type (declares none)")));
}

TEST_F(SigrunCliTest, InspectWithoutALibraryExitsTwo) {
    run({"inspect"});
    EXPECT_EQ(code_, 2);
    EXPECT_THAT(lines_of(err_), SizeIs(1)) << err_;
    run({"inspect", (dir_ / "missing.so").string()});
    EXPECT_EQ(code_, 3);
    EXPECT_THAT(err_, HasSubstr("no such file"));
}
