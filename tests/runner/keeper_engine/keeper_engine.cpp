// keeper — keeps the last N messages it received (sigrun::Kept, in a fixed
// ring) and emits one factor per message: the engine that "keeps frames"
// in the allocation test, without allocating anything of its own after
// construction, so that any allocation counted is the runner's or the SDK's.
//
// Config: {"keep": N} (1..1024, default 16).
#include <array>
#include <cstddef>
#include <stdexcept>

#include <sigrun/engine.hpp>

namespace {

class Keeper final : public sigrun::Engine {
public:
    Keeper(sigrun::Host host, const nlohmann::json& config)
        : Engine(host), keep_(config.value("keep", std::size_t{16})), kept_(factor("kept")) {
        if (keep_ == 0 || keep_ > ring_.size()) throw std::invalid_argument("keeper: \"keep\" must be 1..1024");
    }

    void on_depth(const sigrun::Depth& depth) override { hold(keep(depth).erase(), depth.instrument); }
    void on_trade(const sigrun::Trade& trade) override { hold(keep(trade).erase(), trade.instrument); }

private:
    void hold(sigrun::Kept<void> message, const char (&instrument)[SIGRUN_INSTRUMENT_LEN]) {
        ring_[next_ % keep_] = std::move(message);  // drops the oldest
        ++next_;
        emit(kept_, instrument, static_cast<double>(next_ < keep_ ? next_ : keep_));
    }

    const std::size_t keep_;
    const sigrun::FactorId kept_;
    std::array<sigrun::Kept<void>, 1024> ring_{};
    std::size_t next_ = 0;
};

}  // namespace

SIGRUN_EXPORT_ENGINE(Keeper, "keeper", "1.0.0");
