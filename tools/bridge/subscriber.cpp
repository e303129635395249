// subscriber.cpp — the consuming loop, the cursor file, resume.
#include "subscriber.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "durable_consumer.hpp"
#include "envelope.hpp"
#include "stream_access.hpp"
#include "sigrun/journal/error.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"

namespace sigrun::bridge {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Cursor {
    std::string stream;
    std::string consumer;
    std::uint64_t stream_sequence = 0;   // last stream message in the journal...
    std::uint64_t journal_sequence = 0;  // ...and where it is there
};

std::optional<Cursor> load_cursor(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    try {
        const auto j = nlohmann::json::parse(in);
        Cursor c;
        c.stream = j.at("stream").get<std::string>();
        c.consumer = j.at("consumer").get<std::string>();
        c.stream_sequence = j.at("stream_sequence").get<std::uint64_t>();
        c.journal_sequence = j.at("journal_sequence").get<std::uint64_t>();
        return c;
    } catch (const std::exception& e) {
        throw BridgeError(fmt::format("cursor {} is damaged ({}); remove it together with its journal to start over",
                                      path.string(), e.what()));
    }
}

// Written beside the cursor, then renamed over it: a crash leaves the old
// cursor or the new one, never half of one.
void save_cursor(const std::filesystem::path& path, const Cursor& c) {
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << nlohmann::json{{"stream", c.stream}, {"consumer", c.consumer}, {"stream_sequence", c.stream_sequence},
                              {"journal_sequence", c.journal_sequence}}.dump()
            << '\n';
        if (!out) throw BridgeError(fmt::format("cursor {} cannot be written; check the folder's space and permissions", tmp));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw BridgeError(fmt::format("cursor {} cannot be replaced ({}); check the folder's permissions", path.string(), ec.message()));
}

std::int64_t percentile(std::vector<std::int64_t>& v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

}  // namespace

struct SubscriberState {
    std::unique_ptr<journal::Writer> writer;
    std::filesystem::path cursor_path;
    Cursor cursor;
    std::uint64_t unmatched = 0;  // frames written after the cursor was last saved
    std::string filter;
    natsSubscription* sub = nullptr;
    std::uint64_t consumer_sequence = 0;  // the consumer's last delivery seen here
    std::vector<std::int64_t> latencies;
};

Subscriber::Subscriber(const BridgeConfig& config, NatsSession& session)
    : config_(config), settings_(*config.subscribe), session_(session), state_(std::make_unique<SubscriberState>()) {
    SubscriberState& st = *state_;
    std::error_code ec;
    std::filesystem::create_directories(settings_.journal_dir, ec);
    if (ec) {
        throw BridgeError(fmt::format("$.subscribe.journal_dir {} cannot be created ({}); use a writable folder",
                                      settings_.journal_dir.string(), ec.message()));
    }
    const auto path = settings_.journal_dir / settings_.file;
    st.cursor_path = path.string() + ".nats-cursor";
    const auto cursor = load_cursor(st.cursor_path);
    if (cursor && (cursor->stream != config_.stream || cursor->consumer != settings_.consumer)) {
        throw BridgeError(fmt::format("journal {} was filled from stream {} by consumer {}, not {} / {}; use another "
                                      "folder or fix $.stream and $.subscribe.consumer",
                                      path.string(), cursor->stream, cursor->consumer, config_.stream, settings_.consumer));
    }
    try {
        st.writer = std::make_unique<journal::Writer>(
            path, journal::WriterOptions{journal::Geometry{settings_.capacity, settings_.slot_size}, std::chrono::seconds(1)});
    } catch (const journal::JournalError& e) {
        throw BridgeError(fmt::format("journal {} cannot be written: {}", path.string(), e.what()));
    }
    const std::uint64_t last = st.writer->last_sequence();
    if (!cursor && last != 0) {
        throw BridgeError(fmt::format("journal {} already holds {} frames but no {} says where they came from; "
                                      "give $.subscribe.journal_dir an empty folder",
                                      path.string(), last, st.cursor_path.filename().string()));
    }
    st.cursor = cursor.value_or(Cursor{config_.stream, settings_.consumer, 0, 0});
    if (last < st.cursor.journal_sequence) {
        throw BridgeError(fmt::format("journal {} ends at frame {} but its cursor says {}; the journal was replaced: "
                                      "remove both to start over", path.string(), last, st.cursor.journal_sequence));
    }
    st.unmatched = last - st.cursor.journal_sequence;
}

Subscriber::~Subscriber() {
    if (state_ && state_->sub) natsSubscription_Destroy(state_->sub);
}

void Subscriber::subscribe() {
    SubscriberState& st = *state_;
    if (st.sub) {
        natsSubscription_Destroy(st.sub);  // leaves the durable consumer in place
        st.sub = nullptr;
    }
    const StreamState stream = stream_state(session_, config_.stream, config_.create_stream);
    st.filter = settings_.filter;
    if (st.filter.empty()) {
        if (stream.subjects.size() != 1) {
            throw BridgeError(fmt::format("stream {} has {} subjects; set $.subscribe.filter to the ones to receive",
                                          config_.stream, stream.subjects.size()));
        }
        st.filter = stream.subjects.front();
    }
    const std::string& stream_name = config_.stream;
    const std::string& durable = settings_.consumer;

    // The durable's position must be the cursor's: its last delivery is the
    // last frame written here. Deliveries beyond it went to a process that
    // died (or to a fetch that gave up) before writing them; acking a later
    // message would acknowledge them unseen (AckAll), so the consumer is
    // recreated to deliver again from the first frame not written here.
    auto position = consumer_position(session_, stream_name, durable);
    if (position && position->delivered_stream != st.cursor.stream_sequence) {
        spdlog::info("consumer {} delivered up to stream sequence {}, the journal holds up to {}: delivering again from {}",
                     durable, position->delivered_stream, st.cursor.stream_sequence, st.cursor.stream_sequence + 1);
        delete_consumer(session_, stream_name, durable);
        position.reset();
    }
    if (position) {
        st.consumer_sequence = position->delivered_consumer;
    } else {
        create_consumer(session_, ConsumerSpec{stream_name, durable, st.filter, st.cursor.stream_sequence,
                                               std::max<std::int64_t>(1024, 4 * std::int64_t{settings_.batch})});
        st.consumer_sequence = 0;
    }
    // The subscription binds to the consumer as it stands (an existing one
    // keeps the config it was created with).
    st.sub = bind_pull_subscription(session_, stream_name, durable, st.filter);
    spdlog::info("consumer {} on stream {} ({}): writing {} from journal sequence {} (stream sequence {} done)",
                 durable, stream_name, st.filter, (settings_.journal_dir / settings_.file).string(),
                 st.writer->last_sequence() + 1, st.cursor.stream_sequence);
}

SubscribeSummary Subscriber::run(const SubscribeOptions& options) {
    SubscriberState& st = *state_;
    subscribe();
    SubscribeSummary summary;
    const auto started = Clock::now();
    auto next_progress = started + std::chrono::duration<double>(options.progress_seconds);
    std::uint64_t progress_written = 0;
    journal::Reader local(st.writer->mapping());
    std::vector<std::byte> local_buffer(st.writer->geometry().max_payload());
    Backoff backoff(session_.settings().backoff_initial_ms, session_.settings().backoff_max_ms);
    std::uint64_t pending_at_server = 1;  // unknown until the first message says
    constexpr auto kStallLimit = std::chrono::milliseconds(2000);
    auto last_delivery = Clock::now();
    st.latencies.reserve(1 << 16);

    while (!stop_requested().load(std::memory_order_relaxed)) {
        natsMsgList list{};
        jsErrCode code{};
        const natsStatus s = natsSubscription_Fetch(&list, st.sub, static_cast<int>(settings_.batch), 250, &code);
        const auto now = Clock::now();
        if (options.progress_seconds > 0 && now >= next_progress) {
            spdlog::info("wrote {} frames (journal sequence {}, stream sequence {}), {} pending in the stream, {:.0f} frames/s",
                         summary.written, st.writer->last_sequence(), st.cursor.stream_sequence, pending_at_server,
                         static_cast<double>(summary.written - progress_written) / options.progress_seconds);
            progress_written = summary.written;
            next_progress = now + std::chrono::duration<double>(options.progress_seconds);
        }
        if (s == NATS_TIMEOUT && list.Count == 0) {
            // Nothing arrived: caught up, a leader is being elected, or the
            // consumer holds deliveries this process never got (they count
            // against its max ack pending until their ack wait ends). When
            // it has messages for us but delivered none for a while, start
            // again from the journal's position.
            if (now - last_delivery > kStallLimit) {
                jsConsumerInfo* ci = nullptr;
                if (js_GetConsumerInfo(&ci, session_.jetstream(), config_.stream.c_str(), settings_.consumer.c_str(),
                                       nullptr, nullptr) == NATS_OK) {
                    const bool stuck = ci->NumPending > 0 || ci->NumAckPending > 0;
                    pending_at_server = ci->NumPending;
                    jsConsumerInfo_Destroy(ci);
                    if (stuck) {
                        spdlog::warn("consumer {}: messages pending but nothing delivered for {} ms; subscribing again "
                                     "from stream sequence {}", settings_.consumer, kStallLimit.count(),
                                     st.cursor.stream_sequence + 1);
                        ++summary.resets;
                        subscribe();
                    }
                }
                last_delivery = Clock::now();
            }
            if (options.stop_at_end && pending_at_server == 0) break;
            if (options.stop_at_end && summary.written + summary.redelivered == 0) {
                // Nothing received yet: ask the consumer whether anything is left.
                jsConsumerInfo* ci = nullptr;
                jsErrCode ci_code{};
                const natsStatus cs = js_GetConsumerInfo(&ci, session_.jetstream(), config_.stream.c_str(),
                                                         settings_.consumer.c_str(), nullptr, &ci_code);
                if (cs != NATS_OK) spdlog::warn("consumer info of {}: {}", settings_.consumer, session_.describe(cs, ci_code));
                if (cs == NATS_OK) {
                    pending_at_server = ci->NumPending + static_cast<std::uint64_t>(ci->NumAckPending);
                    jsConsumerInfo_Destroy(ci);
                    if (pending_at_server == 0) break;
                }
            }
            continue;
        }
        if (s != NATS_OK && list.Count == 0) {
            std::string denied;
            if (session_.take_permission_error(denied)) {
                throw BridgeError(fmt::format("permission denied while fetching from consumer {} of stream {} ({})",
                                              settings_.consumer, config_.stream, denied));
            }
            if (code == JSConsumerNotFoundErr || s == NATS_NOT_FOUND) {
                throw BridgeError(fmt::format("consumer {} of stream {} was deleted while reading; restart to recreate it",
                                              settings_.consumer, config_.stream));
            }
            const auto wait = backoff.next();
            spdlog::warn("fetch from consumer {} failed ({}); retrying in {} ms", settings_.consumer,
                         session_.describe(s, code), wait.count());
            if (!sleep_unless_stopped(wait)) break;
            continue;
        }
        backoff.reset();
        last_delivery = now;
        natsMsg* last = nullptr;
        bool gap = false;
        for (int i = 0; i < list.Count; ++i) {
            natsMsg* msg = list.Msgs[i];
            jsMsgMetaData* meta = nullptr;
            if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) continue;  // not a JetStream message (a status)
            const std::uint64_t seq = meta->Sequence.Stream;
            const std::uint64_t delivery = meta->Sequence.Consumer;
            pending_at_server = meta->NumPending;
            jsMsgMetaData_Destroy(meta);
            if (delivery != st.consumer_sequence + 1) {
                // Deliveries in between never reached this process (a fetch
                // gave up, a consumer leader changed): start again from the
                // cursor rather than acknowledge them unseen.
                spdlog::warn("consumer {}: delivery {} after {}, some deliveries were lost; delivering again from stream sequence {}",
                             settings_.consumer, delivery, st.consumer_sequence, st.cursor.stream_sequence + 1);
                gap = true;
                break;
            }
            st.consumer_sequence = delivery;
            last = msg;
            if (seq <= st.cursor.stream_sequence) {
                ++summary.redelivered;
                continue;
            }
            std::string error;
            const auto bytes = std::as_bytes(std::span(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
            const auto frame = decode_frame(bytes, error);
            if (!frame) {
                throw BridgeError(fmt::format("stream {} message {} on {}: {}; subscribe only to subjects sigrun-bridge publishes",
                                              config_.stream, seq, natsMsg_GetSubject(msg), error));
            }
            if (st.unmatched > 0) {
                // Written before a crash, not yet in the cursor: it must be this message.
                local.seek_sequence(st.cursor.journal_sequence + 1);
                const auto r = local.next(local_buffer);
                if (r.status != journal::ReadStatus::frame || r.info.length != frame->payload.size() ||
                    std::memcmp(local_buffer.data(), frame->payload.data(), frame->payload.size()) != 0) {
                    throw BridgeError(fmt::format("journal frame {} does not match stream message {} it should hold; "
                                                  "the journal was changed by someone else: remove it and its cursor to start over",
                                                  st.cursor.journal_sequence + 1, seq));
                }
                --st.unmatched;
                ++summary.redelivered;
                st.cursor.journal_sequence += 1;
                st.cursor.stream_sequence = seq;
                continue;
            }
            if (frame->payload.size() > st.writer->geometry().max_payload()) {
                throw BridgeError(fmt::format("stream {} message {} holds a {}-byte frame, more than a {}-byte slot takes; "
                                              "raise $.subscribe.slot_size (and start a new journal)",
                                              config_.stream, seq, frame->payload.size(), st.writer->geometry().slot_size));
            }
            st.cursor.journal_sequence = st.writer->write(frame->envelope.msg_type, frame->payload, frame->envelope.trigger_time);
            st.cursor.stream_sequence = seq;
            if (summary.first_stream_sequence == 0) summary.first_stream_sequence = seq;
            ++summary.written;
            // Journal to journal: the source frame's gen_time (the source
            // writer's wall clock) to now, after the write here. Across
            // machines it includes their clock offset.
            if (frame->envelope.gen_time > 0 && st.latencies.size() < (1u << 22)) {
                st.latencies.push_back(wall_ns() - frame->envelope.gen_time);
            }
        }
        if (last != nullptr) {
            // The journal first, then the cursor, then the ack (AckAll: every
            // message up to this one).
            save_cursor(st.cursor_path, st.cursor);
            natsMsg_Ack(last, nullptr);
        }
        natsMsgList_Destroy(&list);
        if (gap) {
            ++summary.resets;
            subscribe();
        }
    }
    st.writer->flush_hint();
    summary.last_stream_sequence = st.cursor.stream_sequence;
    summary.journal_last_sequence = st.writer->last_sequence();
    summary.latency_p50_ns = percentile(st.latencies, 0.50);
    summary.latency_p99_ns = percentile(st.latencies, 0.99);
    summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return summary;
}

}  // namespace sigrun::bridge
