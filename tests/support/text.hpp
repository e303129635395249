// text.hpp — reading what a test's child process or a tool wrote: a file's
// whole text, its lines, its last line. Shared so that every suite splits
// output the same way.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sigrun::testing {

// The whole file; empty when it does not exist (a child that has not yet
// written anything).
inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// `text` split at '\n' (no trailing empty line for a final '\n').
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The last non-empty line of `text` (a tool's one-line error follows its log).
inline std::string last_line(const std::string& text) {
    const auto end = text.find_last_not_of('\n');
    if (end == std::string::npos) return {};
    const auto newline = text.rfind('\n', end);
    const auto begin = newline == std::string::npos ? 0 : newline + 1;
    return text.substr(begin, end - begin + 1);
}

}  // namespace sigrun::testing
