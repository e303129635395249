// fuzz_make_seeds: writes the generated part of the fuzzers' seed corpora
// from the bundled real sample (examples/data):
//   <out>/fuzz_journal_open/      real journals written by journal::Writer (named
//                                 .bin: *.journal is git-ignored) —
//                                 wrapped, partly filled, empty — plus damaged
//                                 copies (torn frame, stale pins, truncated)
//   <out>/fuzz_frame_validation/  records (int32 type, uint16 length, bytes)
//                                 of real Depth and Trade messages, plus a few
//                                 invalid and extreme ones
// The config seeds (fuzz_runner_config/) are hand-written JSON, not generated.
//
// Usage: fuzz_make_seeds tests/fuzz/corpus   (then commit what changed)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "sigrun/journal/format.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/market_data/replay_source.hpp"
#include "sigrun/messages.h"

namespace {

namespace fs = std::filesystem;
namespace jn = sigrun::journal;
using Bytes = std::string;

std::vector<sigrun::market_data::Event> sample_events(std::size_t count) {
    const fs::path data = SIGRUN_FUZZ_EXAMPLE_DATA;
    sigrun::market_data::ReplaySource source(
        std::vector<fs::path>{data / "spot_btcusdt_book20.csv.gz", data / "spot_btcusdt_trades.csv.gz"});
    std::vector<sigrun::market_data::Event> events;
    while (events.size() < count) {
        auto event = source.next();
        if (!event) break;
        events.push_back(*event);
    }
    return events;
}

Bytes read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const fs::path& path, const Bytes& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::printf("%s (%zu bytes)\n", path.c_str(), bytes.size());
}

// A journal of `geometry` holding `events` (those that fit a slot), written
// by the real Writer. Returns the file's bytes.
Bytes make_journal(const fs::path& path, jn::Geometry geometry,
                   const std::vector<sigrun::market_data::Event>& events) {
    fs::remove(path);
    {
        jn::Writer writer(path, jn::WriterOptions{geometry, std::chrono::milliseconds(0)});
        for (const auto& e : events) {
            if (e.payload_size() > geometry.max_payload()) continue;
            writer.write(e.type(), {static_cast<const std::byte*>(e.payload()), e.payload_size()},
                         e.receive_time_ns());
        }
    }
    Bytes bytes = read_all(path);
    // The owner fields say who wrote it last; zero them so that regenerating
    // only changes what matters.
    auto& header = *reinterpret_cast<jn::FileHeader*>(bytes.data());
    header.owner_pid = 0;
    return bytes;
}

jn::FrameHeader& slot_of(Bytes& journal, std::uint64_t index) {
    const auto& header = *reinterpret_cast<const jn::FileHeader*>(journal.data());
    return *reinterpret_cast<jn::FrameHeader*>(journal.data() + jn::kFileHeaderSize + index * header.slot_size);
}

void append_record(Bytes& out, std::int32_t type, const void* payload, std::uint16_t length) {
    out.append(reinterpret_cast<const char*>(&type), sizeof type);
    out.append(reinterpret_cast<const char*>(&length), sizeof length);
    out.append(static_cast<const char*>(payload), length);
}

