#include "plugin_library.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "elf_layout.hpp"
#include "plugin_permissions.hpp"
#include "resource_limits.hpp"

namespace sigrun::runner {
namespace {

std::string dl_error() {
    const char* e = ::dlerror();
    return e != nullptr ? e : "unknown dlerror";
}

// A unique private name: the original stem, this process, a counter.
std::filesystem::path private_copy_name(const std::filesystem::path& path, const std::filesystem::path& dir) {
    static std::atomic<std::uint64_t> counter{0};
    return dir / fmt::format("{}.{}.{}.so", path.stem().string(), ::getpid(), counter.fetch_add(1));
}

}  // namespace

FileIdentity file_identity(const std::filesystem::path& path) noexcept {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
            static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec};
}

const char* handoff_name(std::uint32_t handoff) noexcept {
    switch (handoff) {
        case SIGRUN_HANDOFF_COPY: return "copy";
        case SIGRUN_HANDOFF_FRAME_REF: return "frame-ref";
        default: return "unknown";
    }
}

std::unique_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path& path,
                                                   const std::filesystem::path& private_dir) {
    const std::string name = path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw PluginError(fmt::format("plugin {}: no such file; build the plugin or fix the library path", name));
    }
    check_plugin_permissions(path);
    prepare_private_dir(private_dir, path);
    std::unique_ptr<PluginLibrary> lib(new PluginLibrary());
    lib->path_ = path;
    lib->private_path_ = private_copy_name(path, private_dir);
    lib->identity_ = file_identity(path);
    // A real copy, not a link: a new inode that no later deploy can rewrite.
    // (A failed copy is removed with `lib`.)
    if (!std::filesystem::copy_file(path, lib->private_path_, std::filesystem::copy_options::overwrite_existing, ec)) {
        const int err = ec.value();
        if (err == EMFILE || err == ENFILE || err == ENOSPC || err == ENOMEM) {  // a limit, not permissions
            throw PluginError(fmt::format("plugin {}: {}", name,
                                          describe_os_failure("copying it to " + lib->private_path_.string(), err)));
        }
        throw PluginError(fmt::format("plugin {}: cannot copy to {} ({}); make the folder writable",
                                      name, lib->private_path_.string(), ec.message()));
    }
    // The private copy cannot change any more: check it, then dlopen it.
    if (const std::string missing = elf_truncation(lib->private_path_); !missing.empty()) {
        throw PluginError(fmt::format("plugin {}: truncated or corrupt library ({}); deploy the complete file "
                                      "(build it, then rename it into place)", name, missing));
    }
    lib->handle_ = ::dlopen(lib->private_path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib->handle_ == nullptr) {
        throw PluginError(fmt::format("plugin {}: dlopen failed: {}; is it a shared library built for this machine?",
                                      name, dl_error()));
    }
    auto symbol = [&](const char* sym) { return ::dlsym(lib->handle_, sym); };

    auto* info_fn = reinterpret_cast<sigrun_plugin_info_fn>(symbol("signal_plugin_info"));
    if (info_fn == nullptr) {
        throw PluginError(fmt::format("plugin {}: does not export signal_plugin_info; not a sigrun plugin "
                                      "(export the entry points with SIGRUN_EXPORT_ENGINE)", name));
    }
    lib->info_ = info_fn();
    if (lib->info_ == nullptr) {
        throw PluginError(fmt::format("plugin {}: signal_plugin_info() returned NULL; fix the plugin", name));
    }
    // The major version first: no other field is trusted before it matches.
    if (lib->info_->abi_major != SIGRUN_ABI_VERSION_MAJOR) {
        throw PluginError(fmt::format("plugin {}: built for sigrun ABI {}.{}, this runner speaks ABI {}.{}; "
                                      "rebuild the plugin against this SDK",
                                      name, lib->info_->abi_major, lib->info_->abi_minor,
                                      SIGRUN_ABI_VERSION_MAJOR, SIGRUN_ABI_VERSION_MINOR));
    }
    if (lib->info_->struct_size < offsetof(sigrun_plugin_info, state_version)) {
        throw PluginError(fmt::format("plugin {}: sigrun_plugin_info is {} bytes, too small for ABI {}; "
                                      "rebuild the plugin against this SDK", name, lib->info_->struct_size,
                                      SIGRUN_ABI_VERSION_MAJOR));
    }
    const std::uint32_t handoff = lib->info_->handoff;
    if (handoff != SIGRUN_HANDOFF_COPY && handoff != SIGRUN_HANDOFF_FRAME_REF) {
        throw PluginError(fmt::format("plugin {}: unknown handoff mode {}; rebuild the plugin against this SDK", name, handoff));
    }
    if (handoff == SIGRUN_HANDOFF_FRAME_REF && kRunnerHandoff != SIGRUN_HANDOFF_FRAME_REF) {
        throw PluginError(fmt::format("plugin {}: built for frame-ref handoff but this runner was built for copy "
                                      "handoff; rebuild the plugin for copy handoff (out of tree: configure it "
                                      "with -DSIGRUN_HANDOFF=copy; in the sigrun tree: ENABLE_ZERO_COPY=OFF) or "
                                      "use a runner built with ENABLE_ZERO_COPY=ON", name));
    }
    // Declared message types (ABI 1.1): read only when the plugin's struct
    // reaches them; a 1.0 plugin gets every type.
    if (lib->info_->struct_size >= offsetof(sigrun_plugin_info, reserved1) && lib->info_->message_types != nullptr) {
        const std::uint32_t count = lib->info_->message_type_count;
        if (count > 64) {
            throw PluginError(fmt::format("plugin {}: declares {} message types (at most 64); rebuild the plugin "
                                          "against this SDK", name, count));
        }
        lib->message_mask_ = 0;
        for (std::uint32_t i = 0; i < count; ++i) lib->message_mask_ |= type_bit(lib->info_->message_types[i]);
    }
    // The plugin id (ABI 1.2), read only when the plugin's struct reaches it.
    lib->plugin_id_ = lib->info_->name != nullptr ? lib->info_->name : "";
    if (lib->info_->struct_size >= offsetof(sigrun_plugin_info, plugin_id) + sizeof(const char*) &&
        lib->info_->plugin_id != nullptr) {
        if (const std::string problem = plugin_id_problem(lib->info_->plugin_id); !problem.empty()) {
            throw PluginError(fmt::format("plugin {}: plugin_id {}; use a reverse-DNS id such as "
                                          "\"com.example.spread\" ([a-z0-9._-], at least one '.')", name, problem));
        }
        lib->plugin_id_ = lib->info_->plugin_id;
        lib->has_plugin_id_ = true;
    }
    lib->create = reinterpret_cast<sigrun_create_fn>(symbol("signal_create"));
    lib->on_data = reinterpret_cast<sigrun_on_data_fn>(symbol("signal_on_data"));
    lib->destroy = reinterpret_cast<sigrun_destroy_fn>(symbol("signal_destroy"));
    for (const auto& [fn, sym] : {std::pair{reinterpret_cast<void*>(lib->create), "signal_create"},
                                  std::pair{reinterpret_cast<void*>(lib->on_data), "signal_on_data"},
                                  std::pair{reinterpret_cast<void*>(lib->destroy), "signal_destroy"}}) {
        if (fn == nullptr) {
            throw PluginError(fmt::format("plugin {}: does not export {}; every plugin must export "
                                          "signal_plugin_info, signal_create, signal_on_data and signal_destroy",
                                          name, sym));
        }
    }
    lib->snapshot = reinterpret_cast<sigrun_snapshot_fn>(symbol("signal_snapshot"));
    lib->restore = reinterpret_cast<sigrun_restore_fn>(symbol("signal_restore"));
    lib->on_timer = reinterpret_cast<sigrun_on_timer_fn>(symbol("signal_on_timer"));
    lib->on_start = reinterpret_cast<sigrun_on_start_fn>(symbol("signal_on_start"));
    lib->on_stop = reinterpret_cast<sigrun_on_stop_fn>(symbol("signal_on_stop"));
    return lib;
}

