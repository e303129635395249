// runner/src/config.hpp — the runner's configuration as typed structs.
//
// Parsed and validated once, at the edge (parse_config); nothing deeper
// reads JSON. Unknown keys and wrong types are errors naming the JSON path,
// never silently ignored or defaulted.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sigrun/journal/format.hpp"
#include "sigrun/market_data/synthetic_source.hpp"

namespace sigrun::runner {

// A configuration the user must fix. what() is one line: the file, the JSON
// path and the fix.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct JournalConfig {
    std::filesystem::path dir;                // holds md.journal and signals.journal
    journal::Geometry md{4096, 512};
    journal::Geometry signals{65536, 512};
    std::chrono::milliseconds pin_timeout{1000};  // writer's wait for a pinned md frame
};

enum class SourceKind { replay, synthetic, journal };

struct SourceConfig {
    SourceKind kind = SourceKind::replay;
    // replay
    std::vector<std::filesystem::path> files;
    double speed = 0.0;  // 0 = as fast as possible; 1 = recorded pace; 2 = twice as fast
    // synthetic
    market_data::SyntheticConfig synthetic;
    // journal (an external process writes md.journal; the runner only reads)
    bool from_oldest = false;
};

struct EngineConfig {
    std::string name;
    std::filesystem::path library;
    std::string config_json = "{}";  // the engine's own "config", serialized
    bool reload = true;              // hot swap on file change / SIGHUP
};

struct HotSwapConfig {
    bool watch = true;                 // inotify on the engines' folders
    std::uint64_t warmup_frames = 0;   // replayed into a new engine without state carry
};

struct OutputConfig {
    std::uint64_t print_factors = 10;  // print the first N factor values as they come
};

struct RunnerConfig {
    std::filesystem::path source_file;  // the JSON file this came from (for messages)
    JournalConfig journal;
    SourceConfig source;
    std::vector<EngineConfig> engines;
    HotSwapConfig hot_swap;
    OutputConfig output;
};

// Reads and validates `path`. Relative paths inside are resolved against the
// config file's folder. Throws ConfigError.
RunnerConfig load_config(const std::filesystem::path& path);

// Validates an already parsed document; `base` resolves relative paths and
// `origin` names the source in messages.
RunnerConfig parse_config(const nlohmann::json& document, const std::filesystem::path& base,
                          const std::string& origin);

}  // namespace sigrun::runner
