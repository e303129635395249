// CsvReader on the committed sample (examples/data) and on tiny hand-written
// files: row counts, exact field values, label and time mapping.
#include "sigrun/market_data/csv_reader.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace sigrun::market_data::test {
namespace {

const auto kSampleBook = kExamplesDir / "spot_btcusdt_book20.csv.gz";
const auto kSampleTrades = kExamplesDir / "spot_btcusdt_trades.csv.gz";

// Row counts from examples/data/SOURCE.md.
constexpr std::uint64_t kSampleBookRows = 1793;
constexpr std::uint64_t kSampleTradeRows = 3222;

/// The decimal string as the C library reads it (an independent parser).
double text(const char* s) { return std::strtod(s, nullptr); }

std::uint64_t count_rows(CsvReader& reader) {
    std::uint64_t n = 0;
    while (reader.next()) ++n;
    return n;
}

TEST(CsvReaderSample, BookFileHasTheRowCountOfSourceMd) {
    CsvReader reader(FileSpec{kSampleBook, {}, {}, {}});
    EXPECT_EQ(reader.kind(), FileKind::Book20);
    EXPECT_EQ(count_rows(reader), kSampleBookRows);
    EXPECT_EQ(reader.rows_read(), kSampleBookRows);
    EXPECT_EQ(reader.line_number(), kSampleBookRows + 1);  // + header
}

TEST(CsvReaderSample, TradesFileHasTheRowCountOfSourceMd) {
    CsvReader reader(FileSpec{kSampleTrades, {}, {}, {}});
    EXPECT_EQ(reader.kind(), FileKind::Trades);
    EXPECT_EQ(count_rows(reader), kSampleTradeRows);
}

TEST(CsvReaderSample, FirstBookRowMatchesTheCsvText) {
    // 1723161254206652067,,,S,,50093239224,61837.63000000,3.78826000,...
    CsvReader reader(FileSpec{kSampleBook, {}, {}, {}});
    const auto ev = reader.next();
    ASSERT_TRUE(ev.has_value());
    ASSERT_TRUE(ev->is_depth());
    EXPECT_EQ(ev->type(), SIGRUN_MSG_DEPTH);
    const sigrun_depth& d = ev->depth();
    EXPECT_STREQ(d.instrument, "BTCUSDT");
    EXPECT_STREQ(d.exchange, "binance-spot");
    EXPECT_EQ(d.receive_time_ns, 1723161254206652067);
    EXPECT_EQ(d.exchange_time_ns, 0) << "the spot snapshot row has no exchange time";

    const char* bids[10][2] = {{"61837.63000000", "3.78826000"}, {"61837.62000000", "0.61700000"},
                               {"61837.24000000", "0.10610000"}, {"61836.01000000", "0.01570000"},
                               {"61836.00000000", "0.54369000"}, {"61835.99000000", "0.64666000"},
                               {"61834.63000000", "0.00105000"}, {"61834.50000000", "0.06470000"},
                               {"61834.48000000", "0.04550000"}, {"61834.36000000", "0.04550000"}};
    const char* asks[10][2] = {{"61837.64000000", "1.60520000"}, {"61837.65000000", "0.00843000"},
                               {"61837.68000000", "0.00016000"}, {"61838.13000000", "0.00086000"},
                               {"61838.95000000", "0.00082000"}, {"61839.87000000", "0.32331000"},
                               {"61839.92000000", "0.00010000"}, {"61840.49000000", "0.07284000"},
                               {"61840.97000000", "0.00422000"}, {"61841.13000000", "0.00040000"}};
    for (int i = 0; i < SIGRUN_DEPTH_LEVELS; ++i) {
        EXPECT_EQ(d.bid_price[i], text(bids[i][0])) << "level " << i;
        EXPECT_EQ(d.bid_size[i], text(bids[i][1])) << "level " << i;
        EXPECT_EQ(d.ask_price[i], text(asks[i][0])) << "level " << i;
        EXPECT_EQ(d.ask_size[i], text(asks[i][1])) << "level " << i;
    }
    EXPECT_EQ(d.bid_price[0], 61837.63);
    EXPECT_EQ(d.ask_size[9], 0.0004);
}

TEST(CsvReaderSample, UpdateRowTakesExchangeTimeFromMilliseconds) {
    // line 3: 1723161254236551067,1723161255508,,U,...
    CsvReader reader(FileSpec{kSampleBook, {}, {}, {}});
    ASSERT_TRUE(reader.next());
    const auto ev = reader.next();
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->depth().receive_time_ns, 1723161254236551067);
    EXPECT_EQ(ev->depth().exchange_time_ns, 1723161255508'000'000);
    EXPECT_EQ(reader.line_number(), 3U);
}

