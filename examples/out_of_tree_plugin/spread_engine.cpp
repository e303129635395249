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
        : Engine(host), tick_size_(config.value("tick_size", 0.01)), spread_ticks_(factor("spread_ticks")) {
        if (!(tick_size_ > 0.0)) {
            throw std::invalid_argument("spread_engine: \"tick_size\" must be positive");
        }
    }

    void on_depth(const sigrun::Depth& depth) override {
        const double bid = depth.bid_price[0];
        const double ask = depth.ask_price[0];
        if (bid <= 0.0 || ask <= 0.0) {
            return;  // one side of the book is empty
        }
        // The depth is borrowed for this call: read it, do not store the reference.
        emit(spread_ticks_, depth.instrument, std::round((ask - bid) / tick_size_));
    }

private:
    double tick_size_;
    sigrun::FactorId spread_ticks_;  // registered once; emit by id is the fast path
};

}  // namespace

SIGRUN_EXPORT_ENGINE(SpreadEngine, "spread_engine", "1.0.0");
