#include "sigrun/market_data/csv_reader.hpp"

#include "gzip_line_reader.hpp"
#include "sigrun/market_data/data_error.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace sigrun::market_data {
namespace {

constexpr int kBookLevelsInFile = 20;
constexpr std::size_t kBookColumns = 6 + 4 * kBookLevelsInFile;  // 86
constexpr std::size_t kTradeColumns = 8;
constexpr std::size_t kMaxColumns = kBookColumns;

// Book20 columns.
constexpr std::size_t kBookLocalTs = 0;
constexpr std::size_t kBookExchTs = 1;
constexpr std::size_t kBookFirstBid = 6;                                 // bid_px_1
constexpr std::size_t kBookFirstAsk = kBookFirstBid + 2 * kBookLevelsInFile;  // ask_px_1
// Trades columns.
constexpr std::size_t kTradeLocalTs = 0;
constexpr std::size_t kTradeTs = 2;
constexpr std::size_t kTradeId = 3;
constexpr std::size_t kTradePrice = 4;
constexpr std::size_t kTradeQty = 5;
constexpr std::size_t kTradeSide = 6;

constexpr std::int64_t kNsPerMs = 1'000'000;

const std::vector<std::string>& column_names(FileKind kind) {
    static const std::vector<std::string> book = [] {
        std::vector<std::string> v = {"local_ts_ns",     "exch_ts_ms",     "txn_ts_ms",
                                      "row_type",        "first_update_id", "last_update_id"};
        for (const char* side : {"bid", "ask"}) {
            for (int i = 1; i <= kBookLevelsInFile; ++i) {
                v.push_back(std::string(side) + "_px_" + std::to_string(i));
                v.push_back(std::string(side) + "_qty_" + std::to_string(i));
            }
        }
        return v;
    }();
    static const std::vector<std::string> trades = {"local_ts_ns", "exch_ts_ms", "trade_ts_ms",
                                                    "trade_id",    "price",      "qty",
                                                    "taker_side",  "is_buyer_maker"};
    return kind == FileKind::Book20 ? book : trades;
}

const char* kind_name(FileKind kind) { return kind == FileKind::Book20 ? "book20" : "trades"; }

// The expected header, short enough for a one-line message.
std::string header_summary(FileKind kind) {
    if (kind == FileKind::Book20) {
        return "local_ts_ns,exch_ts_ms,txn_ts_ms,row_type,first_update_id,last_update_id,"
               "bid_px_1,bid_qty_1,...,bid_px_20,bid_qty_20,ask_px_1,ask_qty_1,...,ask_px_20,ask_qty_20 "
               "(86 columns)";
    }
    return CsvReader::expected_header(FileKind::Trades) + " (8 columns)";
}

constexpr const char* kFormatFix =
    "use a file in the derived book20/trades CSV format described in examples/data/SOURCE.md";

/// Splits on ','; stores the first kMaxColumns fields and returns the total count.
std::size_t split_fields(std::string_view line, std::array<std::string_view, kMaxColumns + 1>& out) {
    std::size_t count = 0;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = line.find(',', start);
        const std::string_view field =
            comma == std::string_view::npos ? line.substr(start) : line.substr(start, comma - start);
        if (count < out.size()) out[count] = field;
        ++count;
        if (comma == std::string_view::npos) return count;
        start = comma + 1;
    }
}

void copy_name(char* dst, std::size_t cap, const std::string& name) {
    std::memset(dst, 0, cap);
    std::memcpy(dst, name.data(), std::min(cap, name.size()));
}

/// Parses one row's fields; every failure names the column and the value.
class RowParser {
public:
    RowParser(const GzipLineReader& lines, FileKind kind, const std::array<std::string_view, kMaxColumns + 1>& fields)
        : lines_(lines), kind_(kind), fields_(fields) {}

    std::int64_t integer(std::size_t col) const {
        const std::string_view f = fields_[col];
        if (f.empty()) fail_empty(col);
        std::int64_t v = 0;
        const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
        if (ec == std::errc::result_out_of_range) fail(col, "is out of range for a 64-bit integer");
        if (ec != std::errc() || ptr != f.data() + f.size()) fail(col, "is not an integer");
        return v;
    }

