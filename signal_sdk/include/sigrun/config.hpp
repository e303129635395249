// sigrun/config.hpp — sigrun::Config, the typed reader of an engine's JSON
// "config" object: defaults, ranges, required keys, and refusal of keys the
// engine does not know (a typo such as "tick_sise" is an error naming the
// known keys, never a silently ignored setting).
//
//     Spread(sigrun::Host host, sigrun::Config& config)
//         : Engine(host),
//           tick_(config.number("tick_size", 0.01, {.min = 1e-12})),
//           levels_(config.integer("levels", 1, {.min = 1, .max = 10}, "book levels")) {}
//
// An engine whose constructor takes `sigrun::Config&` gets the unknown-key
// check for free: SIGRUN_EXPORT_PLUGIN calls finish() after the constructor
// returns, so every key the constructor did not read (or declare with
// known()) refuses the engine. A constructor taking `const nlohmann::json&`
// builds a Config itself and calls finish() at the end.
//
// Every error is a sigrun::ConfigError (a std::invalid_argument) with one
// line "<engine> config: <what>" naming the key, what it accepts and what it
// got; thrown from a constructor it makes signal_create fail and reaches the
// runner's log.
//
// null means "all defaults" (every key absent); anything else but an object
// is refused. Header-only, no state beyond the keys read.
#ifndef SIGRUN_CONFIG_HPP
#define SIGRUN_CONFIG_HPP

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "sigrun/config.hpp needs C++20; a C engine reads its config with host->config_get_* (signal_api.h)"
#endif

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace sigrun {

// A config the engine refuses. what() is one line naming the key.
class ConfigError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Inclusive bounds of a number read from the config.
template <class T>
struct Range {
    T min = std::numeric_limits<T>::lowest();
    T max = std::numeric_limits<T>::max();
};

class Config {
public:
    // `engine` prefixes every error; `config` is the engine's config object
    // (or null). Both must outlive the reader. `known` declares keys read
    // later, or only in some branches, so that finish() accepts them.
    Config(std::string_view engine, const nlohmann::json& config, std::initializer_list<std::string_view> known = {})
        : engine_(engine), config_(config) {
        if (!config_.is_null() && !config_.is_object()) {
            fail("must be a JSON object of settings, got " + config_.dump());
        }
        this->known(known);
    }

    // Declares keys the engine accepts without reading them now.
    void known(std::initializer_list<std::string_view> keys) {
        for (const std::string_view key : keys) remember(key);
    }

    // True when `key` is in the config (and declares it known).
    bool has(std::string_view key) {
        remember(key);
        return find(key) != nullptr;
    }

    // A JSON integer in `range` ("5", 5.5 and 1e3 are refused); `fallback`
    // when absent. `meaning` (e.g. "book levels") goes into the error.
    std::int64_t integer(std::string_view key, std::int64_t fallback, Range<std::int64_t> range = {},
                         std::string_view meaning = {}) {
        const nlohmann::json* value = lookup(key);
        return value != nullptr ? to_integer(key, *value, range, meaning) : fallback;
    }
    std::int64_t required_integer(std::string_view key, Range<std::int64_t> range = {}, std::string_view meaning = {}) {
        return to_integer(key, require(key, "an integer"), range, meaning);
    }

    // Any finite JSON number in `range`; `fallback` when absent.
    double number(std::string_view key, double fallback, Range<double> range = {}, std::string_view meaning = {}) {
        const nlohmann::json* value = lookup(key);
        return value != nullptr ? to_number(key, *value, range, meaning) : fallback;
    }
    double required_number(std::string_view key, Range<double> range = {}, std::string_view meaning = {}) {
        return to_number(key, require(key, "a number"), range, meaning);
    }

    // A JSON string; when `allowed` is not empty, one of those. `fallback`
    // when absent.
    std::string text(std::string_view key, std::string_view fallback, std::initializer_list<std::string_view> allowed = {}) {
        const nlohmann::json* value = lookup(key);
        return value != nullptr ? to_text(key, *value, allowed) : std::string(fallback);
    }
    std::string required_text(std::string_view key, std::initializer_list<std::string_view> allowed = {}) {
        return to_text(key, require(key, "a string"), allowed);
    }

    // true or false; `fallback` when absent.
    bool boolean(std::string_view key, bool fallback) {
        const nlohmann::json* value = lookup(key);
        if (value == nullptr) return fallback;
        if (!value->is_boolean()) fail(quoted(key) + " must be true or false, got " + value->dump());
        return value->get<bool>();
    }

    // Refuses the first key that was neither read nor declared known, naming
    // the known keys. SIGRUN_EXPORT_PLUGIN calls it after a constructor that
    // takes Config&.
    void finish() const {
        if (!config_.is_object()) return;
        for (const auto& item : config_.items()) {
            if (is_known(item.key())) continue;
            std::string list;
            for (const std::string& k : known_) list += (list.empty() ? "" : ", ") + k;
            fail("unknown key " + quoted(item.key()) + "; known keys: " + (list.empty() ? "(none)" : list));
        }
    }

    // Throws ConfigError("<engine> config: " + message).
    [[noreturn]] void fail(const std::string& message) const {
        throw ConfigError(std::string(engine_) + " config: " + message);
    }

    const nlohmann::json& json() const noexcept { return config_; }
    std::string_view engine() const noexcept { return engine_; }

private:
    static std::string quoted(std::string_view key) { return "\"" + std::string(key) + "\""; }

    void remember(std::string_view key) {
        if (!is_known(key)) known_.emplace_back(key);
    }
    bool is_known(std::string_view key) const {
        for (const std::string& k : known_) {
            if (k == key) return true;
        }
        return false;
    }
    const nlohmann::json* find(std::string_view key) const {
        if (!config_.is_object()) return nullptr;
        const auto it = config_.find(key);
        return it != config_.end() ? &*it : nullptr;
    }
    const nlohmann::json* lookup(std::string_view key) {
        remember(key);
        return find(key);
    }
    const nlohmann::json& require(std::string_view key, const char* what) {
        const nlohmann::json* value = lookup(key);
        if (value == nullptr) fail(quoted(key) + " is required: give " + what);
        return *value;
    }

    template <class T>
    static std::string bounds(Range<T> range) {
        const bool low = range.min != std::numeric_limits<T>::lowest();
        const bool high = range.max != std::numeric_limits<T>::max();
        auto show = [](T v) {
            if constexpr (std::is_integral_v<T>) {
                return std::to_string(v);
            } else {
                return nlohmann::json(v).dump();
            }
        };
        if (low && high) return " from " + show(range.min) + " to " + show(range.max);
        if (low) return " >= " + show(range.min);
        if (high) return " <= " + show(range.max);
        return "";
    }
    static std::string explained(std::string_view meaning) {
        return meaning.empty() ? "" : " (" + std::string(meaning) + ")";
    }

    std::int64_t to_integer(std::string_view key, const nlohmann::json& value, Range<std::int64_t> range,
                            std::string_view meaning) const {
        bool ok = false;
        std::int64_t result = 0;
        if (value.is_number_unsigned()) {  // nlohmann parses non-negative integers as unsigned
            const auto u = value.get<std::uint64_t>();
            ok = u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
            result = static_cast<std::int64_t>(u);
        } else if (value.is_number_integer()) {
            ok = true;
            result = value.get<std::int64_t>();
        }
        if (!ok || result < range.min || result > range.max) {
            fail(quoted(key) + " must be an integer" + bounds(range) + explained(meaning) + ", got " + value.dump());
        }
        return result;
    }

    double to_number(std::string_view key, const nlohmann::json& value, Range<double> range,
                     std::string_view meaning) const {
        const bool ok = value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() >= range.min &&
                        value.get<double>() <= range.max;
        if (!ok) fail(quoted(key) + " must be a number" + bounds(range) + explained(meaning) + ", got " + value.dump());
        return value.get<double>();
    }

    std::string to_text(std::string_view key, const nlohmann::json& value,
                        std::initializer_list<std::string_view> allowed) const {
        std::string choices;
        for (const std::string_view a : allowed) choices += (choices.empty() ? "\"" : ", \"") + std::string(a) + "\"";
        if (!value.is_string()) {
            fail(quoted(key) + " must be a string" + (allowed.size() != 0 ? ": one of " + choices : "") + ", got " +
                 value.dump());
        }
        std::string result = value.get<std::string>();
        if (allowed.size() == 0) return result;
        for (const std::string_view a : allowed) {
            if (a == result) return result;
        }
        fail(quoted(key) + " must be one of " + choices + ", got " + value.dump());
    }

    std::string_view engine_;
    const nlohmann::json& config_;
    std::vector<std::string> known_;  // in the order declared or read, for the error
};

}  // namespace sigrun

#endif  // SIGRUN_CONFIG_HPP
