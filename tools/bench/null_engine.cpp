// bench_null — an engine that only reads one field of each message, so what
// is left of its on_data cost is the handoff itself.
//
//   config {}               borrowed only: the C ABI call and the SDK's
//                           dispatch, nothing kept (BM_Handoff/null)
//   config {"keep": true}   also keeps every message past the call and drops
//                           the one it kept before (a sigrun::Kept member
//                           replaced every call): what keeping costs in the
//                           build's handoff mode — frame-ref: one
//                           frame_retain (an increment of the slot's pin
//                           count) and one frame_release; copy: one pooled
//                           copy and one give-back (BM_Handoff/keep)
//
// dispatch_rig.hpp checks, through the host's counters and the slot's pin
// count, that a frame-ref build really retains rather than falling back to
// a copy.
#include <sigrun/engine.hpp>

class NullEngine final : public sigrun::Engine {
public:
    NullEngine(sigrun::Host host, const nlohmann::json& config)
        : Engine(host), keep_(config.value("keep", false)) {}
    void on_depth(const sigrun::Depth& depth) override {
        sink_ += depth.bid_price[0];
        if (keep_) kept_depth_ = keep(depth);  // keeps this one, drops the previous
    }
    void on_trade(const sigrun::Trade& trade) override {
        sink_ += trade.price;
        if (keep_) kept_trade_ = keep(trade);
    }
    // Drops what it keeps before the library can be unloaded (engine.hpp's rule).
    ~NullEngine() override {
        kept_depth_.reset();
        kept_trade_.reset();
    }

private:
    bool keep_;
    double sink_ = 0;  // keeps the read from being optimised away
    sigrun::Kept<sigrun::Depth> kept_depth_;
    sigrun::Kept<sigrun::Trade> kept_trade_;
};

SIGRUN_EXPORT_ENGINE(NullEngine, "bench_null", "1.1.0");
