#include "engine_instance.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sigrun::runner {

EngineInstance::EngineInstance(const EngineConfig& config, std::unique_ptr<PluginLibrary> library,
                               FactorPublisher* publisher, const journal::Pins* pins)
    : config_(config), library_(std::move(library)), host_(config.name, publisher, pins) {
    handle_ = library_->create(host_.api(), config_.config_json.c_str());
    if (handle_ == nullptr) {
        throw PluginError(fmt::format("plugin {}: signal_create returned NULL for engine \"{}\" (its reason is "
                                      "logged above); fix the engine's config",
                                      library_->path().string(), config_.name));
    }
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