    /// A millisecond timestamp as ns; 0 when the field is empty.
    std::int64_t ms_as_ns_or_zero(std::size_t col) const {
        if (fields_[col].empty()) return 0;
        const std::int64_t ms = integer(col);
        std::int64_t ns = 0;
        if (__builtin_mul_overflow(ms, kNsPerMs, &ns)) fail(col, "is too large for a millisecond timestamp");
        return ns;
    }

    /// A decimal string as double; `allow_empty` maps "" to 0 (a missing book level).
    double decimal(std::size_t col, bool allow_empty, bool must_be_positive) const {
        const std::string_view f = fields_[col];
        if (f.empty()) {
            if (allow_empty) return 0.0;
            fail_empty(col);
        }
        double v = 0.0;
        const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v, std::chars_format::fixed);
        if (ec != std::errc() || ptr != f.data() + f.size() || !std::isfinite(v)) {
            fail(col, "is not a decimal number");
        }
        if (v < 0.0 || (must_be_positive && v == 0.0)) {
            fail(col, must_be_positive ? "must be greater than 0" : "must not be negative");
        }
        return v;
    }

    std::string_view text(std::size_t col) const { return fields_[col]; }

    [[noreturn]] void fail(std::size_t col, const std::string& what) const {
        throw DataError(lines_.path(), lines_.line_number(),
                        "column " + column_names(kind_)[col] + " value " + quote_for_message(fields_[col]) +
                            " " + what,
                        "correct or remove this row, or re-create the file from the raw capture");
    }

private:
    [[noreturn]] void fail_empty(std::size_t col) const {
        throw DataError(lines_.path(), lines_.line_number(), "column " + column_names(kind_)[col] + " is empty",
                        "correct or remove this row, or re-create the file from the raw capture");
    }

    const GzipLineReader& lines_;
    FileKind kind_;
    const std::array<std::string_view, kMaxColumns + 1>& fields_;
};

}  // namespace

CsvReader::CsvReader(FileSpec spec) {
    // Open first: "file not found" is the more useful message when the name
    // is unusual too.
    lines_ = std::make_unique<GzipLineReader>(spec.path);
    spec_ = resolve_file_spec(std::move(spec));
    check_header();
    copy_name(depth_template_.instrument, sizeof depth_template_.instrument, spec_.instrument);
    copy_name(depth_template_.exchange, sizeof depth_template_.exchange, spec_.exchange);
    copy_name(trade_template_.instrument, sizeof trade_template_.instrument, spec_.instrument);
    copy_name(trade_template_.exchange, sizeof trade_template_.exchange, spec_.exchange);
}

CsvReader::~CsvReader() = default;
CsvReader::CsvReader(CsvReader&&) noexcept = default;
CsvReader& CsvReader::operator=(CsvReader&&) noexcept = default;

std::uint64_t CsvReader::line_number() const noexcept { return lines_ ? lines_->line_number() : 0; }

std::string CsvReader::expected_header(FileKind kind) {
    std::string out;
    for (const auto& name : column_names(kind)) {
        if (!out.empty()) out += ',';
        out += name;
    }
    return out;
}

void CsvReader::check_header() {
    const auto header = lines_->next_line();
    if (!header) {
        throw DataError(spec_.path, 1, "no header row", std::string(kFormatFix));
    }
    if (!spec_.kind) {
        // Not given and not in the file name: tell the two formats apart by
        // their third column.
        if (header->starts_with("local_ts_ns,exch_ts_ms,txn_ts_ms,")) {
            spec_.kind = FileKind::Book20;
        } else if (header->starts_with("local_ts_ns,exch_ts_ms,trade_ts_ms,")) {
            spec_.kind = FileKind::Trades;
        } else {
            throw DataError(spec_.path, 1,
                            "wrong header " + quote_for_message(*header, 60) + ": expected the book20 columns " +
                                header_summary(FileKind::Book20) + " or the trades columns " +
                                header_summary(FileKind::Trades),
                            kFormatFix);
        }
    }
    const FileKind kind = *spec_.kind;
    std::array<std::string_view, kMaxColumns + 1> fields;
    const std::size_t count = split_fields(*header, fields);
    const auto& names = column_names(kind);
    std::string problem;
    if (count != names.size()) {
        problem = "wrong header: it has " + std::to_string(count) + " columns";
    } else {
        for (std::size_t i = 0; i < count; ++i) {
            if (fields[i] != names[i]) {
                problem = "wrong header: column " + std::to_string(i + 1) + " is " +
                          quote_for_message(fields[i]) + " instead of " + names[i];
                break;
            }
        }
    }
    if (!problem.empty()) {
        throw DataError(spec_.path, 1,
                        problem + "; a " + kind_name(kind) + " file has the columns " + header_summary(kind),
                        kFormatFix);
    }
}

