// publisher.hpp — `sigrun-bridge publish`: follow a journal, publish every
// frame to a JetStream stream, in order, exactly once.
//
// How exactly-once in order holds across crashes, retries and leader
// changes:
//   - where to start is asked from the stream (its last message names the
//     journal and sequence it came from), never from a local file;
//   - every publish carries Nats-Msg-Id <name>:<journal created>:<sequence>
//     (a re-send inside the duplicate window is dropped by the stream) and
//     an expected last stream sequence (the stream refuses frame n+1 unless
//     frame n is its last message, so a lost publish can never be
//     overtaken by the next one);
//   - at most max_pending publishes await their ack; beyond that the
//     publisher waits (back-pressure), it never drops;
//   - any failed publish (timeout, no leader, refused) stops publishing;
//     once nothing is in flight it asks the stream again and carries on from
//     there, with backoff.
// So the stream holds each journal frame once, in journal order; frames the
// journal's ring overwrote before they were published are reported as lost.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "bridge_config.hpp"
#include "nats_session.hpp"

namespace sigrun::bridge {

struct PublisherState;  // the journal reader and in-flight counts (publisher.cpp)

struct PublishOptions {
    bool stop_at_end = false;        // exit once the journal's frames are all acknowledged
    double progress_seconds = 1.0;   // 0: no progress lines
};

struct PublishSummary {
    std::uint64_t start_sequence = 0;   // first journal sequence this run published
    std::uint64_t published = 0;        // publishes sent (re-sends included)
    std::uint64_t acked = 0;            // acknowledged as new messages
    std::uint64_t duplicates = 0;       // acknowledged as duplicates (already stored)
    std::uint64_t resyncs = 0;          // times publishing restarted from the stream's state
    std::uint64_t lost = 0;             // frames the journal overwrote before they were read
    std::uint64_t last_acked_sequence = 0;  // journal sequence of the last frame the stream holds
    std::uint64_t lag = 0;              // journal frames not yet acknowledged at exit
    double seconds = 0;
};

class Publisher {
public:
    Publisher(const BridgeConfig& config, NatsSession& session);
    ~Publisher();
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;

    // Runs until stopped (SIGINT/SIGTERM) or, with stop_at_end, until done.
    PublishSummary run(const PublishOptions& options);

private:
    static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);
    // Waits for what is in flight (or abandons it), then positions the
    // reader after the stream's last message from this journal.
    std::uint64_t resync();

    const BridgeConfig& config_;
    const PublishSettings& settings_;
    std::unique_ptr<PublisherState> state_;
    NatsSession& session_;
    jsCtx* js_ = nullptr;  // a context of our own: async publish options live in it
    std::int64_t journal_created_ = 0;

    // Written by the client's callback thread, read by the publishing loop.
    std::atomic<std::uint64_t> in_flight_{0};
    std::atomic<std::uint64_t> acked_sequence_{0};  // highest journal sequence acked
    std::atomic<std::uint64_t> acked_{0};
    std::atomic<std::uint64_t> duplicates_{0};
    std::atomic<bool> failed_{false};
    std::mutex failure_mutex_;
    std::string failure_;  // first failure since the last resync, guarded
};

}  // namespace sigrun::bridge
