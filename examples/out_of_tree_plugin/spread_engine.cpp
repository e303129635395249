// spread_engine — the smallest useful engine: emits the quoted spread
// (best ask - best bid) in ticks of a configurable size.
//
// Config: {"tick_size": 0.01}
#include <cmath>
#include <stdexcept>

#include <sigrun/engine.hpp>

namespace {

class SpreadEngine final : public sigrun::Engine {
public:
    SpreadEngine(sigrun::Host host, const nlohmann::json& config)
        : Engine(host), tick_size_(config.value("tick_size", 0.01)) {
        if (!(tick_size_ > 0.0)) {
            throw std::invalid_argument("spread_engine: \"tick_size\" must be positive");
        }
    }

    void on_depth(std::shared_ptr<const sigrun::Depth> depth) override {
        const double bid = depth->bid_price[0];
        const double ask = depth->ask_price[0];
        if (bid <= 0.0 || ask <= 0.0) {
            return;  // one side of the book is empty
        }
        emit("spread_ticks", sigrun::field_text(depth->instrument), std::round((ask - bid) / tick_size_));
    }

private:
    double tick_size_;
};

}  // namespace

SIGRUN_EXPORT_ENGINE(SpreadEngine, "spread_engine", "1.0.0");
