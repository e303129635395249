// The ofi engine: order-flow imbalance per instrument (see ofi_calculator.hpp
// for the formulas and docs/engines.md for the factors and config keys).
//
// Factors emitted on every book update of an instrument except its first
// (which only sets the baseline):
//   "ofi_l1" .. "ofi_l<levels>"  windowed OFI at each level, base-asset units
//   "mlofi"                      their sum (only when levels > 1)
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ofi_calculator.hpp"
#include "ofi_config.hpp"
#include "sigrun/engine.hpp"
#include "sigrun/plugins/instrument_map.hpp"
#include "sigrun/plugins/rolling_window.hpp"

namespace sigrun::plugins {
namespace {

class OfiEngine final : public Engine {
public:
    OfiEngine(Host host, const nlohmann::json& config)
        : Engine(host), config_(parse_ofi_config(config)), mlofi_(factor("mlofi")) {
        for (int level = 1; level <= config_.levels; ++level) {
            level_factors_.push_back(factor("ofi_l" + std::to_string(level)));
        }
    }

    void on_depth(const Depth& book) override {
        const std::string_view name = field_text(book.instrument);
        Instrument& instrument = instruments_.find_or_add(name, config_);
        if (!instrument.calculator.update(book)) {
            return;  // first book of this instrument: baseline only
        }
        for (int level = 1; level <= config_.levels; ++level) {
            emit(level_factors_[level - 1], book.instrument, instrument.calculator.ofi(level));
        }
        if (config_.levels > 1) {
            emit(mlofi_, book.instrument, instrument.calculator.mlofi());
        }
        if (instrument.calculator.dropped_early() > 0 && !instrument.warned_dropped) {
            instrument.warned_dropped = true;
            log(SIGRUN_LOG_WARN,
                window_overflow_warning("ofi", name, "book updates", config_.capacity));
        }
    }

private:
    struct Instrument {
        explicit Instrument(const OfiConfig& config) : calculator(config) {}
        OfiCalculator calculator;
        bool warned_dropped = false;
    };

    OfiConfig config_;
    FactorId mlofi_;
    std::vector<FactorId> level_factors_;
    InstrumentMap<Instrument> instruments_;  // the first message of each allocates
};

}  // namespace
}  // namespace sigrun::plugins

SIGRUN_EXPORT_PLUGIN(sigrun::plugins::OfiEngine, "org.sigrun.ofi", "ofi", "0.1.0");
