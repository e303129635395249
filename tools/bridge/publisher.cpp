// publisher.cpp — the publishing loop, its ack callback and resync.
#include "publisher.hpp"

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "envelope.hpp"
#include "stream_access.hpp"
#include "sigrun/journal/error.hpp"
#include "sigrun/journal/mapping.hpp"
#include "sigrun/journal/reader.hpp"

namespace sigrun::bridge {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The second token of sigrun.<name>.<...>.
std::string subject_name(const std::string& subject) {
    const auto a = subject.find('.');
    if (a == std::string::npos) return {};
    const auto b = subject.find('.', a + 1);
    return subject.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
}

}  // namespace

// Kept out of the header: the reader and counters the loop owns.
struct PublisherState {
    std::shared_ptr<journal::Mapping> mapping;
    std::unique_ptr<journal::Reader> reader;
    std::uint64_t expect_stream_sequence = 0;  // the stream's last sequence before the next publish
    std::atomic<std::uint64_t> sent{0};        // publishes handed to the client
    std::atomic<std::uint64_t> completed{0};   // acked, failed or abandoned
};

Publisher::Publisher(const BridgeConfig& config, NatsSession& session)
    : config_(config), settings_(*config.publish), session_(session) {
    auto state = std::make_unique<PublisherState>();
    try {
        state->mapping = journal::Mapping::open_read_only(settings_.journal);
    } catch (const journal::JournalError& e) {
        throw BridgeError(fmt::format("journal {} cannot be published: {}", settings_.journal.string(), e.what()));
    }
    journal_created_ = state->mapping->header().created_time;
    state->reader = std::make_unique<journal::Reader>(state->mapping);
    state_ = std::move(state);

    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = session_.settings().request_timeout_ms;
    jo.PublishAsync.MaxPending = settings_.max_pending;
    jo.PublishAsync.AckHandler = &Publisher::on_ack;
    jo.PublishAsync.AckHandlerClosure = this;
    jo.PublishAsync.StallWait = 50;
    const natsStatus s = natsConnection_JetStream(&js_, session_.connection(), &jo);
    if (s != NATS_OK) throw BridgeError(fmt::format("JetStream context failed: {}", session_.describe(s)));
}

Publisher::~Publisher() {
    if (js_) {
        // Whatever is still pending is dropped with the context. (Only then:
        // libnats 3.4 crashes in GetPendingList before any async publish.)
        if (state_ && state_->sent.load() != state_->completed.load()) {
            natsMsgList pending;
            if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) natsMsgList_Destroy(&pending);
        }
        jsCtx_Destroy(js_);
    }
}

