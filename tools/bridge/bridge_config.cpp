// bridge_config.cpp — strict JSON reading of the sigrun-bridge config.
#include "bridge_config.hpp"

#include <fstream>
#include <iterator>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sigrun::bridge {
namespace {

using nlohmann::json;

// Reads one JSON object: typed getters that name the JSON path in errors,
// and finish() refusing keys nobody asked for.
class ObjectReader {
public:
    ObjectReader(const json& value, std::string at, const std::string& origin)
        : value_(value), at_(std::move(at)), origin_(origin) {
        if (!value_.is_object()) fail(at_, "must be a JSON object");
    }

    [[noreturn]] void fail(const std::string& at, const std::string& what) const {
        throw ConfigError(fmt::format("config {}: {} {}", origin_, at, what));
    }
    [[nodiscard]] std::string at(const std::string& key) const { return at_ + "." + key; }
    [[nodiscard]] bool has(const std::string& key) {
        seen_.insert(key);
        return value_.contains(key);
    }
    const json& get(const std::string& key) {
        seen_.insert(key);
        return value_.at(key);
    }
    std::string string(const std::string& key, std::string fallback) {
        if (!has(key)) return fallback;
        const json& v = get(key);
        if (!v.is_string()) fail(at(key), "must be a string");
        return v.get<std::string>();
    }
    std::string require_string(const std::string& key) {
        if (!has(key)) fail(at(key), "is missing; add it");
        std::string s = string(key, {});
        if (s.empty()) fail(at(key), "is empty; give it a value");
        return s;
    }
    std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
        if (!has(key)) return fallback;
        const json& v = get(key);
        if (!v.is_number_integer()) fail(at(key), "must be an integer");
        const auto n = v.get<std::int64_t>();
        if (n < min || n > max) fail(at(key), fmt::format("is {}; use a value from {} to {}", n, min, max));
        return n;
    }
    bool boolean(const std::string& key, bool fallback) {
        if (!has(key)) return fallback;
        const json& v = get(key);
        if (!v.is_boolean()) fail(at(key), "must be true or false");
        return v.get<bool>();
    }
    std::vector<std::string> strings(const std::string& key, std::vector<std::string> fallback) {
        if (!has(key)) return fallback;
        const json& v = get(key);
        if (!v.is_array() || v.empty()) fail(at(key), "must be a non-empty array of strings");
        std::vector<std::string> out;
        for (const json& s : v) {
            if (!s.is_string() || s.get<std::string>().empty()) fail(at(key), "must hold only non-empty strings");
            out.push_back(s.get<std::string>());
        }
        return out;
    }
    void finish() const {
        for (const auto& [key, _] : value_.items()) {
            if (!seen_.count(key)) fail(at(key), "is not a known key; remove it or fix its spelling");
        }
    }

private:
    const json& value_;
    std::string at_;
    const std::string& origin_;
    std::set<std::string> seen_;
};

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
    if (p.empty()) return {};
    const std::filesystem::path path(p);
    return path.is_absolute() ? path : (base / path).lexically_normal();
}

// A path the client reads (credentials, certificates) must exist now: the
// client's own error for it would come later and say less.
std::filesystem::path existing_file(ObjectReader& o, const std::string& key, const std::filesystem::path& base) {
    const std::string s = o.string(key, {});
    if (s.empty()) return {};
    auto path = resolve(base, s);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        o.fail(o.at(key), fmt::format("names {}, which is not a readable file; fix the path", path.string()));
    }
    return path;
}

