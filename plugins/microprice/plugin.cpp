// The microprice engine: book-pressure prices and imbalances per instrument
// (see microprice_calculator.hpp for the formulas and docs/engines.md for the
// factors and config keys).
//
// Factors emitted on every book update, each only when defined for that book:
//   "microprice", "imbalance_l1", and when levels N > 1
//   "imbalance_l<N>", "weighted_mid_l<N>".
// Stateless per book, so no per-instrument state is kept.
#include <string>

#include <nlohmann/json.hpp>

#include "microprice_calculator.hpp"
#include "microprice_config.hpp"
#include "sigrun/engine.hpp"

namespace sigrun::plugins {
namespace {

class MicropriceEngine final : public Engine {
public:
    MicropriceEngine(Host host, const nlohmann::json& config)
        : Engine(host),
          calculator_(parse_microprice_config(config)),
          microprice_(factor("microprice")),
          imbalance_l1_(factor("imbalance_l1")),
          imbalance_ln_(factor("imbalance_l" + std::to_string(calculator_.levels()))),
          weighted_mid_ln_(factor("weighted_mid_l" + std::to_string(calculator_.levels()))) {}

    void on_depth(const Depth& book) override {
        const BookPressure values = calculator_.compute(book);
        if (values.microprice) emit(microprice_, book.instrument, *values.microprice);
        if (values.imbalance_l1) emit(imbalance_l1_, book.instrument, *values.imbalance_l1);
        if (calculator_.levels() > 1) {
            if (values.imbalance_ln) emit(imbalance_ln_, book.instrument, *values.imbalance_ln);
            if (values.weighted_mid_ln) emit(weighted_mid_ln_, book.instrument, *values.weighted_mid_ln);
        }
    }

private:
    MicropriceCalculator calculator_;
    FactorId microprice_;
    FactorId imbalance_l1_;
    FactorId imbalance_ln_;     // registered (and used) only when levels > 1
    FactorId weighted_mid_ln_;
};

}  // namespace
}  // namespace sigrun::plugins

SIGRUN_EXPORT_PLUGIN(sigrun::plugins::MicropriceEngine, "org.sigrun.microprice", "microprice", "0.1.0");
