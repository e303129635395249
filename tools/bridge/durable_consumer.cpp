// durable_consumer.cpp — lookup, reset and creation of the subscriber's
// durable consumer, each retried with backoff.
#include "durable_consumer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sigrun::bridge {
namespace {

bool not_found(natsStatus s, jsErrCode code) { return s == NATS_NOT_FOUND || code == JSConsumerNotFoundErr; }

bool retryable(natsStatus s, jsErrCode code) { return NatsSession::transient(s) || code == JSClusterNotAvailErr; }

// One wait of `backoff`, logged; throws when the bridge is being stopped.
void wait_to_retry(Backoff& backoff, const std::string& what, const std::string& why, int attempt) {
    const auto wait = backoff.next();
    spdlog::warn("{}: {}, attempt {}; retrying in {} ms", what, why, attempt, wait.count());
    if (!sleep_unless_stopped(wait)) throw BridgeError(fmt::format("stopped while {}", what));
}

Backoff backoff_of(const NatsSession& session) {
    return Backoff(session.settings().backoff_initial_ms, session.settings().backoff_max_ms);
}

}  // namespace

std::optional<ConsumerPosition> consumer_position(NatsSession& session, const std::string& stream,
                                                  const std::string& durable) {
    Backoff backoff = backoff_of(session);
    for (int attempt = 1;; ++attempt) {
        jsConsumerInfo* ci = nullptr;
        jsErrCode code{};
        const natsStatus s = js_GetConsumerInfo(&ci, session.jetstream(), stream.c_str(), durable.c_str(), nullptr, &code);
        if (s == NATS_OK) {
            const ConsumerPosition position{ci->Delivered.Stream, ci->Delivered.Consumer};
            jsConsumerInfo_Destroy(ci);
            return position;
        }
        if (not_found(s, code)) return std::nullopt;
        if (!retryable(s, code)) {
            throw BridgeError(fmt::format("consumer {} of stream {} cannot be read: {}", durable, stream,
                                          session.describe(s, code)));
        }
        wait_to_retry(backoff, fmt::format("reading consumer {} of stream {}", durable, stream), session.describe(s, code),
                      attempt);
    }
}

void delete_consumer(NatsSession& session, const std::string& stream, const std::string& durable) {
    const std::string what = fmt::format("resetting consumer {} of stream {}", durable, stream);
    Backoff backoff = backoff_of(session);
    for (int attempt = 1;; ++attempt) {
        jsErrCode code{};
        const natsStatus s = js_DeleteConsumer(session.jetstream(), stream.c_str(), durable.c_str(), nullptr, &code);
        if (s == NATS_OK || not_found(s, code)) break;
        if (!retryable(s, code)) {
            throw BridgeError(fmt::format("consumer {} of stream {} cannot be reset to the journal's position: {}",
                                          durable, stream, session.describe(s, code)));
        }
        wait_to_retry(backoff, what, session.describe(s, code), attempt);
    }
    // The delete is acknowledged before every node has dropped the consumer.
    constexpr int kMaxStillListed = 20;
    backoff.reset();
    for (int attempt = 1; consumer_position(session, stream, durable); ++attempt) {
        if (attempt == kMaxStillListed) {
            throw BridgeError(fmt::format("consumer {} of stream {} is still listed after {} lookups since it was "
                                          "deleted; check that every node of the cluster is up, then restart",
                                          durable, stream, kMaxStillListed));
        }
        wait_to_retry(backoff, what, "the deleted consumer is still listed", attempt);
    }
}

void create_consumer(NatsSession& session, const ConsumerSpec& spec) {
    jsConsumerConfig config;
    jsConsumerConfig_Init(&config);
    config.Durable = spec.durable.c_str();
    config.FilterSubject = spec.filter.c_str();
    config.AckPolicy = js_AckAll;
    if (spec.start_after == 0) {
        config.DeliverPolicy = js_DeliverAll;
    } else {
        config.DeliverPolicy = js_DeliverByStartSequence;
        config.OptStartSeq = spec.start_after + 1;
    }
    config.AckWait = std::int64_t{30} * 1'000'000'000;
    config.MaxAckPending = spec.max_ack_pending;

    const std::string what = fmt::format("creating consumer {} of stream {}", spec.durable, spec.stream);
    constexpr int kMaxStillThere = 20;  // a delete settles in far fewer backoffs
    int still_there = 0;
    Backoff backoff = backoff_of(session);
    for (int attempt = 1;; ++attempt) {
        jsConsumerInfo* ci = nullptr;
        jsErrCode code{};
        const natsStatus s = js_AddConsumer(&ci, session.jetstream(), spec.stream.c_str(), &config, nullptr, &code);
        if (s == NATS_OK) {
            jsConsumerInfo_Destroy(ci);
            return;
        }
        std::string denied;
        if (session.take_permission_error(denied)) {
            throw BridgeError(fmt::format("permission denied: the NATS user may not create consumer {} of stream {} ({}); "
                                          "grant it $JS.API.> in the server's authorization",
                                          spec.durable, spec.stream, denied));
        }
        const bool exists = code == JSConsumerNameExistErr || code == JSConsumerExistingActiveErr;
        if (!retryable(s, code) && !(exists && ++still_there < kMaxStillThere)) {
            throw BridgeError(fmt::format("durable consumer {} on stream {} (filter {}) cannot be created: {}; fix "
                                          "$.subscribe.filter or delete the consumer to recreate it",
                                          spec.durable, spec.stream, spec.filter, session.describe(s, code)));
        }
        wait_to_retry(backoff, what, session.describe(s, code), attempt);
    }
}

natsSubscription* bind_pull_subscription(NatsSession& session, const std::string& stream, const std::string& durable,
                                         const std::string& filter) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Consumer = durable.c_str();
    // Just created or found, the consumer may be missing for a moment from
    // the node that answers the lookup.
    constexpr int kMaxMissing = 20;
    Backoff backoff = backoff_of(session);
    for (int attempt = 1;; ++attempt) {
        natsSubscription* sub = nullptr;
        jsErrCode code{};
        const natsStatus s = js_PullSubscribe(&sub, session.jetstream(), filter.c_str(), durable.c_str(), nullptr, &so, &code);
        if (s == NATS_OK) return sub;
        std::string denied;
        if (session.take_permission_error(denied)) {
            throw BridgeError(fmt::format("permission denied: the NATS user may not read consumer {} of stream {} ({}); "
                                          "grant it $JS.API.> in the server's authorization",
                                          durable, stream, denied));
        }
        if (!retryable(s, code) && !(not_found(s, code) && attempt < kMaxMissing)) {
            throw BridgeError(fmt::format("durable consumer {} on stream {} (filter {}) cannot be used: {}; fix "
                                          "$.subscribe.filter or delete the consumer to recreate it",
                                          durable, stream, filter, session.describe(s, code)));
        }
        wait_to_retry(backoff, fmt::format("subscribing to consumer {} of stream {}", durable, stream),
                      session.describe(s, code), attempt);
    }
}

}  // namespace sigrun::bridge
