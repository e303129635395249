#include "config.hpp"


#include <algorithm>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "input_limits.hpp"
#include "metrics_server.hpp"
#include "sigrun/factor_batch.hpp"

namespace sigrun::runner {
namespace {

using json = nlohmann::json;

// Durations in the config: at most one hour, far from any overflow.
constexpr std::uint64_t kMaxDurationMs = 3'600'000;
// Replay pace factors: a thousandth of the recorded pace to a million times it.
constexpr double kMinSpeed = 1e-3;
constexpr double kMaxSpeed = 1e6;

const char* type_name(const json& j) {
    if (j.is_number_unsigned() || j.is_number_integer()) return "integer";
    return j.type_name();
}

// One JSON object being read: remembers which keys were consumed so that
// finish() can reject the rest, and builds the JSON path for messages.
class ObjectReader {
public:
    ObjectReader(const json& object, std::string path, const std::string& origin)
        : object_(object), path_(std::move(path)), origin_(origin) {
        if (!object_.is_object()) fail(path_, fmt::format("must be an object, not {}", type_name(object_)));
    }

    [[noreturn]] void fail(const std::string& at, const std::string& problem) const {
        throw ConfigError(fmt::format("config {}: {} {}", origin_, at, problem));
    }

    [[nodiscard]] std::string at(const std::string& key) const { return path_ + "." + key; }

    const json* find(const std::string& key) {
        seen_.insert(key);
        const auto it = object_.find(key);
        return it == object_.end() ? nullptr : &*it;
    }

    const json& require(const std::string& key) {
        const json* value = find(key);
        if (value == nullptr) fail(at(key), "is missing; add it");
        return *value;
    }

    std::uint64_t unsigned_at(const std::string& key, const json& v) const {
        if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0)) {
            fail(at(key), fmt::format("must be a non-negative integer, not {} {}", type_name(v), v.dump()));
        }
        return v.get<std::uint64_t>();
    }

    std::uint64_t get_unsigned(const std::string& key, std::uint64_t fallback) {
        const json* v = find(key);
        return v == nullptr ? fallback : unsigned_at(key, *v);
    }

    // An integer in [min, max]: durations and counts whose product or
    // conversion (milliseconds to nanoseconds) must not overflow.
    std::uint64_t get_ranged(const std::string& key, std::uint64_t fallback, std::uint64_t min, std::uint64_t max,
                             const char* unit) {
        const std::uint64_t v = get_unsigned(key, fallback);
        if (v < min || v > max) {
            fail(at(key), fmt::format("is {}; use {} to {} {}", v, min, max, unit));
        }
        return v;
    }

    double get_number(const std::string& key, double fallback) {
        const json* v = find(key);
        if (v == nullptr) return fallback;
        if (!v->is_number()) fail(at(key), fmt::format("must be a number, not {} {}", type_name(*v), v->dump()));
        return v->get<double>();
    }

    bool get_bool(const std::string& key, bool fallback) {
        const json* v = find(key);
        if (v == nullptr) return fallback;
        if (!v->is_boolean()) fail(at(key), fmt::format("must be true or false, not {} {}", type_name(*v), v->dump()));
        return v->get<bool>();
    }

    std::string string_at(const std::string& key, const json& v) const {
        if (!v.is_string()) fail(at(key), fmt::format("must be a string, not {} {}", type_name(v), v.dump()));
        return v.get<std::string>();
    }

    std::string get_string(const std::string& key, const std::string& fallback) {
        const json* v = find(key);
        return v == nullptr ? fallback : string_at(key, *v);
    }

    std::string require_string(const std::string& key) {
        std::string s = string_at(key, require(key));
        if (s.empty()) fail(at(key), "must not be empty");
        return s;
    }

    void finish() const {
        for (const auto& [key, value] : object_.items()) {
            if (!seen_.contains(key)) {
                std::vector<std::string> known(seen_.begin(), seen_.end());
                fail(at(key), fmt::format("is not a known key; known keys here: {}", fmt::join(known, ", ")));
            }
        }
    }

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] const std::string& origin() const { return origin_; }

private:
    const json& object_;
    std::string path_;
    const std::string& origin_;
    std::set<std::string> seen_;
};

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
    const std::filesystem::path path(p);
    return path.is_absolute() ? path : (base / path).lexically_normal();
}

