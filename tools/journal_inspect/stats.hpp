// stats.hpp — `sigrun-journal stats`: what a journal holds, counted.
//
// One pass over the journal from sequence 1 with a copying Reader (read-only
// mapping: no pin, no write, no lock), up to the last frame published when
// the pass started, so a live writer cannot keep it going forever.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sigrun/journal/reader.hpp"

namespace sigrun::inspect {

struct TypeStats {
    std::uint64_t frames = 0;
    std::uint32_t min_payload = std::numeric_limits<std::uint32_t>::max();
    std::uint32_t max_payload = 0;
};

struct FactorStats {
    std::uint64_t values = 0;
};

struct EngineStats {
    std::uint64_t frames = 0;  // factor frames (one per engine call)
    std::uint64_t values = 0;  // factor values in them
    std::map<std::string, FactorStats> factors;
};

// Sequences the reader reported lost: overwritten by the writer (a lapped
// ring: the frames before the oldest one still there) or discarded by recovery.
struct Gap {
    std::uint64_t first = 0;  // first lost sequence
    std::uint64_t count = 0;
};

struct JournalStats {
    std::filesystem::path path;
    journal::Geometry geometry;
    std::uint64_t frames = 0;
    std::uint64_t first_sequence = 0;  // 0: no frame
    std::uint64_t last_sequence = 0;
    std::int64_t first_gen_time = 0;
    std::int64_t last_gen_time = 0;
    std::uint64_t lost = 0;            // sum of the gaps
    std::vector<Gap> gaps;             // the first kMaxGaps of them
    std::uint64_t damaged = 0;         // frames skipped as damaged (checksum; emptied by recovery)
    std::uint64_t first_damaged = 0;   // sequence of the first of them
    std::uint64_t malformed = 0;       // factor frames for_each_factor refused, short depth/trade
    std::map<std::int32_t, TypeStats> types;
    std::map<std::string, EngineStats> engines;

    static constexpr std::size_t kMaxGaps = 100;

    // Frames per second of gen_time over [first, last]; 0 when the span is 0.
    [[nodiscard]] double rate() const noexcept;
};

[[nodiscard]] JournalStats compute_stats(journal::Reader& reader);

// The human report, one "name  value" line each (nested lines indented),
// ending in a newline.
[[nodiscard]] std::string format_stats(const JournalStats& stats);

// The same as one JSON object (see README, "sigrun-journal").
[[nodiscard]] nlohmann::ordered_json stats_json(const JournalStats& stats);

}  // namespace sigrun::inspect
