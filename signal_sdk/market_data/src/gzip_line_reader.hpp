// GzipLineReader — reads a gzip-compressed text file one line at a time
// (zlib gzFile), counting physical lines for error messages. Internal to
// sigrun_market_data: the public headers do not expose zlib.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sigrun::market_data {

class GzipLineReader {
public:
    /// Opens `path`. Throws DataError when it is missing, not a regular file,
    /// empty, unreadable or not gzip-compressed.
    explicit GzipLineReader(std::filesystem::path path);
    ~GzipLineReader();
    GzipLineReader(const GzipLineReader&) = delete;
    GzipLineReader& operator=(const GzipLineReader&) = delete;

    /// The next line without its line ending ("\n" or "\r\n"); std::nullopt at
    /// the end of the file. The view is valid until the next call. Throws
    /// DataError when the compressed data is corrupt or truncated.
    std::optional<std::string_view> next_line();

    /// 1-based number of the line last returned (0 before the first).
    [[nodiscard]] std::uint64_t line_number() const noexcept { return line_number_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
    void* file_ = nullptr;  // gzFile; void* keeps zlib.h out of this header
    std::string line_;
    std::uint64_t line_number_ = 0;
    bool at_end_ = false;
};

}  // namespace sigrun::market_data
