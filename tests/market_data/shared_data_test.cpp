// The full derived capture in ../shared (built only when it is present):
// row counts must match the table in its SOURCE.md.
#include "sigrun/market_data/csv_reader.hpp"
#include "sigrun/market_data/replay_source.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

namespace sigrun::market_data::test {
namespace {

const auto kDerived = kSharedDataDir / "derived";

TEST(SharedCapture, SpotBtcusdtRowCountsMatchSourceMd) {
    ReplaySource source(std::vector<std::filesystem::path>{kDerived / "spot_btcusdt_book20.csv.gz",
                                                           kDerived / "spot_btcusdt_trades.csv.gz"});
    std::uint64_t depths = 0;
    std::uint64_t trades = 0;
    std::int64_t last = 0;
    while (const auto ev = source.next()) {
        ASSERT_GE(ev->receive_time_ns(), last);
        last = ev->receive_time_ns();
        (ev->is_depth() ? depths : trades)++;
    }
    EXPECT_EQ(depths, 6493U);
    EXPECT_EQ(trades, 19904U);
}

}  // namespace
}  // namespace sigrun::market_data::test
