// runner/src/engine_instance.hpp — one live engine: its library, its handle
// from signal_create, its host context and its statistics.
//
// Destruction order is the safety rule of unloading: signal_destroy (the
// engine joins its threads and releases its frames), then release whatever it
// leaked, then drop the host context, and only then dlclose — every function
// pointer the plugin handed out dangles after that.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "config.hpp"
#include "engine_host.hpp"
#include "instrument_filter.hpp"
#include "latency_histogram.hpp"
#include "plugin_library.hpp"
#include "relaxed_counter.hpp"
#include "sigrun/timer_schedule.hpp"

namespace sigrun::runner {

class EngineInstance {
public:
    // Calls signal_create; throws PluginError when it returns NULL, or when
    // the config gives "timer_ms" and the plugin has no signal_on_timer.
    EngineInstance(const EngineConfig& config, std::unique_ptr<PluginLibrary> library,
                   FactorPublisher* publisher, const journal::Pins* pins);
    ~EngineInstance();
    EngineInstance(const EngineInstance&) = delete;
    EngineInstance& operator=(const EngineInstance&) = delete;

    // The hot path [dispatch-thread]: one call, then what it emitted goes
    // out as one signals frame. Only for types the engine accepts(). No
    // clock read here: the dispatcher samples latency (record_latency).
    void on_data(const CurrentFrame& frame) noexcept {
        host_.enter(&frame);
        dispatch_fn_(dispatch_handle_, frame.type, frame.data);
        host_.leave();
        ++frames_[frame.type == SIGRUN_MSG_DEPTH ? 0 : 1];
    }

    // The receive-time timer ("timer_ms"): the receive time at or past which
    // the next frame fires it (TimerSchedule::due(); kNever without one).
    // [dispatch-thread]
    [[nodiscard]] std::int64_t timer_due() const noexcept { return timer_.due(); }
    // Before `frame` is handed to the engine: calls signal_on_timer when the
    // frame's receive time reached the deadline, stamping what it emits with
    // the frame's sequence and the deadline. [dispatch-thread]
    void on_frame_time(const CurrentFrame& frame) noexcept {
        if (const std::int64_t now = timer_.advance(frame.receive_time_ns); now != 0) fire_timer(frame.sequence, now);
    }
    // Once per run, around it (signal_on_start / signal_on_stop, when the
    // plugin has them). [dispatch-thread]
    void on_start() noexcept {
        if (library_->on_start != nullptr) library_->on_start(handle_);
    }
    void on_stop() noexcept {
        if (library_->on_stop != nullptr) library_->on_stop(handle_);
    }
    // signal_on_timer calls made by this engine and the versions it replaced.
    [[nodiscard]] std::uint64_t timers() const noexcept { return timers_.load(); }

    // Whether the engine declared this message type. [dispatch-thread]
    [[nodiscard]] bool accepts(int type) const noexcept { return library_->accepts(type); }

    // One sampled on_data latency, emit publishing included. [dispatch-thread]
    void record_latency(std::uint64_t ns) noexcept { latency_.record(ns); }

    [[nodiscard]] const std::string& name() const noexcept { return config_.name; }
    [[nodiscard]] const EngineConfig& config() const noexcept { return config_; }
    [[nodiscard]] const PluginLibrary& library() const noexcept { return *library_; }
    [[nodiscard]] EngineHost& host() noexcept { return host_; }
    [[nodiscard]] const EngineHost& host() const noexcept { return host_; }
    [[nodiscard]] void* handle() const noexcept { return handle_; }
    [[nodiscard]] const LatencyHistogram& latency() const noexcept { return latency_; }
    // Frames handled live by this engine and every version it replaced
    // (warm-up replays are not counted twice: continue_from overwrites them),
    // all types or one. [thread-safe]
    [[nodiscard]] std::uint64_t frames() const noexcept { return frames_[0].load() + frames_[1].load(); }
    [[nodiscard]] std::uint64_t frames_of(int type) const noexcept {
        return frames_[type == SIGRUN_MSG_DEPTH ? 0 : 1].load();
    }
    // How many versions of this engine ran, this one included.
    [[nodiscard]] std::uint32_t versions() const noexcept { return versions_; }
    // At the switch of a hot swap [dispatch-thread]: this engine takes over
    // from `retired`, so the summary counts coverage across versions. Every
    // frame the warm-up fed it was handled live by `retired` already.
    void continue_from(const EngineInstance& retired) noexcept {
        frames_ = retired.frames_;
        timer_.continue_from(retired.timer_);  // no deadline twice, none skipped
        timers_ = retired.timers_;
        factors_before_ = retired.factors();
        versions_ = retired.versions_ + 1;
    }
    // Factor values published by this engine and the versions it replaced.
    [[nodiscard]] std::uint64_t factors() const noexcept { return factors_before_ + host_.emitted(); }

private:
    void fire_timer(std::uint64_t sequence, std::int64_t now_ns) noexcept;

    EngineConfig config_;
    std::unique_ptr<PluginLibrary> library_;
    EngineHost host_;
    void* handle_ = nullptr;
    // What on_data calls: the engine's signal_on_data and handle, or the
    // instrument filter's shim in front of them ("instruments" configured).
    sigrun_on_data_fn dispatch_fn_ = nullptr;
    void* dispatch_handle_ = nullptr;
    std::unique_ptr<InstrumentFilter> filter_;
    LatencyHistogram latency_;
    std::array<RelaxedCounter, 2> frames_;  // depth, trade (the types dispatch validates)
    TimerSchedule timer_;
    RelaxedCounter timers_;
    std::uint32_t versions_ = 1;
    std::uint64_t factors_before_ = 0;
};

}  // namespace sigrun::runner
