// durable_consumer.hpp — the subscriber's durable JetStream consumer: where
// it stands, resetting it to the journal's position, creating it, binding a
// pull subscription to it.
//
// The subscriber never lets nats.c create the consumer inside
// js_PullSubscribe: after a reset in a cluster, the old consumer can still
// answer a lookup for a moment (seen in CI: a consumer info without its
// durable name right after the delete), and js_PullSubscribe then fails on
// the config check. Here the reset waits until the stream says the consumer
// is gone, the consumer is created explicitly, and the subscription only
// binds to it. Transient failures (no leader, a node down, a timeout) are
// retried with backoff until stopped; the rest end in a BridgeError naming
// the consumer and the fix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nats_session.hpp"

namespace sigrun::bridge {

struct ConsumerPosition {
    std::uint64_t delivered_stream = 0;    // last stream sequence delivered
    std::uint64_t delivered_consumer = 0;  // its delivery number
};

struct ConsumerSpec {
    std::string stream;
    std::string durable;
    std::string filter;                 // subject filter
    std::uint64_t start_after = 0;      // deliver from start_after + 1 (0: from the stream's start)
    std::int64_t max_ack_pending = 1024;
};

// The consumer's position, or nullopt when the stream has no such consumer.
std::optional<ConsumerPosition> consumer_position(NatsSession& session, const std::string& stream,
                                                  const std::string& durable);

// Deletes the consumer and returns once a lookup no longer finds it (20
// lookups at most; then a BridgeError).
void delete_consumer(NatsSession& session, const std::string& stream, const std::string& durable);

// Creates the durable pull consumer (AckAll) of `spec`. A consumer of that
// name still present (a delete not yet applied everywhere) is waited out.
void create_consumer(NatsSession& session, const ConsumerSpec& spec);

// A pull subscription on `filter` bound to the existing durable consumer
// (nats.c then checks only the filter against the consumer's). The caller
// destroys it; destroying it leaves the consumer in place.
natsSubscription* bind_pull_subscription(NatsSession& session, const std::string& stream, const std::string& durable,
                                         const std::string& filter);

}  // namespace sigrun::bridge
