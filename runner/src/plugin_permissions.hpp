// runner/src/plugin_permissions.hpp — who may touch a plugin the runner loads.
//
// Whoever can replace a plugin's file runs code inside the runner. So a
// library is refused when another user could write it: the file, or the
// folder it is in (a folder writable by others lets them rename a new file
// over it; a sticky folder such as /tmp does not, it is allowed), or either
// belongs to another user than the runner's or root. Symbolic links are
// followed, and the folder of the link and of its target are both checked.
// The runner's private copies live in <journal dir>/.plugins, made mode 0700
// whatever the umask.
#pragma once

#include <filesystem>

namespace sigrun::runner {

// Throws PluginError naming the path, its mode and owner, and the fix.
void check_plugin_permissions(const std::filesystem::path& library);

// Creates `dir` (where `library`'s private copy goes) if needed and makes it
// 0700; throws PluginError naming both when that fails or the folder
// belongs to another user.
void prepare_private_dir(const std::filesystem::path& dir, const std::filesystem::path& library);

}  // namespace sigrun::runner
