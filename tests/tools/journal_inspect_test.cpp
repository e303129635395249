// sigrun-journal (tools/journal_inspect): info and dump on journals written
// here, every error as one stderr line and an exit code, and the file left
// byte for byte as it was.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "child_command.hpp"
#include "inspect.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/messages.h"
#include "temp_dir.hpp"

extern char** environ;

namespace sigrun::inspect {
namespace {

using journal::Geometry;
using journal::Writer;
using journal::WriterOptions;
using testing::read_file_bytes;
using testing::TempDir;
using testing::write_file_bytes;

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

// Runs sigrun-journal with `args`, stdout and stderr captured in files.
class Tool {
public:
    explicit Tool(const TempDir& dir)
        : out_(dir / "tool.out"), err_(dir / "tool.err"), valgrind_log_(dir / "tool.valgrind") {}

    pid_t start(const std::vector<std::string>& args) const {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<std::string> owned = testing::child_command(SIGRUN_JOURNAL_TOOL, args, valgrind_log_);
        std::vector<char*> argv;
        for (auto& a : owned) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, owned.front().c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
        return pid;
    }

    // Waits for `pid`; a process still running after a minute is killed and
    // reported as exit code -1 (a hang, not a timing assertion).
    RunResult wait(pid_t pid) const {
        int status = 0;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
        while (::waitpid(pid, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &status, 0);
                return {-1, read_file_bytes(out_), read_file_bytes(err_)};
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        // In the memcheck build a valgrind report on the tool fails the test.
        EXPECT_EQ(testing::child_memcheck_report(code, valgrind_log_), "");
        return {code, read_file_bytes(out_), read_file_bytes(err_)};
    }

    RunResult run(const std::vector<std::string>& args) const { return wait(start(args)); }

private:
    std::filesystem::path out_;
    std::filesystem::path err_;
    std::filesystem::path valgrind_log_;
};

std::vector<std::byte> bytes_of(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    return {b, b + n};
}

sigrun_depth make_depth() {
    sigrun_depth d{};
    std::strncpy(d.instrument, "BTCUSDT", sizeof d.instrument);
    std::strncpy(d.exchange, "binance-spot", sizeof d.exchange);
    d.bid_price[0] = 43000.5;
    d.bid_size[0] = 1.25;
    d.ask_price[0] = 43000.75;
    d.ask_size[0] = 0.5;
    return d;
}

sigrun_trade make_trade() {
    sigrun_trade t{};
    std::strncpy(t.instrument, "ETHUSDT", sizeof t.instrument);
    std::strncpy(t.exchange, "binance-spot", sizeof t.exchange);
    t.price = 2250.25;
    t.size = 0.5;
    t.aggressor_side = SIGRUN_SIDE_SELL;
    return t;
}

// A factor frame of two values, as the runner writes one per engine call.
std::vector<std::byte> make_factor_batch() {
    sigrun_factor_batch header{};
    std::strncpy(header.engine, "ofi", sizeof header.engine);
    header.source_sequence = 42;
    header.count = 2;
    sigrun_factor_value values[2]{};
    std::strncpy(values[0].factor, "ofi_l1", sizeof values[0].factor);
    std::strncpy(values[0].instrument, "BTCUSDT", sizeof values[0].instrument);
    values[0].value = 0.25;
    std::strncpy(values[1].factor, "mlofi", sizeof values[1].factor);
    std::strncpy(values[1].instrument, "BTCUSDT", sizeof values[1].instrument);
    values[1].value = -1.5;
    std::vector<std::byte> bytes(sizeof header + sizeof values);
    std::memcpy(bytes.data(), &header, sizeof header);
    std::memcpy(bytes.data() + sizeof header, values, sizeof values);
    return bytes;
}

class JournalInspect : public ::testing::Test {
protected:
    TempDir dir;
    std::filesystem::path path = dir / "md.journal";
    WriterOptions options{Geometry{8, 512}, std::chrono::milliseconds(200)};
    Tool tool{dir};

