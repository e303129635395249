// typed_config — an engine whose constructor takes sigrun::Config&, so the
// SDK refuses keys it never read. Config: {"scale": number > 0 (required),
// "label": "a"|"b" (default "a"), "every": integer 1..100 (default 1),
// "verbose": bool}. On every `every`-th depth it emits "scaled" = best bid *
// scale, and "sequence" / "receive_time" from Engine::frame() (the md
// sequence and receive time the host reports for the frame).
#include <sigrun/engine.hpp>

namespace {

class TypedConfig final : public sigrun::Engine {
public:
    TypedConfig(sigrun::Host host, sigrun::Config& config)
        : Engine(host),
          scale_(config.required_number("scale", {.min = 1e-9}, "multiplier")),
          every_(config.integer("every", 1, {1, 100}, "depths between emits")),
          scaled_(factor("scaled")),
          sequence_(factor("sequence")),
          receive_time_(factor("receive_time")) {
        config.text("label", "a", {"a", "b"});
        config.known({"verbose"});  // accepted, not used
    }

    void on_depth(const sigrun::Depth& d) override {
        if (++seen_ % every_ != 0) return;
        emit(scaled_, d.instrument, d.bid_price[0] * scale_);
        const sigrun::FrameInfo frame = this->frame();
        emit(sequence_, d.instrument, static_cast<double>(frame.sequence));
        emit(receive_time_, d.instrument, static_cast<double>(frame.receive_time_ns));
    }

private:
    double scale_;
    std::int64_t every_;
    std::int64_t seen_ = 0;
    sigrun::FactorId scaled_, sequence_, receive_time_;
};

}  // namespace

SIGRUN_EXPORT_PLUGIN(TypedConfig, "org.sigrun.test.typed-config", "typed_config", "1.0.0");
