// The microprice engine: book-pressure prices and imbalances per instrument
// (see microprice_calculator.hpp for the formulas and docs/engines.md for the
// factors and config keys).
//
// Factors emitted on every book update, each only when defined for that book:
//   "microprice", "imbalance_l1", and when levels N > 1
//   "imbalance_l<N>", "weighted_mid_l<N>".
// Stateless per book, so no per-instrument state is kept.
#include <memory>
#include <string>
#include <string_view>

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
          imbalance_ln_name_("imbalance_l" + std::to_string(calculator_.levels())),
          weighted_mid_ln_name_("weighted_mid_l" + std::to_string(calculator_.levels())) {}

    void on_depth(std::shared_ptr<const Depth> book) override {
        const std::string_view instrument = field_text(book->instrument);
        const BookPressure values = calculator_.compute(*book);
        if (values.microprice) emit("microprice", instrument, *values.microprice);
        if (values.imbalance_l1) emit("imbalance_l1", instrument, *values.imbalance_l1);
        if (calculator_.levels() > 1) {
            if (values.imbalance_ln) emit(imbalance_ln_name_, instrument, *values.imbalance_ln);
            if (values.weighted_mid_ln) {
                emit(weighted_mid_ln_name_, instrument, *values.weighted_mid_ln);
            }
        }
    }

private:
    MicropriceCalculator calculator_;
    std::string imbalance_ln_name_;
    std::string weighted_mid_ln_name_;
};

}  // namespace
}  // namespace sigrun::plugins

SIGRUN_EXPORT_ENGINE(sigrun::plugins::MicropriceEngine, "microprice", "0.1.0");
