#include "microprice_config.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace sigrun::plugins {
namespace {

[[noreturn]] void fail(const std::string& message) {
    throw std::invalid_argument("microprice config: " + message);
}

}  // namespace

MicropriceConfig parse_microprice_config(const nlohmann::json& config) {
    MicropriceConfig out;
    if (config.is_null()) {
        return out;
    }
    if (!config.is_object()) {
        fail("must be a JSON object such as {\"levels\": 5}, got " + config.dump());
    }
    for (const auto& [key, value] : config.items()) {
        if (key != "levels") {
            fail("unknown key \"" + key + "\"; known keys: levels");
        }
    }
    if (config.contains("levels")) {
        const nlohmann::json& levels = config.at("levels");
        // JSON parses non-negative integers as unsigned.
        if (!levels.is_number_unsigned() || levels.get<std::uint64_t>() < 1 ||
            levels.get<std::uint64_t>() > MicropriceConfig::kMaxLevels) {
            fail("\"levels\" must be an integer from 1 to " +
                 std::to_string(MicropriceConfig::kMaxLevels) +
                 " (book levels of the depth-weighted factors), got " + levels.dump());
        }
        out.levels = static_cast<int>(levels.get<std::uint64_t>());
    }
    return out;
}

}  // namespace sigrun::plugins
