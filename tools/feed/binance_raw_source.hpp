// tools/feed/binance_raw_source.hpp — `sigrun-feed record`: the raw Binance
// captures of ../shared/data/binance-hftbacktest/raw (gzip, one
// "<recv_ts_ns> <json>" message per line) as the same Depth and Trade
// events the derived CSVs give (BinanceRawSource).
//
// The book is rebuilt from the REST snapshot and the diff-depth stream with
// Binance's sync rules, the rules the derived files were made with:
//   * diffs received before the snapshot line are buffered; at the snapshot
//     those still valid are applied and ONE depth event is emitted at the
//     snapshot's receive time (the derived "S" row; exchange time 0 on spot,
//     whose REST snapshot has no time);
//   * spot: drop u <= L; the first applied diff has U <= L+1 <= u, each next
//     one U == previous u + 1. Futures: drop u < L; the first has
//     U <= L <= u, each next one pu == previous u;
//   * each applied diff emits one depth event (receive time, exchange time
//     E): the top SIGRUN_DEPTH_LEVELS levels, missing levels 0;
//   * quantities are absolute sizes, "0" deletes the level; prices and
//     sizes are parsed from the exchange's decimal strings exactly as the
//     CSV reader parses the same strings, so the doubles are identical;
//   * every trade is an event (exchange time T, m=true means the aggressor
//     sold), bookTicker messages are skipped;
//   * depth before trade at the same receive time (the replay's order).
// Files of one instrument are read in the order given (0808 then 0809: the
// update-id chain runs across them). A gap in the chain is a DataError.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sigrun/market_data/event.hpp"

namespace sigrun::feed {

class BinanceRawSource {
public:
    // `files`: one instrument's raw captures in time order. Instrument and
    // market come from the path (raw/<spot|usdm|cm>/<symbol>_<date>.gz)
    // unless given. Throws market_data::DataError when a file cannot be
    // opened or the names cannot be worked out.
    BinanceRawSource(std::vector<std::filesystem::path> files, std::string instrument = {},
                     std::string market = {});
    ~BinanceRawSource();

    // The next event; std::nullopt at the end. Throws market_data::DataError
    // naming the file and line of a malformed message or a sequence gap.
    std::optional<market_data::Event> next();

private:
    struct Line;
    bool read_line(Line& line);
    void handle(const Line& line);
    void apply_snapshot(const Line& line);
    bool apply_diff(const Line& line, bool buffered);
    void emit_depth(std::int64_t receive_time_ns, std::int64_t exchange_time_ns);

    class Reader;
    std::vector<std::filesystem::path> files_;
    std::size_t file_index_ = 0;
    std::unique_ptr<Reader> reader_;
    std::string instrument_, exchange_;
    bool futures_ = false;
    bool ended_ = false;

    std::map<double, double, std::greater<>> bids_;
    std::map<double, double> asks_;
    bool synced_ = false;       // snapshot seen
    bool first_applied_ = false;
    std::uint64_t last_update_id_ = 0;  // L, then the last applied u
    std::vector<std::string> buffered_;  // diffs (raw lines) before the snapshot
    std::deque<market_data::Event> ready_;
};

}  // namespace sigrun::feed
