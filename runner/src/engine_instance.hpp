// runner/src/engine_instance.hpp — one live engine: its library, its handle
// from signal_create, its host context and its statistics.
//
// Destruction order is the safety rule of unloading: signal_destroy (the
// engine joins its threads and releases its frames), then release whatever it
// leaked, then drop the host context, and only then dlclose — every function
// pointer the plugin handed out dangles after that.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config.hpp"
#include "engine_host.hpp"
#include "latency_histogram.hpp"
#include "plugin_library.hpp"

namespace sigrun::runner {

class EngineInstance {
public:
    // Calls signal_create; throws PluginError when it returns NULL.
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
        library_->on_data(handle_, frame.type, frame.data);
        host_.leave();
        ++frames_;
    }

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
    [[nodiscard]] std::uint64_t frames() const noexcept { return frames_; }

private:
    EngineConfig config_;
    std::unique_ptr<PluginLibrary> library_;
    EngineHost host_;
    void* handle_ = nullptr;
    LatencyHistogram latency_;
    std::uint64_t frames_ = 0;
};

}  // namespace sigrun::runner