std::string plugin_id_problem(const char* id) {
    const std::size_t length = strnlen(id, SIGRUN_PLUGIN_ID_MAX + 1);
    if (length == 0) return "is empty";
    if (length > SIGRUN_PLUGIN_ID_MAX) return fmt::format("is longer than {} characters", SIGRUN_PLUGIN_ID_MAX);
    const std::string_view text(id, length);
    for (const char c : text) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!allowed) return fmt::format("\"{}\" has the character '{}'", text, std::isprint(static_cast<unsigned char>(c)) ? c : '?');
    }
    if (text.find('.') == std::string_view::npos || text.front() == '.' || text.back() == '.') {
        return fmt::format("\"{}\" is not reverse-DNS", text);
    }
    return {};
}

PluginLibrary::~PluginLibrary() {
    if (handle_ != nullptr) ::dlclose(handle_);
    if (!private_path_.empty()) {
        std::error_code ec;
        std::filesystem::remove(private_path_, ec);
    }
}

bool PluginLibrary::is_mapped(const std::filesystem::path& private_path) {
    std::ifstream maps("/proc/self/maps");
    const std::string needle = private_path.string();
    for (std::string line; std::getline(maps, line);) {
        if (line.find(needle) != std::string::npos) return true;
    }
    return false;
}

}  // namespace sigrun::runner
