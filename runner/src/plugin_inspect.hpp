// runner/src/plugin_inspect.hpp — `sigrun inspect LIB.so`: what a plugin
// library is and whether this runner would load it, for a plugin author
// before deploying.
//
// Prints the plugin id, name, version, ABI, handoff mode, state version and
// declared message types; the dynamic symbols it exports (flagging anything
// but signal_*), its STB_GNU_UNIQUE symbols and the other reasons it would
// stay mapped after dlclose; and a verdict from the runner's own loader.
#pragma once

#include <cstdio>
#include <filesystem>

namespace sigrun::runner {

// Exit codes of `sigrun inspect`.
inline constexpr int kInspectLoads = 0;       // the runner would load it
inline constexpr int kInspectRefused = 1;     // a plugin, refused by this runner (the reason is printed)
inline constexpr int kInspectNotAPlugin = 3;  // not a shared library, or no signal_plugin_info

// Inspects `library`, writing the report to `out` and a one-line error to
// `err` when it is not a plugin; returns one of the codes above. The verdict
// loads the library through a private copy in a temporary folder.
int inspect_plugin(const std::filesystem::path& library, std::FILE* out, std::FILE* err);

}  // namespace sigrun::runner
