// nats_session.cpp — connecting with backoff; describing failures.
#include "nats_session.hpp"

#include <cctype>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace sigrun::bridge {

std::atomic<bool>& stop_requested() {
    static std::atomic<bool> flag{false};
    return flag;
}

bool sleep_unless_stopped(std::chrono::milliseconds duration) {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (!stop_requested().load(std::memory_order_relaxed)) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= until) return true;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(20)));
    }
    return false;
}

namespace {

void check(natsStatus s, const char* what) {
    if (s != NATS_OK) throw BridgeError(fmt::format("NATS client option {} failed: {}", what, natsStatus_GetText(s)));
}

// Removes every "(file.c:123): " the client puts in front of its texts.
std::string without_source_locations(const std::string& text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '(') {
            std::size_t j = i + 1;
            while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
            if (j > i + 1 && text.compare(j, 3, ".c:") == 0) {
                std::size_t k = j + 3;
                while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
                if (k > j + 3 && text.compare(k, 3, "): ") == 0) {
                    i = k + 3;
                    continue;
                }
            }
        }
        out.push_back(text[i++]);
    }
    return out;
}

}  // namespace

NatsSession::NatsSession(const NatsSettings& settings) : settings_(settings) {
    check(natsOptions_Create(&options_), "create");
    std::vector<const char*> urls;
    for (const auto& s : settings_.servers) urls.push_back(s.c_str());
    check(natsOptions_SetServers(options_, urls.data(), static_cast<int>(urls.size())), "servers");
    check(natsOptions_SetName(options_, settings_.name.c_str()), "name");
    check(natsOptions_SetTimeout(options_, settings_.connect_timeout_ms), "connect_timeout_ms");
    // Once connected, the client reconnects by itself, forever; publishes
    // made meanwhile are buffered (bounded) or fail and are retried by us.
    check(natsOptions_SetAllowReconnect(options_, true), "reconnect");
    check(natsOptions_SetMaxReconnect(options_, -1), "max reconnect");
    check(natsOptions_SetReconnectWait(options_, settings_.backoff_initial_ms), "reconnect wait");
    check(natsOptions_SetReconnectJitter(options_, settings_.backoff_initial_ms, settings_.backoff_initial_ms), "jitter");
    check(natsOptions_SetErrorHandler(options_, &NatsSession::on_async_error, this), "error handler");
    check(natsOptions_SetDisconnectedCB(options_, &NatsSession::on_disconnected, this), "disconnected handler");
    check(natsOptions_SetReconnectedCB(options_, &NatsSession::on_reconnected, this), "reconnected handler");
    check(natsOptions_SetClosedCB(options_, &NatsSession::on_closed, this), "closed handler");
    if (!settings_.credentials.empty()) {
        const natsStatus s = natsOptions_SetUserCredentialsFromFiles(options_, settings_.credentials.c_str(), nullptr);
        if (s != NATS_OK) {
            throw BridgeError(fmt::format("NATS credentials file {} cannot be used ({}); give a .creds file with a JWT and an nkey seed",
                                          settings_.credentials.string(), natsStatus_GetText(s)));
        }
    } else if (!settings_.user.empty()) {
        check(natsOptions_SetUserInfo(options_, settings_.user.c_str(), settings_.password.c_str()), "user");
    }
    if (settings_.tls.enabled) {
        const auto& t = settings_.tls;
        check(natsOptions_SetSecure(options_, true), "tls");
        if (!t.ca.empty()) {
            const natsStatus s = natsOptions_LoadCATrustedCertificates(options_, t.ca.c_str());
            if (s != NATS_OK) throw BridgeError(fmt::format("TLS CA file {} cannot be loaded ({}); give PEM certificates", t.ca.string(), natsStatus_GetText(s)));
        }
        if (!t.cert.empty()) {
            const natsStatus s = natsOptions_LoadCertificatesChain(options_, t.cert.c_str(), t.key.c_str());
            if (s != NATS_OK) {
                throw BridgeError(fmt::format("TLS certificate {} / key {} cannot be loaded ({}); give a PEM chain and its key",
                                              t.cert.string(), t.key.string(), natsStatus_GetText(s)));
            }
        }
        if (!t.hostname.empty()) check(natsOptions_SetExpectedHostname(options_, t.hostname.c_str()), "tls hostname");
        if (t.skip_verify) check(natsOptions_SkipServerVerification(options_, true), "tls skip_verify");
    }

    Backoff backoff(settings_.backoff_initial_ms, settings_.backoff_max_ms);
    for (std::uint32_t attempt = 1;; ++attempt) {
        const natsStatus s = natsConnection_Connect(&nc_, options_);
        if (s == NATS_OK) break;
        nc_ = nullptr;
        const std::string why = describe(s);
        if (s != NATS_NO_SERVER && s != NATS_TIMEOUT && s != NATS_IO_ERROR && s != NATS_CONNECTION_CLOSED) {
            natsOptions_Destroy(options_);
            throw BridgeError(fmt::format("NATS at {} refused the connection: {}; check $.nats credentials, user and tls", servers(), why));
        }
        if (settings_.connect_attempts != 0 && attempt >= settings_.connect_attempts) {
            natsOptions_Destroy(options_);
            throw BridgeError(fmt::format("NATS cluster unreachable at {} after {} attempts ({}); start the servers or fix $.nats.servers",
                                          servers(), attempt, why));
        }
        const auto wait = backoff.next();
        spdlog::warn("NATS at {} unreachable ({}), attempt {}; retrying in {} ms", servers(), why, attempt, wait.count());
        if (!sleep_unless_stopped(wait)) {
            natsOptions_Destroy(options_);
            throw BridgeError("stopped while connecting to NATS");
        }
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = settings_.request_timeout_ms;
    const natsStatus s = natsConnection_JetStream(&js_, nc_, &jo);
    if (s != NATS_OK) {
        const std::string why = describe(s);
        close_and_wait();
        natsConnection_Destroy(nc_);
        natsOptions_Destroy(options_);
        throw BridgeError(fmt::format("JetStream context on {} failed: {}", servers(), why));
    }
    char url[256] = {};
    natsConnection_GetConnectedUrl(nc_, url, sizeof url);
    spdlog::info("connected to NATS at {}", url);
}

NatsSession::~NatsSession() {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) {
        close_and_wait();
        natsConnection_Destroy(nc_);
    }
    natsOptions_Destroy(options_);
}

