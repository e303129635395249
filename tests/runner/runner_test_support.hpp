// runner_test_support.hpp — helpers shared by the runner suites: building
// runner configs in a temp dir, capturing spdlog output, and reading the
// signals journal back as a factor stream.
#pragma once

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "engine_host.hpp"
#include "log_capture.hpp"
#include "sigrun/factor_batch.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/messages.h"

namespace sigrun::runner_test {

using json = nlohmann::json;

// Under valgrind or a sanitizer everything is 10-50x slower: the sizes of
// runs shrink there, the assertions stay the same.
inline constexpr bool kSlowBuild = SIGRUN_TEST_MEMCHECK != 0 || SIGRUN_TEST_SANITIZED != 0;

// A BTCUSDT book with only its top level set, and the frame that hands it to
// an engine directly (EngineInstance::on_data), as the dispatcher would.
inline sigrun_depth top_of_book(double bid, double ask) {
    sigrun_depth depth{};
    std::memcpy(depth.instrument, "BTCUSDT", 8);
    depth.bid_price[0] = bid;
    depth.ask_price[0] = ask;
    return depth;
}

// A BTCUSDT trade; `side` is the taker's (SIGRUN_SIDE_*).
inline sigrun_trade trade(double price, double size, std::int32_t side = SIGRUN_SIDE_BUY) {
    sigrun_trade t{};
    std::memcpy(t.instrument, "BTCUSDT", 8);
    t.price = price;
    t.size = size;
    t.aggressor_side = side;
    return t;
}

inline runner::CurrentFrame depth_frame(std::uint64_t sequence, const sigrun_depth& depth) {
    runner::CurrentFrame frame;
    frame.sequence = sequence;
    frame.type = SIGRUN_MSG_DEPTH;
    frame.data = &depth;
    return frame;
}

inline std::string examples_file(const char* name) {
    return (std::filesystem::path(SIGRUN_EXAMPLES_DATA_DIR) / name).string();
}

// A valid config document with a synthetic source and no engines yet; tests
// add engines and change what they exercise.
inline json synthetic_config(const std::filesystem::path& journal_dir, std::uint64_t events,
                             std::uint64_t seed = 7) {
    return json{
        {"journal",
         {{"dir", journal_dir.string()},
          {"md", {{"capacity", 4096}, {"slot_size", 512}}},
          {"signals", {{"capacity", 65536}, {"slot_size", 256}}},
          {"pin_timeout_ms", 1000}}},
        {"source", {{"kind", "synthetic"}, {"seed", seed}, {"events", events}}},
        {"engines", json::array()},
        {"hot_swap", {{"watch", false}}},
        {"output", {{"print_factors", 0}}},
    };
}

inline json engine(const std::string& name, const std::string& library, json config = json::object()) {
    return json{{"name", name}, {"library", library}, {"config", std::move(config)}};
}

inline void write_json(const std::filesystem::path& path, const json& document) {
    std::ofstream out(path, std::ios::trunc);
    out << document.dump(2) << '\n';
}

// What the runner (and the engines through host->log) logged.
using LogCapture = testing::LogCapture;

inline std::string field(const char* text, std::size_t size) { return std::string(text, strnlen(text, size)); }

// The whole factor stream of a signals journal, reduced to what the golden
// check compares: how many factors, one 64-bit FNV-1a hash over every
// factor's (engine, factor, instrument, value bits, source_sequence) in
// journal order, and the last value of each (engine, factor, instrument).
// Publish times are left out: they are wall-clock times.
struct FactorStream {
    std::uint64_t count = 0;
    std::uint64_t hash = 14695981039346656037ULL;
    std::uint64_t lost = 0;
    std::uint64_t not_factors = 0;
    std::map<std::tuple<std::string, std::string, std::string>, double> last;
    std::map<std::string, std::uint64_t> per_engine;

    void add_bytes(const void* bytes, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) {
            hash ^= static_cast<const unsigned char*>(bytes)[i];
            hash *= 1099511628211ULL;
        }
    }
    void add_text(const std::string& text) { add_bytes(text.c_str(), text.size() + 1); }  // with its NUL
    void add_u64(std::uint64_t v) {
        unsigned char le[8];
        for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(v >> (8 * i));
        add_bytes(le, sizeof le);
    }

    void add(const sigrun_factor& f) {
        const std::string engine = field(f.engine, sizeof f.engine);
        const std::string factor = field(f.factor, sizeof f.factor);
        const std::string instrument = field(f.instrument, sizeof f.instrument);
        add_text(engine);
        add_text(factor);
        add_text(instrument);
        add_u64(std::bit_cast<std::uint64_t>(f.value));
        add_u64(f.source_sequence);
        ++count;
        ++per_engine[engine];
        last[{engine, factor, instrument}] = f.value;
    }

    // The golden file's text: "count N", "hash 0x...", then one line per
    // (engine, factor, instrument) with its last value printed with %.17g.
    [[nodiscard]] std::string render() const {
        std::string out;
        char line[512];
        std::snprintf(line, sizeof line, "count %llu\n", static_cast<unsigned long long>(count));
        out += line;
        std::snprintf(line, sizeof line, "hash 0x%016llx\n", static_cast<unsigned long long>(hash));
        out += line;
        for (const auto& [key, value] : last) {
            std::snprintf(line, sizeof line, "last %s %s %s %.17g\n", std::get<0>(key).c_str(),
                          std::get<1>(key).c_str(), std::get<2>(key).c_str(), value);
            out += line;
        }
        return out;
    }
};

// Reads every factor frame of `<dir>/signals.journal` from the oldest on.
inline FactorStream read_factor_stream(const std::filesystem::path& signals_journal) {
    journal::Reader reader(signals_journal);
    reader.seek_oldest();
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    FactorStream stream;
    for (;;) {
        const journal::ReadResult r = reader.next(buffer);
        if (r.status == journal::ReadStatus::empty) break;
        if (r.status == journal::ReadStatus::lost) {
            stream.lost += r.lost;
            continue;
        }
        if (r.info.msg_type != SIGRUN_MSG_FACTOR_BATCH ||
            !sigrun::for_each_factor(std::span(buffer).first(r.info.length),
                                     [&](const sigrun_factor& f) { stream.add(f); })) {
            ++stream.not_factors;
        }
    }
    return stream;
}

}  // namespace sigrun::runner_test