journal::Geometry parse_geometry(ObjectReader& parent, const std::string& key, journal::Geometry fallback) {
    const json* v = parent.find(key);
    if (v == nullptr) return fallback;
    ObjectReader o(*v, parent.at(key), parent.origin());
    const std::uint64_t capacity = o.get_unsigned("capacity", fallback.capacity);
    // Checked at full width: narrowing first would turn 2^32 + 512 into a valid-looking 512.
    const std::uint64_t slot_size = o.get_unsigned("slot_size", fallback.slot_size);
    o.finish();
    if (capacity == 0 || (capacity & (capacity - 1)) != 0 || capacity > journal::kMaxCapacity) {
        o.fail(o.at("capacity"), fmt::format("is {}; use a power of two up to {}, e.g. 4096", capacity,
                                             journal::kMaxCapacity));
    }
    if (slot_size < journal::kMinSlotSize || slot_size > journal::kMaxSlotSize ||
        slot_size % journal::kCacheLine != 0) {
        o.fail(o.at("slot_size"), fmt::format("is {}; use a multiple of {} between {} and {}, e.g. 512",
                                              slot_size, journal::kCacheLine, journal::kMinSlotSize,
                                              journal::kMaxSlotSize));
    }
    return journal::Geometry{capacity, static_cast<std::uint32_t>(slot_size)};
}

// A consumer cursor's name becomes a file name in the journal folder.
bool is_cursor_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || name.front() == '.') return false;
    return std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
               ch == '-' || ch == '.';
    });
}

JournalConfig parse_journal(ObjectReader& root, const std::filesystem::path& base) {
    ObjectReader o(root.require("journal"), root.at("journal"), root.origin());
    JournalConfig c;
    c.dir = resolve(base, o.require_string("dir"));
    c.md = parse_geometry(o, "md", c.md);
    c.signals = parse_geometry(o, "signals", c.signals);
    c.pin_timeout = std::chrono::milliseconds(o.get_ranged("pin_timeout_ms", 1000, 0, kMaxDurationMs, "ms"));
    c.cursor = o.get_string("cursor", c.cursor);
    if (!is_cursor_name(c.cursor)) {
        o.fail(o.at("cursor"), fmt::format("is {}; use 1 to 64 letters, digits, '_', '-' or '.' (not first): the "
                                           "consumer cursor is the file <dir>/<name>.cursor",
                                           json(c.cursor).dump()));  // escaped: it may hold anything
    }
    o.finish();
    // Every message the runner writes must fit.
    if (c.md.max_payload() < sizeof(sigrun_depth)) {
        o.fail(o.at("md.slot_size"), fmt::format("is {}; market-data frames need at least {}",
                                                 c.md.slot_size, sizeof(sigrun_depth) + 64));
    }
    // A factor frame holds one engine call's values; it must hold at least
    // one (more per frame is cheaper: 512 holds 5).
    if (c.signals.max_payload() < factor_batch_bytes(1)) {
        o.fail(o.at("signals.slot_size"), fmt::format("is {}; factor frames need at least {} (512 holds 5 values "
                                                      "per engine call)",
                                                      c.signals.slot_size, factor_batch_bytes(1) + 64));
    }
    return c;
}

// $.source.start, per kind (see StartPolicy).
void parse_start(ObjectReader& o, SourceConfig& c) {
    const json* v = o.find("start");
    if (v == nullptr) return;
    const std::string start = o.string_at("start", *v);
    c.start_given = true;
    if (c.kind == SourceKind::journal) {
        if (start == "resume") {
            c.start = StartPolicy::resume;
        } else if (start == "end") {
            c.start = StartPolicy::end;
        } else if (start == "oldest") {
            c.start = StartPolicy::oldest;
        } else {
            o.fail(o.at("start"), fmt::format("is \"{}\"; a journal source starts with \"resume\" (where the consumer "
                                              "cursor stopped; the default), \"end\" or \"oldest\"", start));
        }
    } else if (start == "resume") {
        c.start = StartPolicy::resume;
    } else if (start == "beginning") {
        c.start = StartPolicy::beginning;
    } else {
        o.fail(o.at("start"), fmt::format("is \"{}\"; a {} source starts with \"resume\" (where the consumer cursor "
                                          "stopped; the default) or \"beginning\" (the source's first event)", start,
                                          c.kind == SourceKind::replay ? "replay" : "synthetic"));
    }
}

