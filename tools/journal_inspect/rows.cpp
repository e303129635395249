#include "rows.hpp"

#include <time.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inspect.hpp"
#include "sigrun/factor_batch.hpp"

namespace sigrun::inspect {
namespace {


template <class Message>
bool decode(std::span<const std::byte> payload, Message& message) {
    if (payload.size() < sizeof(Message)) return false;
    std::memcpy(&message, payload.data(), sizeof(Message));
    return true;
}

const char* side_name(std::int32_t side) {
    switch (side) {
        case SIGRUN_SIDE_BUY: return "buy";
        case SIGRUN_SIDE_SELL: return "sell";
        default: return "unknown";
    }
}

std::string hex(std::span<const std::byte> payload) {
    std::string out;
    out.reserve(payload.size() * 2);
    for (std::byte b : payload) out += fmt::format("{:02x}", static_cast<unsigned>(b));
    return out;
}

// The ISO text of a time, JSON null for 0 ("none").
nlohmann::ordered_json iso_or_null(std::int64_t ns) {
    return ns == 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(format_time(ns));
}

nlohmann::ordered_json common_json(const journal::FrameInfo& info) {
    nlohmann::ordered_json j;
    j["sequence"] = info.sequence;
    j["type"] = type_name(info.msg_type);
    j["msg_type"] = info.msg_type;
    j["gen_time_ns"] = info.gen_time;
    j["gen_time"] = iso_or_null(info.gen_time);
    j["trigger_time_ns"] = info.trigger_time;
    return j;
}

nlohmann::ordered_json levels_json(const double (&price)[SIGRUN_DEPTH_LEVELS],
                                   const double (&size)[SIGRUN_DEPTH_LEVELS]) {
    nlohmann::ordered_json levels = nlohmann::ordered_json::array();
    for (int i = 0; i < SIGRUN_DEPTH_LEVELS; ++i) {
        if (price[i] == 0.0 && size[i] == 0.0) break;  // a thin book: no more levels
        levels.push_back({price[i], size[i]});
    }
    return levels;
}

std::string dump_json(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// CSV: a field is quoted only when it has to be (RFC 4180).
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string num(double v) { return fmt::format("{}", v); }

std::vector<std::string> common_cells(const journal::FrameInfo& info) {
    return {fmt::to_string(info.sequence), type_name(info.msg_type), fmt::to_string(info.gen_time),
            info.gen_time == 0 ? std::string() : format_time(info.gen_time),
            fmt::to_string(info.trigger_time)};
}

std::size_t column_count(CsvLayout layout) {
    std::size_t n = 0;
    const std::string header = csv_header(layout);
    for (char c : header) n += c == ',';
    return n + 1;
}

std::string join_row(std::vector<std::string> cells, std::size_t columns) {
    cells.resize(columns);
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i != 0) out += ',';
        out += csv_field(cells[i]);
    }
    return out;
}

}  // namespace

std::optional<std::int64_t> parse_utc_time(std::string_view text) {
    // YYYY-MM-DD[THH:MM:SS[.fraction]Z]
    auto digits = [&](std::size_t pos, std::size_t n, int& out) {
        if (pos + n > text.size()) return false;
        int v = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (text[i] < '0' || text[i] > '9') return false;
            v = v * 10 + (text[i] - '0');
        }
        out = v;
        return true;
    };
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(0, 4, year) || text.size() < 10 || text[4] != '-' || !digits(5, 2, month) ||
        text[7] != '-' || !digits(8, 2, day)) {
        return std::nullopt;
    }
    std::int64_t frac_ns = 0;
    if (text.size() > 10) {
        if ((text[10] != 'T' && text[10] != 't') || !digits(11, 2, hour) || text.size() < 20 ||
            text[13] != ':' || !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second)) {
            return std::nullopt;
        }
        std::size_t pos = 19;
        if (pos < text.size() && text[pos] == '.') {
            ++pos;
            std::size_t n = 0;
            std::int64_t scale = 100'000'000;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                if (n == 9) return std::nullopt;  // below a nanosecond
                frac_ns += (text[pos] - '0') * scale;
                scale /= 10;
                ++pos;
                ++n;
            }
            if (n == 0) return std::nullopt;
        }
        if (pos + 1 != text.size() || (text[pos] != 'Z' && text[pos] != 'z')) return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    struct tm tm {};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const time_t t = ::timegm(&tm);
    if (tm.tm_mday != day || tm.tm_mon != month - 1) return std::nullopt;  // e.g. 2024-02-30
    if (t < 0 || t > 9'000'000'000) return std::nullopt;                  // int64 ns range
    return static_cast<std::int64_t>(t) * 1'000'000'000 + frac_ns;
}