void Publisher::on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<Publisher*>(closure);
    std::string error;
    const auto bytes = std::as_bytes(std::span(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
    const auto frame = decode_frame(bytes, error);
    const std::uint64_t sequence = frame ? frame->envelope.sequence : 0;
    if (pa != nullptr && pae == nullptr) {
        (pa->Duplicate ? self->duplicates_ : self->acked_).fetch_add(1, std::memory_order_relaxed);
        std::uint64_t seen = self->acked_sequence_.load(std::memory_order_relaxed);
        while (seen < sequence && !self->acked_sequence_.compare_exchange_weak(seen, sequence)) {
        }
    } else if (pae != nullptr) {
        std::lock_guard lock(self->failure_mutex_);
        if (self->failure_.empty()) {
            const std::string status = natsStatus_GetText(pae->Err);
            const std::string text = pae->ErrText ? pae->ErrText : "";
            self->failure_ = fmt::format("journal frame {} not stored: {}", sequence,
                                         text.empty() || text == status ? status : status + ": " + text);
        }
        self->failed_.store(true, std::memory_order_release);
    }
    natsMsg_Destroy(msg);
    self->state_->completed.fetch_add(1, std::memory_order_acq_rel);
}

std::uint64_t Publisher::resync() {
    PublisherState& st = *state_;
    // 1. Nothing may stay in flight: wait for the acks, then abandon the rest
    //    (a late ack of an abandoned publish is discarded by the client; a
    //    late store of one is caught by the expected sequence or the msg id).
    if (st.sent.load() != st.completed.load()) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = settings_.ack_wait_ms;
        js_PublishAsyncComplete(js_, &po);
        natsMsgList pending;
        if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) {
            st.completed.fetch_add(static_cast<std::uint64_t>(pending.Count));
            natsMsgList_Destroy(&pending);
        }
    }
    {
        std::lock_guard lock(failure_mutex_);
        failure_.clear();
    }
    failed_.store(false);

    // 2. Ask the stream where this journal stands.
    const StreamState stream = stream_state(session_, config_.stream, config_.create_stream);
    st.expect_stream_sequence = stream.last_sequence;
    std::uint64_t next = 0;
    if (stream.last_sequence != 0) {
        const auto last = stream_message(session_, config_.stream, stream.last_sequence);
        if (last) {
            const std::string name = subject_name(last->subject);
            std::string error;
            const auto frame = decode_frame(std::as_bytes(std::span(last->data.data(), last->data.size())), error);
            if (name != settings_.name || !frame) {
                throw BridgeError(fmt::format(
                    "stream {} ends with message {} on {}, which journal \"{}\" did not publish; give each published "
                    "journal its own stream (JetStream sources can merge streams) or fix $.publish.name",
                    config_.stream, stream.last_sequence, last->subject, settings_.name));
            }
            if (frame->envelope.journal_created == journal_created_) {
                next = frame->envelope.sequence + 1;
            } else {
                spdlog::info("stream {} ends with frame {} of an earlier journal at {} (created {}); this one was created {}: "
                             "publishing it from its oldest frame", config_.stream, frame->envelope.sequence,
                             settings_.journal.string(), frame->envelope.journal_created, journal_created_);
            }
        }
    }
    journal::Reader& reader = *st.reader;
    const std::uint64_t published = reader.last_published();
    if (next == 0) {
        reader.seek_oldest();
        next = reader.position();
    } else if (next > published + 1) {
        throw BridgeError(fmt::format("stream {} holds frames of {} up to sequence {} but the journal ends at {}; "
                                      "the journal was replaced by an older copy: publish it to a new stream",
                                      config_.stream, settings_.journal.string(), next - 1, published));
    } else {
        reader.seek_sequence(next);
    }
    acked_sequence_.store(next - 1);
    spdlog::info("publishing {} to stream {} from journal sequence {} (stream sequence {}, leader {})",
                 settings_.journal.string(), config_.stream, next, stream.last_sequence,
                 stream.leader.empty() ? "-" : stream.leader);
    return next;
}