SourceConfig parse_source(ObjectReader& root, const std::filesystem::path& base) {
    ObjectReader o(root.require("source"), root.at("source"), root.origin());
    SourceConfig c;
    const std::string kind = o.require_string("kind");
    if (kind == "replay") {
        c.kind = SourceKind::replay;
        const json& files = o.require("files");
        if (!files.is_array() || files.empty()) {
            o.fail(o.at("files"), "must be a non-empty array of .csv.gz paths");
        }
        for (std::size_t i = 0; i < files.size(); ++i) {
            const std::string key = fmt::format("files[{}]", i);
            c.files.push_back(resolve(base, o.string_at(key, files[i])));
            if (const std::string problem = regular_file_problem(c.files.back()); !problem.empty()) {
                o.fail(o.at(key), fmt::format("names {}, which {}; fix the path (name a .csv.gz file)",
                                              c.files.back().string(), problem));
            }
        }
        c.speed = o.get_number("speed", 0.0);
        // Bounded so that a recorded gap divided by it stays a finite number of nanoseconds.
        if (c.speed != 0 && !(c.speed >= kMinSpeed && c.speed <= kMaxSpeed)) {
            o.fail(o.at("speed"), fmt::format("is {}; use 0 (as fast as possible) or a positive pace factor from {} to {}",
                                              c.speed, kMinSpeed, kMaxSpeed));
        }
    } else if (kind == "synthetic") {
        c.kind = SourceKind::synthetic;
        c.synthetic.seed = o.get_unsigned("seed", c.synthetic.seed);
        c.synthetic.events = o.get_unsigned("events", c.synthetic.events);
        c.synthetic.instrument = o.get_string("instrument", c.synthetic.instrument);
    } else if (kind == "journal") {
        c.kind = SourceKind::journal;
        // Several runners read one feed's md.journal; each keeps its own
        // journal.dir for signals.journal (and its own cursor).
        if (const json* md = o.find("md")) c.md_journal = resolve(base, o.string_at("md", *md));
    } else {
        o.fail(o.at("kind"), fmt::format("is \"{}\"; use \"replay\", \"synthetic\" or \"journal\"", kind));
    }
    parse_start(o, c);
    o.finish();
    return c;
}

std::vector<EngineConfig> parse_engines(ObjectReader& root, const std::filesystem::path& base) {
    const json& engines = root.require("engines");
    if (!engines.is_array() || engines.empty()) root.fail(root.at("engines"), "must be a non-empty array of engines");
    std::vector<EngineConfig> result;
    std::set<std::string> names;
    for (std::size_t i = 0; i < engines.size(); ++i) {
        ObjectReader o(engines[i], fmt::format("{}[{}]", root.at("engines"), i), root.origin());
        EngineConfig e;
        e.name = o.require_string("name");
        if (e.name.size() >= SIGRUN_NAME_LEN) {
            o.fail(o.at("name"), fmt::format("\"{}\" is longer than {} characters; shorten it", e.name, SIGRUN_NAME_LEN - 1));
        }
        if (!names.insert(e.name).second) o.fail(o.at("name"), fmt::format("\"{}\" is used twice; engine names must be unique", e.name));
        e.library = resolve(base, o.require_string("library"));
        if (const std::string problem = regular_file_problem(e.library); problem == "does not exist") {
            o.fail(o.at("library"), fmt::format("names {}, which does not exist; build the plugin or fix the path", e.library.string()));
        } else if (!problem.empty()) {
            o.fail(o.at("library"), fmt::format("names {}, which {}; name the plugin's .so file", e.library.string(),
                                                problem));
        }
        if (const json* cfg = o.find("config")) {
            if (!cfg->is_object()) o.fail(o.at("config"), fmt::format("must be an object, not {}", type_name(*cfg)));
            e.config_json = cfg->dump();
        }
        e.reload = o.get_bool("reload", true);
        if (const json* allowed = o.find("allow_replace_with")) {
            const bool strings = allowed->is_array() && std::all_of(allowed->begin(), allowed->end(),
                                                                     [](const json& v) { return v.is_string(); });
            if (!strings) {
                o.fail(o.at("allow_replace_with"), "must be an array of plugin ids such as [\"com.example.spread\"]");
            }
            for (const json& id : *allowed) e.allow_replace_with.push_back(id.get<std::string>());
        }
        if (const json* instruments = o.find("instruments")) {
            const bool all_names = instruments->is_array() && !instruments->empty() &&
                               std::all_of(instruments->begin(), instruments->end(), [](const json& v) {
                                   return v.is_string() && !v.get<std::string>().empty() &&
                                          v.get<std::string>().size() <= SIGRUN_INSTRUMENT_LEN;
                               });
            if (!all_names) {
                o.fail(o.at("instruments"), fmt::format("must be a non-empty array of instrument names of 1 to {} "
                                                        "characters such as [\"BTCUSDT\"]; leave it out for every "
                                                        "instrument", SIGRUN_INSTRUMENT_LEN));
            }
            for (const json& name : *instruments) e.instruments.push_back(name.get<std::string>());
        }
        if (const json* timer = o.find("timer_ms")) {
            // Unsigned first: 2^64 - 1 read as int64 would look like -1.
            const bool in_range = timer->is_number_integer() &&
                                  (timer->is_number_unsigned()
                                       ? timer->get<std::uint64_t>() <= std::uint64_t{TimerSchedule::kMaxIntervalMs}
                                       : timer->get<std::int64_t>() <= TimerSchedule::kMaxIntervalMs) &&
                                  timer->get<std::int64_t>() >= TimerSchedule::kMinIntervalMs;
            if (!in_range) {
                o.fail(o.at("timer_ms"), fmt::format("is {}; use an integer from {} to {} (signal_on_timer every that "
                                                     "many ms of the frames' receive time), or leave it out for no "
                                                     "timer", timer->dump(), TimerSchedule::kMinIntervalMs,
                                                     TimerSchedule::kMaxIntervalMs));
            }
            e.timer_ms = timer->get<std::int64_t>();
        }
        o.finish();
        result.push_back(std::move(e));
    }
    return result;
}

}  // namespace

