// rows.hpp — which frames `sigrun-journal dump` and `export` select, and the
// machine-readable rows (JSON lines, CSV) they write for them.
//
// A market-data frame is one row; a factor frame (type 202) is one row per
// factor VALUE, each carrying its batch's engine, source sequence and times,
// so a consumer never has to know about batching. Selection works at the same
// granularity: a factor frame matches when at least one of its values does,
// and only the matching values become rows.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sigrun/journal/reader.hpp"
#include "sigrun/messages.h"

namespace sigrun::inspect {

// --from / --to: a sequence number or a gen_time (ns since epoch, UTC).
struct Bound {
    enum class Kind { sequence, time };
    Kind kind = Kind::sequence;
    std::uint64_t sequence = 0;
    std::int64_t time_ns = 0;
};

// Parses "123" (a sequence, >= 1) or an ISO-8601 UTC time
// ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.25Z", "2024-05-01").
// On failure returns nullopt and sets `error` to what is wrong.
[[nodiscard]] std::optional<Bound> parse_bound(std::string_view text, std::string& error);

// Parses an ISO-8601 UTC time as above into ns since epoch.
[[nodiscard]] std::optional<std::int64_t> parse_utc_time(std::string_view text);

// "depth" -> 101, "trade" -> 103, "factors" -> 202; nullopt otherwise.
[[nodiscard]] std::optional<std::int32_t> type_from_name(std::string_view name);

struct Selection {
    std::optional<std::int32_t> type;        // msg type
    std::optional<std::string> engine;       // factor frames of this engine only
    std::optional<std::string> factor;       // factor values of this factor only
    std::optional<std::string> instrument;   // depth/trade/factor value instrument
    std::optional<Bound> from;               // first frame (inclusive)
    std::optional<Bound> to;                 // last frame (inclusive)

    // True when a frame needs decoding to be matched (engine/factor/instrument).
    [[nodiscard]] bool filters_content() const noexcept { return engine || factor || instrument; }
    // The frame lies past --to: nothing later can match (gen_time never decreases).
    [[nodiscard]] bool past_end(const journal::FrameInfo& info) const noexcept;
    // The frame lies before --from (a time bound only; a sequence is seeked).
    [[nodiscard]] bool before_start(const journal::FrameInfo& info) const noexcept;
    // Whether the frame matches type and content filters. For a factor frame
    // `values` receives the matching values (cleared first); for others it is
    // left empty.
    bool matches(const journal::FrameInfo& info, std::span<const std::byte> payload,
                 std::vector<sigrun_factor>& values) const;
};

// Moves `reader` to the first frame --from names (sequence: that frame, or a
// lost result if it is gone; time: the first frame with gen_time >= it).
void seek_to(journal::Reader& reader, const std::optional<Bound>& from);

enum class RowFormat { json, csv };

// The CSV column set: market data (depth and trade columns) or factor values.
enum class CsvLayout { md, factors };

[[nodiscard]] std::string csv_header(CsvLayout layout);

// Writes rows for matched frames in one format. For CSV the header is written
// before the first row, its layout decided by `layout` if set, else by the
// first frame written (a factor frame: factors; anything else: md).
class RowWriter {
public:
    RowWriter(RowFormat format, std::optional<CsvLayout> layout, std::FILE* out);

    // Writes the rows of one matched frame (`values`: the matching factor
    // values of a factor frame, from Selection::matches). Returns the rows written.
    std::uint64_t write(const journal::FrameInfo& info, std::span<const std::byte> payload,
                        const std::vector<sigrun_factor>& values);
    // Writes the CSV header if no row was written (so an empty result is
    // still a valid CSV file).
    void finish();

private:
    void line(const std::string& text);

    RowFormat format_;
    std::optional<CsvLayout> layout_;
    std::FILE* out_;
    bool header_written_ = false;
};

// The JSON object(s) and CSV row(s) of one frame, without newlines; exposed
// for the tests.
[[nodiscard]] std::vector<std::string> json_rows(const journal::FrameInfo& info,
                                                 std::span<const std::byte> payload,
                                                 const std::vector<sigrun_factor>& values);
[[nodiscard]] std::vector<std::string> csv_rows(CsvLayout layout, const journal::FrameInfo& info,
                                                std::span<const std::byte> payload,
                                                const std::vector<sigrun_factor>& values);

}  // namespace sigrun::inspect