PublishSummary Publisher::run(const PublishOptions& options) {
    PublisherState& st = *state_;
    PublishSummary summary;
    const auto started = Clock::now();
    std::vector<std::byte> buffer(st.reader->geometry().max_payload());
    std::vector<std::byte> message;
    Backoff backoff(session_.settings().backoff_initial_ms, session_.settings().backoff_max_ms);
    summary.start_sequence = resync();
    std::uint64_t acked_at_resync = 0;

    auto next_progress = started + std::chrono::duration<double>(options.progress_seconds);
    std::uint64_t progress_acked = 0;
    auto last_ack_progress = Clock::now();
    std::uint64_t last_completed = 0;
    const auto ack_stall = std::chrono::milliseconds(settings_.ack_wait_ms);

    auto report_progress = [&](Clock::time_point now) {
        if (options.progress_seconds <= 0 || now < next_progress) return;
        const std::uint64_t acked = acked_.load() + duplicates_.load();
        const std::uint64_t seq = acked_sequence_.load();
        const std::uint64_t last = st.reader->last_published();
        spdlog::info("published {} frames, acknowledged {} (journal sequence {}), lag {} frames, {:.0f} frames/s",
                     summary.published, acked, seq, last > seq ? last - seq : 0,
                     static_cast<double>(acked - progress_acked) / options.progress_seconds);
        progress_acked = acked;
        next_progress = now + std::chrono::duration<double>(options.progress_seconds);
    };

    // Publishes whose ack never comes (sent to a stream leader that died)
    // count as a failure once no ack arrived for ack_wait_ms.
    auto check_acks = [&](Clock::time_point now) {
        const std::uint64_t completed = st.completed.load(std::memory_order_acquire);
        if (completed != last_completed || st.sent.load() == completed) {
            last_completed = completed;
            last_ack_progress = now;
        } else if (now - last_ack_progress > ack_stall) {
            std::lock_guard lock(failure_mutex_);
            if (failure_.empty()) {
                failure_ = fmt::format("no acknowledgement for {} ms ({} publishes waiting)", ack_stall.count(),
                                       st.sent.load() - completed);
            }
            failed_.store(true);
        }
    };

    while (!stop_requested().load(std::memory_order_relaxed)) {
        const auto now = Clock::now();
        check_acks(now);
        if (failed_.load(std::memory_order_acquire)) {
            std::string why;
            {
                std::lock_guard lock(failure_mutex_);
                why = failure_;
            }
            const auto wait = backoff.next();
            spdlog::warn("publishing paused: {}; resuming from the stream's state in {} ms", why, wait.count());
            if (!sleep_unless_stopped(wait)) break;
            resync();
            ++summary.resyncs;
            acked_at_resync = acked_.load() + duplicates_.load();
            last_ack_progress = Clock::now();
            continue;
        }
        const journal::ReadResult r = st.reader->next(buffer);
        if (r.status == journal::ReadStatus::lost) {
            summary.lost += r.lost;
            spdlog::warn("journal {}: {} frames were overwritten before they could be published (raise its capacity)",
                         settings_.journal.string(), r.lost);
            continue;
        }
        if (r.status == journal::ReadStatus::empty) {
            if (options.stop_at_end && st.sent.load() == st.completed.load() &&
                acked_sequence_.load() >= st.reader->last_published()) {
                break;
            }
            report_progress(now);
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            continue;
        }
        const auto payload = std::span<const std::byte>(buffer.data(), r.info.length);
        Envelope e;
        e.journal_created = journal_created_;
        e.sequence = r.info.sequence;
        e.msg_type = r.info.msg_type;
        e.gen_time = r.info.gen_time;
        e.trigger_time = r.info.trigger_time;
        e.publish_time = wall_ns();
        encode_frame(e, payload, message);
        const std::string subject = frame_subject(settings_.name, r.info.msg_type, payload);
        const std::string id = message_id(settings_.name, journal_created_, r.info.sequence);
        natsMsg* msg = nullptr;
        natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, reinterpret_cast<const char*>(message.data()),
                                      static_cast<int>(message.size()));
        if (s != NATS_OK) throw BridgeError(fmt::format("cannot build a NATS message: {}", natsStatus_GetText(s)));
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = id.c_str();
        po.ExpectLastSeq = st.expect_stream_sequence;  // 0: the stream is empty, nothing to expect
        st.sent.fetch_add(1, std::memory_order_acq_rel);
        // Back-pressure: with max_pending publishes unacknowledged the call
        // stalls and returns NATS_TIMEOUT; wait for room, never drop.
        while ((s = js_PublishMsgAsync(js_, &msg, &po)) == NATS_TIMEOUT && !failed_.load() &&
               !stop_requested().load(std::memory_order_relaxed)) {
            const auto stalled = Clock::now();
            report_progress(stalled);
            check_acks(stalled);
        }
        if (s != NATS_OK) {
            natsMsg_Destroy(msg);
            st.completed.fetch_add(1, std::memory_order_acq_rel);
            std::lock_guard lock(failure_mutex_);
            if (failure_.empty()) failure_ = fmt::format("publish of journal frame {} failed: {}", r.info.sequence, session_.describe(s));
            failed_.store(true);
            continue;
        }
        ++st.expect_stream_sequence;
        ++summary.published;
        // The backoff starts over once the stream took something again.
        if (acked_.load(std::memory_order_relaxed) + duplicates_.load(std::memory_order_relaxed) > acked_at_resync) {
            backoff.reset();
        }
    }

    // Let what is in flight land, so that the summary says what the stream holds.
    if (st.sent.load() != st.completed.load()) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = settings_.ack_wait_ms;
        js_PublishAsyncComplete(js_, &po);
    }
    summary.acked = acked_.load();
    summary.duplicates = duplicates_.load();
    summary.last_acked_sequence = acked_sequence_.load();
    const std::uint64_t last = st.reader->last_published();
    summary.lag = last > summary.last_acked_sequence ? last - summary.last_acked_sequence : 0;
    summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return summary;
}

}  // namespace sigrun::bridge
