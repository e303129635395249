// The ofi engine: order-flow imbalance per instrument (see ofi_calculator.hpp
// for the formulas and docs/engines.md for the factors and config keys).
//
// Factors emitted on every book update of an instrument except its first
// (which only sets the baseline):
//   "ofi_l1" .. "ofi_l<levels>"  windowed OFI at each level, base-asset units
//   "mlofi"                      their sum (only when levels > 1)
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "ofi_calculator.hpp"
#include "ofi_config.hpp"
#include "sigrun/engine.hpp"

namespace sigrun::plugins {
namespace {

// Lets the per-instrument map be searched with a string_view: no allocation
// on the hot path once an instrument has been seen.
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

class OfiEngine final : public Engine {
public:
    OfiEngine(Host host, const nlohmann::json& config)
        : Engine(host), config_(parse_ofi_config(config)) {
        for (int level = 1; level <= config_.levels; ++level) {
            level_factor_names_.push_back("ofi_l" + std::to_string(level));
        }
    }

    void on_depth(std::shared_ptr<const Depth> book) override {
        const std::string_view name = field_text(book->instrument);
        Instrument& instrument = instrument_for(name);
        if (!instrument.calculator.update(*book)) {
            return;  // first book of this instrument: baseline only
        }
        for (int level = 1; level <= config_.levels; ++level) {
            emit(level_factor_names_[level - 1], name, instrument.calculator.ofi(level));
        }
        if (config_.levels > 1) {
            emit("mlofi", name, instrument.calculator.mlofi());
        }
        if (instrument.calculator.dropped_early() > 0 && !instrument.warned_dropped) {
            instrument.warned_dropped = true;
            log(SIGRUN_LOG_WARN,
                "ofi: " + std::string(name) +
                    ": more book updates arrived within window_ns than window_capacity (" +
                    std::to_string(config_.capacity) +
                    ") holds; the oldest leave the window early. Raise window_capacity.");
        }
    }

private:
    struct Instrument {
        explicit Instrument(const OfiConfig& config) : calculator(config) {}
        OfiCalculator calculator;
        bool warned_dropped = false;
    };

    Instrument& instrument_for(std::string_view name) {
        if (auto it = instruments_.find(name); it != instruments_.end()) {
            return it->second;
        }
        // First book of a new instrument: the only allocation, once.
        return instruments_.try_emplace(std::string(name), config_).first->second;
    }

    OfiConfig config_;
    std::vector<std::string> level_factor_names_;
    std::unordered_map<std::string, Instrument, StringHash, std::equal_to<>> instruments_;
};

}  // namespace
}  // namespace sigrun::plugins

SIGRUN_EXPORT_ENGINE(sigrun::plugins::OfiEngine, "ofi", "0.1.0");
