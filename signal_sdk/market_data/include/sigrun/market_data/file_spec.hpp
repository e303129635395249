// sigrun::market_data::FileSpec — one recorded market-data file and how to
// label its rows: which of the two derived CSV formats it is, and the
// instrument and exchange names to write into every message.
//
// The derived files (see examples/data/SOURCE.md) are named
//     <market>_<symbol>_<book20|trades>.csv.gz
// with market spot | usdm | cm; spec_from_file_name() reads that:
//     spot_btcusdt_book20.csv.gz   -> BTCUSDT,     binance-spot,  Book20
//     usdm_ethusdt_trades.csv.gz   -> ETHUSDT,     binance-usdm,  Trades
//     cm_btcusd_perp_book20.csv.gz -> BTCUSD_PERP, binance-coinm, Book20
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace sigrun::market_data {

enum class FileKind {
    Book20,  ///< top-20 book after each depth event (86 columns)
    Trades,  ///< one row per trade (8 columns)
};

struct FileSpec {
    std::filesystem::path path;
    /// Format; when empty, taken from the file name, else from the header.
    std::optional<FileKind> kind;
    /// Names written into each message; when empty, taken from the file name.
    /// At most SIGRUN_INSTRUMENT_LEN / SIGRUN_EXCHANGE_LEN characters.
    std::string instrument;
    std::string exchange;
};

/// Everything the file name says about the file (kind, instrument, exchange);
/// fields the name does not give stay empty. Never throws for an odd name.
[[nodiscard]] FileSpec spec_from_file_name(const std::filesystem::path& path);

/// `spec` with every empty field filled in from the file name (the caller's
/// values win). Throws DataError when the instrument or exchange is still
/// unknown or too long, naming the file and how to pass the names.
[[nodiscard]] FileSpec resolve_file_spec(FileSpec spec);

}  // namespace sigrun::market_data
