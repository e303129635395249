// runner/src/host_config.hpp — the host side of the config accessors of ABI
// 1.2 (sigrun_host_api::config_get_double / _int / _string,
// config_check_keys): an engine's "config" object, parsed once, read by key.
// For C engines, which carry no JSON parser.
//
// Each wrong read is logged as one line "[engine] config: ..." naming the key,
// what it holds and what was asked for; the engine then refuses to start.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sigrun/signal_api.h"

namespace sigrun::runner {

class HostConfig {
public:
    // `config_json` is the engine's config object as text (the runner's
    // config parser has already checked it is an object).
    HostConfig(std::string engine_name, std::string_view config_json);

    // Sets the four config_* entries of `api`.
    static void install(sigrun_host_api& api) noexcept;

    // The callbacks' bodies; `ctx` of each C callback is the EngineHost,
    // which hands over its HostConfig. Return codes as in signal_api.h.
    std::int32_t get_double(const char* key, double* value) noexcept;
    std::int32_t get_int(const char* key, std::int64_t* value) noexcept;
    std::int32_t get_string(const char* key, const char** value) noexcept;
    std::int32_t check_keys(const char* const* known_keys, std::uint32_t count) noexcept;

private:
    // The value at `key`, or null when absent.
    const nlohmann::json* find(const char* key) const noexcept;
    std::int32_t wrong(const char* key, const nlohmann::json& value, const char* wanted) const noexcept;

    std::string name_;
    nlohmann::json config_;
    std::deque<std::string> strings_;  // get_string copies, stable addresses until the engine is destroyed
};

}  // namespace sigrun::runner
