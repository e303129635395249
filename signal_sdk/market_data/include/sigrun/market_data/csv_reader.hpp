// sigrun::market_data::CsvReader — streams one derived Binance CSV.gz file
// (book20 or trades, formats in examples/data/SOURCE.md) as Events, one row
// at a time; only the current line is held in memory.
//
// Book20 rows -> sigrun_depth: the first SIGRUN_DEPTH_LEVELS (10) of the 20
//   levels per side; local_ts_ns -> receive_time_ns; exch_ts_ms * 1e6 ->
//   exchange_time_ns (0 when empty, as on the spot snapshot row); an empty
//   level (thin book) becomes price 0, size 0.
// Trades rows -> sigrun_trade: local_ts_ns -> receive_time_ns; trade_ts_ms *
//   1e6 -> exchange_time_ns; taker_side buy|sell -> SIGRUN_SIDE_BUY|SELL;
//   trade_id -> trade_id.
// Prices and sizes are parsed from the decimal strings with std::from_chars
// (correctly rounded to the nearest double).
//
// Every problem in the file throws DataError naming the file, the line and
// the fix; that includes a row whose local_ts_ns is earlier than the row
// before it.
#pragma once

#include "sigrun/market_data/event.hpp"
#include "sigrun/market_data/file_spec.hpp"

#include <sigrun/messages.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace sigrun::market_data {

class GzipLineReader;

class CsvReader {
public:
    /// Resolves `spec` (resolve_file_spec), opens the file and checks its
    /// header. Throws DataError on any problem.
    explicit CsvReader(FileSpec spec);
    ~CsvReader();
    CsvReader(CsvReader&&) noexcept;
    CsvReader& operator=(CsvReader&&) noexcept;
    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;

    /// The next row as an Event, std::nullopt at the end of the file.
    /// Throws DataError for a malformed row or one that goes back in time.
    std::optional<Event> next();

    [[nodiscard]] FileKind kind() const noexcept { return *spec_.kind; }
    /// The resolved spec: kind, instrument and exchange are always set.
    [[nodiscard]] const FileSpec& spec() const noexcept { return spec_; }
    /// Number of data rows returned so far.
    [[nodiscard]] std::uint64_t rows_read() const noexcept { return rows_read_; }
    /// 1-based physical line of the row last returned (the header is line 1).
    [[nodiscard]] std::uint64_t line_number() const noexcept;

    /// The exact header line a file of `kind` must start with.
    [[nodiscard]] static std::string expected_header(FileKind kind);

private:
    void check_header();
    Event parse_book_row(std::string_view line);
    Event parse_trade_row(std::string_view line);

    FileSpec spec_;
    std::unique_ptr<GzipLineReader> lines_;
    sigrun_depth depth_template_{};
    sigrun_trade trade_template_{};
    std::int64_t last_receive_time_ns_ = 0;
    std::uint64_t rows_read_ = 0;
};

}  // namespace sigrun::market_data
