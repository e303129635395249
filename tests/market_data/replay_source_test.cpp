// ReplaySource: k-way merge of several files in receive-time order, with a
// stable tie-break (depth before trade, then file order).
#include "sigrun/market_data/replay_source.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sigrun::market_data::test {
namespace {

/// A compact label for an event: "B<time>:<instrument>" or "T<time>:<trade_id>".
std::string label(const Event& ev) {
    if (ev.is_depth()) {
        return "B" + std::to_string(ev.receive_time_ns()) + ":" + ev.depth().instrument;
    }
    return "T" + std::to_string(ev.receive_time_ns()) + ":" + std::to_string(ev.trade().trade_id);
}

std::vector<std::string> drain(ReplaySource& source) {
    std::vector<std::string> out;
    while (const auto ev = source.next()) out.push_back(label(*ev));
    return out;
}

using ReplaySourceMerge = TempDirTest;

TEST_F(ReplaySourceMerge, InterleavesFilesByReceiveTime) {
    const auto book = write_gz("spot_aaa_book20.csv.gz", book_header() + "\n" + book_row(10, "1", 100) + "\n" +
                                                              book_row(25, "2", 101) + "\n" +
                                                              book_row(40, "3", 102) + "\n");
    const auto trades = write_gz("spot_aaa_trades.csv.gz", trade_header() + "\n" + trade_row(5, 1) + "\n" +
                                                                trade_row(20, 2) + "\n" + trade_row(30, 3) + "\n");
    ReplaySource source(std::vector<std::filesystem::path>{book, trades});
    EXPECT_EQ(drain(source), (std::vector<std::string>{"T5:1", "B10:AAA", "T20:2", "B25:AAA", "T30:3", "B40:AAA"}));
    EXPECT_EQ(source.events_read(), 6U);
    EXPECT_FALSE(source.next().has_value());
}

TEST_F(ReplaySourceMerge, OnEqualTimesDepthComesBeforeTradeWhateverTheFileOrder) {
    const auto trades = write_gz("spot_aaa_trades.csv.gz", trade_header() + "\n" + trade_row(10, 1) + "\n");
    const auto book = write_gz("spot_aaa_book20.csv.gz", book_header() + "\n" + book_row(10, "1", 100) + "\n");
    ReplaySource source(std::vector<std::filesystem::path>{trades, book});
    EXPECT_EQ(drain(source), (std::vector<std::string>{"B10:AAA", "T10:1"}));
}

TEST_F(ReplaySourceMerge, OnEqualTimesAndKindsTheFileListedFirstComesFirst) {
    const auto b = write_gz("spot_bbb_book20.csv.gz", book_header() + "\n" + book_row(10, "1", 100) + "\n" +
                                                           book_row(20, "1", 100) + "\n");
    const auto a = write_gz("spot_aaa_book20.csv.gz", book_header() + "\n" + book_row(10, "1", 100) + "\n" +
                                                           book_row(20, "1", 100) + "\n");
    ReplaySource ba(std::vector<std::filesystem::path>{b, a});
    EXPECT_EQ(drain(ba), (std::vector<std::string>{"B10:BBB", "B10:AAA", "B20:BBB", "B20:AAA"}));
    ReplaySource ab(std::vector<std::filesystem::path>{a, b});
    EXPECT_EQ(drain(ab), (std::vector<std::string>{"B10:AAA", "B10:BBB", "B20:AAA", "B20:BBB"}));
}

TEST_F(ReplaySourceMerge, RowsWithEqualTimesInOneFileKeepTheirOrder) {
    const auto trades = write_gz("spot_aaa_trades.csv.gz", trade_header() + "\n" + trade_row(10, 3) + "\n" +
                                                                trade_row(10, 1) + "\n" + trade_row(10, 2) + "\n");
    const auto other = write_gz("spot_bbb_trades.csv.gz", trade_header() + "\n" + trade_row(10, 9) + "\n");
    ReplaySource source(std::vector<std::filesystem::path>{trades, other});
    EXPECT_EQ(drain(source), (std::vector<std::string>{"T10:3", "T10:1", "T10:2", "T10:9"}));
}

TEST_F(ReplaySourceMerge, SeveralInstrumentsKeepTheirOwnLabels) {
    const auto btc = write_gz("spot_btcusdt_book20.csv.gz", book_header() + "\n" + book_row(10, "1", 100) + "\n");
    const auto eth = write_gz("usdm_ethusdt_book20.csv.gz", book_header() + "\n" + book_row(5, "1", 100) + "\n");
    const auto perp = write_gz("cm_btcusd_perp_trades.csv.gz", trade_header() + "\n" + trade_row(7, 1) + "\n");
    ReplaySource source(std::vector<std::filesystem::path>{btc, eth, perp});

    auto ev = source.next();
    ASSERT_TRUE(ev && ev->is_depth());
    EXPECT_STREQ(ev->depth().instrument, "ETHUSDT");
    EXPECT_STREQ(ev->depth().exchange, "binance-usdm");
    ev = source.next();
    ASSERT_TRUE(ev && ev->is_trade());
    EXPECT_STREQ(ev->trade().instrument, "BTCUSD_PERP");
    EXPECT_STREQ(ev->trade().exchange, "binance-coinm");
    ev = source.next();
    ASSERT_TRUE(ev && ev->is_depth());
    EXPECT_STREQ(ev->depth().instrument, "BTCUSDT");
    EXPECT_STREQ(ev->depth().exchange, "binance-spot");
    EXPECT_FALSE(source.next().has_value());
}

TEST_F(ReplaySourceMerge, HeaderOnlyFilesContributeNothing) {
    const auto empty = write_gz("spot_aaa_trades.csv.gz", trade_header() + "\n");
    const auto book = write_gz("spot_aaa_book20.csv.gz", book_header() + "\n" + book_row(10, "1", 100) + "\n");
    ReplaySource source(std::vector<std::filesystem::path>{empty, book});
    EXPECT_EQ(drain(source), (std::vector<std::string>{"B10:AAA"}));
}

TEST(ReplaySourceArgs, NoFilesIsAnError) {
    EXPECT_THROW(ReplaySource(std::vector<std::filesystem::path>{}), std::invalid_argument);
}

TEST(ReplaySourceSample, MergesTheCommittedSampleInReceiveOrder) {
    ReplaySource source(std::vector<std::filesystem::path>{kExamplesDir / "spot_btcusdt_book20.csv.gz",
                                                           kExamplesDir / "spot_btcusdt_trades.csv.gz"});
    std::uint64_t depths = 0;
    std::uint64_t trades = 0;
    std::int64_t last = 0;
    while (const auto ev = source.next()) {
        ASSERT_GE(ev->receive_time_ns(), last) << "event " << source.events_read();
        last = ev->receive_time_ns();
        (ev->is_depth() ? depths : trades)++;
    }
    EXPECT_EQ(depths, 1793U);
    EXPECT_EQ(trades, 3222U);
    EXPECT_EQ(source.events_read(), 1793U + 3222U);
}

TEST(ReplaySourceSample, FirstEventIsTheTradeBeforeTheSnapshot) {
    // The capture's first trades arrive before the REST snapshot row.
    ReplaySource source(std::vector<std::filesystem::path>{kExamplesDir / "spot_btcusdt_book20.csv.gz",
                                                           kExamplesDir / "spot_btcusdt_trades.csv.gz"});
    const auto ev = source.next();
    ASSERT_TRUE(ev && ev->is_trade());
    EXPECT_EQ(ev->trade().trade_id, 3735683259);
    EXPECT_EQ(ev->payload(), static_cast<const void*>(&ev->trade()));
    EXPECT_EQ(ev->payload_size(), sizeof(sigrun_trade));
}

TEST(ReplaySourceSample, FilesReportsTheResolvedSpecs) {
    ReplaySource source(std::vector<std::filesystem::path>{kExamplesDir / "spot_btcusdt_trades.csv.gz"});
    const auto files = source.files();
    ASSERT_EQ(files.size(), 1U);
    EXPECT_EQ(files[0].instrument, "BTCUSDT");
    EXPECT_EQ(files[0].exchange, "binance-spot");
    EXPECT_EQ(files[0].kind, FileKind::Trades);
}

}  // namespace
}  // namespace sigrun::market_data::test
