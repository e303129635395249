// sigrun-journal (tools/journal_inspect): info and dump on journals written
// here, every error as one stderr line and an exit code, and the file left
// byte for byte as it was.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inspect.hpp"
#include "rows.hpp"
#include "sigrun/factor_batch.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/messages.h"
#include "spawned_process.hpp"
#include "temp_dir.hpp"
#include "text.hpp"

namespace sigrun::inspect {
namespace {

using journal::Geometry;
using journal::Writer;
using journal::WriterOptions;
using testing::lines_of;
using testing::read_file_bytes;
using testing::SpawnedProcess;
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
    explicit Tool(const TempDir& dir) : dir_(dir.path()) {}

    [[nodiscard]] std::unique_ptr<SpawnedProcess> start(const std::vector<std::string>& args) const {
        return testing::spawn_tool(SIGRUN_JOURNAL_TOOL, args, dir_, "tool");
    }

    // Waits for `p`; a process still running after a minute is killed, fails
    // the test and is reported as exit code -1 (a hang, not a timing assertion).
    static RunResult wait(SpawnedProcess& p) {
        const SpawnedProcess::Exit e = p.wait(std::chrono::minutes(1));
        return {e.exited ? e.code : -1, p.out(), p.err()};
    }

    [[nodiscard]] RunResult run(const std::vector<std::string>& args) const { return wait(*start(args)); }

private:
    std::filesystem::path dir_;
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
    const auto p = tool.start({"dump", path.string(), "--follow", "--count", "3"});
    write_plain(w, 2);
    const RunResult r = Tool::wait(*p);
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
    for (const char* sub : {"info", "dump", "stats", "verify"}) {
        expect_one_error_line(tool.run({sub, missing}), 4, missing);
    }
    expect_one_error_line(tool.run({"export", missing, "--format", "csv", "--out", (dir / "x.csv").string()}),
                          4, missing);
    EXPECT_FALSE(std::filesystem::exists(dir / "x.csv"));
}

TEST_F(JournalInspect, NotAJournal_IsOneLineAndExitCode2) {
    write_file_bytes(path, std::string(8192, 'x'));
    const std::string before = read_file_bytes(path);
    for (const char* sub : {"info", "dump", "stats", "verify"}) {
        expect_one_error_line(tool.run({sub, path.string()}), 2, "is not a sigrun journal");
    }
    expect_one_error_line(tool.run({"dump", path.string(), "--json"}), 2, "is not a sigrun journal");
    expect_one_error_line(
        tool.run({"export", path.string(), "--format", "jsonl", "--out", (dir / "x.jsonl").string()}), 2,
        "is not a sigrun journal");
    EXPECT_FALSE(std::filesystem::exists(dir / "x.jsonl"));
    EXPECT_TRUE(read_file_bytes(path) == before);
}

TEST_F(JournalInspect, OtherFormatVersion_IsOneLineAndExitCode2) {
    write_closed_journal(1);
    std::string bytes = read_file_bytes(path);
    bytes[8] = 1;  // format_version (u32 at offset 8, little endian): 2 -> 1
    write_file_bytes(path, bytes);
    expect_one_error_line(tool.run({"stats", path.string()}), 2, "format 1");
    expect_one_error_line(tool.run({"dump", path.string()}), 2, "format 1");
}

TEST_F(JournalInspect, TruncatedJournal_IsOneLineAndExitCode2) {
    write_closed_journal(2);
    std::string bytes = read_file_bytes(path);
    bytes.resize(bytes.size() / 2);
    write_file_bytes(path, bytes);
    expect_one_error_line(tool.run({"info", path.string()}), 2, "truncated");
    expect_one_error_line(tool.run({"stats", path.string()}), 2, "truncated");
}

TEST_F(JournalInspect, Directory_IsOneLineAndExitCode4) {
    expect_one_error_line(tool.run({"info", dir.path().string()}), 4, dir.path().string());
    expect_one_error_line(tool.run({"stats", dir.path().string()}), 4, dir.path().string());
}


// ---- dump --json / --csv, filters, stats, export --------------------------

constexpr std::int64_t kT0 = 1'714'564'800'000'000'000;  // 2024-05-01T12:00:00Z
constexpr std::int64_t kSecond = 1'000'000'000;

struct Value {
    const char* factor;
    const char* instrument;
    double value;
};

// One factor frame: `engine`'s call on md frame `source_sequence`.
std::vector<std::byte> make_batch(const char* engine, std::uint64_t source_sequence,
                                  std::initializer_list<Value> values) {
    sigrun_factor_batch header{};
    std::strncpy(header.engine, engine, sizeof header.engine);
    header.source_sequence = source_sequence;
    header.source_receive_time_ns = 111;
    header.publish_time_ns = 222;
    header.count = static_cast<std::uint32_t>(values.size());
    std::vector<std::byte> bytes(sigrun::factor_batch_bytes(header.count));
    std::memcpy(bytes.data(), &header, sizeof header);
    std::size_t at = sizeof header;
    for (const Value& v : values) {
        sigrun_factor_value fv{};
        std::strncpy(fv.factor, v.factor, sizeof fv.factor);
        std::strncpy(fv.instrument, v.instrument, sizeof fv.instrument);
        fv.value = v.value;
        std::memcpy(bytes.data() + at, &fv, sizeof fv);
        at += sizeof fv;
    }
    return bytes;
}

class JournalInspectRows : public JournalInspect {
protected:
    // md: 1 depth BTCUSDT, 2 trade ETHUSDT, 3 depth ETHUSDT, 4 trade BTCUSDT,
    // at kT0 + 0, 1, 2, 3 s, trigger_time = 10 + sequence.
    void write_md() {
        Writer w(path, options);
        sigrun_depth d = make_depth();
        d.exchange_time_ns = 5;
        d.receive_time_ns = 6;
        d.bid_price[1] = 43000.25;
        d.bid_size[1] = 2;
        w.write_message(SIGRUN_MSG_DEPTH, d, 11, kT0);
        sigrun_trade t = make_trade();
        t.trade_id = 987;
        t.exchange_time_ns = 7;
        t.receive_time_ns = 8;
        w.write_message(SIGRUN_MSG_TRADE, t, 12, kT0 + kSecond);
        std::strncpy(d.instrument, "ETHUSDT", sizeof d.instrument);
        w.write_message(SIGRUN_MSG_DEPTH, d, 13, kT0 + 2 * kSecond);
        std::strncpy(t.instrument, "BTCUSDT", sizeof t.instrument);
        t.aggressor_side = SIGRUN_SIDE_BUY;
        w.write_message(SIGRUN_MSG_TRADE, t, 14, kT0 + 3 * kSecond);
    }