RunnerConfig parse_config(const json& document, const std::filesystem::path& base, const std::string& origin) {
    ObjectReader root(document, "$", origin);
    RunnerConfig c;
    c.journal = parse_journal(root, base);
    c.source = parse_source(root, base);
    c.engines = parse_engines(root, base);
    if (const json* hs = root.find("hot_swap")) {
        ObjectReader o(*hs, root.at("hot_swap"), origin);
        c.hot_swap.watch = o.get_bool("watch", c.hot_swap.watch);
        c.hot_swap.warmup_frames = o.get_unsigned("warmup_frames", 0);
        o.finish();
        // The runner's own feed keeps this many dispatched frames in the md
        // ring for a warm-up; they must fit (an external journal's capacity
        // is checked when it is opened).
        if (c.source.kind != SourceKind::journal && c.hot_swap.warmup_frames >= c.journal.md.capacity) {
            o.fail(o.at("warmup_frames"), fmt::format("is {} but the md journal holds {} frames; lower it or raise "
                                                      "$.journal.md.capacity", c.hot_swap.warmup_frames,
                                                      c.journal.md.capacity));
        }
    }
    if (const json* wd = root.find("watchdog")) {
        ObjectReader o(*wd, root.at("watchdog"), origin);
        c.watchdog.on_data_deadline = std::chrono::milliseconds(
            o.get_ranged("on_data_ms", c.watchdog.on_data_deadline.count(), 1, kMaxDurationMs, "ms"));
        c.watchdog.stop_timeout = std::chrono::milliseconds(
            o.get_ranged("stop_timeout_ms", c.watchdog.stop_timeout.count(), 1, kMaxDurationMs, "ms"));
        o.finish();
    }
    if (const json* out = root.find("output")) {
        ObjectReader o(*out, root.at("output"), origin);
        c.output.print_factors = o.get_unsigned("print_factors", c.output.print_factors);
        o.finish();
    }
    if (const json* m = root.find("metrics")) {
        ObjectReader o(*m, root.at("metrics"), origin);
        c.metrics.listen = o.get_string("listen", "127.0.0.1:9464");  // loopback unless the operator says otherwise
        o.finish();
        if (const std::string problem = listen_address_problem(c.metrics.listen); !problem.empty()) {
            o.fail(o.at("listen"), fmt::format("\"{}\" {}; use e.g. \"127.0.0.1:9464\"", c.metrics.listen, problem));
        }
    }
    root.finish();
    return c;
}

RunnerConfig load_config(const std::filesystem::path& path) {
    // Never blocks (a FIFO is refused, not opened for reading) and never
    // reads more than kMaxConfigBytes or nests deeper than kMaxJsonDepth.
    std::string text;
    try {
        text = read_regular_file(path, kMaxConfigBytes);
    } catch (const std::runtime_error& e) {
        throw ConfigError(fmt::format("config {}: {}; pass the runner's JSON file with --config", path.string(),
                                      e.what()));
    }
    json document;
    try {
        document = parse_json_bounded(text);
    } catch (const json::parse_error& e) {
        std::string what = e.what();
        throw ConfigError(fmt::format("config {}: is not valid JSON: {}; fix the syntax", path.string(), what));
    } catch (const std::runtime_error& e) {
        throw ConfigError(fmt::format("config {}: {}; flatten it", path.string(), e.what()));
    }
    RunnerConfig c = parse_config(document, std::filesystem::absolute(path).parent_path(), path.string());
    c.source_file = path;
    return c;
}

}  // namespace sigrun::runner
