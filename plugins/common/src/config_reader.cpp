#include "sigrun/plugins/config_reader.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sigrun::plugins {

ConfigReader::ConfigReader(std::string_view engine, const nlohmann::json& config,
                           std::string_view example,
                           std::initializer_list<std::string_view> known_keys)
    : engine_(engine), config_(config) {
    if (config_.is_null()) {
        return;
    }
    if (!config_.is_object()) {
        fail("must be a JSON object such as " + std::string(example) + ", got " + config_.dump());
    }
    for (const auto& [key, value] : config_.items()) {
        bool known = false;
        for (const std::string_view k : known_keys) {
            known = known || key == k;
        }
        if (!known) {
            std::string list;
            for (const std::string_view k : known_keys) {
                list += (list.empty() ? "" : ", ") + std::string(k);
            }
            fail("unknown key \"" + key + "\"; known keys: " + list);
        }
    }
}

bool ConfigReader::has(const char* key) const { return config_.contains(key); }

std::int64_t ConfigReader::integer(const char* key, std::int64_t min, std::int64_t max,
                                   const char* meaning) const {
    const nlohmann::json& value = config_.at(key);
    bool in_range = false;
    std::int64_t result = 0;
    if (value.is_number_unsigned()) {  // JSON parses non-negative integers as unsigned
        const auto u = value.get<std::uint64_t>();
        in_range = u <= static_cast<std::uint64_t>(max) && static_cast<std::int64_t>(u) >= min;
        result = static_cast<std::int64_t>(u);
    } else if (value.is_number_integer()) {
        result = value.get<std::int64_t>();
        in_range = result >= min && result <= max;
    }
    if (!in_range) {
        fail("\"" + std::string(key) + "\" must be an integer from " + std::to_string(min) +
             " to " + std::to_string(max) + " (" + meaning + "), got " + value.dump());
    }
    return result;
}

void ConfigReader::fail(const std::string& message) const {
    throw std::invalid_argument(std::string(engine_) + " config: " + message);
}

void read_window(const ConfigReader& reader, const WindowKeys& keys, std::size_t& capacity,
                 std::int64_t& span_ns) {
    const std::string events(keys.events);
    const bool by_count = reader.has("window_events");
    const bool by_time = reader.has("window_ns");
    if (by_count && by_time) {
        reader.fail("\"window_events\" and \"window_ns\" exclude each other: give a count of " +
                    events + " or a span in nanoseconds, not both");
    }
    if (reader.has("window_capacity") && !by_time) {
        reader.fail(
            "\"window_capacity\" only applies to a time window: add \"window_ns\" or remove "
            "\"window_capacity\" (a count window holds exactly \"window_events\" " +
            std::string(keys.events_held) + ")");
    }
    const auto max_capacity = static_cast<std::int64_t>(keys.max_capacity);
    if (by_count) {
        capacity = static_cast<std::size_t>(
            reader.integer("window_events", 1, max_capacity, events.c_str()));
    }
    if (by_time) {
        span_ns = reader.integer("window_ns", 1, INT64_MAX, "nanoseconds");
        capacity = keys.default_time_capacity;
        if (reader.has("window_capacity")) {
            const std::string meaning = "most " + events + " kept";
            capacity = static_cast<std::size_t>(
                reader.integer("window_capacity", 1, max_capacity, meaning.c_str()));
        }
    }
}

}  // namespace sigrun::plugins
