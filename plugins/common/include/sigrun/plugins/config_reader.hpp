// config_reader.hpp — strict reading of an engine's JSON "config" object.
//
// Every error is a std::invalid_argument "<engine> config: <what>" that names
// the offending key and says what it accepts; docs/engines.md ("Config")
// describes the rules for users:
//   - null means "all defaults"; anything else must be an object;
//   - an unknown key fails and lists the known ones;
//   - an integer must be a JSON integer ("5", 5.0 and 1e9 fail) in range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sigrun::plugins {

class ConfigReader {
public:
    // Checks the config: null (all defaults: has() is false for every key)
    // or an object (`example` shows one in the error) whose keys are all in
    // `known_keys`. `engine` prefixes every error ("ofi" gives "ofi config:
    // ..."); it and `config` must outlive the reader.
    ConfigReader(std::string_view engine, const nlohmann::json& config, std::string_view example,
                 std::initializer_list<std::string_view> known_keys);

    bool has(const char* key) const;

    // The integer at `key` (which must be present), in [min, max]; anything
    // else (a string, a float such as 1e9, a bool, out of range) fails naming
    // the key, the accepted range, `meaning` and what was given.
    std::int64_t integer(const char* key, std::int64_t min, std::int64_t max,
                         const char* meaning) const;

    // Throws std::invalid_argument("<engine> config: " + message).
    [[noreturn]] void fail(const std::string& message) const;

private:
    std::string_view engine_;
    const nlohmann::json& config_;
};

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
void read_window(const ConfigReader& reader, const WindowKeys& keys, std::size_t& capacity,
                 std::int64_t& span_ns);

}  // namespace sigrun::plugins
