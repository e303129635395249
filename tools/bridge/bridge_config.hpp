// bridge_config.hpp — the JSON config of sigrun-bridge.
//
// One file for both directions, so that a feed machine and a runner machine
// can share the "nats" and "stream" parts:
//
//   { "nats": { "servers": ["nats://127.0.0.1:4222"], "name": "sigrun-bridge",
//               "credentials": "user.creds", "user": "...", "password": "...",
//               "tls": { "ca": "ca.pem", "cert": "c.pem", "key": "k.pem",
//                        "hostname": "nats.example", "skip_verify": false },
//               "connect_timeout_ms": 2000, "request_timeout_ms": 5000,
//               "connect_attempts": 10, "backoff_initial_ms": 100, "backoff_max_ms": 5000 },
//     "stream": "SIGRUN_MD",
//     "create_stream": { "replicas": 3, "max_bytes": 1073741824, "max_age_s": 86400,
//                        "duplicate_window_s": 120, "subjects": ["sigrun.feed.>"] },
//     "publish": { "journal": "journal/md.journal", "name": "feed", "max_pending": 256,
//                  "ack_wait_ms": 5000 },
//     "subscribe": { "journal_dir": "out/journal", "file": "md.journal", "consumer": "runner-a",
//                    "filter": "sigrun.feed.>", "capacity": 8192, "slot_size": 512, "batch": 256 } }
//
// Relative paths resolve against the config file's folder. Unknown keys and
// wrong types are errors naming their JSON path (ConfigError, one line).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sigrun::bridge {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct TlsSettings {
    bool enabled = false;          // true when the "tls" object is present
    std::filesystem::path ca;      // trusted CA certificates (PEM)
    std::filesystem::path cert;    // client certificate chain (PEM), with key
    std::filesystem::path key;
    std::string hostname;          // expected server hostname, when it differs from the URL's
    bool skip_verify = false;      // testing only: accept any server certificate
};

struct NatsSettings {
    std::vector<std::string> servers{"nats://127.0.0.1:4222"};
    std::string name = "sigrun-bridge";
    std::filesystem::path credentials;  // NATS .creds file (JWT + nkey seed)
    std::string user;
    std::string password;
    TlsSettings tls;
    std::int64_t connect_timeout_ms = 2000;
    std::int64_t request_timeout_ms = 5000;  // JetStream API requests and publish acks
    // How often to try the first connection before giving up (0: forever);
    // once connected, the client reconnects by itself without limit.
    std::uint32_t connect_attempts = 10;
    std::int64_t backoff_initial_ms = 100;   // doubled after each failure...
    std::int64_t backoff_max_ms = 5000;      // ...up to this
};

// Stream to create when it does not exist (otherwise a missing stream is an error).
struct StreamCreation {
    std::int64_t replicas = 1;
    std::int64_t max_bytes = -1;          // -1: unlimited
    std::int64_t max_age_s = 0;           // 0: unlimited
    std::int64_t duplicate_window_s = 120;
    std::vector<std::string> subjects;    // default: sigrun.<publish.name>.>
};

struct PublishSettings {
    std::filesystem::path journal;   // the journal to follow (md.journal or signals.journal)
    std::string name;                // subject token: sigrun.<name>.<type>...; default the journal's folder name
    std::uint32_t max_pending = 256; // publishes awaiting an ack at once (back-pressure beyond)
    std::int64_t ack_wait_ms = 5000; // an unacknowledged publish is retried after this
};

struct SubscribeSettings {
    std::filesystem::path journal_dir;
    std::string file = "md.journal";
    std::string consumer;            // durable consumer name (one per receiving machine)
    std::string filter;              // subject filter; default: the whole stream
    std::uint64_t capacity = 8192;
    std::uint32_t slot_size = 512;
    std::uint32_t batch = 256;       // messages per fetch
};

struct BridgeConfig {
    std::filesystem::path source_file;
    NatsSettings nats;
    std::string stream;
    std::optional<StreamCreation> create_stream;
    std::optional<PublishSettings> publish;
    std::optional<SubscribeSettings> subscribe;
};

// Reads and checks `path`; throws ConfigError with one line naming the file,
// the JSON path and the fix.
BridgeConfig load_config(const std::filesystem::path& path);

// Parses a config held in memory; `origin` names it in errors, `base` is the
// folder relative paths resolve against.
BridgeConfig parse_config(const std::string& text, const std::string& origin, const std::filesystem::path& base);

// A token usable inside a NATS subject: every '.', '*', '>', whitespace or
// control character becomes '_'; empty becomes "_".
std::string subject_token(std::string_view text);

}  // namespace sigrun::bridge
