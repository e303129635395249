#include "sigrun/plugins/config_reader.hpp"

#include <string>

namespace sigrun::plugins {

void read_window(Config& reader, const WindowKeys& keys, std::size_t& capacity, std::int64_t& span_ns) {
    const std::string events(keys.events);
    const bool by_count = reader.has("window_events");
    const bool by_time = reader.has("window_ns");
    if (by_count && by_time) {
        reader.fail("\"window_events\" and \"window_ns\" exclude each other: give a count of " + events +
                    " or a span in nanoseconds, not both");
    }
    if (reader.has("window_capacity") && !by_time) {
        reader.fail(
            "\"window_capacity\" only applies to a time window: add \"window_ns\" or remove "
            "\"window_capacity\" (a count window holds exactly \"window_events\" " +
            std::string(keys.events_held) + ")");
    }
    const auto max_capacity = static_cast<std::int64_t>(keys.max_capacity);
    if (by_count) {
        capacity = static_cast<std::size_t>(reader.required_integer("window_events", {1, max_capacity}, events));
    }
    if (by_time) {
        span_ns = reader.required_integer("window_ns", {1, INT64_MAX}, "nanoseconds");
        capacity = static_cast<std::size_t>(reader.integer("window_capacity",
                                                           static_cast<std::int64_t>(keys.default_time_capacity),
                                                           {1, max_capacity}, "most " + events + " kept"));
    }
}

}  // namespace sigrun::plugins
