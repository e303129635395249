// trade_flow_config.hpp — the trade_flow engine's configuration.
//
// JSON keys (all optional; docs/engines.md is the user-facing reference):
//   "window_events"   integer >= 1, default 100: the window is the last N trades.
//   "window_ns"       integer >= 1: the window is every trade received in the last
//                     window_ns nanoseconds instead (exclusive with window_events).
//   "window_capacity" integer >= 1, default 65536, only with window_ns: the most
//                     trades a time window keeps; when more arrive within window_ns
//                     the oldest leave early (counted, and logged once per instrument).
#pragma once

#include <cstddef>
#include <cstdint>

#include <nlohmann/json_fwd.hpp>

namespace sigrun::plugins {

struct TradeFlowConfig {
    static constexpr std::size_t kDefaultWindowEvents = 100;
    static constexpr std::size_t kDefaultTimeWindowCapacity = 65536;
    static constexpr std::size_t kMaxWindowCapacity = 1'000'000;

    // The window keeps at most `capacity` trades, allocated once up front.
    std::size_t capacity = kDefaultWindowEvents;
    // 0: a count window (the last `capacity` trades). > 0: a time window
    // (trades received in (now - span_ns, now], at most `capacity` of them).
    std::int64_t span_ns = 0;
};

// Parses the engine's "config" object. Throws std::invalid_argument naming the
// offending key and what it accepts. A null value means "all defaults".
TradeFlowConfig parse_trade_flow_config(const nlohmann::json& config);

}  // namespace sigrun::plugins
