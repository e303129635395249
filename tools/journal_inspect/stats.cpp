#include "stats.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "inspect.hpp"
#include "sigrun/factor_batch.hpp"
#include "sigrun/messages.h"

namespace sigrun::inspect {
namespace {


std::string seconds(std::int64_t ns) { return fmt::format("{:.9f} s", static_cast<double>(ns) / 1e9); }

}  // namespace

double JournalStats::rate() const noexcept {
    const std::int64_t span = last_gen_time - first_gen_time;
    if (frames < 2 || span <= 0) return 0.0;
    return static_cast<double>(frames) / (static_cast<double>(span) / 1e9);
}

JournalStats compute_stats(journal::Reader& reader) {
    JournalStats s;
    s.path = reader.mapping()->path();
    s.geometry = reader.geometry();
    const std::uint64_t end = reader.last_published();
    // From sequence 1: frames a lapped ring no longer holds are reported as a gap.
    reader.seek_sequence(1);
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    while (reader.position() <= end) {
        const std::uint64_t at = reader.position();
        const journal::ReadResult r = reader.next(buffer);
        if (r.status == journal::ReadStatus::empty) break;
        if (r.status == journal::ReadStatus::damaged) {
            if (s.damaged == 0) s.first_damaged = r.info.sequence;
            s.damaged += r.lost;
            continue;
        }
        if (r.status == journal::ReadStatus::lost) {
            const std::uint64_t count = std::min(r.lost, end + 1 - at);  // count only up to `end`
            s.lost += count;
            if (s.gaps.size() < JournalStats::kMaxGaps) s.gaps.push_back({at, count});
            continue;
        }
        const journal::FrameInfo& info = r.info;
        const std::span<const std::byte> payload = std::span(buffer).first(info.length);
        if (s.frames++ == 0) {
            s.first_sequence = info.sequence;
            s.first_gen_time = info.gen_time;
        }
        s.last_sequence = info.sequence;
        s.last_gen_time = info.gen_time;
        TypeStats& t = s.types[info.msg_type];
        ++t.frames;
        t.min_payload = std::min(t.min_payload, info.length);
        t.max_payload = std::max(t.max_payload, info.length);
        if (info.msg_type == SIGRUN_MSG_FACTOR_BATCH) {
            EngineStats* engine = nullptr;
            const bool ok = for_each_factor(payload, [&](const sigrun_factor& f) {
                if (engine == nullptr) {
                    engine = &s.engines[printable_field(f.engine)];
                    ++engine->frames;
                }
                ++engine->values;
                ++engine->factors[printable_field(f.factor)].values;
            });
            if (!ok) ++s.malformed;
        } else if ((info.msg_type == SIGRUN_MSG_DEPTH && info.length < sizeof(sigrun_depth)) ||
                   (info.msg_type == SIGRUN_MSG_TRADE && info.length < sizeof(sigrun_trade))) {
            ++s.malformed;
        }
    }
    return s;
}

std::string format_stats(const JournalStats& s) {
    std::string out;
    auto line = [&out](std::string_view name, const std::string& value) {
        out += fmt::format("{:<15}{}\n", name, value);
    };
    line("file", s.path.string());
    if (s.frames == 0) {
        line("frames", "0 (empty)");
    } else {
        line("frames", fmt::format("{} (sequences {}..{})", s.frames, s.first_sequence, s.last_sequence));
        line("span", fmt::format("{} .. {} ({})", format_time(s.first_gen_time),
                                 format_time(s.last_gen_time), seconds(s.last_gen_time - s.first_gen_time)));
        line("rate", s.rate() > 0 ? fmt::format("{:.1f} frames/s", s.rate()) : std::string("- (span 0)"));
    }
    if (s.lost == 0) {
        line("lost", "0");
    } else {
        std::string gaps;
        for (const Gap& g : s.gaps) {
            if (!gaps.empty()) gaps += ", ";
            gaps += g.count == 1 ? fmt::to_string(g.first)
                                 : fmt::format("{}..{}", g.first, g.first + g.count - 1);
        }
        if (s.gaps.size() == JournalStats::kMaxGaps) gaps += ", ...";
        line("lost", fmt::format("{} in {}{} gap(s): {} (no longer in the ring: overwritten)",
                                 s.lost,
                                 s.gaps.size() == JournalStats::kMaxGaps ? "over " : "", s.gaps.size(),
                                 gaps));
    }
    if (s.damaged != 0) {
        line("damaged", fmt::format("{} (first {}): failed their checksum or emptied by recovery; skipped "
                                    "(`sigrun-journal verify` lists them)",
                                    s.damaged, s.first_damaged));
    }
    if (s.malformed != 0) line("malformed", fmt::to_string(s.malformed));
    if (!s.types.empty()) {
        out += "by type\n";
        for (const auto& [type, t] : s.types) {
            out += fmt::format("  {:<13}{} frames, payload {}..{} bytes\n", type_name(type), t.frames,
                               t.min_payload, t.max_payload);
        }
    }
    if (!s.engines.empty()) {
        out += "by engine\n";
        for (const auto& [name, e] : s.engines) {
            out += fmt::format("  {:<13}{} frames, {} values\n", name, e.frames, e.values);
            for (const auto& [factor, f] : e.factors) {
                out += fmt::format("    {:<24}{} values\n", factor, f.values);
            }
        }
    }
    return out;
}

nlohmann::ordered_json stats_json(const JournalStats& s) {
    using json = nlohmann::ordered_json;
    auto iso = [](std::int64_t ns) { return ns == 0 ? json(nullptr) : json(format_time(ns)); };
    json j;
    j["file"] = s.path.string();
    j["capacity"] = s.geometry.capacity;
    j["slot_size"] = s.geometry.slot_size;
    j["frames"] = s.frames;
    j["first_sequence"] = s.first_sequence;
    j["last_sequence"] = s.last_sequence;
    j["first_gen_time_ns"] = s.first_gen_time;
    j["first_gen_time"] = iso(s.first_gen_time);
    j["last_gen_time_ns"] = s.last_gen_time;
    j["last_gen_time"] = iso(s.last_gen_time);
    j["span_ns"] = s.last_gen_time - s.first_gen_time;
    j["rate_frames_per_s"] = s.rate();
    j["lost"] = s.lost;
    j["damaged"] = s.damaged;
    json gaps = json::array();
    for (const Gap& g : s.gaps) gaps.push_back({{"first", g.first}, {"count", g.count}});
    j["gaps"] = gaps;
    j["gaps_truncated"] = s.gaps.size() == JournalStats::kMaxGaps;
    j["malformed"] = s.malformed;
    json types = json::object();
    for (const auto& [type, t] : s.types) {
        types[type_name(type)] = {{"msg_type", type}, {"frames", t.frames},
                                  {"payload_min", t.min_payload}, {"payload_max", t.max_payload}};
    }
    j["types"] = types;
    json engines = json::object();
    for (const auto& [name, e] : s.engines) {
        json factors = json::object();
        for (const auto& [factor, f] : e.factors) factors[factor] = {{"values", f.values}};
        engines[name] = {{"frames", e.frames}, {"values", e.values}, {"factors", factors}};
    }
    j["engines"] = engines;
    return j;
}

}  // namespace sigrun::inspect
