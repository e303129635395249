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
#include "sigrun/timer_schedule.hpp"

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
    // The consumer cursor's name: the file <dir>/<cursor>.cursor
    // (consumer_cursor.hpp). 1-64 of [A-Za-z0-9_.-], not starting with '.'.
    std::string cursor = "runner";
};

enum class SourceKind { replay, synthetic, journal };

// Where dispatch starts ($.source.start; resume_plan.hpp does it).
//   resume     the consumer cursor's position; without one as on a first run
//              (replay/synthetic: the source's first event; journal: "end")
//   beginning  replay/synthetic: the source's first event, whatever the cursor says
//   end        journal: the first frame published after the start
//   oldest     journal: the oldest frame still in the ring
enum class StartPolicy { resume, beginning, end, oldest };

struct SourceConfig {
    SourceKind kind = SourceKind::replay;
    // replay
    std::vector<std::filesystem::path> files;
    double speed = 0.0;  // 0 = as fast as possible; 1 = recorded pace; 2 = twice as fast
    // synthetic
    market_data::SyntheticConfig synthetic;
    // all kinds; end/oldest only with journal (an external process writes
    // md.journal; the runner only reads), beginning only without
    StartPolicy start = StartPolicy::resume;
    bool start_given = false;  // $.source.start was in the file (then it overrides the cursor)
    // journal: the file to read; empty = <journal.dir>/md.journal
    std::filesystem::path md_journal;
};

struct EngineConfig {
    std::string name;
    std::filesystem::path library;
    std::string config_json = "{}";  // the engine's own "config", serialized
    bool reload = true;              // hot swap on file change / SIGHUP
    // Plugin ids (or names, for plugins without an id) a hot swap may bring
    // in besides the running plugin's own: a swap to any other is refused.
    std::vector<std::string> allow_replace_with;
    // "instruments": the engine is called only for messages of these
    // instruments; empty = every instrument.
    std::vector<std::string> instruments;
    // "timer_ms": signal_on_timer every this many ms of the frames' receive
    // time (ABI 1.3, timer_schedule.hpp); 0 = no timer.
    std::int64_t timer_ms = 0;
};


struct HotSwapConfig {
    bool watch = true;                 // inotify on the engines' folders
    std::uint64_t warmup_frames = 0;   // replayed into a new engine without state carry
};

// The watchdog ($.watchdog): an on_data call longer than on_data_deadline
// is reported; a stop request that has not ended the run after stop_timeout
// ends the process (exit code 3). See watchdog.hpp.
struct WatchdogConfig {
    std::chrono::milliseconds on_data_deadline{1000};
    std::chrono::milliseconds stop_timeout{5000};
};

struct OutputConfig {
    std::uint64_t print_factors = 10;  // print the first N factor values as they come
};

struct MetricsConfig {
    std::string listen;  // "host:port" serving /metrics; empty = no HTTP endpoint
};

struct RunnerConfig {
    std::filesystem::path source_file;  // the JSON file this came from (for messages)
    JournalConfig journal;
    SourceConfig source;
    std::vector<EngineConfig> engines;
    HotSwapConfig hot_swap;
    WatchdogConfig watchdog;
    OutputConfig output;
    MetricsConfig metrics;
};

// Reads and validates `path`. Relative paths inside are resolved against the
// config file's folder. Throws ConfigError.
RunnerConfig load_config(const std::filesystem::path& path);

// Validates an already parsed document; `base` resolves relative paths and
// `origin` names the source in messages.
RunnerConfig parse_config(const nlohmann::json& document, const std::filesystem::path& base,
                          const std::string& origin);

}  // namespace sigrun::runner
