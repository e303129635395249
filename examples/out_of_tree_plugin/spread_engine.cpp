// spread_engine — the smallest useful engine: emits the quoted spread
// (best ask - best bid) in ticks of a configurable size.
//
// Config: {"tick_size": 0.01}; any other key is refused (sigrun::Config).
#include <cmath>

#include <sigrun/engine.hpp>

namespace {

class SpreadEngine final : public sigrun::Engine {
public:
    SpreadEngine(sigrun::Host host, sigrun::Config& config)
        : Engine(host),
          tick_size_(config.number("tick_size", 0.01, {.min = 1e-12}, "price increment")),
          spread_ticks_(factor("spread_ticks")) {}

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

SIGRUN_EXPORT_PLUGIN(SpreadEngine, "com.example.spread", "spread_engine", "1.0.0");
