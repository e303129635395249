#include "trade_flow_config.hpp"

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace sigrun::plugins {
namespace {

[[noreturn]] void fail(const std::string& message) {
    throw std::invalid_argument("trade_flow config: " + message);
}

// An integer in [min, max]; anything else (a string, a float such as 1e9, a
// bool, out of range) names the key, the accepted range and what was given.
std::int64_t read_integer(const nlohmann::json& config, const char* key, std::int64_t min,
                          std::int64_t max, const char* meaning) {
    const nlohmann::json& value = config.at(key);
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

}  // namespace

TradeFlowConfig parse_trade_flow_config(const nlohmann::json& config) {
    TradeFlowConfig out;
    if (config.is_null()) {
        return out;
    }
    if (!config.is_object()) {
        fail("must be a JSON object such as {\"window_ns\": 1000000000}, got " + config.dump());
    }
    for (const auto& [key, value] : config.items()) {
        if (key != "window_events" && key != "window_ns" && key != "window_capacity") {
            fail("unknown key \"" + key +
                 "\"; known keys: window_events, window_ns, window_capacity");
        }
    }
    const bool by_count = config.contains("window_events");
    const bool by_time = config.contains("window_ns");
    if (by_count && by_time) {
        fail("\"window_events\" and \"window_ns\" exclude each other: give a count of trades "
             "or a span in nanoseconds, not both");
    }
    if (config.contains("window_capacity") && !by_time) {
        fail("\"window_capacity\" only applies to a time window: add \"window_ns\" or remove "
             "\"window_capacity\" (a count window holds exactly \"window_events\" trades)");
    }
    const auto max_capacity = static_cast<std::int64_t>(TradeFlowConfig::kMaxWindowCapacity);
    if (by_count) {
        out.capacity = static_cast<std::size_t>(
            read_integer(config, "window_events", 1, max_capacity, "trades"));
    }
    if (by_time) {
        out.span_ns = read_integer(config, "window_ns", 1, INT64_MAX, "nanoseconds");
        out.capacity = TradeFlowConfig::kDefaultTimeWindowCapacity;
        if (config.contains("window_capacity")) {
            out.capacity = static_cast<std::size_t>(read_integer(
                config, "window_capacity", 1, max_capacity, "most trades kept"));
        }
    }
    return out;
}

}  // namespace sigrun::plugins
