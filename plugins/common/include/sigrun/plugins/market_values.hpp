// market_values.hpp — the conventions every engine applies to prices and
// sizes read from sigrun/messages.h (docs/engines.md, "Conventions").
//
// A price that is not a finite number > 0 is missing (the messages use price
// 0, size 0 for an absent book level); a size that is not a finite number > 0
// counts as 0.
#pragma once

#include <cmath>

namespace sigrun::plugins {

// True for a finite number > 0: a present price, a usable size.
inline bool is_positive_finite(double x) noexcept { return std::isfinite(x) && x > 0.0; }

// A price that is there: a finite number > 0.
inline bool is_present(double price) noexcept { return is_positive_finite(price); }

// `size` when it is a finite number > 0, else 0.
inline double usable_size(double size) noexcept {
    return is_positive_finite(size) ? size : 0.0;
}

}  // namespace sigrun::plugins
