// cursor_file.hpp — a runner's consumer cursor read back as another process
// would (pread of its position word), so a test can wait until the
// dispatcher got past a frame without reaching into the runner.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <optional>

namespace sigrun::testing {

// The position word of a cursor file (offset 64: the next md sequence to
// dispatch; runner/src/consumer_cursor.hpp has the layout), or nullopt while
// there is none.
inline std::optional<std::uint64_t> cursor_position(const std::filesystem::path& cursor) {
    const int fd = ::open(cursor.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::uint64_t value = 0;
    const auto got = ::pread(fd, &value, sizeof value, 64);
    ::close(fd);
    if (got != static_cast<ssize_t>(sizeof value)) return std::nullopt;
    return value;
}

}  // namespace sigrun::testing
