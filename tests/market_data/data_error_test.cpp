// Every problem a user can cause in a data file is a DataError whose one-line
// message names the file, the line and the fix.
#include "sigrun/market_data/csv_reader.hpp"
#include "sigrun/market_data/data_error.hpp"
#include "sigrun/market_data/replay_source.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace sigrun::market_data::test {
namespace {

class DataErrors : public TempDirTest {
protected:
    /// Opens `path` and reads it to the end; returns the DataError it threw.
    static DataError read_all_expecting_error(const std::filesystem::path& path) {
        try {
            CsvReader reader(FileSpec{path, {}, "X", "Y"});
            while (reader.next()) {
            }
        } catch (const DataError& e) {
            return e;
        }
        ADD_FAILURE() << "no DataError for " << path;
        return DataError(path, 0, "none", "none");
    }

    static void expect_one_line_naming(const DataError& e, const std::filesystem::path& path,
                                       std::uint64_t line, const std::string& words) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        EXPECT_EQ(e.file(), path);
        EXPECT_EQ(e.line(), line) << msg;
        const std::string where = line == 0 ? path.string() + ": " : path.string() + ":" + std::to_string(line) + ": ";
        EXPECT_EQ(msg.rfind(where, 0), 0U) << "message should start with '" << where << "': " << msg;
        EXPECT_NE(msg.find("; fix: "), std::string::npos) << msg;
        EXPECT_NE(msg.find(words), std::string::npos) << "expected '" << words << "' in: " << msg;
    }
};

TEST_F(DataErrors, MissingFile) {
    const auto path = dir() / "spot_btcusdt_book20.csv.gz";
    const DataError e = read_all_expecting_error(path);
    expect_one_line_naming(e, path, 0, "file not found");
}

TEST_F(DataErrors, MissingFileWithAnUnusualNameSaysNotFound) {
    const auto path = dir() / "ticks.csv.gz";
    try {
        CsvReader reader(FileSpec{path, {}, {}, {}});
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        expect_one_line_naming(e, path, 0, "file not found");
    }
}

TEST_F(DataErrors, DirectoryInsteadOfFile) {
    const DataError e = read_all_expecting_error(dir());
    expect_one_line_naming(e, dir(), 0, "not a regular file");
}

TEST_F(DataErrors, EmptyFile) {
    const auto path = write_plain("empty.csv.gz", "");
    expect_one_line_naming(read_all_expecting_error(path), path, 0, "empty");
}

TEST_F(DataErrors, PlainCsvIsNotGzip) {
    const auto path = write_plain("plain_trades.csv.gz", trade_header() + "\n" + trade_row(1, 1) + "\n");
    expect_one_line_naming(read_all_expecting_error(path), path, 0, "not a gzip file");
}

