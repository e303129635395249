// runner/src/swap_identity.hpp — whether a hot swap may bring in a library:
// only another version of the same plugin (same plugin id, or same name for
// plugins without an id), or a plugin the engine's config allows with
// "allow_replace_with". A library of another plugin renamed over the path by
// mistake is refused instead of silently running in the engine's place.
#pragma once

#include <string>

#include "config.hpp"
#include "plugin_library.hpp"

namespace sigrun::runner {

// Empty when `fresh` may replace the running plugin `running_id` in engine
// `config`; otherwise the reason and the fix, for the swap's error line.
std::string swap_identity_refusal(const std::string& running_id, const PluginLibrary& fresh,
                                  const EngineConfig& config);

}  // namespace sigrun::runner
