#include "engine_instance.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sigrun::runner {

EngineInstance::EngineInstance(const EngineConfig& config, std::unique_ptr<PluginLibrary> library,
                               FactorPublisher* publisher, const journal::Pins* pins)
    : config_(config), library_(std::move(library)), host_(config.name, publisher, pins, config.config_json),
      timer_(config.timer_ms * 1'000'000) {
    // Checked before signal_create: a refused engine is never created.
    if (config_.timer_ms != 0 && library_->on_timer == nullptr) {
        throw PluginError(fmt::format("plugin {}: engine \"{}\" has \"timer_ms\" in its runner config but the plugin "
                                      "does not export signal_on_timer (built before sigrun ABI 1.3, or without a "
                                      "timer); remove \"timer_ms\" or deploy a build that has signal_on_timer",
                                      library_->path().string(), config_.name));
    }
    handle_ = library_->create(host_.api(), config_.config_json.c_str());
    if (handle_ == nullptr) {
        throw PluginError(fmt::format("plugin {}: signal_create returned NULL for engine \"{}\" (its reason is "
                                      "logged above); fix the engine's config",
                                      library_->path().string(), config_.name));
    }
    dispatch_fn_ = library_->on_data;
    dispatch_handle_ = handle_;
    if (!config_.instruments.empty()) {
        filter_ = std::make_unique<InstrumentFilter>(config_.instruments, library_->on_data, handle_);
        dispatch_fn_ = &InstrumentFilter::on_data;
        dispatch_handle_ = filter_.get();
    }
}

void EngineInstance::fire_timer(std::uint64_t sequence, std::int64_t now_ns) noexcept {
    CurrentFrame stamp;  // no frame: data stays null, so frame_info and frame_retain refuse
    stamp.sequence = sequence;
    stamp.receive_time_ns = now_ns;
    host_.enter(&stamp);
    library_->on_timer(handle_, now_ns);
    host_.leave();
    ++timers_;
}

EngineInstance::~EngineInstance() {
    if (handle_ != nullptr) library_->destroy(handle_);
    if (const std::uint64_t leaked = host_.release_all(); leaked > 0) {
        spdlog::error("engine {}: still held {} frame(s) after signal_destroy; released them. The engine must "
                      "release every frame before destroy returns", config_.name, leaked);
    }
    // host_ and then library_ (dlclose) go in reverse declaration order.
}

}  // namespace sigrun::runner
