// microprice_calculator.hpp — book-pressure prices and imbalances of one book.
//
// Level 1 (best bid Pb/qb, best ask Pa/qa):
//   imbalance_l1 = I = qb / (qb + qa)                    in [0, 1]
//   microprice       = Pa * I + Pb * (1 - I)             quote currency
// The size-weighted mid: a heavy bid pulls the price towards the ask. It is
// the "weighted mid-price" that Stoikov (2018), "The micro-price: a
// high-frequency estimator of future prices", Quantitative Finance 18(12),
// 1959-1966, defines with the imbalance I and starts from. Stoikov's
// micro-price proper (a limit of a Markov chain estimated from data, which
// corrects this one's noise) is not computed here.
//
// Depth-weighted over the N best levels (missing levels contribute nothing):
//   Qb = sum qb_i, Qa = sum qa_i, i = 1..N
//   imbalance_lN = I_N = Qb / (Qb + Qa)
//   weighted_mid_lN = VWAPa * I_N + VWAPb * (1 - I_N),
//     VWAPb = sum Pb_i qb_i / Qb, VWAPa = sum Pa_i qa_i / Qa
// which is the microprice again with each side's best price replaced by its
// size-weighted average price over N levels (for N = 1 it is the microprice).
//
// When a value is undefined it is absent (std::nullopt), never NaN or inf:
//   - no best bid or no best ask (one-sided book): every value is absent;
//   - qb + qa == 0: imbalance_l1 and microprice are absent;
//   - Qb + Qa == 0: imbalance_lN is absent;
//   - Qb == 0 or Qa == 0: weighted_mid_lN is absent (one side has no VWAP).
// A price that is not finite and > 0 marks a missing level; a size that is
// not finite and > 0 counts as 0. Crossed books are not checked.
//
// Stateless and allocation-free.
#pragma once

#include <optional>

#include "microprice_config.hpp"
#include "sigrun/messages.h"

namespace sigrun::plugins {

struct BookPressure {
    std::optional<double> imbalance_l1;
    std::optional<double> microprice;
    std::optional<double> imbalance_ln;     // over MicropriceConfig::levels
    std::optional<double> weighted_mid_ln;  // over MicropriceConfig::levels
};

class MicropriceCalculator {
public:
    explicit MicropriceCalculator(const MicropriceConfig& config) noexcept;

    int levels() const noexcept { return levels_; }
    BookPressure compute(const sigrun_depth& book) const noexcept;

private:
    int levels_;
};

}  // namespace sigrun::plugins