std::optional<Bound> parse_bound(std::string_view text, std::string& error) {
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
        std::uint64_t n = 0;
        if (std::from_chars(text.data(), text.data() + text.size(), n).ec != std::errc{}) {
            error = fmt::format("{} is too large; give a sequence below 2^64", text);
            return std::nullopt;
        }
        if (n == 0) {
            error = "sequences start at 1";
            return std::nullopt;
        }
        return Bound{Bound::Kind::sequence, n, 0};
    }
    if (const auto t = parse_utc_time(text)) return Bound{Bound::Kind::time, 0, *t};
    error = fmt::format("'{}' is neither a sequence number (1 or more) nor a UTC time like "
                        "2024-05-01T12:00:00Z",
                        text);
    return std::nullopt;
}

std::optional<std::int32_t> type_from_name(std::string_view name) {
    if (name == "depth") return SIGRUN_MSG_DEPTH;
    if (name == "trade") return SIGRUN_MSG_TRADE;
    if (name == "factors") return SIGRUN_MSG_FACTOR_BATCH;
    return std::nullopt;
}

bool Selection::past_end(const journal::FrameInfo& info) const noexcept {
    if (!to) return false;
    return to->kind == Bound::Kind::sequence ? info.sequence > to->sequence
                                             : info.gen_time > to->time_ns;
}

bool Selection::before_start(const journal::FrameInfo& info) const noexcept {
    return from && from->kind == Bound::Kind::time && info.gen_time < from->time_ns;
}

bool Selection::matches(const journal::FrameInfo& info, std::span<const std::byte> payload,
                        std::vector<sigrun_factor>& values) const {
    values.clear();
    if (type && info.msg_type != *type) return false;
    switch (info.msg_type) {
        case SIGRUN_MSG_FACTOR_BATCH: {
            const bool ok = for_each_factor(payload, [&](const sigrun_factor& f) {
                if (engine && printable_field(f.engine) != *engine) return;
                if (factor && printable_field(f.factor) != *factor) return;
                if (instrument && printable_field(f.instrument) != *instrument) return;
                values.push_back(f);
            });
            if (!ok) return !filters_content();  // malformed: shown unless filtered by content
            return !values.empty();
        }
        case SIGRUN_MSG_DEPTH:
        case SIGRUN_MSG_TRADE: {
            if (engine || factor) return false;
            if (!instrument) return true;
            // instrument is the first field of both messages.
            char name[SIGRUN_INSTRUMENT_LEN];
            if (payload.size() < sizeof name) return false;
            std::memcpy(name, payload.data(), sizeof name);
            return printable_field(name) == *instrument;
        }
        default:
            return !filters_content();
    }
}

void seek_to(journal::Reader& reader, const std::optional<Bound>& from) {
    if (!from) return;
    if (from->kind == Bound::Kind::sequence) {
        reader.seek_sequence(from->sequence);
    } else {
        reader.seek_time(from->time_ns);
    }
}

std::string csv_header(CsvLayout layout) {
    std::string h = "sequence,type,gen_time_ns,gen_time,trigger_time_ns";
    if (layout == CsvLayout::factors) {
        return h + ",engine,factor,instrument,value,source_sequence,source_receive_time_ns,"
                   "publish_time_ns";
    }
    h += ",instrument,exchange,exchange_time_ns,receive_time_ns,price,size,trade_id,side";
    for (int i = 0; i < SIGRUN_DEPTH_LEVELS; ++i) {
        h += fmt::format(",bid_price_{0},bid_size_{0},ask_price_{0},ask_size_{0}", i);
    }
    return h;
}

