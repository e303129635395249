// resume_support.hpp — what the resume suites read back: the consumer
// cursor's position (as another process would: pread of its word), every
// factor value of a signals journal in journal order, and md frames.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "sigrun/factor_batch.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/messages.h"
#include "cursor_file.hpp"

namespace sigrun::resume_test {

using json = nlohmann::json;

inline constexpr bool kSlowBuild = SIGRUN_TEST_MEMCHECK != 0 || SIGRUN_TEST_SANITIZED != 0;

using testing::cursor_position;

// The runner config of the resume suites. md ring of 256 behind a slow
// engine: at a kill the feed is up to a ring ahead of dispatch, so up to 256
// frames are written but not dispatched. 512-byte signals slots: every
// engine call is one signals frame (microprice emits 4 values), so a
// repeated call shows as a repeated frame.
inline json resume_runner_config(const std::filesystem::path& dir, json source, json engines) {
    return json{{"journal",
                 {{"dir", (dir / "journal").string()},
                  {"md", {{"capacity", 256}, {"slot_size", 512}}},
                  {"signals", {{"capacity", 65536}, {"slot_size", 512}}}}},
                {"source", std::move(source)},
                {"engines", std::move(engines)},
                {"hot_swap", {{"watch", false}}},
                {"output", {{"print_factors", 0}}}};
}

struct FactorRecord {
    std::uint64_t frame = 0;  // signals journal sequence
    std::string engine, factor;
    std::uint64_t source_sequence = 0;
    double value = 0;
};

struct Signals {
    std::vector<FactorRecord> records;  // journal order
    std::uint64_t lost = 0;
};

inline Signals read_signals(const std::filesystem::path& journal) {
    journal::Reader reader(journal);
    reader.seek_oldest();
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    Signals out;
    for (;;) {
        const journal::ReadResult r = reader.next(buffer);
        if (r.status == journal::ReadStatus::empty) break;
        if (r.status == journal::ReadStatus::lost) {
            out.lost += r.lost;
            continue;
        }
        if (r.info.msg_type != SIGRUN_MSG_FACTOR_BATCH) continue;
        sigrun::for_each_factor(std::span(buffer).first(r.info.length), [&](const sigrun_factor& f) {
            out.records.push_back({r.info.sequence, std::string(f.engine, strnlen(f.engine, sizeof f.engine)),
                                   std::string(f.factor, strnlen(f.factor, sizeof f.factor)), f.source_sequence,
                                   f.value});
        });
    }
    return out;
}

// md sequences an engine published factors for, once each.
inline std::set<std::uint64_t> sources_of(const Signals& s, const std::string& engine) {
    std::set<std::uint64_t> out;
    for (const auto& r : s.records) {
        if (r.engine == engine) out.insert(r.source_sequence);
    }
    return out;
}

// What at-least-once allows and what the suites assert about one engine:
// in journal order its source sequences never go back (a repeat is the
// same sequence again, right after itself), and returns how many distinct
// sequences were published more than once (by frames of that engine).
struct OrderCheck {
    bool never_backwards = true;
    std::string first_backwards;
    std::set<std::uint64_t> repeated;
};
inline OrderCheck check_order(const Signals& s, const std::string& engine) {
    OrderCheck c;
    std::uint64_t last_frame = 0, last_source = 0;
    std::set<std::uint64_t> seen_in_other_frames;
    for (const auto& r : s.records) {
        if (r.engine != engine) continue;
        if (r.frame != last_frame) {  // a new signals frame of this engine
            if (r.source_sequence < last_source && c.never_backwards) {
                c.never_backwards = false;
                c.first_backwards = "source " + std::to_string(r.source_sequence) + " after " +
                                    std::to_string(last_source) + " (signals frame " + std::to_string(r.frame) + ")";
            }
            if (!seen_in_other_frames.insert(r.source_sequence).second) c.repeated.insert(r.source_sequence);
            last_frame = r.frame;
            last_source = r.source_sequence;
        }
    }
    return c;
}

// engine/factor/source_sequence -> value, of the last occurrence.
inline std::map<std::tuple<std::string, std::string, std::uint64_t>, double> values_of(const Signals& s,
                                                                                       const std::string& engine) {
    std::map<std::tuple<std::string, std::string, std::uint64_t>, double> out;
    for (const auto& r : s.records) {
        if (r.engine == engine) out[{r.engine, r.factor, r.source_sequence}] = r.value;
    }
    return out;
}

struct MdFrame {
    std::uint64_t sequence = 0;
    std::int32_t type = 0;
    std::int64_t trigger_time = 0;
    std::string payload;
};

// Every md frame still in the ring, oldest first.
inline std::vector<MdFrame> read_md(const std::filesystem::path& journal) {
    journal::Reader reader(journal);
    reader.seek_oldest();
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    std::vector<MdFrame> out;
    for (;;) {
        const journal::ReadResult r = reader.next(buffer);
        if (r.status == journal::ReadStatus::empty) break;
        if (r.status != journal::ReadStatus::frame) continue;
        out.push_back({r.info.sequence, r.info.msg_type, r.info.trigger_time,
                       std::string(reinterpret_cast<const char*>(buffer.data()), r.info.length)});
    }
    return out;
}

inline std::uint64_t md_last(const std::filesystem::path& journal) {
    return journal::Reader(journal).last_published();
}

}  // namespace sigrun::resume_test
