// nats_session.hpp — one connection to a NATS cluster with its JetStream
// context, made with retries and backoff, and the errors a user can cause
// turned into one line each.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "bridge_config.hpp"

namespace sigrun::bridge {

// A failure the user can fix (unreachable cluster, missing stream, missing
// permission, a journal that is not ours): one line, exit 1.
class BridgeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Set by SIGINT/SIGTERM: every wait below returns early when it is.
std::atomic<bool>& stop_requested();

// Sleeps up to `duration` in short steps; false when a stop was requested.
bool sleep_unless_stopped(std::chrono::milliseconds duration);

// Exponential backoff: initial, 2x, 4x, ... capped at max.
class Backoff {
public:
    Backoff(std::int64_t initial_ms, std::int64_t max_ms) : initial_(initial_ms), max_(max_ms), next_(initial_ms) {}
    std::chrono::milliseconds next() {
        const auto now = next_;
        next_ = std::min(max_, next_ * 2);
        return std::chrono::milliseconds(now);
    }
    void reset() { next_ = initial_; }

private:
    std::int64_t initial_, max_, next_;
};

class NatsSession {
public:
    // Connects, retrying with backoff up to settings.connect_attempts times
    // (0: until stopped). Throws BridgeError naming the servers and the fix.
    explicit NatsSession(const NatsSettings& settings);
    ~NatsSession();
    NatsSession(const NatsSession&) = delete;
    NatsSession& operator=(const NatsSession&) = delete;

    [[nodiscard]] natsConnection* connection() const noexcept { return nc_; }
    [[nodiscard]] jsCtx* jetstream() const noexcept { return js_; }
    [[nodiscard]] const NatsSettings& settings() const noexcept { return settings_; }
    [[nodiscard]] std::string servers() const;

    // The text of a failed call: the status, the JetStream error code, the
    // client's last error, and a permission violation the server reported
    // asynchronously meanwhile (it arrives as an -ERR, not as the reply).
    [[nodiscard]] std::string describe(natsStatus status, jsErrCode code = static_cast<jsErrCode>(0)) const;
    // True when the server refused something for lack of permission since
    // the last call of this function.
    bool take_permission_error(std::string& text);

    // True for failures that retrying may cure (no server, timeouts, no
    // responders while a leader is elected, connection lost/reconnecting).
    static bool transient(natsStatus status);

private:
    static void on_async_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure);
    static void on_disconnected(natsConnection* nc, void* closure);
    static void on_reconnected(natsConnection* nc, void* closure);
    static void on_closed(natsConnection* nc, void* closure);
    void close_and_wait();

    NatsSettings settings_;
    natsOptions* options_ = nullptr;
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
    mutable std::mutex mutex_;
    std::string permission_error_;  // guarded by mutex_
    std::atomic<bool> closing_{false};  // no "reconnecting" warning for our own close
    // The client calls the callbacks above on its own thread, after Close
    // returns; close_and_wait() waits for the last one (closed) so that none
    // runs on a destroyed session.
    std::mutex closed_mutex_;
    std::condition_variable closed_cv_;
    bool closed_ = false;  // guarded by closed_mutex_
};

}  // namespace sigrun::bridge
