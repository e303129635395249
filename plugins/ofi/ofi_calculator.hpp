// ofi_calculator.hpp — order-flow imbalance of one instrument's book, per level,
// summed over a rolling window of book updates.
//
// Order-flow imbalance (OFI), Cont, Kukanov & Stoikov (2014), "The price impact
// of order book events", Journal of Financial Econometrics 12(1), 47-88:
// for two consecutive books n-1 and n, with best bid Pb/qb and best ask Pa/qa,
//
//   e_n =   1{Pb_n >= Pb_n-1} qb_n   - 1{Pb_n <= Pb_n-1} qb_n-1
//         - 1{Pa_n <= Pa_n-1} qa_n   + 1{Pa_n >= Pa_n-1} qa_n-1
//
// and OFI over a window is the sum of e_n over the updates in it. Positive
// means net buying pressure (bids added or asks removed), in base-asset units.
//
// Multi-level OFI (MLOFI), Xu, Gould & Howison (2019), "Multi-level order-flow
// imbalance in a limit order book", Market Microstructure and Liquidity 4(3-4):
// the same e_n computed with the m-th best bid and ask instead of the best,
// one OFI per level m = 1..levels; `mlofi()` is their sum (the integrated,
// equal-weight form).
//
// Missing levels (price 0 in sigrun_depth): a missing bid counts as a bid at
// -infinity and a missing ask as an ask at +infinity, with size 0. So a level
// that vanishes contributes the removal of its whole queue (-qb_n-1 on the bid,
// +qa_n-1 on the ask), a level that appears contributes its new queue, and a
// level missing in both books contributes 0. A price that is not finite and
// > 0 is missing; a size that is not finite and > 0 counts as 0.
//
// Hot path: update() allocates nothing; the window is a RollingWindow (one row
// of levels e_n per update) sized once in the constructor, with compensated
// running sums (no re-summing).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ofi_config.hpp"
#include "sigrun/messages.h"
#include "sigrun/plugins/rolling_window.hpp"

namespace sigrun::plugins {

// e_n for one level (0 = best) between book `prev` and book `cur`, as above.
double ofi_event(const sigrun_depth& prev, const sigrun_depth& cur, int level) noexcept;

class OfiCalculator {
public:
    // Allocates the window (config.capacity updates x config.levels values).
    explicit OfiCalculator(const OfiConfig& config);

    // Feeds the next book of this instrument. The first book only sets the
    // baseline (OFI needs a previous book): returns false and leaves the window
    // empty. Every later book adds one e_n per level and returns true.
    // The window's clock is the book's receive_time_ns; a time that goes
    // backwards is taken as the latest time seen so far.
    bool update(const sigrun_depth& book) noexcept;

    int levels() const noexcept { return levels_; }
    // Windowed OFI at `level` (1 = best .. levels()), base-asset units.
    double ofi(int level) const noexcept;
    // Sum of ofi(1..levels()).
    double mlofi() const noexcept;
    // Updates currently in the window.
    std::size_t window_size() const noexcept { return window_.size(); }
    // Updates a time window dropped early because it was full (capacity too
    // small for the update rate). Always 0 for a count window.
    std::uint64_t dropped_early() const noexcept { return window_.dropped_early(); }

private:
    int levels_;
    // One row per update: e_n at levels 0..levels_-1, column sums = ofi().
    RollingWindow window_;
    bool has_previous_ = false;
    sigrun_depth previous_{};
};

}  // namespace sigrun::plugins
