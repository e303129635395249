// The vpin engine: Volume-Synchronized Probability of Informed Trading per
// instrument over equal-volume buckets of trades (see vpin_calculator.hpp for
// the formulas and docs/engines.md for the factor and config keys).
//
// Factor emitted on each trade that closes a bucket, once N buckets closed:
//   "vpin"        in [0, 1]
// and, when the engine's runner config sets "timer_ms" (ABI 1.3 timers, on
// the frames' receive time), at every deadline for each instrument whose
// VPIN is defined:
//   "vpin_clock"  the same VPIN sampled on the clock (unchanged since the
//                 last bucket close), a regular series to join with other
//                 clock-sampled features; a quiet market keeps reporting it.
// Its state (the open bucket and the last N buckets of every instrument) is
// carried across a hot swap, so a new version continues the same buckets.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "sigrun/engine.hpp"
#include "sigrun/plugins/instrument_map.hpp"
#include "vpin_calculator.hpp"
#include "vpin_config.hpp"

namespace sigrun::plugins {
namespace {

// Version of the snapshot bytes; bump it when their layout changes.
constexpr std::uint32_t kStateVersion = 1;
constexpr std::uint32_t kStateMagic = 0x4e495056;  // "VPIN"

class VpinEngine final : public Engine {
public:
    VpinEngine(Host host, Config& config)
        : Engine(host), config_(read_vpin_config(config)), vpin_(factor("vpin")), vpin_clock_(factor("vpin_clock")) {}

    void on_trade(const Trade& trade) override {
        const std::string_view name = field_text(trade.instrument);
        Instrument& instrument = instruments_.find_or_add(name, config_);
        if (!instrument.calculator.add(trade)) {
            if (!instrument.warned_rejected) {
                instrument.warned_rejected = true;
                log(SIGRUN_LOG_WARN, "vpin: " + std::string(name) +
                                         ": ignoring trades whose price or size is not a positive number");
            }
            return;
        }
        if (!instrument.calculator.closed_bucket()) return;
        if (const auto value = instrument.calculator.vpin()) emit(vpin_, trade.instrument, *value);
    }

    // Every trade received before now_ns has been poured into the buckets.
    void on_timer(std::int64_t /*now_ns*/) override {
        instruments_.for_each([&](std::string_view name, const Instrument& instrument) {
            if (const auto value = instrument.calculator.vpin()) emit(vpin_clock_, name, *value);
        });
    }

    // [magic, bucket_volume, buckets, classification, count] then per
    // instrument [name length, name, calculator state].
    std::vector<std::byte> snapshot() const override {
        std::vector<std::byte> out;
        put(out, kStateMagic);
        put(out, config_.bucket_volume);
        put(out, config_.buckets);
        put(out, static_cast<std::uint32_t>(config_.classification));
        put(out, static_cast<std::uint32_t>(instruments_.size()));
        instruments_.for_each([&](std::string_view name, const Instrument& instrument) {
            put(out, static_cast<std::uint32_t>(name.size()));
            const auto* bytes = reinterpret_cast<const std::byte*>(name.data());
            out.insert(out.end(), bytes, bytes + name.size());
            instrument.calculator.save(out);
        });
        return out;
    }

    // Refuses a state of another bucket configuration: its buckets would not
    // be this engine's buckets.
    bool restore(std::span<const std::byte> state) override {
        std::uint32_t magic = 0, classification = 0, count = 0;
        VpinConfig saved;
        if (!take(state, magic) || magic != kStateMagic || !take(state, saved.bucket_volume) ||
            !take(state, saved.buckets) || !take(state, classification) || !take(state, count)) {
            return false;
        }
        saved.classification = static_cast<VolumeClassification>(classification);
        if (!(saved == config_)) return false;
        for (std::uint32_t i = 0; i < count; ++i) {
            std::uint32_t length = 0;
            if (!take(state, length) || length > SIGRUN_INSTRUMENT_LEN || state.size() < length) return false;
            const std::string name(reinterpret_cast<const char*>(state.data()), length);
            state = state.subspan(length);
            if (!instruments_.find_or_add(name, config_).calculator.load(state)) return false;
        }
        return state.empty();
    }

private:
    template <class T>
    static void put(std::vector<std::byte>& out, const T& value) {
        const auto* bytes = reinterpret_cast<const std::byte*>(&value);
        out.insert(out.end(), bytes, bytes + sizeof(T));
    }
    template <class T>
    static bool take(std::span<const std::byte>& in, T& value) noexcept {
        if (in.size() < sizeof(T)) return false;
        std::memcpy(&value, in.data(), sizeof(T));
        in = in.subspan(sizeof(T));
        return true;
    }

    struct Instrument {
        explicit Instrument(const VpinConfig& config) : calculator(config) {}
        VpinCalculator calculator;
        bool warned_rejected = false;
    };

    VpinConfig config_;
    FactorId vpin_;
    FactorId vpin_clock_;
    InstrumentMap<Instrument> instruments_;  // the first trade of each allocates
};

}  // namespace
}  // namespace sigrun::plugins

SIGRUN_EXPORT_PLUGIN_WITH_STATE(sigrun::plugins::VpinEngine, "org.sigrun.vpin", "vpin", "0.1.0",
                                sigrun::plugins::kStateVersion);
