// File-name conventions: <market>_<symbol>_<book20|trades>.csv.gz.
#include "sigrun/market_data/data_error.hpp"
#include "sigrun/market_data/file_spec.hpp"

#include <gtest/gtest.h>

namespace sigrun::market_data {
namespace {

TEST(FileSpecFromName, SpotBookNamesBinanceSpot) {
    const FileSpec s = spec_from_file_name("/data/spot_btcusdt_book20.csv.gz");
    EXPECT_EQ(s.instrument, "BTCUSDT");
    EXPECT_EQ(s.exchange, "binance-spot");
    EXPECT_EQ(s.kind, FileKind::Book20);
}

TEST(FileSpecFromName, UsdmTradesNamesBinanceUsdm) {
    const FileSpec s = spec_from_file_name("usdm_ethusdt_trades.csv.gz");
    EXPECT_EQ(s.instrument, "ETHUSDT");
    EXPECT_EQ(s.exchange, "binance-usdm");
    EXPECT_EQ(s.kind, FileKind::Trades);
}

TEST(FileSpecFromName, CoinMKeepsTheUnderscoreInTheSymbol) {
    const FileSpec s = spec_from_file_name("cm_btcusd_perp_book20.csv.gz");
    EXPECT_EQ(s.instrument, "BTCUSD_PERP");
    EXPECT_EQ(s.exchange, "binance-coinm");
    EXPECT_EQ(s.kind, FileKind::Book20);
}

TEST(FileSpecFromName, UnknownNamesLeaveFieldsEmpty) {
    const FileSpec a = spec_from_file_name("ticks.csv.gz");
    EXPECT_TRUE(a.instrument.empty());
    EXPECT_TRUE(a.exchange.empty());
    EXPECT_FALSE(a.kind.has_value());

    const FileSpec b = spec_from_file_name("kraken_xbtusd_trades.csv.gz");
    EXPECT_EQ(b.kind, FileKind::Trades);
    EXPECT_TRUE(b.instrument.empty());
}

TEST(ResolveFileSpec, CallerValuesWin) {
    const FileSpec s = resolve_file_spec(FileSpec{"spot_btcusdt_book20.csv.gz", FileKind::Trades, "X", ""});
    EXPECT_EQ(s.instrument, "X");
    EXPECT_EQ(s.exchange, "binance-spot");
    EXPECT_EQ(s.kind, FileKind::Trades);
}

TEST(ResolveFileSpec, UnnamedInstrumentIsADataErrorNamingTheFile) {
    try {
        (void)resolve_file_spec(FileSpec{"/tmp/ticks.csv.gz", {}, {}, {}});
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("/tmp/ticks.csv.gz"), std::string::npos) << msg;
        EXPECT_NE(msg.find("fix:"), std::string::npos) << msg;
    }
}

TEST(ResolveFileSpec, TooLongInstrumentIsADataError) {
    EXPECT_THROW((void)resolve_file_spec(FileSpec{"a.csv.gz", {}, std::string(33, 'X'), "ex"}), DataError);
    EXPECT_NO_THROW((void)resolve_file_spec(FileSpec{"a.csv.gz", {}, std::string(32, 'X'), "ex"}));
}

}  // namespace
}  // namespace sigrun::market_data
