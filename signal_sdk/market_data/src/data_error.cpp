#include "sigrun/market_data/data_error.hpp"

#include <string>

namespace sigrun::market_data {
namespace {

std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return out;
}

std::string compose(const std::filesystem::path& file, std::uint64_t line, std::string_view problem,
                    std::string_view fix) {
    std::string msg = one_line(file.string());
    if (line != 0) {
        msg += ':';
        msg += std::to_string(line);
    }
    msg += ": ";
    msg += one_line(problem);
    msg += "; fix: ";
    msg += one_line(fix);
    return msg;
}

}  // namespace

DataError::DataError(const std::filesystem::path& file, std::uint64_t line, std::string_view problem,
                     std::string_view fix)
    : std::runtime_error(compose(file, line, problem, fix)), file_(file), line_(line) {}

std::string quote_for_message(std::string_view text, std::size_t max_chars) {
    std::string out = "'";
    const std::size_t n = text.size() < max_chars ? text.size() : max_chars;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
    }
    if (n < text.size()) out += "...";
    out += "'";
    return out;
}

}  // namespace sigrun::market_data
