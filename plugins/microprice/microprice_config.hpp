// microprice_config.hpp — the microprice engine's configuration.
//
// JSON keys (all optional; docs/engines.md is the user-facing reference):
//   "levels"  integer 1..10, default 5: the book depth N of the depth-weighted
//             factors imbalance_l<N> and weighted_mid_l<N> (not emitted when 1,
//             where they equal imbalance_l1 and microprice).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "sigrun/messages.h"

namespace sigrun::plugins {

struct MicropriceConfig {
    static constexpr int kMaxLevels = SIGRUN_DEPTH_LEVELS;
    int levels = 5;
};

// Parses the engine's "config" object. Throws std::invalid_argument naming the
// offending key and what it accepts. A null value means "all defaults".
MicropriceConfig parse_microprice_config(const nlohmann::json& config);

}  // namespace sigrun::plugins
