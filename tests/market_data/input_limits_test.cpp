// Bad input the market-data readers refuse before it costs memory or blocks:
// a line of absurd length, a FIFO in place of a file.
#include <sys/stat.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sigrun/market_data/csv_reader.hpp"
#include "sigrun/market_data/data_error.hpp"
#include "test_files.hpp"

namespace sigrun::market_data {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

using InputLimits = test::TempDirTest;

std::string error_reading(const std::filesystem::path& path) {
    try {
        CsvReader reader(FileSpec{path, {}, {}, {}});
        while (reader.next()) {
        }
    } catch (const DataError& e) {
        return e.what();
    }
    return "read without an error";
}

TEST_F(InputLimits, ALineOfTwoMebibytesIsRefusedNamingTheLineAndTheLimit) {
    // given a book file whose second line is 2 MiB without a line break
    const auto path = write_gz("spot_btcusdt_book20.csv.gz", test::book_header() + "\n" + std::string(2 * 1024 * 1024, '7'));
    // when it is read, then one error names the line and the limit
    const std::string what = error_reading(path);
    EXPECT_THAT(what, AllOf(HasSubstr(path.string()), HasSubstr(":2: line longer"), HasSubstr("longer than 1024 KiB")));
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
}

TEST_F(InputLimits, AFifoInPlaceOfADataFileIsRefusedWithoutWaitingForAWriter) {
    // given a FIFO nobody writes to (opening it to read would block)
    const auto path = dir() / "spot_btcusdt_book20.csv.gz";
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    // when it is opened, then it is refused at once, named a FIFO
    EXPECT_THAT(error_reading(path), AllOf(HasSubstr(path.string()), HasSubstr("FIFO")));
}

}  // namespace
}  // namespace sigrun::market_data