std::optional<Event> CsvReader::next() {
    for (;;) {
        const auto line = lines_->next_line();
        if (!line) return std::nullopt;
        if (line->empty()) continue;  // tolerate blank lines (e.g. a trailing one)
        Event ev = kind() == FileKind::Book20 ? parse_book_row(*line) : parse_trade_row(*line);
        const std::int64_t t = ev.receive_time_ns();
        if (rows_read_ > 0 && t < last_receive_time_ns_) {
            throw DataError(spec_.path, lines_->line_number(),
                            "rows go backwards in time: local_ts_ns " + std::to_string(t) +
                                " is earlier than the previous row's " + std::to_string(last_receive_time_ns_),
                            "sort the file by local_ts_ns (replay needs rows in receive order)");
        }
        last_receive_time_ns_ = t;
        ++rows_read_;
        return ev;
    }
}

namespace {

[[noreturn]] void fail_column_count(const GzipLineReader& lines, std::size_t got, std::size_t want) {
    throw DataError(lines.path(), lines.line_number(),
                    "row has " + std::to_string(got) + " columns, the header has " + std::to_string(want),
                    "correct or remove this row (a truncated or hand-edited line?)");
}

}  // namespace

Event CsvReader::parse_book_row(std::string_view line) {
    std::array<std::string_view, kMaxColumns + 1> fields;
    const std::size_t count = split_fields(line, fields);
    if (count != kBookColumns) fail_column_count(*lines_, count, kBookColumns);
    const RowParser row(*lines_, FileKind::Book20, fields);

    sigrun_depth d = depth_template_;
    d.receive_time_ns = row.integer(kBookLocalTs);
    d.exchange_time_ns = row.ms_as_ns_or_zero(kBookExchTs);
    for (std::size_t i = 0; i < SIGRUN_DEPTH_LEVELS; ++i) {
        d.bid_price[i] = row.decimal(kBookFirstBid + 2 * i, true, false);
        d.bid_size[i] = row.decimal(kBookFirstBid + 2 * i + 1, true, false);
        d.ask_price[i] = row.decimal(kBookFirstAsk + 2 * i, true, false);
        d.ask_size[i] = row.decimal(kBookFirstAsk + 2 * i + 1, true, false);
    }
    return Event(d);
}

Event CsvReader::parse_trade_row(std::string_view line) {
    std::array<std::string_view, kMaxColumns + 1> fields;
    const std::size_t count = split_fields(line, fields);
    if (count != kTradeColumns) fail_column_count(*lines_, count, kTradeColumns);
    const RowParser row(*lines_, FileKind::Trades, fields);

    sigrun_trade t = trade_template_;
    t.receive_time_ns = row.integer(kTradeLocalTs);
    t.exchange_time_ns = row.ms_as_ns_or_zero(kTradeTs);
    t.trade_id = row.integer(kTradeId);
    t.price = row.decimal(kTradePrice, false, true);
    t.size = row.decimal(kTradeQty, false, true);
    const std::string_view side = row.text(kTradeSide);
    if (side == "buy") {
        t.aggressor_side = SIGRUN_SIDE_BUY;
    } else if (side == "sell") {
        t.aggressor_side = SIGRUN_SIDE_SELL;
    } else {
        row.fail(kTradeSide, "is not buy or sell");
    }
    return Event(t);
}

}  // namespace sigrun::market_data