void append_event(Bytes& out, const sigrun::market_data::Event& e) {
    append_record(out, e.type(), e.payload(), static_cast<std::uint16_t>(e.payload_size()));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus folder, e.g. tests/fuzz/corpus>\n", argv[0]);
        return 2;
    }
    const fs::path out = argv[1];
    const auto events = sample_events(24);
    const fs::path journals = out / "fuzz_journal_open";
    const fs::path records = out / "fuzz_frame_validation";
    fs::create_directories(journals);
    fs::create_directories(records);
    const fs::path scratch = fs::temp_directory_path() / "sigrun-make-seeds.journal";

    // Journals: 8 slots of 512 bytes with 12 frames (wrapped once), 8 slots
    // of 192 (only trades fit) partly filled, 4 empty slots of 128.
    const Bytes wrapped = make_journal(scratch, {8, 512}, std::vector(events.begin(), events.begin() + 12));
    write_all(journals / "wrapped_8x512.bin", wrapped);
    write_all(journals / "trades_8x192.bin",
              make_journal(scratch, {8, 192}, std::vector(events.begin(), events.begin() + 12)));
    write_all(journals / "empty_4x128.bin", make_journal(scratch, {4, 128}, {}));
    // Damage a writer that died can leave: a torn payload (checksum no longer
    // matches), a slot invalidated mid-write (sequence 0, half a payload),
    // stale pins, and a header hint behind the frames.
    Bytes damaged = wrapped;
    reinterpret_cast<char*>(&slot_of(damaged, 3))[sizeof(jn::FrameHeader) + 70] ^= 0x5a;
    reinterpret_cast<char*>(&slot_of(damaged, 5))[sizeof(jn::FrameHeader) + 8] ^= 0x33;
    slot_of(damaged, 5).sequence = jn::kNoSequence;
    slot_of(damaged, 6).pin_adds = 5;  // 3 pins left: 5 added on the pin thread, 2 dropped elsewhere
    slot_of(damaged, 6).shared_pin_drops = 2;
    reinterpret_cast<jn::FileHeader*>(damaged.data())->last_sequence_hint = 2;
    write_all(journals / "damaged_8x512.bin", damaged);
    // Shorter than its header says.
    write_all(journals / "truncated.bin", wrapped.substr(0, jn::kFileHeaderSize + 700));
    fs::remove(scratch);

    // Records of real messages, in receive order.
    Bytes mixed;
    for (std::size_t i = 0; i < 8 && i < events.size(); ++i) append_event(mixed, events[i]);
    write_all(records / "real_mixed.bin", mixed);
    Bytes depths, trades;
    for (const auto& e : events) {
        if (e.is_depth() && depths.size() < 3 * 390) append_event(depths, e);
        if (e.is_trade() && trades.size() < 6 * 102) append_event(trades, e);
    }
    write_all(records / "real_depths.bin", depths);
    write_all(records / "real_trades.bin", trades);

    // What the dispatcher must reject: wrong lengths, an unknown type, a
    // factor frame in the md journal.
    sigrun_depth depth{};
    sigrun_trade trade{};
    for (const auto& e : events) {
        if (e.is_depth()) depth = e.depth();
        if (e.is_trade()) trade = e.trade();
    }
    Bytes invalid;
    append_record(invalid, SIGRUN_MSG_DEPTH, &depth, sizeof depth - 8);
    append_record(invalid, SIGRUN_MSG_TRADE, &trade, sizeof trade + 0);
    append_record(invalid, 999, &trade, sizeof trade);
    append_record(invalid, SIGRUN_MSG_FACTOR_BATCH, &depth, 128);
    append_record(invalid, SIGRUN_MSG_TRADE, &trade, sizeof trade - 1);
    write_all(records / "invalid_lengths.bin", invalid);

    // Well-formed frames with values no exchange sends.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    Bytes extreme;
    sigrun_depth d = depth;
    std::memset(d.instrument, 'X', sizeof d.instrument);  // no NUL
    std::memset(d.exchange, 'Y', sizeof d.exchange);
    append_record(extreme, SIGRUN_MSG_DEPTH, &d, sizeof d);  // baseline for the engines
    d.receive_time_ns = std::numeric_limits<std::int64_t>::min();
    d.bid_price[0] = nan;
    d.ask_price[0] = inf;
    d.bid_size[1] = -5.0;
    d.ask_size[2] = -inf;
    append_record(extreme, SIGRUN_MSG_DEPTH, &d, sizeof d);
    d.receive_time_ns = std::numeric_limits<std::int64_t>::max();
    d.bid_price[0] = d.ask_price[0] = 0.0;  // crossed / empty book
    d.bid_size[0] = d.ask_size[0] = 0.0;
    append_record(extreme, SIGRUN_MSG_DEPTH, &d, sizeof d);
    sigrun_trade t = trade;
    std::memset(t.instrument, 'X', sizeof t.instrument);
    t.price = nan;
    t.size = -1.0;
    t.aggressor_side = 7;
    t.receive_time_ns = std::numeric_limits<std::int64_t>::min();
    append_record(extreme, SIGRUN_MSG_TRADE, &t, sizeof t);
    t.price = 1e308;
    t.size = 1e308;
    t.receive_time_ns = std::numeric_limits<std::int64_t>::max();
    append_record(extreme, SIGRUN_MSG_TRADE, &t, sizeof t);
    append_record(extreme, SIGRUN_MSG_TRADE, &t, sizeof t);
    write_all(records / "extreme_values.bin", extreme);
    return 0;
}