    // Frames whose payload is 16 bytes derived from the sequence, msg type 7.
    static void write_plain(Writer& w, int frames) {
        for (int i = 0; i < frames; ++i) {
            std::vector<std::byte> p(16, static_cast<std::byte>(w.last_sequence() + 1));
            w.write(7, p);
        }
    }

    void write_closed_journal(int frames) {
        Writer w(path, options);
        write_plain(w, frames);
    }

    static std::vector<std::string> lines_of(const std::string& s) {
        std::vector<std::string> lines;
        std::size_t start = 0;
        for (std::size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1) {
            lines.push_back(s.substr(start, nl - start));
        }
        return lines;
    }

    static void expect_one_error_line(const RunResult& r, int exit_code, const std::string& names) {
        EXPECT_EQ(r.exit_code, exit_code) << r.err;
        EXPECT_EQ(count_lines(r.err), 1u) << r.err;
        EXPECT_EQ(r.err.rfind("sigrun-journal: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find(names), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
};

TEST_F(JournalInspect, Info_ReportsGeometrySequencesAndFrames) {
    write_closed_journal(5);
    const RunResult r = tool.run({"info", path.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_NE(r.out.find("8 slots x 512 bytes (448 payload bytes max)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("last sequence  5\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("oldest         1\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("5 present of 5"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("pinned slots   0\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("owner pid      none"), std::string::npos) << r.out;
}

TEST_F(JournalInspect, Info_ShowsTheLiveWriterAsOwner) {
    Writer w(path, options);
    write_plain(w, 1);
    const RunResult r = tool.run({"info", path.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(fmt::format("owner pid      {} (running)", ::getpid())), std::string::npos)
        << r.out;
}

TEST_F(JournalInspect, ReadInfo_CountsWrappedFramesAndPinnedSlots) {
    Writer w(path, options);
    write_plain(w, 12);  // capacity 8: frames 5..12 remain
    journal::Reader pinning(w.mapping());
    const journal::InPlaceRead held = pinning.next_in_place();
    ASSERT_EQ(held.status, journal::ReadStatus::frame);
    journal::Pins(w.mapping()).add(held.slot);

    const JournalInfo info = read_info(*journal::Mapping::open_read_only(path));
    EXPECT_EQ(info.last_sequence, 12u);
    EXPECT_EQ(info.oldest, 5u);
    EXPECT_EQ(info.frames_present, 8u);
    EXPECT_EQ(info.pinned_slots, 1u);
    EXPECT_EQ(info.owner_pid, ::getpid());
}

TEST_F(JournalInspect, Dump_PrintsOneDecodedLinePerFrame) {
    {
        Writer w(path, options);
        w.write_message(SIGRUN_MSG_DEPTH, make_depth());
        w.write_message(SIGRUN_MSG_TRADE, make_trade());
        w.write(SIGRUN_MSG_FACTOR_BATCH, make_factor_batch());
        const unsigned char odd[3] = {0x0a, 0x0b, 0x0c};
        w.write(7, std::as_bytes(std::span(odd)));
    }
    const RunResult r = tool.run({"dump", path.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 4u) << r.out;
    EXPECT_NE(lines[0].find("1  depth"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("BTCUSDT binance-spot bid 43000.5 x 1.25 ask 43000.75 x 0.5"),
              std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("2  trade"), std::string::npos) << lines[1];
    EXPECT_NE(lines[1].find("ETHUSDT binance-spot price 2250.25 size 0.5 side sell"),
              std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find("3  factors"), std::string::npos) << lines[2];
    EXPECT_NE(lines[2].find("engine ofi source_seq 42: ofi_l1 BTCUSDT = 0.25, mlofi BTCUSDT = -1.5"),
              std::string::npos) << lines[2];
    EXPECT_NE(lines[3].find("4  type 7"), std::string::npos) << lines[3];
    EXPECT_NE(lines[3].find("len 3 hex 0a0b0c"), std::string::npos) << lines[3];
}

TEST_F(JournalInspect, Dump_FromAndCountSelectFrames) {
    write_closed_journal(7);
    const RunResult r = tool.run({"dump", path.string(), "--from", "3", "--count", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0].rfind("         3  type 7", 0), 0u) << lines[0];
    EXPECT_EQ(lines[1].rfind("         4  type 7", 0), 0u) << lines[1];
}

TEST_F(JournalInspect, Dump_ReportsFramesAlreadyOverwrittenBeforeFrom) {
    write_closed_journal(12);  // capacity 8: frames 1..4 are gone
    const RunResult r = tool.run({"dump", path.string(), "--from", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 9u) << r.out;
    EXPECT_EQ(lines[0], "# 4 frame(s) lost: overwritten by the writer before they were read");
    EXPECT_EQ(lines[1].rfind("         5  type 7", 0), 0u) << lines[1];
    EXPECT_EQ(lines[8].rfind("        12  type 7", 0), 0u) << lines[8];
}

TEST_F(JournalInspect, Dump_FollowPrintsFramesWrittenAfterItStarted) {
    Writer w(path, options);
    write_plain(w, 1);
    const pid_t pid = tool.start({"dump", path.string(), "--follow", "--count", "3"});
    write_plain(w, 2);
    const RunResult r = tool.wait(pid);
    ASSERT_EQ(r.exit_code, 0) << "dump --follow --count 3 did not finish: " << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 3u) << r.out;
    EXPECT_EQ(lines[2].rfind("         3  type 7", 0), 0u) << lines[2];
}

TEST_F(JournalInspect, InfoAndDump_LeaveTheFileByteForByteUnchanged) {
    write_closed_journal(12);
    const std::string before = read_file_bytes(path);
    EXPECT_EQ(tool.run({"info", path.string()}).exit_code, 0);
    EXPECT_EQ(tool.run({"dump", path.string()}).exit_code, 0);
    EXPECT_EQ(tool.run({"dump", path.string(), "--from", "6", "--count", "1"}).exit_code, 0);
    EXPECT_TRUE(read_file_bytes(path) == before) << "sigrun-journal changed the journal file";
}

TEST_F(JournalInspect, InfoAndDump_WorkBesideALiveWriterWithoutTakingItsLock) {
    Writer w(path, options);
    write_plain(w, 3);
    const std::string before = read_file_bytes(path);
    EXPECT_EQ(tool.run({"info", path.string()}).exit_code, 0);
    const RunResult r = tool.run({"dump", path.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out).size(), 3u);
    EXPECT_TRUE(read_file_bytes(path) == before) << "sigrun-journal changed the journal file";
    write_plain(w, 1);  // the writer is unaffected
    EXPECT_EQ(w.last_sequence(), 4u);
}

TEST_F(JournalInspect, MissingFile_IsOneLineAndExitCode4) {
    const auto missing = (dir / "nope.journal").string();
    for (const char* sub : {"info", "dump", "stats"}) {
        expect_one_error_line(tool.run({sub, missing}), 4, missing);
    }
    expect_one_error_line(tool.run({"export", missing, "--format", "csv", "--out", (dir / "x.csv").string()}),
                          4, missing);
    EXPECT_FALSE(std::filesystem::exists(dir / "x.csv"));
}

TEST_F(JournalInspect, NotAJournal_IsOneLineAndExitCode3) {
    write_file_bytes(path, std::string(8192, 'x'));
    const std::string before = read_file_bytes(path);
    for (const char* sub : {"info", "dump", "stats"}) {
        expect_one_error_line(tool.run({sub, path.string()}), 3, "is not a sigrun journal");
    }
    expect_one_error_line(tool.run({"dump", path.string(), "--json"}), 3, "is not a sigrun journal");
    expect_one_error_line(
        tool.run({"export", path.string(), "--format", "jsonl", "--out", (dir / "x.jsonl").string()}), 3,
        "is not a sigrun journal");
    EXPECT_FALSE(std::filesystem::exists(dir / "x.jsonl"));
    EXPECT_TRUE(read_file_bytes(path) == before);
}

TEST_F(JournalInspect, OtherFormatVersion_IsOneLineAndExitCode3) {
    write_closed_journal(1);
    std::string bytes = read_file_bytes(path);
    bytes[8] = 1;  // format_version (u32 at offset 8, little endian): 2 -> 1
    write_file_bytes(path, bytes);
    expect_one_error_line(tool.run({"stats", path.string()}), 3, "format 1");
    expect_one_error_line(tool.run({"dump", path.string()}), 3, "format 1");
}

TEST_F(JournalInspect, TruncatedJournal_IsOneLineAndExitCode3) {
    write_closed_journal(2);
    std::string bytes = read_file_bytes(path);
    bytes.resize(bytes.size() / 2);
    write_file_bytes(path, bytes);
    expect_one_error_line(tool.run({"info", path.string()}), 3, "truncated");
    expect_one_error_line(tool.run({"stats", path.string()}), 3, "truncated");
}

TEST_F(JournalInspect, Directory_IsOneLineAndExitCode4) {
    expect_one_error_line(tool.run({"info", dir.path().string()}), 4, dir.path().string());
    expect_one_error_line(tool.run({"stats", dir.path().string()}), 4, dir.path().string());
}

class JournalInspectUsage : public JournalInspect,
                            public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(JournalInspectUsage, BadArguments_AreOneLineAndExitCode2) {
    write_closed_journal(1);
    std::vector<std::string> args = GetParam();
    for (auto& a : args) {
        if (a == "FILE") a = path.string();
    }
    expect_one_error_line(tool.run(args), 2, "sigrun-journal --help");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JournalInspectUsage,
    ::testing::Values(std::vector<std::string>{},                                // no subcommand
                      std::vector<std::string>{"show", "FILE"},                  // unknown subcommand
                      std::vector<std::string>{"info"},                          // no file
                      std::vector<std::string>{"dump"},                          // no file
                      std::vector<std::string>{"dump", "FILE", "--from", "abc"}, // not a number
                      std::vector<std::string>{"dump", "FILE", "--from", "0"},   // sequences start at 1
                      std::vector<std::string>{"dump", "FILE", "--count", "0"},
                      std::vector<std::string>{"dump", "FILE", "--count", "99999999999999999999999"},
                      std::vector<std::string>{"dump", "FILE", "--bogus"},
                      std::vector<std::string>{"info", "FILE", "extra"}));

TEST(JournalInspectFormat, FormatTime_IsUtcWithNanoseconds) {
    EXPECT_EQ(format_time(1'700'000'000'123'456'789), "2023-11-14T22:13:20.123456789Z");
    EXPECT_EQ(format_time(0), "-");
}

TEST(JournalInspectFormat, Summarize_FallsBackToHexForAShortKnownPayload) {
    const auto depth = make_depth();
    EXPECT_EQ(summarize(SIGRUN_MSG_DEPTH, bytes_of(&depth, 20)),
              "len 20 (too short for a depth) hex 42544355534454000000000000000000..");
}

TEST(JournalInspectFormat, Summarize_ShowsAnEmptyBookSideAsDash) {
    sigrun_depth d = make_depth();
    d.ask_price[0] = 0;
    d.ask_size[0] = 0;
    EXPECT_EQ(summarize(SIGRUN_MSG_DEPTH, bytes_of(&d, sizeof d)),
              "BTCUSDT binance-spot bid 43000.5 x 1.25 ask -");
}

}  // namespace
}  // namespace sigrun::inspect
