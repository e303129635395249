// runner/src/engine_host.hpp — the host side of the C ABI for one engine:
// the sigrun_host_api table and what its callbacks do.
//
// One EngineHost per engine instance; its address is the host_ctx the
// plugin passes back. It
//   - collects what the engine emits during one signal_on_data call into one
//     sigrun_factor_batch and hands it to the FactorPublisher when the call
//     returns (leave()): one signals-journal frame per engine call;
//   - keeps the engine's registered factor names as ready-made 32-byte
//     fields, so that emitting a value is a few stores;
//   - tracks, per md journal slot, how many frames this engine retained, so
//     that the runner can name the engine holding a frame and release what
//     an engine leaked at destroy.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "factor_publisher.hpp"
#include "host_config.hpp"
#include "rate_limited_log.hpp"
#include "relaxed_counter.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/messages.h"
#include "sigrun/signal_api.h"

namespace sigrun::runner {

// The frame being handed to engines right now (dispatch thread). For a
// signal_on_timer call it only stamps what the call emits: sequence = the
// frame whose receive time fired the timer, receive_time_ns = the deadline,
// data = nullptr (no frame is handled: frame_info and frame_retain refuse).
struct CurrentFrame {
    std::uint64_t sequence = 0;
    std::int64_t receive_time_ns = 0;
    int type = 0;
    const void* data = nullptr;
    bool retainable = false;  // data is a gated journal payload in place
    std::uint64_t slot = 0;   // its slot, when retainable
};

class EngineHost {
public:
    // `pins` is the md journal's (null when frames cannot be retained, e.g.
    // when an external process owns the journal).
    // `config_json`: the engine's "config" object, for the config_* reads.
    EngineHost(std::string engine_name, FactorPublisher* publisher, const journal::Pins* pins,
               std::string_view config_json = "{}");
    EngineHost(const EngineHost&) = delete;
    EngineHost& operator=(const EngineHost&) = delete;

    [[nodiscard]] const sigrun_host_api* api() const noexcept { return &api_; }
    [[nodiscard]] const std::string& engine_name() const noexcept { return name_; }
    [[nodiscard]] HostConfig& config() noexcept { return config_; }

    // Bracket one signal_on_data or signal_on_timer call [dispatch-thread].
    // leave() publishes what the call emitted.
    void enter(const CurrentFrame* frame) noexcept {
        current_ = frame;
        inside_ = this;
    }
    void leave() noexcept {
        inside_ = nullptr;
        if (batch_count_ != 0) flush_batch();
        current_ = nullptr;
    }

    // Warm-up replays: emits are accepted and dropped [dispatch-thread or load-thread].
    void set_discard_emits(bool discard) noexcept { discard_emits_ = discard; }

    [[nodiscard]] std::uint64_t frames_held() const noexcept;
    [[nodiscard]] std::uint32_t holds_on(std::uint64_t slot) const noexcept;
    // Releases every frame still retained; returns how many. For after
    // signal_destroy: anything left is a leak in the engine.
    std::uint64_t release_all() noexcept;

    [[nodiscard]] std::uint64_t emitted() const noexcept { return emitted_.load(); }  // [thread-safe]
    [[nodiscard]] std::uint64_t emit_refused() const noexcept { return emit_refused_.load(); }
    // Errors the engine reported through the host log (the SDK reports each
    // exception it caught this way). [thread-safe]
    [[nodiscard]] std::uint64_t errors_logged() const noexcept { return errors_logged_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t retains() const noexcept { return retains_.load(std::memory_order_relaxed); }

private:
    using Field = std::array<char, SIGRUN_NAME_LEN>;

    // This engine's retains per md slot: taken only on the thread running
    // its calls (plain load + store); given back inside its call on that
    // thread (a plain store taking one back from `retained`) or from any
    // other thread (atomic RMW on `released`). Held = retained - released.
    // One 8-byte entry per slot: a keep and a drop touch one line.
    struct SlotHolds {
        std::atomic<std::uint32_t> retained{0};
        std::atomic<std::uint32_t> released{0};
    };

    static void on_log(void* ctx, std::int32_t level, const char* message);
    static std::int32_t on_emit(void* ctx, const char* factor, const char* instrument, double value);
    static std::int32_t on_retain(void* ctx, const void* data);
    static void on_release(void* ctx, const void* data);
    static std::int32_t on_register_factor(void* ctx, const char* factor);
    static std::int32_t on_emit_value(void* ctx, std::int32_t factor_id, const char* instrument, double value);
    static std::int32_t on_frame_info(void* ctx, sigrun_frame_info* info);

    std::int32_t register_factor(std::string_view name);
    std::int32_t add_value(std::int32_t factor_id, const char* instrument, double value) noexcept;
    void flush_batch() noexcept;
    void report_bad_release(const char* what) noexcept;
    void release_from_another_thread(SlotHolds& holds, std::uint64_t slot) noexcept;
    // Logs `what` once per engine and counts the refusal; returns `code`.
    std::int32_t refuse(std::int32_t code, const char* what) noexcept;

    // The engine whose signal_on_data runs on this thread right now: a
    // frame_release made from inside that call (an engine dropping an older
    // frame while handling a new one, the common case) updates the
    // per-engine count with a plain store instead of an atomic RMW.
    static thread_local const EngineHost* inside_;

    sigrun_host_api api_{};
    std::string name_;
    FactorPublisher* publisher_;
    const journal::Pins* pins_;
    HostConfig config_;

    std::unique_ptr<SlotHolds[]> holds_;
    std::uint64_t slots_ = 0;

    // Factor names registered by the engine, as NUL-padded journal fields.
    std::vector<Field> factor_names_;

    // The batch of the current call: header, then up to batch_capacity_ values.
    std::unique_ptr<std::byte[]> batch_;
    std::uint32_t batch_capacity_ = 0;
    std::uint32_t batch_count_ = 0;

    const CurrentFrame* current_ = nullptr;
    bool discard_emits_ = false;
    RelaxedCounter emitted_;
    RelaxedCounter emit_refused_;
    std::atomic<std::uint64_t> errors_logged_{0};  // any thread may log
    bool refusal_logged_ = false;
    std::atomic<std::uint64_t> retains_{0};
    std::atomic<std::uint64_t> bad_releases_{0};
    // An engine logging on every frame (one that throws on every call: the
    // SDK logs each exception) gets a few lines, then one per second with
    // the count of the rest. host->log may be called from any thread.
    std::mutex log_mutex_;
    RateLimit log_limit_{std::chrono::seconds(1), 10};
};

}  // namespace sigrun::runner
