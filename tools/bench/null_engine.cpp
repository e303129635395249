// bench_null — an engine that only reads one field of each message: what is
// left of its on_data cost is the handoff itself (the SDK's heap copy, or
// frame_retain/frame_release around a reference into the journal).
#include <sigrun/engine.hpp>

class NullEngine final : public sigrun::Engine {
public:
    NullEngine(sigrun::Host host, const nlohmann::json& /*config*/) : Engine(host) {}
    void on_depth(const sigrun::Depth& depth) override { sink_ += depth.bid_price[0]; }
    void on_trade(const sigrun::Trade& trade) override { sink_ += trade.price; }

private:
    double sink_ = 0;  // keeps the read from being optimised away
};

SIGRUN_EXPORT_ENGINE(NullEngine, "bench_null", "1.0.0");