std::vector<std::string> json_rows(const journal::FrameInfo& info,
                                   std::span<const std::byte> payload,
                                   const std::vector<sigrun_factor>& values) {
    std::vector<std::string> rows;
    switch (info.msg_type) {
        case SIGRUN_MSG_DEPTH: {
            sigrun_depth d;
            if (!decode(payload, d)) break;
            auto j = common_json(info);
            j["instrument"] = printable_field(d.instrument);
            j["exchange"] = printable_field(d.exchange);
            j["exchange_time_ns"] = d.exchange_time_ns;
            j["receive_time_ns"] = d.receive_time_ns;
            j["bids"] = levels_json(d.bid_price, d.bid_size);
            j["asks"] = levels_json(d.ask_price, d.ask_size);
            rows.push_back(dump_json(j));
            return rows;
        }
        case SIGRUN_MSG_TRADE: {
            sigrun_trade t;
            if (!decode(payload, t)) break;
            auto j = common_json(info);
            j["instrument"] = printable_field(t.instrument);
            j["exchange"] = printable_field(t.exchange);
            j["exchange_time_ns"] = t.exchange_time_ns;
            j["receive_time_ns"] = t.receive_time_ns;
            j["price"] = t.price;
            j["size"] = t.size;
            j["trade_id"] = t.trade_id;
            j["side"] = side_name(t.aggressor_side);
            rows.push_back(dump_json(j));
            return rows;
        }
        case SIGRUN_MSG_FACTOR_BATCH: {
            if (values.empty()) break;  // malformed batch
            for (const sigrun_factor& f : values) {
                auto j = common_json(info);
                j["engine"] = printable_field(f.engine);
                j["factor"] = printable_field(f.factor);
                j["instrument"] = printable_field(f.instrument);
                j["value"] = f.value;  // NaN/inf: null
                j["source_sequence"] = f.source_sequence;
                j["source_receive_time_ns"] = f.source_receive_time_ns;
                j["publish_time_ns"] = f.publish_time_ns;
                rows.push_back(dump_json(j));
            }
            return rows;
        }
        default: break;
    }
    // An unknown type, or a known one whose payload is not that message.
    auto j = common_json(info);
    j["length"] = info.length;
    if (type_from_name(type_name(info.msg_type))) j["error"] = "malformed payload";
    j["payload_hex"] = hex(payload);
    rows.push_back(dump_json(j));
    return rows;
}

std::vector<std::string> csv_rows(CsvLayout layout, const journal::FrameInfo& info,
                                  std::span<const std::byte> payload,
                                  const std::vector<sigrun_factor>& values) {
    const std::size_t columns = column_count(layout);
    std::vector<std::string> rows;
    if (layout == CsvLayout::factors && info.msg_type == SIGRUN_MSG_FACTOR_BATCH && !values.empty()) {
        for (const sigrun_factor& f : values) {
            auto cells = common_cells(info);
            cells.insert(cells.end(), {printable_field(f.engine), printable_field(f.factor), printable_field(f.instrument),
                                       num(f.value), fmt::to_string(f.source_sequence),
                                       fmt::to_string(f.source_receive_time_ns),
                                       fmt::to_string(f.publish_time_ns)});
            rows.push_back(join_row(std::move(cells), columns));
        }
        return rows;
    }
    auto cells = common_cells(info);
    if (layout == CsvLayout::md) {
        sigrun_depth d;
        sigrun_trade t;
        if (info.msg_type == SIGRUN_MSG_DEPTH && decode(payload, d)) {
            cells.insert(cells.end(), {printable_field(d.instrument), printable_field(d.exchange),
                                       fmt::to_string(d.exchange_time_ns),
                                       fmt::to_string(d.receive_time_ns), "", "", "", ""});
            for (int i = 0; i < SIGRUN_DEPTH_LEVELS; ++i) {
                cells.insert(cells.end(), {num(d.bid_price[i]), num(d.bid_size[i]),
                                           num(d.ask_price[i]), num(d.ask_size[i])});
            }
        } else if (info.msg_type == SIGRUN_MSG_TRADE && decode(payload, t)) {
            cells.insert(cells.end(), {printable_field(t.instrument), printable_field(t.exchange),
                                       fmt::to_string(t.exchange_time_ns),
                                       fmt::to_string(t.receive_time_ns), num(t.price), num(t.size),
                                       fmt::to_string(t.trade_id), side_name(t.aggressor_side)});
        }
    }
    // Anything that does not fit the layout keeps its common columns only.
    rows.push_back(join_row(std::move(cells), columns));
    return rows;
}

RowWriter::RowWriter(RowFormat format, std::optional<CsvLayout> layout, std::FILE* out)
    : format_(format), layout_(layout), out_(out) {}

void RowWriter::line(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fputc('\n', out_);
}

std::uint64_t RowWriter::write(const journal::FrameInfo& info, std::span<const std::byte> payload,
                               const std::vector<sigrun_factor>& values) {
    std::vector<std::string> rows;
    if (format_ == RowFormat::json) {
        rows = json_rows(info, payload, values);
    } else {
        if (!layout_) {
            layout_ = info.msg_type == SIGRUN_MSG_FACTOR_BATCH ? CsvLayout::factors : CsvLayout::md;
        }
        if (!header_written_) {
            line(csv_header(*layout_));
            header_written_ = true;
        }
        rows = csv_rows(*layout_, info, payload, values);
    }
    for (const auto& r : rows) line(r);
    return rows.size();
}

void RowWriter::finish() {
    if (format_ == RowFormat::csv && !header_written_) {
        line(csv_header(layout_.value_or(CsvLayout::md)));
        header_written_ = true;
    }
    std::fflush(out_);
}

}  // namespace sigrun::inspect
