// sigrun::market_data::DataError — the one exception type for market-data
// problems a user can cause and fix: a missing or unreadable file, a file
// that is not gzip, a header that is not one of the known formats, a field
// that does not parse, rows that go backwards in time.
//
// what() is exactly one line:
//     <file>:<line>: <problem>; fix: <what to do>
// (without ":<line>" when the problem is not tied to a line, e.g. a missing
// file). Line numbers are 1-based physical lines; the header is line 1.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sigrun::market_data {

class DataError : public std::runtime_error {
public:
    DataError(const std::filesystem::path& file, std::uint64_t line, std::string_view problem,
              std::string_view fix);

    [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }
    /// 1-based line number the problem was found on; 0 when it concerns the whole file.
    [[nodiscard]] std::uint64_t line() const noexcept { return line_; }

private:
    std::filesystem::path file_;
    std::uint64_t line_;
};

/// Makes `text` safe to quote inside a one-line message: control characters
/// become '?', and anything past `max_chars` is cut and marked with "...".
[[nodiscard]] std::string quote_for_message(std::string_view text, std::size_t max_chars = 40);

}  // namespace sigrun::market_data
