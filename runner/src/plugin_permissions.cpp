#include "plugin_permissions.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "plugin_library.hpp"

namespace sigrun::runner {
namespace {

constexpr mode_t kPrivateDirMode = 0700;

std::string mode_text(mode_t mode) { return fmt::format("{:04o}", mode & 07777); }

bool trusted_owner(uid_t uid) { return uid == 0 || uid == ::geteuid(); }

// `what` is "file" or "folder"; `library` the configured path, for the message.
void check_one(const std::filesystem::path& path, const char* what, const std::filesystem::path& library) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return;  // the loader reports a missing file in its own words
    const bool dir = S_ISDIR(st.st_mode);
    const bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    const bool sticky = dir && (st.st_mode & S_ISVTX) != 0 && trusted_owner(st.st_uid);
    if (others_write && !sticky) {
        throw PluginError(fmt::format("plugin {}: refused: its {} {} is mode {}, writable by other users, who "
                                      "could replace the code this runner executes; chmod go-w {}",
                                      library.string(), what, path.string(), mode_text(st.st_mode), path.string()));
    }
    if (!trusted_owner(st.st_uid)) {
        throw PluginError(fmt::format("plugin {}: refused: its {} {} belongs to uid {}, not to this runner's "
                                      "user ({}) or root, so that user could replace the code this runner "
                                      "executes; chown it or deploy the plugin elsewhere",
                                      library.string(), what, path.string(), st.st_uid, ::geteuid()));
    }
}

std::filesystem::path folder_of(const std::filesystem::path& path) {
    const auto parent = path.parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
}

}  // namespace

void check_plugin_permissions(const std::filesystem::path& library) {
    check_one(library, "file", library);
    check_one(folder_of(library), "folder", library);
    std::error_code ec;
    if (std::filesystem::is_symlink(library, ec)) {
        const auto target = std::filesystem::canonical(library, ec);
        if (!ec) check_one(folder_of(target), "folder", library);
    }
}

void prepare_private_dir(const std::filesystem::path& dir, const std::filesystem::path& library) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    struct stat st {};
    if (!ec && ::stat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) ec = std::make_error_code(std::errc::not_a_directory);
    if (ec || st.st_mode == 0) {
        throw PluginError(fmt::format("plugin {}: cannot copy it into the private folder {} ({}); make the journal "
                                      "dir writable",
                                      library.string(), dir.string(), ec ? ec.message() : std::strerror(errno)));
    }
    if (st.st_uid != ::geteuid()) {
        throw PluginError(fmt::format("plugin {}: its private folder {} belongs to uid {}, not to this runner's "
                                      "user ({}); remove the folder (the runner recreates it)",
                                      library.string(), dir.string(), st.st_uid, ::geteuid()));
    }
    if ((st.st_mode & 07777) != kPrivateDirMode && ::chmod(dir.c_str(), kPrivateDirMode) != 0) {
        throw PluginError(fmt::format("plugin {}: its private folder {} is mode {} and cannot be made 0700 ({}); "
                                      "remove the folder",
                                      library.string(), dir.string(), mode_text(st.st_mode), std::strerror(errno)));
    }
}

}  // namespace sigrun::runner
