#include "swap_identity.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace sigrun::runner {

std::string swap_identity_refusal(const std::string& running_id, const PluginLibrary& fresh,
                                  const EngineConfig& config) {
    const std::string& id = fresh.plugin_id();
    if (id == running_id) return {};
    const auto& allowed = config.allow_replace_with;
    if (std::find(allowed.begin(), allowed.end(), id) != allowed.end()) return {};
    return fmt::format("the new library is plugin {} but engine {} runs plugin {}; a swap to another plugin is "
                       "refused (deploy a build of {}, or add \"{}\" to the engine's \"allow_replace_with\")",
                       id, config.name, running_id, running_id, id);
}

}  // namespace sigrun::runner
