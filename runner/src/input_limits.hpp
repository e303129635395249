// runner/src/input_limits.hpp — what the runner accepts as input before it
// reads it: files that must be regular files (checked without blocking: a
// FIFO, a device or a directory is refused, never opened for reading), JSON
// documents of bounded size and nesting, and the limits on numbers and lines.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace sigrun::runner {

// Largest config file read (a runner config is a few kilobytes).
inline constexpr std::uint64_t kMaxConfigBytes = 16 * 1024 * 1024;
// Deepest nesting of objects and arrays in a config (engines' own configs
// included); nlohmann's dump() and the plugins' parsers recurse.
inline constexpr int kMaxJsonDepth = 64;

// "" when `path` names a regular file (after symlinks); otherwise what it is
// ("does not exist", "is a directory", "is a FIFO", "is a character device",
// ...). Only stat(2): never opens, never blocks.
std::string regular_file_problem(const std::filesystem::path& path);

// Reads a whole regular file of at most `max_bytes`: open(O_RDONLY |
// O_NONBLOCK), then fstat of the opened file (so a FIFO swapped in after a
// check is still refused), then read. Throws std::runtime_error whose what()
// is the problem without the path ("is a FIFO; pass a regular file", ...).
std::string read_regular_file(const std::filesystem::path& path, std::uint64_t max_bytes);

// nlohmann::json::parse with a nesting limit: throws std::runtime_error
// naming the depth when `text` nests deeper than `max_depth`; parse errors
// are nlohmann's json::parse_error.
nlohmann::json parse_json_bounded(const std::string& text, int max_depth = kMaxJsonDepth);

}  // namespace sigrun::runner
