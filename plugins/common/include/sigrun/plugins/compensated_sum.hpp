// compensated_sum.hpp — a running sum with Neumaier compensation.
//
// Neumaier (1974), "Rundungsfehleranalyse einiger Verfahren zur Summation
// endlicher Summen", ZAMM 54(1), 39-51: the improved Kahan-Babuska sum. The
// rounding error of every addition is kept in `compensation`, so adding and
// later subtracting a large value (a rolling window evicting it) does not
// swamp the small values still in the sum.
#pragma once

#include <cmath>

namespace sigrun::plugins {

struct CompensatedSum {
    double sum = 0.0;
    double compensation = 0.0;

    void add(double x) noexcept {
        const double t = sum + x;
        compensation += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
        sum = t;
    }
    double value() const noexcept { return sum + compensation; }
};

}  // namespace sigrun::plugins
