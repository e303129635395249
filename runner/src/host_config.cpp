#include "host_config.hpp"

#include <cmath>
#include <limits>

#include <spdlog/spdlog.h>

#include "engine_host.hpp"

namespace sigrun::runner {

HostConfig::HostConfig(std::string engine_name, std::string_view config_json) : name_(std::move(engine_name)) {
    config_ = nlohmann::json::parse(config_json, nullptr, /*allow_exceptions=*/false);
    if (!config_.is_object()) config_ = nlohmann::json::object();
}

const nlohmann::json* HostConfig::find(const char* key) const noexcept {
    if (key == nullptr) return nullptr;
    const auto it = config_.find(std::string_view(key));
    return it != config_.end() ? &*it : nullptr;
}

std::int32_t HostConfig::wrong(const char* key, const nlohmann::json& value, const char* wanted) const noexcept {
    try {
        spdlog::error("[{}] config: \"{}\" must be {}, got {}", name_, key, wanted, value.dump());
    } catch (...) {
    }
    return -1;
}

std::int32_t HostConfig::get_double(const char* key, double* value) noexcept {
    const nlohmann::json* v = find(key);
    if (v == nullptr || value == nullptr) return 1;
    if (!v->is_number() || !std::isfinite(v->get<double>())) return wrong(key, *v, "a number");
    *value = v->get<double>();
    return 0;
}

std::int32_t HostConfig::get_int(const char* key, std::int64_t* value) noexcept {
    const nlohmann::json* v = find(key);
    if (v == nullptr || value == nullptr) return 1;
    if (v->is_number_unsigned()) {
        const auto u = v->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return wrong(key, *v, "an integer that fits in 64 bits");
        }
        *value = static_cast<std::int64_t>(u);
        return 0;
    }
    if (!v->is_number_integer()) return wrong(key, *v, "an integer");
    *value = v->get<std::int64_t>();
    return 0;
}

std::int32_t HostConfig::get_string(const char* key, const char** value) noexcept {
    const nlohmann::json* v = find(key);
    if (v == nullptr || value == nullptr) return 1;
    if (!v->is_string()) return wrong(key, *v, "a string");
    try {
        *value = strings_.emplace_back(v->get<std::string>()).c_str();
    } catch (...) {
        return wrong(key, *v, "a string (out of memory copying it)");
    }
    return 0;
}

std::int32_t HostConfig::check_keys(const char* const* known_keys, std::uint32_t count) noexcept {
    try {
        for (const auto& item : config_.items()) {
            bool known = false;
            for (std::uint32_t i = 0; i < count && !known; ++i) {
                known = known_keys != nullptr && known_keys[i] != nullptr && item.key() == known_keys[i];
            }
            if (known) continue;
            std::string list;
            for (std::uint32_t i = 0; i < count; ++i) {
                if (known_keys != nullptr && known_keys[i] != nullptr) list += (list.empty() ? "" : ", ") + std::string(known_keys[i]);
            }
            spdlog::error("[{}] config: unknown key \"{}\"; known keys: {}", name_, item.key(),
                          list.empty() ? "(none)" : list);
            return 1;
        }
    } catch (...) {
        return 1;
    }
    return 0;
}

namespace {
HostConfig& of(void* ctx) noexcept { return static_cast<EngineHost*>(ctx)->config(); }
}  // namespace

void HostConfig::install(sigrun_host_api& api) noexcept {
    api.config_get_double = [](void* ctx, const char* key, double* value) { return of(ctx).get_double(key, value); };
    api.config_get_int = [](void* ctx, const char* key, std::int64_t* value) { return of(ctx).get_int(key, value); };
    api.config_get_string = [](void* ctx, const char* key, const char** value) {
        return of(ctx).get_string(key, value);
    };
    api.config_check_keys = [](void* ctx, const char* const* keys, std::uint32_t count) {
        return of(ctx).check_keys(keys, count);
    };
}

}  // namespace sigrun::runner