std::string NatsSession::servers() const { return fmt::format("{}", fmt::join(settings_.servers, ",")); }

std::string NatsSession::describe(natsStatus status, jsErrCode code) const {
    std::string text = natsStatus_GetText(status);
    if (code != 0) text += fmt::format(" (JetStream error {})", static_cast<int>(code));
    const char* last = nullptr;
    if (nc_ && natsConnection_GetLastError(nc_, &last) != NATS_OK && last && *last && text.find(last) == std::string::npos) {
        text += fmt::format(": {}", last);
    }
    // This thread's last error in the client: the server's text of a
    // refused JetStream request ("subjects overlap with an existing stream").
    natsStatus thread_status = NATS_OK;
    const char* thread_text = nats_GetLastError(&thread_status);
    if (thread_text && *thread_text && text.find(thread_text) == std::string::npos) text += fmt::format(": {}", thread_text);
    std::lock_guard lock(mutex_);
    if (!permission_error_.empty()) text += fmt::format("; server said: {}", permission_error_);
    // The client prefixes its texts with its source location: not for users.
    text = without_source_locations(text);
    for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return text;
}

bool NatsSession::take_permission_error(std::string& text) {
    std::lock_guard lock(mutex_);
    if (permission_error_.empty()) return false;
    text = std::exchange(permission_error_, {});
    return true;
}

bool NatsSession::transient(natsStatus status) {
    switch (status) {
    case NATS_NO_SERVER:
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION:
    case NATS_SLOW_CONSUMER:
        return true;
    default:
        return false;
    }
}

void NatsSession::on_async_error(natsConnection* nc, natsSubscription*, natsStatus err, void* closure) {
    auto* self = static_cast<NatsSession*>(closure);
    const char* last = nullptr;
    natsConnection_GetLastError(nc, &last);
    const std::string text = last && *last ? last : natsStatus_GetText(err);
    if (err == NATS_NOT_PERMITTED || text.find("Permissions Violation") != std::string::npos) {
        std::lock_guard lock(self->mutex_);
        self->permission_error_ = text;
    } else if (err != NATS_SLOW_CONSUMER) {
        spdlog::warn("NATS: {}", text);
    }
}

void NatsSession::on_disconnected(natsConnection*, void* closure) {
    if (static_cast<NatsSession*>(closure)->closing_.load()) return;
    spdlog::warn("disconnected from NATS ({}); reconnecting", static_cast<NatsSession*>(closure)->servers());
}

void NatsSession::close_and_wait() {
    closing_.store(true);
    natsConnection_Close(nc_);
    std::unique_lock lock(closed_mutex_);
    closed_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return closed_; });
}

void NatsSession::on_closed(natsConnection*, void* closure) {
    auto* self = static_cast<NatsSession*>(closure);
    std::lock_guard lock(self->closed_mutex_);
    self->closed_ = true;
    self->closed_cv_.notify_all();
}

void NatsSession::on_reconnected(natsConnection* nc, void*) {
    char url[256] = {};
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    spdlog::info("reconnected to NATS at {}", url);
}

}  // namespace sigrun::bridge