    // signals: 1 ofi {ofi_l1 BTC 0.25, mlofi BTC -1.5, ofi_l1 ETH 2}, 2 mp {microprice BTC 43000.6},
    // 3 ofi {ofi_l1 BTC 0.5}, at kT0 + 0, 1, 2 s.
    void write_signals() {
        Writer w(path, options);
        w.write(SIGRUN_MSG_FACTOR_BATCH,
                make_batch("ofi", 1, {{"ofi_l1", "BTCUSDT", 0.25}, {"mlofi", "BTCUSDT", -1.5},
                                      {"ofi_l1", "ETHUSDT", 2.0}}),
                1, kT0);
        w.write(SIGRUN_MSG_FACTOR_BATCH, make_batch("mp", 2, {{"microprice", "BTCUSDT", 43000.6}}), 2,
                kT0 + kSecond);
        w.write(SIGRUN_MSG_FACTOR_BATCH, make_batch("ofi", 3, {{"ofi_l1", "BTCUSDT", 0.5}}), 3,
                kT0 + 2 * kSecond);
    }

    std::vector<nlohmann::json> json_lines(std::vector<std::string> args) {
        args.insert(args.begin(), {"dump", path.string(), "--json"});
        const RunResult r = tool.run(args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::vector<nlohmann::json> out;
        for (const auto& l : lines_of(r.out)) out.push_back(nlohmann::json::parse(l));
        return out;
    }

    std::vector<std::uint64_t> sequences(std::vector<std::string> args) {
        std::vector<std::uint64_t> seqs;
        for (const auto& j : json_lines(std::move(args))) seqs.push_back(j["sequence"]);
        return seqs;
    }
};

using Seqs = std::vector<std::uint64_t>;

TEST_F(JournalInspectRows, DumpJson_DecodesDepthAndTradeFrames) {
    write_md();
    const auto rows = json_lines({});
    ASSERT_EQ(rows.size(), 4u);
    const auto& d = rows[0];
    EXPECT_EQ(d["sequence"], 1);
    EXPECT_EQ(d["type"], "depth");
    EXPECT_EQ(d["msg_type"], 101);
    EXPECT_EQ(d["gen_time_ns"], kT0);
    EXPECT_EQ(d["gen_time"], "2024-05-01T12:00:00.000000000Z");
    EXPECT_EQ(d["trigger_time_ns"], 11);
    EXPECT_EQ(d["instrument"], "BTCUSDT");
    EXPECT_EQ(d["exchange"], "binance-spot");
    EXPECT_EQ(d["exchange_time_ns"], 5);
    EXPECT_EQ(d["receive_time_ns"], 6);
    EXPECT_EQ(d["bids"], nlohmann::json::parse("[[43000.5, 1.25], [43000.25, 2.0]]"));
    EXPECT_EQ(d["asks"], nlohmann::json::parse("[[43000.75, 0.5]]"));
    const auto& t = rows[1];
    EXPECT_EQ(t["type"], "trade");
    EXPECT_EQ(t["gen_time"], "2024-05-01T12:00:01.000000000Z");
    EXPECT_EQ(t["instrument"], "ETHUSDT");
    EXPECT_EQ(t["price"], 2250.25);
    EXPECT_EQ(t["size"], 0.5);
    EXPECT_EQ(t["trade_id"], 987);
    EXPECT_EQ(t["side"], "sell");
    EXPECT_EQ(t["exchange_time_ns"], 7);
    EXPECT_EQ(t["receive_time_ns"], 8);
    EXPECT_EQ(rows[3]["side"], "buy");
}

TEST_F(JournalInspectRows, DumpJson_GivesOneObjectPerFactorValueOfABatch) {
    write_signals();
    const auto rows = json_lines({});
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[0]["sequence"], 1);
    EXPECT_EQ(rows[1]["sequence"], 1);
    EXPECT_EQ(rows[2]["sequence"], 1);
    EXPECT_EQ(rows[0]["type"], "factors");
    EXPECT_EQ(rows[0]["engine"], "ofi");
    EXPECT_EQ(rows[0]["factor"], "ofi_l1");
    EXPECT_EQ(rows[0]["instrument"], "BTCUSDT");
    EXPECT_EQ(rows[0]["value"], 0.25);
    EXPECT_EQ(rows[1]["factor"], "mlofi");
    EXPECT_EQ(rows[1]["value"], -1.5);
    EXPECT_EQ(rows[2]["instrument"], "ETHUSDT");
    EXPECT_EQ(rows[2]["source_sequence"], 1);
    EXPECT_EQ(rows[2]["source_receive_time_ns"], 111);
    EXPECT_EQ(rows[2]["publish_time_ns"], 222);
    EXPECT_EQ(rows[2]["gen_time_ns"], kT0);
    EXPECT_EQ(rows[3]["engine"], "mp");
    EXPECT_EQ(rows[3]["value"], 43000.6);
}

TEST_F(JournalInspectRows, DumpCsv_MdFramesAreOneRowEachUnderOneHeader) {
    write_md();
    const RunResult r = tool.run({"dump", path.string(), "--csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 5u) << r.out;
    EXPECT_EQ(lines[0], csv_header(CsvLayout::md));
    EXPECT_EQ(lines[0].rfind("sequence,type,gen_time_ns,gen_time,trigger_time_ns,instrument,exchange,"
                             "exchange_time_ns,receive_time_ns,price,size,trade_id,side,bid_price_0,",
                             0),
              0u);
    EXPECT_EQ(lines[1].rfind(fmt::format("1,depth,{},2024-05-01T12:00:00.000000000Z,11,BTCUSDT,"
                                         "binance-spot,5,6,,,,,43000.5,1.25,43000.75,0.5,43000.25,2,0,0,",
                                         kT0),
                             0),
              0u) << lines[1];
    EXPECT_EQ(lines[2].rfind(fmt::format("2,trade,{},2024-05-01T12:00:01.000000000Z,12,ETHUSDT,"
                                         "binance-spot,7,8,2250.25,0.5,987,sell,",
                                         kT0 + kSecond),
                             0),
              0u) << lines[2];
    for (const auto& l : lines) EXPECT_EQ(std::count(l.begin(), l.end(), ','), 52) << l;
}

TEST_F(JournalInspectRows, DumpCsv_FactorFramesAreOneRowPerValue) {
    write_signals();
    const RunResult r = tool.run({"dump", path.string(), "--csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 6u) << r.out;
    EXPECT_EQ(lines[0], "sequence,type,gen_time_ns,gen_time,trigger_time_ns,engine,factor,instrument,"
                        "value,source_sequence,source_receive_time_ns,publish_time_ns");
    EXPECT_EQ(lines[1], fmt::format("1,factors,{},2024-05-01T12:00:00.000000000Z,1,ofi,ofi_l1,BTCUSDT,"
                                    "0.25,1,111,222",
                                    kT0));
    EXPECT_EQ(lines[2], fmt::format("1,factors,{},2024-05-01T12:00:00.000000000Z,1,ofi,mlofi,BTCUSDT,"
                                    "-1.5,1,111,222",
                                    kT0));
    EXPECT_EQ(lines[4], fmt::format("2,factors,{},2024-05-01T12:00:01.000000000Z,2,mp,microprice,"
                                    "BTCUSDT,43000.6,2,111,222",
                                    kT0 + kSecond));
}

TEST_F(JournalInspectRows, DumpCsv_WithNothingSelectedIsStillAHeader) {
    write_signals();
    const RunResult r = tool.run({"dump", path.string(), "--csv", "--engine", "nobody"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, csv_header(CsvLayout::factors) + "\n");
}

TEST_F(JournalInspectRows, FilterType_KeepsFramesOfThatType) {
    write_md();
    EXPECT_EQ(sequences({"--type", "trade"}), (Seqs{2, 4}));
    EXPECT_EQ(sequences({"--type", "depth"}), (Seqs{1, 3}));
    EXPECT_EQ(sequences({"--type", "factors"}), Seqs{});
}

TEST_F(JournalInspectRows, FilterInstrument_MatchesMdFramesAndFactorValues) {
    write_md();
    EXPECT_EQ(sequences({"--instrument", "ETHUSDT"}), (Seqs{2, 3}));
    EXPECT_EQ(sequences({"--instrument", "ETH"}), Seqs{});  // equality, not a prefix
    std::filesystem::remove(path);
    write_signals();
    const auto rows = json_lines({"--instrument", "ETHUSDT"});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["factor"], "ofi_l1");
    EXPECT_EQ(rows[0]["value"], 2.0);
}

TEST_F(JournalInspectRows, FilterEngineAndFactor_SelectFactorValues) {
    write_signals();
    EXPECT_EQ(sequences({"--engine", "ofi"}), (Seqs{1, 1, 1, 3}));
    EXPECT_EQ(sequences({"--engine", "mp"}), (Seqs{2}));
    const auto rows = json_lines({"--engine", "ofi", "--factor", "ofi_l1", "--instrument", "BTCUSDT"});
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0]["value"], 0.25);
    EXPECT_EQ(rows[1]["value"], 0.5);
    EXPECT_EQ(sequences({"--factor", "mlofi"}), (Seqs{1}));
    // The human format shows a factor frame when any of its values matches.
    const RunResult r = tool.run({"dump", path.string(), "--factor", "microprice"});
    ASSERT_EQ(lines_of(r.out).size(), 1u) << r.out;
    EXPECT_NE(r.out.find("engine mp"), std::string::npos) << r.out;
}

TEST_F(JournalInspectRows, FilterEngine_MatchesNoMarketData) {
    write_md();
    EXPECT_EQ(sequences({"--engine", "ofi"}), Seqs{});
}

TEST_F(JournalInspectRows, FilterCount_CountsMatchingFrames) {
    write_md();
    EXPECT_EQ(sequences({"--type", "trade", "--count", "1"}), (Seqs{2}));
    std::filesystem::remove(path);
    write_signals();
    EXPECT_EQ(sequences({"--count", "1"}), (Seqs{1, 1, 1}));  // one frame, all its values
}

TEST_F(JournalInspectRows, FromTo_BySequence) {
    write_md();
    EXPECT_EQ(sequences({"--from", "2", "--to", "3"}), (Seqs{2, 3}));
    EXPECT_EQ(sequences({"--to", "1"}), (Seqs{1}));
    EXPECT_EQ(sequences({"--from", "4"}), (Seqs{4}));
    EXPECT_EQ(sequences({"--from", "5"}), Seqs{});
}

TEST_F(JournalInspectRows, FromTo_ByIsoTimeComparedWithGenTime) {
    write_md();
    EXPECT_EQ(sequences({"--from", "2024-05-01T12:00:01Z", "--to", "2024-05-01T12:00:02Z"}), (Seqs{2, 3}));
    EXPECT_EQ(sequences({"--from", "2024-05-01T12:00:00.5Z"}), (Seqs{2, 3, 4}));
    EXPECT_EQ(sequences({"--to", "2024-05-01T12:00:02.999999999Z"}), (Seqs{1, 2, 3}));
    EXPECT_EQ(sequences({"--from", "2024-05-01T11:00:00Z", "--to", "2024-05-01T11:59:59Z"}), Seqs{});
    EXPECT_EQ(sequences({"--from", "2024-05-02"}), Seqs{});
    // A time and a sequence may be mixed.
    EXPECT_EQ(sequences({"--from", "2024-05-01T12:00:01Z", "--to", "2"}), (Seqs{2}));
}

TEST(JournalInspectParse, UtcTime_AcceptsIsoUtcOnly) {
    EXPECT_EQ(parse_utc_time("2024-05-01T12:00:00Z"), kT0);
    EXPECT_EQ(parse_utc_time("2024-05-01T12:00:00.123456789Z"), kT0 + 123'456'789);
    EXPECT_EQ(parse_utc_time("2024-05-01T12:00:00.5Z"), kT0 + 500'000'000);
    EXPECT_EQ(parse_utc_time("2024-05-01"), kT0 - 12 * 3600 * kSecond);
    EXPECT_FALSE(parse_utc_time("2024-05-01T12:00:00"));       // no zone: not UTC for sure
    EXPECT_FALSE(parse_utc_time("2024-05-01T12:00:00+02:00"));
    EXPECT_FALSE(parse_utc_time("2024-02-30T00:00:00Z"));
    EXPECT_FALSE(parse_utc_time("2024-05-01T12:00:00.1234567891Z"));
    EXPECT_FALSE(parse_utc_time("yesterday"));
}

TEST_F(JournalInspectRows, Stats_CountsFramesEnginesFactorsSpanAndPayloads) {
    write_signals();
    {
        Writer w(path, options);  // reopen: one depth frame more, 1 s later
        w.write_message(SIGRUN_MSG_DEPTH, make_depth(), 0, kT0 + 3 * kSecond);
    }
    const RunResult r = tool.run({"stats", path.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["frames"], 4);
    EXPECT_EQ(j["first_sequence"], 1);
    EXPECT_EQ(j["last_sequence"], 4);
    EXPECT_EQ(j["first_gen_time"], "2024-05-01T12:00:00.000000000Z");
    EXPECT_EQ(j["last_gen_time"], "2024-05-01T12:00:03.000000000Z");
    EXPECT_EQ(j["span_ns"], 3 * kSecond);
    EXPECT_DOUBLE_EQ(j["rate_frames_per_s"].get<double>(), 4.0 / 3.0);
    EXPECT_EQ(j["lost"], 0);
    EXPECT_EQ(j["types"]["factors"]["frames"], 3);
    EXPECT_EQ(j["types"]["factors"]["payload_min"], sigrun::factor_batch_bytes(1));
    EXPECT_EQ(j["types"]["factors"]["payload_max"], sigrun::factor_batch_bytes(3));
    EXPECT_EQ(j["types"]["depth"]["frames"], 1);
    EXPECT_EQ(j["types"]["depth"]["payload_min"], sizeof(sigrun_depth));
    EXPECT_EQ(j["engines"]["ofi"]["frames"], 2);
    EXPECT_EQ(j["engines"]["ofi"]["values"], 4);
    EXPECT_EQ(j["engines"]["ofi"]["factors"]["ofi_l1"]["values"], 3);
    EXPECT_EQ(j["engines"]["ofi"]["factors"]["mlofi"]["values"], 1);
    EXPECT_EQ(j["engines"]["mp"]["frames"], 1);
    EXPECT_EQ(j["engines"]["mp"]["factors"]["microprice"]["values"], 1);

    const RunResult text = tool.run({"stats", path.string()});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("frames         4 (sequences 1..4)\n"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("span           2024-05-01T12:00:00.000000000Z .. "
                            "2024-05-01T12:00:03.000000000Z (3.000000000 s)\n"),
              std::string::npos) << text.out;
    EXPECT_NE(text.out.find("rate           1.3 frames/s\n"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("lost           0\n"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("  factors      3 frames, payload 136..280 bytes\n"), std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("  ofi          2 frames, 4 values\n"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("    ofi_l1                  3 values\n"), std::string::npos) << text.out;
}

TEST_F(JournalInspectRows, Stats_ReportsTheFramesALappedRingNoLongerHolds) {
    write_closed_journal(12);  // capacity 8: 1..4 overwritten
    const RunResult r = tool.run({"stats", path.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["frames"], 8);
    EXPECT_EQ(j["first_sequence"], 5);
    EXPECT_EQ(j["last_sequence"], 12);
    EXPECT_EQ(j["lost"], 4);
    EXPECT_EQ(j["gaps"], nlohmann::json::parse(R"([{"first": 1, "count": 4}])"));
    EXPECT_EQ(j["types"]["type 7"]["frames"], 8);
    const RunResult text = tool.run({"stats", path.string()});
    EXPECT_NE(text.out.find("lost           4 in 1 gap(s): 1..4 (no longer in the ring"), std::string::npos) << text.out;
}

TEST_F(JournalInspectRows, Stats_OfAnEmptyJournal) {
    write_closed_journal(0);
    const RunResult r = tool.run({"stats", path.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("frames         0 (empty)\n"), std::string::npos) << r.out;
}

TEST_F(JournalInspectRows, Export_WritesTheRowsOfDumpInBothFormats) {
    write_signals();
    const auto csv = dir / "out.csv";
    const auto jsonl = dir / "out.jsonl";
    const RunResult c = tool.run({"export", path.string(), "--format", "csv", "--out", csv.string()});
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_EQ(c.out, fmt::format("exported 5 rows (3 frames) to {}\n", csv.string()));
    EXPECT_EQ(read_file_bytes(csv), tool.run({"dump", path.string(), "--csv"}).out);
    const RunResult j = tool.run(
        {"export", path.string(), "--format", "jsonl", "--out", jsonl.string(), "--engine", "mp"});
    ASSERT_EQ(j.exit_code, 0) << j.err;
    EXPECT_EQ(read_file_bytes(jsonl), tool.run({"dump", path.string(), "--json", "--engine", "mp"}).out);
    EXPECT_EQ(count_lines(read_file_bytes(jsonl)), 1u);
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        EXPECT_EQ(entry.path().string().find(".partial-"), std::string::npos) << entry.path();
    }
}

TEST_F(JournalInspectRows, Export_RefusesToOverwriteUnlessForced) {
    write_md();
    const auto out = dir / "out.csv";
    write_file_bytes(out, "keep me\n");
    const std::vector<std::string> args = {"export", path.string(), "--format", "csv", "--out", out.string()};
    expect_one_error_line(tool.run(args), 3, "--force");
    EXPECT_EQ(read_file_bytes(out), "keep me\n");
    auto forced = args;
    forced.push_back("--force");
    const RunResult r = tool.run(forced);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_lines(read_file_bytes(out)), 5u);
}

TEST_F(JournalInspectRows, Export_NeverWritesTheJournalItself) {
    write_md();
    const std::string before = read_file_bytes(path);
    expect_one_error_line(
        tool.run({"export", path.string(), "--format", "csv", "--out", path.string(), "--force"}), 3,
        "never writes a journal");
    EXPECT_TRUE(read_file_bytes(path) == before);
}

TEST_F(JournalInspectRows, Export_IntoAMissingDirectoryIsAnIoError) {
    write_md();
    const auto out = dir / "no" / "such" / "out.csv";
    expect_one_error_line(tool.run({"export", path.string(), "--format", "csv", "--out", out.string()}),
                          4, out.string());
}

TEST_F(JournalInspectRows, EveryCommand_LeavesTheJournalByteForByteUnchanged) {
    write_signals();
    const std::string before = read_file_bytes(path);
    EXPECT_EQ(tool.run({"stats", path.string()}).exit_code, 0);
    EXPECT_EQ(tool.run({"stats", path.string(), "--json"}).exit_code, 0);
    EXPECT_EQ(tool.run({"dump", path.string(), "--json", "--engine", "ofi"}).exit_code, 0);
    EXPECT_EQ(tool.run({"dump", path.string(), "--csv", "--from", "2024-05-01T12:00:01Z"}).exit_code, 0);
    EXPECT_EQ(tool.run({"export", path.string(), "--format", "jsonl", "--out", (dir / "e").string()}).exit_code,
              0);
    EXPECT_TRUE(read_file_bytes(path) == before) << "sigrun-journal changed the journal file";
}

TEST_F(JournalInspectRows, Help_OfEverySubcommandNamesTheExitCodes) {
    for (const char* sub : {"info", "dump", "stats", "export", "verify"}) {
        const RunResult r = tool.run({sub, "--help"});
        EXPECT_EQ(r.exit_code, 0) << sub;
        EXPECT_NE(r.out.find("1 damaged"), std::string::npos) << sub << ": " << r.out;
        EXPECT_NE(r.out.find("2 not a sigrun journal"), std::string::npos) << sub << ": " << r.out;
        EXPECT_NE(r.out.find("3 bad arguments"), std::string::npos) << sub << ": " << r.out;
        EXPECT_NE(r.out.find("4 I/O error"), std::string::npos) << sub << ": " << r.out;
    }
    EXPECT_NE(tool.run({"dump", "--help"}).out.find("--instrument"), std::string::npos);
    EXPECT_NE(tool.run({"export", "--help"}).out.find("--force"), std::string::npos);
}

class JournalInspectUsage : public JournalInspect,
                            public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(JournalInspectUsage, BadArguments_AreOneLineAndExitCode3) {
    write_closed_journal(1);
    std::vector<std::string> args = GetParam();
    for (auto& a : args) {
        if (a == "FILE") a = path.string();
    }
    expect_one_error_line(tool.run(args), 3, "sigrun-journal --help");
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
                      std::vector<std::string>{"info", "FILE", "extra"},
                      std::vector<std::string>{"dump", "FILE", "--json", "--csv"},
                      std::vector<std::string>{"dump", "FILE", "--type", "quote"},
                      std::vector<std::string>{"dump", "FILE", "--from", "2024-13-01T00:00:00Z"},
                      std::vector<std::string>{"dump", "FILE", "--to", "2024-05-01T12:00:00"},
                      std::vector<std::string>{"dump", "FILE", "--from", "5", "--to", "3"},
                      std::vector<std::string>{"dump", "FILE", "--from", "2024-05-02",
                                               "--to", "2024-05-01"},
                      std::vector<std::string>{"stats"},
                      std::vector<std::string>{"stats", "FILE", "--csv"},
                      std::vector<std::string>{"export", "FILE", "--format", "csv"},      // no --out
                      std::vector<std::string>{"export", "FILE", "--out", "x.csv"},       // no --format
                      std::vector<std::string>{"export", "FILE", "--format", "xml", "--out", "x"},
                      std::vector<std::string>{"export", "FILE", "--format", "csv", "--out", "FILE"}));

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

// ---- verify ------------------------------------------------------------------

// Flips one byte of the closed journal file at `offset` (bytes from the start
// of the slot of `sequence`, header included), as a damaged disk would.
class JournalInspectVerify : public JournalInspect {
protected:
    void flip(std::uint64_t sequence, std::size_t offset, std::uint8_t mask = 0x10) {
        std::string bytes = read_file_bytes(path);
        const std::size_t at = journal::kFileHeaderSize + ((sequence - 1) % options.geometry.capacity) *
                                                              options.geometry.slot_size + offset;
        bytes[at] = static_cast<char>(bytes[at] ^ mask);
        write_file_bytes(path, bytes);
    }
    void flip_header(std::size_t offset, std::uint8_t mask) {
        std::string bytes = read_file_bytes(path);
        bytes[offset] = static_cast<char>(bytes[offset] ^ mask);
        write_file_bytes(path, bytes);
    }
};

TEST_F(JournalInspectVerify, ACleanJournalExits0) {
    write_closed_journal(20);  // 8 slots: lapped twice
    const std::string before = read_file_bytes(path);
    const RunResult r = tool.run({"verify", path.string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("clean: 8 slots, 8 intact frame(s), frames 13..20"), std::string::npos) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_TRUE(read_file_bytes(path) == before);
}

TEST_F(JournalInspectVerify, OneFlippedByteInAPayloadAHeaderWordOrAChecksumIsNamedAndExits1) {
    const std::size_t payload = sizeof(journal::FrameHeader);
    for (const auto& [what, offset] : std::vector<std::pair<std::string, std::size_t>>{
             {"payload", payload + 3},
             {"msg_type", offsetof(journal::FrameHeader, msg_type)},
             {"gen_time", offsetof(journal::FrameHeader, gen_time) + 1},
             {"checksum", offsetof(journal::FrameHeader, checksum) + 7}}) {
        std::filesystem::remove(path);
        write_closed_journal(6);
        flip(4, offset);
        const std::string before = read_file_bytes(path);
        const RunResult r = tool.run({"verify", path.string()});
        EXPECT_EQ(r.exit_code, 1) << what << ": " << r.out << r.err;
        EXPECT_NE(r.out.find("frame 4 (slot 3) is damaged"), std::string::npos) << what << ": " << r.out;
        EXPECT_NE(r.out.find("DAMAGED: 1 problem(s), first bad sequence 4"), std::string::npos) << what << ": "
                                                                                                << r.out;
        EXPECT_TRUE(read_file_bytes(path) == before) << what;
        // dump never shows it, and does not blame the writer lapping.
        const RunResult d = tool.run({"dump", path.string()});
        EXPECT_EQ(d.exit_code, 0) << d.err;
        EXPECT_EQ(d.out.find("         4  "), std::string::npos) << what << ": " << d.out;
        EXPECT_NE(d.out.find("# 1 frame(s) from 4 damaged"), std::string::npos) << what << ": " << d.out;
        EXPECT_EQ(d.out.find("overwritten"), std::string::npos) << what << ": " << d.out;
        const RunResult st = tool.run({"stats", path.string()});
        EXPECT_NE(st.out.find("damaged        1 (first 4)"), std::string::npos) << st.out;
        EXPECT_NE(st.out.find("lost           0"), std::string::npos) << st.out;
    }
}

TEST_F(JournalInspectVerify, ASequenceWordThatDoesNotBelongInItsSlotIsNamedByTheSequenceExpectedThere) {
    write_closed_journal(6);
    flip(2, offsetof(journal::FrameHeader, sequence), 0x04);  // 2 -> 6: slot 1 claims frame 6
    const RunResult r = tool.run({"verify", path.string()});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("first bad sequence 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("does not belong in slot 1"), std::string::npos) << r.out;
}

TEST_F(JournalInspectVerify, AFrameRecoveryDiscardedIsAGapNamedAsMissing) {
    write_closed_journal(6);
    flip(3, sizeof(journal::FrameHeader) + 1);
    { Writer reopened(path, options); }  // recovery empties frame 3's slot
    const RunResult r = tool.run({"verify", path.string()});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("frame 3 (slot 2) is missing: its slot is empty inside the ring"), std::string::npos)
        << r.out;
    const RunResult d = tool.run({"dump", path.string()});
    EXPECT_NE(d.out.find("# 1 frame(s) from 3 damaged"), std::string::npos) << d.out;
    EXPECT_EQ(d.out.find("overwritten"), std::string::npos) << d.out;
}

TEST_F(JournalInspectVerify, AHeaderHintAheadOfTheFramesIsAHeaderProblem) {
    write_closed_journal(6);
    flip_header(offsetof(journal::FileHeader, last_sequence_hint) + 2, 0x01);  // 6 + 2^16
    const RunResult r = tool.run({"verify", path.string()});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("header last_sequence_hint is 65542, ahead of the last intact frame (6)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("first bad the file header"), std::string::npos) << r.out;
    // Readers are not misled by it: every frame is still there.
    const RunResult d = tool.run({"dump", path.string()});
    EXPECT_NE(d.out.find("         6  "), std::string::npos) << d.out;
}

}  // namespace
}  // namespace sigrun::inspect
