// versioned — one source built twice, as libversioned_v1.so (VERSION=1) and
// libversioned_v2.so (VERSION=2), for hot-swap tests.
//
// On every depth and trade it emits two factors:
//   "v1" or "v2"   value = the message's receive_time_ns as a double, so every
//                  output record says which library handled which frame;
//   "frames_seen"  value = messages handled so far, carried across a hot swap
//                  by snapshot/restore (both versions use state_version 1),
//                  so after a v1 -> v2 swap the count continues, not restarts.
// Note: a double holds integers exactly only up to 2^53; for real epoch
// nanoseconds (~1.7e18) the value is rounded to a multiple of 256 ns. Use the
// factor record's source_sequence / source_receive_time_ns for identity.
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <sigrun/engine.hpp>

#if !defined(VERSION) || (VERSION != 1 && VERSION != 2)
#error "versioned_engine.cpp is built with VERSION=1 or VERSION=2"
#endif

namespace {

constexpr const char* kVersionFactor = VERSION == 1 ? "v1" : "v2";
constexpr const char* kVersionText = VERSION == 1 ? "1.0.0" : "2.0.0";
constexpr std::uint32_t kStateVersion = 1;  // snapshot = one uint64_t, host byte order

class Versioned final : public sigrun::Engine {
public:
    Versioned(sigrun::Host host, const nlohmann::json& /*config*/) : Engine(host) {}

    void on_depth(const sigrun::Depth& depth) override {
        handle(sigrun::field_text(depth.instrument), depth.receive_time_ns);
    }
    void on_trade(const sigrun::Trade& trade) override {
        handle(sigrun::field_text(trade.instrument), trade.receive_time_ns);
    }

    std::vector<std::byte> snapshot() const override {
        std::vector<std::byte> state(sizeof frames_seen_);
        std::memcpy(state.data(), &frames_seen_, sizeof frames_seen_);
        return state;
    }

    bool restore(std::span<const std::byte> state) override {
        if (state.size() != sizeof frames_seen_) {
            log(SIGRUN_LOG_ERROR, "versioned: snapshot state has the wrong size");
            return false;
        }
        std::memcpy(&frames_seen_, state.data(), sizeof frames_seen_);
        return true;
    }

private:
    void handle(std::string_view instrument, std::int64_t receive_time_ns) {
        ++frames_seen_;
        emit(kVersionFactor, instrument, static_cast<double>(receive_time_ns));
        emit("frames_seen", instrument, static_cast<double>(frames_seen_));
    }

    std::uint64_t frames_seen_ = 0;
};

}  // namespace

SIGRUN_EXPORT_PLUGIN_WITH_STATE(Versioned, "org.sigrun.test.versioned", "versioned", kVersionText, kStateVersion);
