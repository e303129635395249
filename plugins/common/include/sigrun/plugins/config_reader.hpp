// config_reader.hpp — the window keys the windowed engines (ofi, trade_flow)
// share, read with the SDK's typed config reader (sigrun/config.hpp).
//
// Every error is a sigrun::ConfigError "<engine> config: <what>" that names
// the offending key and says what it accepts; docs/engines.md ("Config")
// describes the rules for users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sigrun/config.hpp"

namespace sigrun::plugins {

// What a windowed engine calls the events in its window, and its window
// limits, for read_window().
struct WindowKeys {
    std::string_view events;       // plural, e.g. "book updates", "trades"
    std::string_view events_held;  // in "a count window holds exactly \"window_events\" <...>"
    std::size_t default_time_capacity;
    std::size_t max_capacity;
};

// Reads the window keys of a windowed engine into `capacity` (the most events
// the window keeps) and `span_ns` (0: a count window, the last `capacity`
// events; > 0: a time window, the events received in (now - span_ns, now]):
//   "window_events"   1..max_capacity: a count window of that many events;
//   "window_ns"       >= 1: a time window of that span (excludes window_events),
//                     keeping at most default_time_capacity events, or
//   "window_capacity" 1..max_capacity (only with window_ns).
// Leaves both alone when neither window_events nor window_ns is given.
void read_window(Config& reader, const WindowKeys& keys, std::size_t& capacity, std::int64_t& span_ns);

}  // namespace sigrun::plugins
