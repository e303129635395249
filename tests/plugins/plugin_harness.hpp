// What the shipped engines' plugin tests share: the bundled real sample as
// sigrun::testing reads it (the runner's CSV replay code), and short ways to
// say what an engine emitted or why it refused its config.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sigrun/testing.hpp"
#include "sigrun/testing/recorded.hpp"

namespace sigrun::plugins::test {

// examples/data: 3 minutes of Binance spot BTCUSDT, book and trades merged
// in receive order (read once per test program).
inline const std::vector<sigrun::testing::Message>& sample() {
    static const std::vector<sigrun::testing::Message> messages = sigrun::testing::read_csv(
        std::filesystem::path(SIGRUN_EXAMPLES_DATA_DIR) / "spot_btcusdt_book20.csv.gz",
        std::filesystem::path(SIGRUN_EXAMPLES_DATA_DIR) / "spot_btcusdt_trades.csv.gz");
    return messages;
}

// "factor instrument=value" lines, easy to compare and to read in a failure.
inline std::vector<std::string> describe(const std::vector<sigrun::testing::Emitted>& emitted) {
    std::vector<std::string> lines;
    for (const sigrun::testing::Emitted& e : emitted) {
        lines.push_back(e.factor + " " + e.instrument + "=" + std::to_string(e.value));
    }
    return lines;
}

// Why signal_create refused `config` (the engine's logged reason), or "<created>".
inline std::string create_error(const char* plugin, const char* config) {
    try {
        sigrun::testing::Harness::load(plugin, config);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "<created>";
}

inline std::size_t count_logs(const sigrun::testing::Harness& engine, sigrun_log_level level,
                              std::string_view containing = {}) {
    std::size_t n = 0;
    for (const sigrun::testing::LogLine& line : engine.logs()) {
        if (line.level == level && line.text.find(containing) != std::string::npos) ++n;
    }
    return n;
}

// Relative closeness for values computed two ways (different summation
// order, long double against double): |a - b| <= tolerance * max(1, |b|).
inline bool agrees(double a, long double b, long double tolerance = 1e-12L) {
    return std::fabs(static_cast<long double>(a) - b) <= tolerance * std::fmax(1.0L, std::fabs(b));
}

}  // namespace sigrun::plugins::test