TEST_F(DataErrors, TruncatedGzipIsUnreadable) {
    std::string body = trade_header() + "\n";
    for (int i = 0; i < 2000; ++i) body += trade_row(1000 + i, i) + "\n";
    const auto full = write_gz("full.csv.gz", body);
    // Keep the first half of the compressed bytes.
    std::ifstream in(full, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto path = write_plain("cut_trades.csv.gz", std::string_view(bytes).substr(0, bytes.size() / 2));
    const DataError e = read_all_expecting_error(path);
    EXPECT_GT(e.line(), 1U);
    expect_one_line_naming(e, path, e.line(), "unreadable gzip data");
}

TEST_F(DataErrors, WrongBookHeaderNamesTheExpectedColumns) {
    std::string header = book_header();
    header.replace(header.find("row_type"), 8, "kind");
    const auto path = write_gz("spot_btcusdt_book20.csv.gz", header + "\n");
    const DataError e = read_all_expecting_error(path);
    expect_one_line_naming(e, path, 1, "column 4 is 'kind' instead of row_type");
    EXPECT_NE(std::string(e.what()).find("local_ts_ns,exch_ts_ms,txn_ts_ms,row_type"), std::string::npos);
}

TEST_F(DataErrors, TradesHeaderInABookFileNamesTheBookColumns) {
    const auto path = write_gz("spot_btcusdt_book20.csv.gz", trade_header() + "\n" + trade_row(1, 1) + "\n");
    const DataError e = read_all_expecting_error(path);
    expect_one_line_naming(e, path, 1, "wrong header");
    EXPECT_NE(std::string(e.what()).find("ask_px_20,ask_qty_20"), std::string::npos) << e.what();
}

TEST_F(DataErrors, UnknownHeaderNamesBothFormats) {
    const auto path = write_gz("ticks.csv.gz", "time,price,size\n1,2,3\n");
    const DataError e = read_all_expecting_error(path);
    expect_one_line_naming(e, path, 1, "wrong header");
    EXPECT_NE(std::string(e.what()).find("trade_ts_ms"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("txn_ts_ms"), std::string::npos) << e.what();
}

TEST_F(DataErrors, MalformedPriceNamesColumnAndLine) {
    std::string bad = trade_row(30, 3);
    bad.replace(bad.find("100.50"), 6, "100.5x");
    const auto path = write_gz("spot_btcusdt_trades.csv.gz",
                               trade_header() + "\n" + trade_row(10, 1) + "\n" + trade_row(20, 2) + "\n" + bad + "\n");
    expect_one_line_naming(read_all_expecting_error(path), path, 4, "column price value '100.5x' is not a decimal");
}

TEST_F(DataErrors, MalformedTimestampNamesColumnAndLine) {
    const auto path = write_gz("spot_btcusdt_book20.csv.gz",
                               book_header() + "\n" + "17e9" + book_row(10, "5", 100).substr(2) + "\n");
    expect_one_line_naming(read_all_expecting_error(path), path, 2, "column local_ts_ns value '17e9");
}

TEST_F(DataErrors, WrongColumnCount) {
    const auto path = write_gz("spot_btcusdt_trades.csv.gz", trade_header() + "\n" + trade_row(10, 1) + ",extra\n");
    expect_one_line_naming(read_all_expecting_error(path), path, 2, "row has 9 columns, the header has 8");
}

TEST_F(DataErrors, UnknownTakerSide) {
    const auto path = write_gz("spot_btcusdt_trades.csv.gz", trade_header() + "\n" + trade_row(10, 1, "B") + "\n");
    expect_one_line_naming(read_all_expecting_error(path), path, 2, "taker_side value 'B' is not buy or sell");
}

TEST_F(DataErrors, RowsGoingBackwardsInTime) {
    const auto path = write_gz("spot_btcusdt_book20.csv.gz", book_header() + "\n" + book_row(100, "5", 100) + "\n" +
                                                                 book_row(100, "5", 100) + "\n" +
                                                                 book_row(99, "5", 100) + "\n");
    const DataError e = read_all_expecting_error(path);
    expect_one_line_naming(e, path, 4, "backwards in time");
    EXPECT_NE(std::string(e.what()).find("sort the file by local_ts_ns"), std::string::npos);
}

TEST_F(DataErrors, ControlCharactersInAValueDoNotBreakTheLine) {
    const auto path = write_gz("spot_btcusdt_trades.csv.gz",
                               trade_header() + "\n10,1,1,1,1\r2,1,buy,false\n");
    const DataError e = read_all_expecting_error(path);
    expect_one_line_naming(e, path, 2, "column price value '1?2'");
}

TEST_F(DataErrors, ReplaySourceReportsTheBadFileAtConstruction) {
    const auto good = write_gz("spot_btcusdt_book20.csv.gz", book_header() + "\n" + book_row(10, "5", 100) + "\n");
    const auto bad = dir() / "spot_btcusdt_trades.csv.gz";  // missing
    try {
        ReplaySource source(std::vector<std::filesystem::path>{good, bad});
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        expect_one_line_naming(e, bad, 0, "file not found");
    }
}

TEST_F(DataErrors, ReplaySourceHandsOutGoodRowsBeforeTheBadOne) {
    const auto path = write_gz("spot_btcusdt_trades.csv.gz", trade_header() + "\n" + trade_row(10, 1) + "\n" +
                                                                 trade_row(20, 2) + "\n" + "oops\n");
    ReplaySource source(std::vector<std::filesystem::path>{path});
    ASSERT_TRUE(source.next().has_value());
    ASSERT_TRUE(source.next().has_value());
    try {
        (void)source.next();
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        expect_one_line_naming(e, path, 4, "row has 1 columns");
    }
}

}  // namespace
}  // namespace sigrun::market_data::test
