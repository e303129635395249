// stream_access.hpp — asking the stream about itself: does it exist (create
// it when the config says how), its last sequence, its leader, one message.
// Transient failures (no leader yet, a node down, a timeout) are retried
// with backoff; the rest end in a BridgeError naming the stream and the fix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bridge_config.hpp"
#include "nats_session.hpp"

namespace sigrun::bridge {

struct StreamState {
    std::uint64_t first_sequence = 0;
    std::uint64_t last_sequence = 0;  // 0: empty
    std::uint64_t messages = 0;
    std::string leader;               // server name of the stream's leader ("" single node)
    std::int64_t replicas = 1;
    std::vector<std::string> subjects;
};

// The stream's state; creates it from `create` when it is missing and
// `create` is set. Throws BridgeError: missing stream, no permission,
// JetStream not enabled, or stopped.
StreamState stream_state(NatsSession& session, const std::string& stream, const std::optional<StreamCreation>& create);

// Stream message `sequence` (subject and data), with retries; nullopt when
// the stream no longer holds it (deleted or aged out).
struct StoredMessage {
    std::string subject;
    std::string data;
};
std::optional<StoredMessage> stream_message(NatsSession& session, const std::string& stream, std::uint64_t sequence);

}  // namespace sigrun::bridge