NatsSettings parse_nats(const json& value, const std::string& origin, const std::filesystem::path& base) {
    ObjectReader o(value, "$.nats", origin);
    NatsSettings n;
    n.servers = o.strings("servers", n.servers);
    for (const auto& s : n.servers) {
        if (s.find("://") == std::string::npos) {
            o.fail(o.at("servers"), fmt::format("holds \"{}\"; write a URL such as nats://127.0.0.1:4222", s));
        }
    }
    n.name = o.string("name", n.name);
    n.credentials = existing_file(o, "credentials", base);
    n.user = o.string("user", {});
    n.password = o.string("password", {});
    if (n.password.size() && n.user.empty()) o.fail(o.at("password"), "is set without $.nats.user; add the user");
    if (!n.credentials.empty() && !n.user.empty()) {
        o.fail(o.at("user"), "and $.nats.credentials are both set; use one way to authenticate");
    }
    if (o.has("tls")) {
        ObjectReader t(o.get("tls"), o.at("tls"), origin);
        n.tls.enabled = true;
        n.tls.ca = existing_file(t, "ca", base);
        n.tls.cert = existing_file(t, "cert", base);
        n.tls.key = existing_file(t, "key", base);
        if (n.tls.cert.empty() != n.tls.key.empty()) t.fail(t.at("cert"), "and $.nats.tls.key go together; give both or neither");
        n.tls.hostname = t.string("hostname", {});
        n.tls.skip_verify = t.boolean("skip_verify", false);
        t.finish();
    }
    n.connect_timeout_ms = o.integer("connect_timeout_ms", n.connect_timeout_ms, 1, 600'000);
    n.request_timeout_ms = o.integer("request_timeout_ms", n.request_timeout_ms, 1, 600'000);
    n.connect_attempts = static_cast<std::uint32_t>(o.integer("connect_attempts", n.connect_attempts, 0, 1'000'000));
    n.backoff_initial_ms = o.integer("backoff_initial_ms", n.backoff_initial_ms, 1, 600'000);
    n.backoff_max_ms = o.integer("backoff_max_ms", n.backoff_max_ms, n.backoff_initial_ms, 3'600'000);
    o.finish();
    return n;
}

// Stream and consumer names may not hold these (JetStream refuses them).
void check_name(ObjectReader& o, const std::string& key, const std::string& name) {
    if (name.find_first_of(".*> \t\r\n/\\") != std::string::npos) {
        o.fail(o.at(key), fmt::format("is \"{}\"; a JetStream name may not hold '.', '*', '>', '/', '\\' or spaces", name));
    }
}

}  // namespace

std::string subject_token(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back((c == '.' || c == '*' || c == '>' || u <= 0x20 || u == 0x7f) ? '_' : c);
    }
    if (out.empty()) out = "_";
    return out;
}

BridgeConfig parse_config(const std::string& text, const std::string& origin, const std::filesystem::path& base) {
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error& e) {
        throw ConfigError(fmt::format("config {}: not valid JSON ({}); fix the syntax", origin, e.what()));
    }
    ObjectReader o(root, "$", origin);
    BridgeConfig c;
    c.nats = o.has("nats") ? parse_nats(o.get("nats"), origin, base) : NatsSettings{};
    c.stream = o.require_string("stream");
    check_name(o, "stream", c.stream);

    if (o.has("publish")) {
        ObjectReader p(o.get("publish"), "$.publish", origin);
        PublishSettings s;
        s.journal = resolve(base, p.require_string("journal"));
        s.name = subject_token(p.string("name", s.journal.parent_path().filename().string()));
        s.max_pending = static_cast<std::uint32_t>(p.integer("max_pending", s.max_pending, 1, 1'000'000));
        s.ack_wait_ms = p.integer("ack_wait_ms", s.ack_wait_ms, 1, 600'000);
        p.finish();
        c.publish = s;
    }
    if (o.has("subscribe")) {
        ObjectReader p(o.get("subscribe"), "$.subscribe", origin);
        SubscribeSettings s;
        s.journal_dir = resolve(base, p.require_string("journal_dir"));
        s.file = p.string("file", s.file);
        if (s.file.empty() || s.file.find('/') != std::string::npos) p.fail(p.at("file"), "must be a plain file name");
        s.consumer = p.require_string("consumer");
        check_name(p, "consumer", s.consumer);
        s.filter = p.string("filter", {});
        s.capacity = static_cast<std::uint64_t>(p.integer("capacity", static_cast<std::int64_t>(s.capacity), 2, 1 << 24));
        if ((s.capacity & (s.capacity - 1)) != 0) p.fail(p.at("capacity"), fmt::format("is {}; use a power of two", s.capacity));
        s.slot_size = static_cast<std::uint32_t>(p.integer("slot_size", s.slot_size, 128, 1 << 20));
        if (s.slot_size % 64 != 0) p.fail(p.at("slot_size"), fmt::format("is {}; use a multiple of 64", s.slot_size));
        s.batch = static_cast<std::uint32_t>(p.integer("batch", s.batch, 1, 10'000));
        p.finish();
        c.subscribe = s;
    }
    if (o.has("create_stream")) {
        ObjectReader p(o.get("create_stream"), "$.create_stream", origin);
        StreamCreation s;
        s.replicas = p.integer("replicas", s.replicas, 1, 5);
        s.max_bytes = p.integer("max_bytes", s.max_bytes, -1, INT64_MAX);
        if (s.max_bytes == 0) p.fail(p.at("max_bytes"), "is 0; use -1 for unlimited or a size in bytes");
        s.max_age_s = p.integer("max_age_s", s.max_age_s, 0, INT64_MAX / 1'000'000'000);
        s.duplicate_window_s = p.integer("duplicate_window_s", s.duplicate_window_s, 1, 86'400 * 7);
        const std::vector<std::string> fallback =
            c.publish ? std::vector<std::string>{"sigrun." + c.publish->name + ".>"} : std::vector<std::string>{};
        s.subjects = p.strings("subjects", fallback);
        if (s.subjects.empty()) p.fail(p.at("subjects"), "is missing (there is no $.publish.name to derive it from); add it");
        p.finish();
        c.create_stream = s;
    }
    o.finish();
    return c;
}

BridgeConfig load_config(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(fmt::format("config {}: cannot be read; check the path", path.string()));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BridgeConfig c = parse_config(text, path.string(), path.parent_path().empty() ? "." : path.parent_path());
    c.source_file = path;
    return c;
}

}  // namespace sigrun::bridge
