// stream_access.cpp — stream info, creation and message lookup with retries.
#include "stream_access.hpp"

#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace sigrun::bridge {
namespace {

// Throws the one-line error for a non-transient failure of `what`.
[[noreturn]] void fail(NatsSession& session, const std::string& stream, const char* what, natsStatus s, jsErrCode code) {
    std::string denied;
    if (s == NATS_NOT_PERMITTED || session.take_permission_error(denied)) {
        throw BridgeError(fmt::format("permission denied: the NATS user may not {} of stream {} ({}); grant it publish "
                                      "rights on $JS.API.> (and the stream's subjects) in the server's authorization",
                                      what, stream, denied.empty() ? session.describe(s, code) : denied));
    }
    if (code == JSNotEnabledErr || code == JSNotEnabledForAccountErr) {
        throw BridgeError(fmt::format("JetStream is not enabled on {} for this account; enable jetstream in the server config",
                                      session.servers()));
    }
    throw BridgeError(fmt::format("{} of stream {} failed: {}", what, stream, session.describe(s, code)));
}

// Runs `call` until it succeeds or fails for good; transient failures wait
// with backoff. A permission violation shows up as a timeout (the server
// answers with an -ERR, not a reply), so it is checked after each failure.
template <class Call>
natsStatus with_retries(NatsSession& session, const std::string& stream, const char* what, jsErrCode& code, Call call) {
    Backoff backoff(session.settings().backoff_initial_ms, session.settings().backoff_max_ms);
    for (int attempt = 1;; ++attempt) {
        code = static_cast<jsErrCode>(0);
        const natsStatus s = call();
        if (s == NATS_OK || s == NATS_NOT_FOUND) return s;
        std::string denied;
        if (session.take_permission_error(denied)) {
            throw BridgeError(fmt::format("permission denied: the NATS user may not {} of stream {} ({}); grant it publish "
                                          "rights on $JS.API.> (and the stream's subjects) in the server's authorization",
                                          what, stream, denied));
        }
        // 10008 "JetStream system temporarily unavailable", 503 no responders,
        // timeouts: a leader is being elected or a node is down.
        const bool retry = NatsSession::transient(s) || code == JSClusterNotAvailErr ||
                           code == JSStreamOfflineErr;
        if (!retry) fail(session, stream, what, s, code);
        const auto wait = backoff.next();
        spdlog::warn("{} of stream {} failed ({}), attempt {}; retrying in {} ms", what, stream,
                     session.describe(s, code), attempt, wait.count());
        if (!sleep_unless_stopped(wait)) throw BridgeError(fmt::format("stopped while waiting for stream {}", stream));
    }
}

void create_stream(NatsSession& session, const std::string& stream, const StreamCreation& c) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream.c_str();
    std::vector<const char*> subjects;
    for (const auto& s : c.subjects) subjects.push_back(s.c_str());
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.Storage = js_FileStorage;
    cfg.Retention = js_LimitsPolicy;
    cfg.Replicas = c.replicas;
    cfg.MaxBytes = c.max_bytes;
    cfg.MaxAge = c.max_age_s * 1'000'000'000;
    cfg.Duplicates = c.duplicate_window_s * 1'000'000'000;
    cfg.Discard = js_DiscardOld;
    jsErrCode code{};
    jsStreamInfo* si = nullptr;
    const natsStatus s = with_retries(session, stream, "create", code, [&] {
        return js_AddStream(&si, session.jetstream(), &cfg, nullptr, &code);
    });
    if (s != NATS_OK) fail(session, stream, "create", s, code);
    jsStreamInfo_Destroy(si);
    spdlog::info("created stream {} ({} replica(s), subjects {})", stream, c.replicas, fmt::join(c.subjects, ","));
}

}  // namespace

StreamState stream_state(NatsSession& session, const std::string& stream, const std::optional<StreamCreation>& create) {
    std::string create_error;
    for (int round = 0;; ++round) {
        jsErrCode code{};
        jsStreamInfo* si = nullptr;
        const natsStatus s = with_retries(session, stream, "read the state", code, [&] {
            return js_GetStreamInfo(&si, session.jetstream(), stream.c_str(), nullptr, &code);
        });
        if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
            if (create && round == 0) {
                // Two bridges may race to create it: the loser's create fails
                // with "already in use" and its next read finds the stream.
                try {
                    create_stream(session, stream, *create);
                } catch (const BridgeError& e) {
                    create_error = e.what();
                }
                continue;
            }
            if (!create_error.empty()) throw BridgeError(create_error + "; fix $.create_stream or create the stream by hand");
            throw BridgeError(fmt::format("stream {} does not exist on {}; create it (\"create_stream\" in the bridge "
                                          "config, or nats stream add) or fix $.stream",
                                          stream, session.servers()));
        }
        StreamState st;
        st.first_sequence = si->State.FirstSeq;
        st.last_sequence = si->State.LastSeq;
        st.messages = si->State.Msgs;
        if (si->Cluster && si->Cluster->Leader) st.leader = si->Cluster->Leader;
        if (si->Config) {
            st.replicas = si->Config->Replicas;
            for (int i = 0; i < si->Config->SubjectsLen; ++i) st.subjects.emplace_back(si->Config->Subjects[i]);
        }
        jsStreamInfo_Destroy(si);
        return st;
    }
}

std::optional<StoredMessage> stream_message(NatsSession& session, const std::string& stream, std::uint64_t sequence) {
    jsErrCode code{};
    natsMsg* msg = nullptr;
    const natsStatus s = with_retries(session, stream, "read a message", code, [&] {
        return js_GetMsg(&msg, session.jetstream(), stream.c_str(), sequence, nullptr, &code);
    });
    if (s == NATS_NOT_FOUND) return std::nullopt;
    StoredMessage m;
    m.subject = natsMsg_GetSubject(msg);
    m.data.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    natsMsg_Destroy(msg);
    return m;
}

}  // namespace sigrun::bridge
