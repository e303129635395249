// inspect.hpp — what `sigrun-journal` shows, as functions the tests call.
//
// Everything here works on a read-only mapping (Mapping::open_read_only,
// Reader(path)): it never pins, never writes, never takes the writer's lock,
// so inspecting a live journal cannot disturb its writer or readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "sigrun/journal/mapping.hpp"
#include "sigrun/journal/reader.hpp"
#include "rows.hpp"

namespace sigrun::inspect {

// A NUL-padded ASCII field of a message as a string; unprintable bytes
// become '?' so that JSON stays valid UTF-8 and a CSV row stays one line.
template <std::size_t N>
std::string printable_field(const char (&f)[N]) {
    std::string s(f, ::strnlen(f, N));
    for (char& c : s) {
        if (c < 0x20 || c > 0x7e) c = '?';
    }
    return s;
}

// A snapshot of a journal's header and slots.
struct JournalInfo {
    std::filesystem::path path;
    std::uint32_t format_version = 0;
    std::int64_t created_time = 0;     // ns since epoch
    journal::Geometry geometry;
    std::uint64_t last_sequence = 0;   // 0 = nothing published
    std::uint64_t oldest = 0;          // oldest sequence that can be in the ring; 0 when empty
    std::uint64_t frames_present = 0;  // slots holding a published frame in [oldest, last]
    std::uint64_t pinned_slots = 0;    // slots with at least one pin
    std::int32_t owner_pid = 0;        // current or last writer; 0 = none open
    std::uint64_t open_count = 0;      // times a writer opened the file
};

// Reads the header and scans every slot with atomic loads. The counts are a
// snapshot: a live writer may move on while the scan runs.
[[nodiscard]] JournalInfo read_info(const journal::Mapping& mapping);

// The `info` report, one "name  value" line each, ending in a newline.
[[nodiscard]] std::string format_info(const JournalInfo& info);

// "2026-11-23T11:07:54.123456789Z"; "-" for 0.
[[nodiscard]] std::string format_time(std::int64_t ns_since_epoch);

// "depth", "trade", "factors", or "type <n>".
[[nodiscard]] std::string type_name(std::int32_t msg_type);

// The decoded summary of a payload: a Depth's instrument and best bid/ask, a
// Trade's price/size/side, a Factor's engine/factor/instrument/value/source;
// for anything else (or a payload too short for its type) length and a hex
// prefix.
[[nodiscard]] std::string summarize(std::int32_t msg_type, std::span<const std::byte> payload);

// One dump line (no newline): sequence, type name, gen_time, summary.
[[nodiscard]] std::string format_frame(const journal::FrameInfo& info,
                                       std::span<const std::byte> payload);

enum class DumpFormat { human, json, csv };

struct DumpOptions {
    Selection selection;                 // type/content filters and --from/--to
    std::optional<std::uint64_t> count;  // stop after this many matching frames
    bool follow = false;                 // wait for new frames instead of stopping at the end
    DumpFormat format = DumpFormat::human;
    std::optional<CsvLayout> csv_layout; // default: from --type/--engine/--factor, else the first frame
    // Called after each frame read (matching or not) with the frames read so
    // far (export's progress); may be empty.
    std::function<void(std::uint64_t frames_read)> progress;
};

struct DumpResult {
    std::uint64_t frames = 0;  // matching frames written
    std::uint64_t rows = 0;    // lines written (human: = frames; json/csv: one per factor value)
    std::uint64_t lost = 0;    // frames the writer overwrote before they were read
    std::uint64_t damaged = 0; // frames skipped because they did not check out (never printed)
};

// Writes the frames `options` selects to `out`, flushing as it goes. Human
// format: one line per frame and a '#' line for frames lost to the writer.
// JSON/CSV: rows (rows.hpp); lost frames are reported as '#' lines on
// `notes` (stderr in the tool) so that `out` stays pure data.
DumpResult dump(journal::Reader& reader, const DumpOptions& options, std::FILE* out,
                std::FILE* notes = stderr);

}  // namespace sigrun::inspect
