// refuses_restore — an engine that speaks the versioned engine's state format
// (state_version 1) but will not take the state, so a hot swap from
// versioned_v1/v2 to it fails at the switch and the old engine must keep
// running. One source built twice:
//   librefuses_restore.so  MODE=1: restore() returns false;
//   librestore_throws.so   MODE=2: restore() throws (the SDK catches it and
//                          reports a failed restore).
// When live (it never should be in those tests) it emits "refuses_restore" =
// receive_time_ns per message.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <sigrun/engine.hpp>

#if !defined(MODE) || (MODE != 1 && MODE != 2)
#error "refuses_restore_engine.cpp is built with MODE=1 (returns false) or MODE=2 (throws)"
#endif

namespace {

class RefusesRestore final : public sigrun::Engine {
public:
    RefusesRestore(sigrun::Host host, const nlohmann::json& /*config*/) : Engine(host) {}

    void on_depth(const sigrun::Depth& depth) override {
        emit("refuses_restore", sigrun::field_text(depth.instrument), static_cast<double>(depth.receive_time_ns));
    }
    void on_trade(const sigrun::Trade& trade) override {
        emit("refuses_restore", sigrun::field_text(trade.instrument), static_cast<double>(trade.receive_time_ns));
    }

    std::vector<std::byte> snapshot() const override { return std::vector<std::byte>(sizeof(std::uint64_t)); }

    bool restore(std::span<const std::byte> /*state*/) override {
#if MODE == 1
        log(SIGRUN_LOG_ERROR, "refuses_restore: refusing the snapshot state (test plugin)");
        return false;
#else
        throw std::runtime_error("restore_throws: restore fails on purpose (test plugin)");
#endif
    }
};

}  // namespace

SIGRUN_EXPORT_ENGINE_WITH_STATE(RefusesRestore, "refuses_restore", "1.0.0", 1);
