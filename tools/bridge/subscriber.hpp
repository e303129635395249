// subscriber.hpp — `sigrun-bridge subscribe`: a durable JetStream consumer
// writing the stream's frames into a local journal (md.journal), in stream
// order, each frame once, resuming after a restart.
//
// The durable consumer's position lives in the cluster: messages are
// acknowledged (AckAll, once per fetched batch) only after they are written
// to the journal. A crash between the write and the ack would make the
// consumer deliver them again, so the journal keeps a cursor beside it
// (<file>.nats-cursor: the stream sequence of a frame and its journal
// sequence, saved before each ack): on restart, messages at or below the
// cursor's stream sequence are skipped, and the frames written after the
// cursor was saved are matched, byte for byte, with the next messages
// instead of being written twice. The consumer must deliver every message
// to this process: when deliveries went missing (a consumer sequence
// skipped, or deliveries beyond the cursor at start, made to a process that
// died), the consumer is recreated to deliver again from the cursor, so that
// AckAll never acknowledges a message this journal does not hold.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "bridge_config.hpp"
#include "nats_session.hpp"

namespace sigrun::bridge {

struct SubscribeOptions {
    bool stop_at_end = false;        // exit once the consumer has nothing pending
    double progress_seconds = 1.0;   // 0: no progress lines
};

struct SubscribeSummary {
    std::uint64_t written = 0;            // frames written to the journal by this run
    std::uint64_t redelivered = 0;        // messages skipped: already in the journal
    std::uint64_t resets = 0;             // consumer restarted from the journal's position (lost deliveries)
    std::uint64_t first_stream_sequence = 0;
    std::uint64_t last_stream_sequence = 0;
    std::uint64_t journal_last_sequence = 0;
    // the source journal's write (its gen_time) -> written here, wall clock, ns
    std::int64_t latency_p50_ns = 0;
    std::int64_t latency_p99_ns = 0;
    double seconds = 0;
};

struct SubscriberState;  // journal writer, cursor and the JetStream subscription (subscriber.cpp)

class Subscriber {
public:
    Subscriber(const BridgeConfig& config, NatsSession& session);
    ~Subscriber();
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    SubscribeSummary run(const SubscribeOptions& options);

private:
    void subscribe();

    const BridgeConfig& config_;
    const SubscribeSettings& settings_;
    NatsSession& session_;
    std::unique_ptr<SubscriberState> state_;
};

}  // namespace sigrun::bridge
