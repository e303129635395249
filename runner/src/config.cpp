#include "config.hpp"


#include <fstream>
#include <set>

#include <fmt/format.h>

#include "sigrun/factor_batch.hpp"

namespace sigrun::runner {
namespace {

using json = nlohmann::json;

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

// std::filesystem::exists without the throw: a path the OS refuses to look
// up (a name longer than NAME_MAX, a symlink loop) is reported as missing,
// through ConfigError, like any other wrong path. Found by fuzz_runner_config.
bool path_exists(const std::filesystem::path& p) noexcept {
    std::error_code ec;
    return std::filesystem::exists(p, ec);
}

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

JournalConfig parse_journal(ObjectReader& root, const std::filesystem::path& base) {
    ObjectReader o(root.require("journal"), root.at("journal"), root.origin());
    JournalConfig c;
    c.dir = resolve(base, o.require_string("dir"));
    c.md = parse_geometry(o, "md", c.md);
    c.signals = parse_geometry(o, "signals", c.signals);
    c.pin_timeout = std::chrono::milliseconds(o.get_unsigned("pin_timeout_ms", 1000));
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
            if (!path_exists(c.files.back())) {
                o.fail(o.at(key), fmt::format("names {}, which does not exist; fix the path", c.files.back().string()));
            }
        }
        c.speed = o.get_number("speed", 0.0);
        if (c.speed < 0) o.fail(o.at("speed"), "must be 0 (as fast as possible) or a positive pace factor");
    } else if (kind == "synthetic") {
        c.kind = SourceKind::synthetic;
        c.synthetic.seed = o.get_unsigned("seed", c.synthetic.seed);
        c.synthetic.events = o.get_unsigned("events", c.synthetic.events);
        c.synthetic.instrument = o.get_string("instrument", c.synthetic.instrument);
    } else if (kind == "journal") {
        c.kind = SourceKind::journal;
        const std::string start = o.get_string("start", "end");
        if (start != "end" && start != "oldest") o.fail(o.at("start"), "must be \"end\" or \"oldest\"");
        c.from_oldest = start == "oldest";
    } else {
        o.fail(o.at("kind"), fmt::format("is \"{}\"; use \"replay\", \"synthetic\" or \"journal\"", kind));
    }
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
        if (!path_exists(e.library)) {
            o.fail(o.at("library"), fmt::format("names {}, which does not exist; build the plugin or fix the path", e.library.string()));
        }
        if (const json* cfg = o.find("config")) {
            if (!cfg->is_object()) o.fail(o.at("config"), fmt::format("must be an object, not {}", type_name(*cfg)));
            e.config_json = cfg->dump();
        }
        e.reload = o.get_bool("reload", true);
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
    if (const json* out = root.find("output")) {
        ObjectReader o(*out, root.at("output"), origin);
        c.output.print_factors = o.get_unsigned("print_factors", c.output.print_factors);
        o.finish();
    }
    root.finish();
    return c;
}

RunnerConfig load_config(const std::filesystem::path& path) {
    // ifstream happily "opens" a directory and then throws from underflow()
    // on the first read; name it here instead.
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        throw ConfigError(fmt::format("config {}: is a directory; pass the JSON file inside it with --config",
                                      path.string()));
    }
    std::ifstream in(path);
    if (!in) {
        throw ConfigError(fmt::format("config {}: cannot be read ({}); pass an existing JSON file with --config",
                                      path.string(), path_exists(path) ? "permission denied" : "no such file"));
    }
    json document;
    try {
        document = json::parse(in);
    } catch (const json::parse_error& e) {
        std::string what = e.what();
        throw ConfigError(fmt::format("config {}: is not valid JSON: {}; fix the syntax", path.string(), what));
    } catch (const std::ios_base::failure& e) {
        throw ConfigError(fmt::format("config {}: reading it failed ({}); pass a readable JSON file with --config",
                                      path.string(), e.what()));
    }
    RunnerConfig c = parse_config(document, std::filesystem::absolute(path).parent_path(), path.string());
    c.source_file = path;
    return c;
}

}  // namespace sigrun::runner
