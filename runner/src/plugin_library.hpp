// runner/src/plugin_library.hpp — one loaded signal plugin (PluginLoader).
//
// Loading, in this order, each step with its own one-line error:
//   1. copy the file to a private, unique name (glibc's dlopen hands back the
//      already-loaded object for a known path or (device, inode), so a new
//      build at the same path would otherwise never load);
//   2. dlopen(RTLD_NOW | RTLD_LOCAL): every symbol resolved now, nothing
//      leaked into the global namespace (not RTLD_DEEPBIND: breaks ASan);
//   3. signal_plugin_info(): ABI major checked before any other field, then
//      the struct size and the handoff mode against this runner's build;
//   4. the required entry points; snapshot/restore and (ABI 1.3)
//      on_timer/on_start/on_stop are optional.
// Unloading: dlclose, then the private copy is deleted. is_mapped() tells
// whether the object really left the process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "sigrun/signal_api.h"

namespace sigrun::runner {

// A plugin that cannot be used. what() is one line naming the library, the
// reason and the fix.
class PluginError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The handoff mode this runner was built with.
inline constexpr sigrun_handoff kRunnerHandoff =
#if SIGRUN_ZERO_COPY
    SIGRUN_HANDOFF_FRAME_REF;
#else
    SIGRUN_HANDOFF_COPY;
#endif

const char* handoff_name(std::uint32_t handoff) noexcept;

// What a deploy changes: a rename gives a new inode, a copy over the file a
// new size or modification time.
struct FileIdentity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileIdentity&) const = default;
};
// The identity of `path` now; all zero when it cannot be stat'ed.
FileIdentity file_identity(const std::filesystem::path& path) noexcept;

class PluginLibrary {
public:
    // Loads `path` through a private copy placed in `private_dir`. Throws
    // PluginError; on failure nothing stays loaded and no copy is left.
    static std::unique_ptr<PluginLibrary> load(const std::filesystem::path& path,
                                               const std::filesystem::path& private_dir);
    ~PluginLibrary();
    PluginLibrary(const PluginLibrary&) = delete;
    PluginLibrary& operator=(const PluginLibrary&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] const std::filesystem::path& private_path() const noexcept { return private_path_; }
    [[nodiscard]] const sigrun_plugin_info& info() const noexcept { return *info_; }
    // True when the plugin declared `type` in sigrun_plugin_info::message_types
    // (always, for a plugin that declares none). The dispatcher calls the
    // engine only for these. [thread-safe]
    [[nodiscard]] bool accepts(int type) const noexcept { return (message_mask_ & type_bit(type)) != 0; }
    // The plugin's stable id (sigrun_plugin_info::plugin_id, ABI 1.2), or its
    // name for a plugin that has none (built before 1.2, or without one).
    [[nodiscard]] const std::string& plugin_id() const noexcept { return plugin_id_; }
    // True when plugin_id() is a real id, false when it is the name.
    [[nodiscard]] bool has_plugin_id() const noexcept { return has_plugin_id_; }
    // The original file's identity when it was copied.
    [[nodiscard]] const FileIdentity& identity() const noexcept { return identity_; }

    sigrun_create_fn create = nullptr;
    sigrun_on_data_fn on_data = nullptr;
    sigrun_destroy_fn destroy = nullptr;
    sigrun_snapshot_fn snapshot = nullptr;  // optional
    sigrun_restore_fn restore = nullptr;    // optional
    sigrun_on_timer_fn on_timer = nullptr;  // optional (ABI 1.3)
    sigrun_on_start_fn on_start = nullptr;  // optional (ABI 1.3)
    sigrun_on_stop_fn on_stop = nullptr;    // optional (ABI 1.3)

    // True while a file mapping of `private_path` is in /proc/self/maps.
    static bool is_mapped(const std::filesystem::path& private_path);

private:
    PluginLibrary() = default;

    // One bit for each message type the dispatcher tells apart; every other
    // id shares the last bit.
    static constexpr std::uint32_t type_bit(int type) noexcept {
        return type == SIGRUN_MSG_DEPTH ? 1u : type == SIGRUN_MSG_TRADE ? 2u : 4u;
    }
    static constexpr std::uint32_t kEveryType = 7u;
    std::uint32_t message_mask_ = kEveryType;

    std::filesystem::path path_;
    std::filesystem::path private_path_;
    void* handle_ = nullptr;
    const sigrun_plugin_info* info_ = nullptr;
    FileIdentity identity_;
    std::string plugin_id_;
    bool has_plugin_id_ = false;
};

// Why `id` is not a valid plugin id (reverse-DNS, [a-z0-9._-], at least one
// '.', 1 to SIGRUN_PLUGIN_ID_MAX characters); empty when it is. Reads at
// most SIGRUN_PLUGIN_ID_MAX + 1 characters.
std::string plugin_id_problem(const char* id);

}  // namespace sigrun::runner
