#include "binance_raw_source.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sigrun/market_data/data_error.hpp"

namespace sigrun::feed {
namespace {

using market_data::DataError;
using nlohmann::json;

constexpr const char* kFix = "pass the untouched raw capture files of one instrument, in time order";

void copy_name(char* field, std::size_t size, const std::string& name) {
    std::memset(field, 0, size);
    std::memcpy(field, name.data(), std::min(name.size(), size - 1));
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

}  // namespace

// gzip text, line by line (a REST snapshot line is ~60 kB).
class BinanceRawSource::Reader {
public:
    explicit Reader(const std::filesystem::path& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
        if (file_ == nullptr) throw DataError(path, 0, "cannot be opened", kFix);
        gzbuffer(file_, 1 << 16);
    }
    ~Reader() { gzclose(file_); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    bool next(std::string& line) {
        line.clear();
        for (;;) {
            if (pos_ == end_) {
                const int n = gzread(file_, buffer_, sizeof buffer_);
                if (n < 0) throw DataError(path_, number_ + 1, "is not a readable gzip stream", kFix);
                if (n == 0) {
                    if (line.empty()) return false;
                    ++number_;
                    return true;
                }
                pos_ = 0;
                end_ = static_cast<std::size_t>(n);
            }
            const char* start = buffer_ + pos_;
            const void* newline = std::memchr(start, '\n', end_ - pos_);
            if (newline == nullptr) {
                line.append(start, end_ - pos_);
                pos_ = end_;
                continue;
            }
            const auto length = static_cast<std::size_t>(static_cast<const char*>(newline) - start);
            line.append(start, length);
            pos_ += length + 1;
            ++number_;
            return true;
        }
    }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::uint64_t line_number() const noexcept { return number_; }

private:
    std::filesystem::path path_;
    gzFile file_;
    char buffer_[1 << 16];
    std::size_t pos_ = 0, end_ = 0;
    std::uint64_t number_ = 0;
};

struct BinanceRawSource::Line {
    std::int64_t receive_time_ns = 0;
    json message;
    std::string text;
};

BinanceRawSource::BinanceRawSource(std::vector<std::filesystem::path> files, std::string instrument,
                                   std::string market)
    : files_(std::move(files)) {
    if (files_.empty()) throw DataError({}, 0, "no raw file given", kFix);
    const auto& first = files_.front();
    if (market.empty()) market = first.parent_path().filename().string();  // raw/<market>/<symbol>_<date>.gz
    if (instrument.empty()) instrument = upper(first.filename().string().substr(0, first.filename().string().rfind('_')));
    if (market == "spot") {
        exchange_ = "binance-spot";
    } else if (market == "usdm") {
        exchange_ = "binance-usdm";
        futures_ = true;
    } else if (market == "cm") {
        exchange_ = "binance-coinm";
        futures_ = true;
    } else {
        throw DataError(first, 0, fmt::format("is in folder \"{}\", not spot, usdm or cm", market),
                        "keep the raw/<spot|usdm|cm>/ layout or pass --market");
    }
    if (instrument.empty() || instrument.size() >= SIGRUN_INSTRUMENT_LEN) {
        throw DataError(first, 0, fmt::format("gives no usable instrument name (\"{}\")", instrument),
                        "name it <symbol>_<date>.gz or pass --instrument");
    }
    instrument_ = instrument;
    for (const auto& f : files_) Reader{f};  // every file opens, before any event is handed out
    reader_ = std::make_unique<Reader>(files_[0]);
}

BinanceRawSource::~BinanceRawSource() = default;

bool BinanceRawSource::read_line(Line& line) {
    for (;;) {
        if (reader_->next(line.text)) break;
        if (++file_index_ == files_.size()) return false;
        reader_ = std::make_unique<Reader>(files_[file_index_]);
    }
    const auto space = line.text.find(' ');
    const char* begin = line.text.data();
    const auto [ptr, ec] = std::from_chars(begin, begin + (space == std::string::npos ? 0 : space), line.receive_time_ns);
    if (space == std::string::npos || ec != std::errc() || ptr != begin + space) {
        throw DataError(reader_->path(), reader_->line_number(), "does not start with a receive time in ns", kFix);
    }
    try {
        line.message = json::parse(line.text.begin() + static_cast<std::ptrdiff_t>(space) + 1, line.text.end());
    } catch (const json::exception& e) {
        throw DataError(reader_->path(), reader_->line_number(), fmt::format("is not JSON ({})", e.what()), kFix);
    }
    return true;
}

std::optional<market_data::Event> BinanceRawSource::next() {
    // Events of one receive time are released together, depth first, as the
    // replay of the derived files orders them: read until an event with a
    // later receive time is ready (receive times never decrease) or the end.
    Line line;
    while (!ended_ && (ready_.empty() || ready_.back().receive_time_ns() == ready_.front().receive_time_ns())) {
        if (!read_line(line)) {
            ended_ = true;
            break;
        }
        handle(line);
    }
    if (ready_.empty()) return std::nullopt;
    const std::int64_t t = ready_.front().receive_time_ns();
    const auto group_end =
        std::find_if(ready_.begin(), ready_.end(), [t](const auto& e) { return e.receive_time_ns() != t; });
    std::stable_partition(ready_.begin(), group_end, [](const auto& e) { return e.type() == SIGRUN_MSG_DEPTH; });
    market_data::Event event = ready_.front();
    ready_.pop_front();
    return event;
}

void BinanceRawSource::handle(const Line& line) {
    const json& m = line.message;
    if (!m.contains("stream")) {
        if (m.contains("lastUpdateId")) apply_snapshot(line);
        return;
    }
    const json& data = m.at("data");
    const std::string event = data.value("e", "");
    if (event == "trade") {
        sigrun_trade t{};
        copy_name(t.instrument, sizeof t.instrument, instrument_);
        copy_name(t.exchange, sizeof t.exchange, exchange_);
        t.receive_time_ns = line.receive_time_ns;
        t.exchange_time_ns = data.at("T").get<std::int64_t>() * 1'000'000;
        t.trade_id = data.at("t").get<std::int64_t>();
        const auto parse = [&](const char* key) {
            const std::string& s = data.at(key).get_ref<const std::string&>();
            double v = 0;
            std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
            return v;
        };
        t.price = parse("p");
        t.size = parse("q");
        t.aggressor_side = data.at("m").get<bool>() ? SIGRUN_SIDE_SELL : SIGRUN_SIDE_BUY;
        ready_.emplace_back(t);
    } else if (event == "depthUpdate") {
        if (!synced_) {
            buffered_.push_back(line.text);
            return;
        }
        if (apply_diff(line, false)) {
            emit_depth(line.receive_time_ns, data.at("E").get<std::int64_t>() * 1'000'000);
        }
    }
}

namespace {

template <class Book>
void apply_levels(Book& book, const json& levels) {
    for (const json& level : levels) {
        const std::string& p = level.at(0).get_ref<const std::string&>();
        const std::string& q = level.at(1).get_ref<const std::string&>();
        double price = 0, size = 0;
        std::from_chars(p.data(), p.data() + p.size(), price, std::chars_format::fixed);
        std::from_chars(q.data(), q.data() + q.size(), size, std::chars_format::fixed);
        if (size == 0.0) {
            book.erase(price);
        } else {
            book[price] = size;
        }
    }
}

}  // namespace

void BinanceRawSource::apply_snapshot(const Line& line) {
    const json& m = line.message;
    bids_.clear();
    asks_.clear();
    apply_levels(bids_, m.at("bids"));
    apply_levels(asks_, m.at("asks"));
    last_update_id_ = m.at("lastUpdateId").get<std::uint64_t>();
    synced_ = true;
    first_applied_ = false;
    for (const std::string& text : buffered_) {
        Line diff;
        diff.receive_time_ns = 0;
        diff.message = json::parse(text.begin() + static_cast<std::ptrdiff_t>(text.find(' ')) + 1, text.end());
        apply_diff(diff, true);
    }
    buffered_.clear();
    emit_depth(line.receive_time_ns, futures_ ? m.value("E", std::int64_t{0}) * 1'000'000 : 0);
}

bool BinanceRawSource::apply_diff(const Line& line, bool buffered) {
    const json& d = line.message.at("data");
    const auto first = d.at("U").get<std::uint64_t>();
    const auto last = d.at("u").get<std::uint64_t>();
    if (!first_applied_) {
        // Before the first applied diff: drop what the snapshot already holds.
        if (futures_ ? last < last_update_id_ : last <= last_update_id_) return false;
        const std::uint64_t want = futures_ ? last_update_id_ : last_update_id_ + 1;
        if (first > want || last < want) {
            if (buffered) return false;
            throw DataError(reader_->path(), reader_->line_number(),
                            fmt::format("depth diff {}..{} does not cover update {} after the snapshot", first, last, want),
                            kFix);
        }
        first_applied_ = true;
    } else {
        const bool chained = futures_ ? d.at("pu").get<std::uint64_t>() == last_update_id_ : first == last_update_id_ + 1;
        if (!chained) {
            throw DataError(reader_->path(), reader_->line_number(),
                            fmt::format("depth diff {}..{} does not follow update {} (a gap in the capture)", first,
                                        last, last_update_id_),
                            kFix);
        }
    }
    apply_levels(bids_, d.at("b"));
    apply_levels(asks_, d.at("a"));
    last_update_id_ = last;
    return true;
}

void BinanceRawSource::emit_depth(std::int64_t receive_time_ns, std::int64_t exchange_time_ns) {
    sigrun_depth depth{};
    copy_name(depth.instrument, sizeof depth.instrument, instrument_);
    copy_name(depth.exchange, sizeof depth.exchange, exchange_);
    depth.receive_time_ns = receive_time_ns;
    depth.exchange_time_ns = exchange_time_ns;
    std::size_t i = 0;
    for (auto it = bids_.begin(); it != bids_.end() && i < SIGRUN_DEPTH_LEVELS; ++it, ++i) {
        depth.bid_price[i] = it->first;
        depth.bid_size[i] = it->second;
    }
    i = 0;
    for (auto it = asks_.begin(); it != asks_.end() && i < SIGRUN_DEPTH_LEVELS; ++it, ++i) {
        depth.ask_price[i] = it->first;
        depth.ask_size[i] = it->second;
    }
    ready_.emplace_back(depth);
}

}  // namespace sigrun::feed
