#include "leftovers.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

namespace sigrun::runner {
namespace {

std::optional<pid_t> parse_pid(std::string_view text) {
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
    return pid;
}

bool all_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// "<journal>.creating.<pid>"
std::optional<pid_t> creating_pid(const std::string& name) {
    static constexpr std::string_view kTag = ".creating.";
    const auto at = name.rfind(kTag);
    if (at == std::string::npos || at == 0) return std::nullopt;
    return parse_pid(std::string_view(name).substr(at + kTag.size()));
}

// "<stem>.<pid>.<n>.so" (PluginLibrary's private_copy_name)
std::optional<pid_t> plugin_copy_pid(const std::string& name) {
    std::string_view s(name);
    if (!s.ends_with(".so")) return std::nullopt;
    s.remove_suffix(3);
    const auto counter_dot = s.rfind('.');
    if (counter_dot == std::string_view::npos || !all_digits(s.substr(counter_dot + 1))) return std::nullopt;
    s = s.substr(0, counter_dot);
    const auto pid_dot = s.rfind('.');
    if (pid_dot == std::string_view::npos) return std::nullopt;
    return parse_pid(s.substr(pid_dot + 1));
}

bool abandoned(pid_t pid) {
    if (pid == ::getpid()) return true;
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

void remove_if_abandoned(const std::filesystem::path& dir, std::optional<pid_t> (*pid_of)(const std::string&),
                         LeftoverCount& count) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto pid = pid_of(it->path().filename().string());
        if (!pid || !abandoned(*pid) || !it->is_regular_file(ec)) continue;
        const auto size = it->file_size(ec);
        if (std::filesystem::remove(it->path(), ec)) {
            ++count.files;
            count.bytes += ec ? 0 : size;
        }
    }
}

}  // namespace

LeftoverCount remove_leftovers(const std::filesystem::path& journal_dir) noexcept {
    LeftoverCount count;
    try {
        remove_if_abandoned(journal_dir, creating_pid, count);
        remove_if_abandoned(journal_dir / ".plugins", plugin_copy_pid, count);
    } catch (...) {
        // best effort: a leftover that stays costs disk space, nothing else
    }
    return count;
}

}  // namespace sigrun::runner
