// The trade_flow engine: signed trade-volume imbalance and VWAP per instrument
// over a rolling window (see trade_flow_calculator.hpp for the formulas and
// docs/engines.md for the factors and config keys).
//
// Factors emitted on every accepted trade of an instrument:
//   "trade_imbalance"  in [-1, 1]
//   "vwap"             quote currency
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sigrun/engine.hpp"
#include "sigrun/plugins/instrument_map.hpp"
#include "sigrun/plugins/rolling_window.hpp"
#include "trade_flow_calculator.hpp"
#include "trade_flow_config.hpp"

namespace sigrun::plugins {
namespace {

class TradeFlowEngine final : public Engine {
public:
    TradeFlowEngine(Host host, const nlohmann::json& config)
        : Engine(host),
          config_(parse_trade_flow_config(config)),
          trade_imbalance_(factor("trade_imbalance")),
          vwap_(factor("vwap")) {}

    void on_trade(const Trade& trade) override {
        const std::string_view name = field_text(trade.instrument);
        Instrument& instrument = instruments_.find_or_add(name, config_);
        if (!instrument.calculator.update(trade)) {
            if (!instrument.warned_rejected) {
                instrument.warned_rejected = true;
                log(SIGRUN_LOG_WARN, "trade_flow: " + std::string(name) +
                                         ": ignoring trades whose price or size is not a "
                                         "positive number (first seen: price " +
                                         std::to_string(trade.price) + ", size " +
                                         std::to_string(trade.size) + ")");
            }
            return;
        }
        if (const auto imbalance = instrument.calculator.trade_imbalance()) {
            emit(trade_imbalance_, trade.instrument, *imbalance);
        }
        if (const auto vwap = instrument.calculator.vwap()) {
            emit(vwap_, trade.instrument, *vwap);
        }
        if (instrument.calculator.dropped_early() > 0 && !instrument.warned_dropped) {
            instrument.warned_dropped = true;
            log(SIGRUN_LOG_WARN,
                window_overflow_warning("trade_flow", name, "trades", config_.capacity));
        }
    }

private:
    struct Instrument {
        explicit Instrument(const TradeFlowConfig& config) : calculator(config) {}
        TradeFlowCalculator calculator;
        bool warned_dropped = false;
        bool warned_rejected = false;
    };

    TradeFlowConfig config_;
    FactorId trade_imbalance_;
    FactorId vwap_;
    InstrumentMap<Instrument> instruments_;  // the first message of each allocates
};

}  // namespace
}  // namespace sigrun::plugins

SIGRUN_EXPORT_PLUGIN(sigrun::plugins::TradeFlowEngine, "org.sigrun.trade-flow", "trade_flow", "0.1.0");
