// RollingWindow (plugins/common) on its own: its column sums against sums
// taken again over the rows it holds, across evictions, a move of the
// window, and the empty window.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <utility>

#include "sigrun/plugins/rolling_window.hpp"

namespace sigrun::plugins {
namespace {

constexpr std::size_t kWidth = 3;
using Row = std::array<double, kWidth>;

// Row i: integers and halves, so every sum is exact and the window's sums
// must equal the sums taken again.
Row row_of(int i) { return {static_cast<double>(i), 0.5 * i, static_cast<double>(-2 * i + 7)}; }

void expect_sums_of(const RollingWindow& window, const std::deque<Row>& rows) {
    ASSERT_EQ(window.size(), rows.size());
    for (std::size_t c = 0; c < kWidth; ++c) {
        double expected = 0.0;
        for (const Row& r : rows) expected += r[c];
        EXPECT_EQ(window.sum(c), expected) << "column " << c;
    }
}

TEST(RollingWindow, CountWindowSumsTheLastCapacityRowsAcrossAMove) {
    RollingWindow window(4, 0, kWidth);
    std::deque<Row> rows;
    for (int i = 1; i <= 6; ++i) {
        const Row r = row_of(i);
        window.push(window.advance_clock(i), r);
        rows.push_back(r);
        if (rows.size() > 4) rows.pop_front();
        expect_sums_of(window, rows);
    }
    // The block moves with the window: the moved-to window holds the same
    // rows and sums and keeps evicting the right ones.
    RollingWindow moved(std::move(window));
    expect_sums_of(moved, rows);
    for (int i = 7; i <= 12; ++i) {
        const Row r = row_of(i);
        moved.push(moved.advance_clock(i), r);
        rows.push_back(r);
        rows.pop_front();
        expect_sums_of(moved, rows);
    }
    EXPECT_EQ(moved.dropped_early(), 0U);
}

TEST(RollingWindow, TimeWindowEmptiesToExactlyZeroAndCountsEarlyDrops) {
    RollingWindow window(2, 10, kWidth);
    window.push(window.advance_clock(100), Row{0.1, 1e16, -3.0});
    window.push(window.advance_clock(101), Row{0.2, 1.0, 4.0});
    window.push(window.advance_clock(102), Row{0.3, 2.0, 5.0});  // full: the row at 100 leaves early
    EXPECT_EQ(window.dropped_early(), 1U);
    EXPECT_EQ(window.size(), 2U);
    EXPECT_EQ(window.sum(1), 3.0);  // the compensation kept 1 + 2 past the 1e16
    // 20 ns later both rows are out of the 10 ns span: the window is empty
    // and sums to exactly 0, then holds only the new row.
    window.push(window.advance_clock(122), Row{1.0, 2.0, 3.0});
    EXPECT_EQ(window.size(), 1U);
    EXPECT_EQ(window.sum(0), 1.0);
    EXPECT_EQ(window.sum(1), 2.0);
    EXPECT_EQ(window.sum(2), 3.0);
}

}  // namespace
}  // namespace sigrun::plugins
