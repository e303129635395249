// ofi_config.hpp — the ofi engine's configuration, parsed and validated once.
//
// JSON keys (all optional; docs/engines.md is the user-facing reference):
//   "levels"          integer 1..10, default 1: book levels that get their own OFI.
//   "window_events"   integer >= 1, default 100: the window is the last N book updates.
//   "window_ns"       integer >= 1: the window is every update received in the last
//                     window_ns nanoseconds instead (exclusive with window_events).
//   "window_capacity" integer >= 1, default 16384, only with window_ns: the most
//                     updates a time window keeps; when more arrive within window_ns
//                     the oldest leave early (counted, and logged once per instrument).
#pragma once

#include <cstddef>
#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "sigrun/messages.h"

namespace sigrun::plugins {

struct OfiConfig {
    static constexpr int kMaxLevels = SIGRUN_DEPTH_LEVELS;
    static constexpr std::size_t kDefaultWindowEvents = 100;
    static constexpr std::size_t kDefaultTimeWindowCapacity = 16384;
    static constexpr std::size_t kMaxWindowCapacity = 1'000'000;

    // Book levels 1..levels each get their own OFI (level 1 is the best price).
    int levels = 1;
    // The window keeps at most `capacity` updates, allocated once up front.
    std::size_t capacity = kDefaultWindowEvents;
    // 0: a count window (the last `capacity` updates). > 0: a time window
    // (updates received in (now - span_ns, now], at most `capacity` of them).
    std::int64_t span_ns = 0;
};

// Parses the engine's "config" object. Throws std::invalid_argument naming the
// offending key and what it accepts. A null value means "all defaults".
OfiConfig parse_ofi_config(const nlohmann::json& config);

}  // namespace sigrun::plugins