TEST(CsvReaderSample, FirstTradeRowMatchesTheCsvText) {
    // 1723161254087896568,1723161255343,1723161255342,3735683259,61837.63000000,0.02000000,sell,true
    CsvReader reader(FileSpec{kSampleTrades, {}, {}, {}});
    const auto ev = reader.next();
    ASSERT_TRUE(ev.has_value());
    ASSERT_TRUE(ev->is_trade());
    EXPECT_EQ(ev->type(), SIGRUN_MSG_TRADE);
    const sigrun_trade& t = ev->trade();
    EXPECT_STREQ(t.instrument, "BTCUSDT");
    EXPECT_STREQ(t.exchange, "binance-spot");
    EXPECT_EQ(t.receive_time_ns, 1723161254087896568);
    EXPECT_EQ(t.exchange_time_ns, 1723161255342'000'000) << "trade_ts_ms, not exch_ts_ms";
    EXPECT_EQ(t.trade_id, 3735683259);
    EXPECT_EQ(t.price, text("61837.63000000"));
    EXPECT_EQ(t.size, text("0.02000000"));
    EXPECT_EQ(t.aggressor_side, SIGRUN_SIDE_SELL);
    EXPECT_EQ(t.reserved, 0U);
}

TEST(CsvReaderSample, EveryBookRowIsUncrossedAndOrdered) {
    CsvReader reader(FileSpec{kSampleBook, {}, {}, {}});
    while (const auto ev = reader.next()) {
        const sigrun_depth& d = ev->depth();
        ASSERT_LT(d.bid_price[0], d.ask_price[0]) << "line " << reader.line_number();
        for (int i = 1; i < SIGRUN_DEPTH_LEVELS; ++i) {
            ASSERT_LT(d.bid_price[i], d.bid_price[i - 1]) << "line " << reader.line_number();
            ASSERT_GT(d.ask_price[i], d.ask_price[i - 1]) << "line " << reader.line_number();
        }
    }
}

using CsvReaderFiles = TempDirTest;

TEST_F(CsvReaderFiles, CallerNamesWinOverTheFileName) {
    const auto path = write_gz("spot_btcusdt_trades.csv.gz", trade_header() + "\n" + trade_row(10, 7) + "\n");
    CsvReader reader(FileSpec{path, {}, "XBT-PERP", "my-venue"});
    const auto ev = reader.next();
    ASSERT_TRUE(ev.has_value());
    EXPECT_STREQ(ev->trade().instrument, "XBT-PERP");
    EXPECT_STREQ(ev->trade().exchange, "my-venue");
    EXPECT_EQ(ev->trade().aggressor_side, SIGRUN_SIDE_BUY);
}

TEST_F(CsvReaderFiles, KindIsTakenFromTheHeaderWhenTheNameDoesNotSayIt) {
    const auto book = write_gz("a.csv.gz", book_header() + "\n" + book_row(10, "5", 100) + "\n");
    const auto trades = write_gz("b.csv.gz", trade_header() + "\n" + trade_row(10, 1) + "\n");
    EXPECT_EQ(CsvReader(FileSpec{book, {}, "X", "Y"}).kind(), FileKind::Book20);
    EXPECT_EQ(CsvReader(FileSpec{trades, {}, "X", "Y"}).kind(), FileKind::Trades);
}

TEST_F(CsvReaderFiles, EmptyLevelsBecomeZeroAndCrLfIsAccepted) {
    std::string row = book_row(10, "", 100);
    // Blank out bid level 10 (columns 25 and 26, 0-based 24/25).
    std::size_t pos = 0;
    for (int i = 0; i < 24; ++i) pos = row.find(',', pos) + 1;
    const std::size_t end = row.find(',', row.find(',', pos) + 1);
    row.replace(pos, end - pos, ",");
    const auto path = write_gz("x_book20.csv.gz", book_header() + "\r\n" + row + "\r\n");
    CsvReader reader(FileSpec{path, {}, "X", "Y"});
    const auto ev = reader.next();
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->depth().bid_price[9], 0.0);
    EXPECT_EQ(ev->depth().bid_size[9], 0.0);
    EXPECT_EQ(ev->depth().bid_price[8], 92.0);
    EXPECT_EQ(ev->depth().ask_price[9], 110.0);
    EXPECT_FALSE(reader.next().has_value());
}

TEST_F(CsvReaderFiles, HeaderOnlyFileHasNoRows) {
    const auto path = write_gz("spot_x_trades.csv.gz", trade_header() + "\n");
    CsvReader reader(FileSpec{path, {}, {}, {}});
    EXPECT_FALSE(reader.next().has_value());
    EXPECT_FALSE(reader.next().has_value());
}

TEST(CsvReaderHeader, ExpectedHeaderListsEveryColumn) {
    EXPECT_EQ(CsvReader::expected_header(FileKind::Book20), book_header());
    EXPECT_EQ(CsvReader::expected_header(FileKind::Trades), trade_header());
}

}  // namespace
}  // namespace sigrun::market_data::test
