// fake_host.hpp — a sigrun_host_api for unit tests: a stand-in runner that
// records what an engine does through the host (emits, log lines, frame
// retains and releases) and can be told to misbehave (refuse retains,
// refuse emits).
//
//     sigrun::testing::FakeHost host;
//     void* engine = signal_create(host.api(), "{}");
//     signal_on_data(engine, SIGRUN_MSG_DEPTH, &depth);
//     EXPECT_EQ(host.emitted().at(0).factor, "mid");
//
// Every recording function may be called from any thread (frame_release and
// log are [thread-safe] in the ABI), so all state is behind one mutex.
#ifndef SIGRUN_TESTS_SUPPORT_FAKE_HOST_HPP
#define SIGRUN_TESTS_SUPPORT_FAKE_HOST_HPP

#include <chrono>
#include <cstring>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sigrun/signal_api.h"

namespace sigrun::testing {

struct EmittedFactor {
    std::string factor;
    std::string instrument;
    double value = 0.0;
};

struct LogLine {
    sigrun_log_level level = SIGRUN_LOG_DEBUG;
    std::string message;
};

class FakeHost {
public:
    FakeHost() noexcept {
        api_.abi_version = SIGRUN_ABI_VERSION;
        api_.struct_size = sizeof(sigrun_host_api);
        api_.host_ctx = this;
        api_.log = &FakeHost::log_thunk;
        api_.emit = &FakeHost::emit_thunk;
        api_.frame_retain = &FakeHost::retain_thunk;
        api_.frame_release = &FakeHost::release_thunk;
        api_.register_factor = &FakeHost::register_thunk;
        api_.emit_value = &FakeHost::emit_value_thunk;
        // ABI 1.2: an empty config (every key absent, none unknown) and no
        // frame metadata (these tests call signal_on_data directly).
        api_.config_get_double = [](void*, const char*, double*) -> std::int32_t { return 1; };
        api_.config_get_int = [](void*, const char*, std::int64_t*) -> std::int32_t { return 1; };
        api_.config_get_string = [](void*, const char*, const char**) -> std::int32_t { return 1; };
        api_.config_check_keys = [](void*, const char* const*, std::uint32_t) -> std::int32_t { return 0; };
        api_.frame_info = [](void*, sigrun_frame_info*) -> std::int32_t { return 1; };
    }
    // host_ctx points at this object.
    FakeHost(const FakeHost&) = delete;
    FakeHost& operator=(const FakeHost&) = delete;

    const sigrun_host_api* api() const noexcept { return &api_; }
    // For tests that need an older or broken host (smaller struct_size,
    // missing function pointers, another ABI version).
    sigrun_host_api& mutable_api() noexcept { return api_; }

    // ---- behaviour switches ----
    // frame_retain returns non-zero (as a copy-mode runner does).
    void set_fail_retain(bool fail) {
        std::lock_guard lock(mutex_);
        fail_retain_ = fail;
    }
    // emit returns non-zero and records nothing.
    void set_refuse_emit(bool refuse) {
        std::lock_guard lock(mutex_);
        refuse_emit_ = refuse;
    }

    // ---- what the engine did ----
    std::vector<EmittedFactor> emitted() const {
        std::lock_guard lock(mutex_);
        return emitted_;
    }
    std::vector<LogLine> logs() const {
        std::lock_guard lock(mutex_);
        return logs_;
    }
    std::size_t count_logs(sigrun_log_level level) const {
        std::lock_guard lock(mutex_);
        std::size_t count = 0;
        for (const auto& line : logs_) {
            count += line.level == level ? 1 : 0;
        }
        return count;
    }
    bool has_log_containing(sigrun_log_level level, std::string_view text) const {
        std::lock_guard lock(mutex_);
        for (const auto& line : logs_) {
            if (line.level == level && line.message.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

    // Factor names registered with register_factor, by id.
    std::vector<std::string> registered_factors() const {
        std::lock_guard lock(mutex_);
        return factor_names_;
    }
    // Values that arrived through emit_value (the fast path) rather than emit.
    std::uint64_t fast_emits() const {
        std::lock_guard lock(mutex_);
        return fast_emits_;
    }

    // Successful frame_retain calls.
    std::uint64_t retains() const {
        std::lock_guard lock(mutex_);
        return retains_;
    }
    // frame_retain calls refused because of set_fail_retain(true).
    std::uint64_t refused_retains() const {
        std::lock_guard lock(mutex_);
        return refused_retains_;
    }
    // frame_release calls that matched an outstanding retain.
    std::uint64_t releases() const {
        std::lock_guard lock(mutex_);
        return releases_;
    }
    // frame_release calls for a frame with no outstanding retain: always an
    // engine bug (double release, or release without retain).
    std::uint64_t unmatched_releases() const {
        std::lock_guard lock(mutex_);
        return unmatched_releases_;
    }
    // Retained and not yet released, over all frames.
    std::uint64_t frames_held() const {
        std::lock_guard lock(mutex_);
        return retains_ - releases_;
    }
    // Outstanding references to the frame at `data`.
    std::uint64_t references_to(const void* data) const {
        std::lock_guard lock(mutex_);
        const auto it = references_.find(data);
        return it == references_.end() ? 0 : it->second;
    }
    // The thread that made the most recent matched frame_release.
    std::thread::id last_release_thread() const {
        std::lock_guard lock(mutex_);
        return last_release_thread_;
    }

    // Blocks until frames_held() == count, or `deadlock_guard` passes; returns
    // whether the count was reached. The guard only stops a broken test from
    // hanging; tests assert on the returned bool, never on elapsed time.
    bool wait_for_frames_held(std::uint64_t count,
                              std::chrono::milliseconds deadlock_guard = std::chrono::seconds(30)) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, deadlock_guard, [&] { return retains_ - releases_ == count; });
    }

private:
    static FakeHost& self(void* host_ctx) noexcept { return *static_cast<FakeHost*>(host_ctx); }

    static void log_thunk(void* host_ctx, std::int32_t level, const char* message) {
        FakeHost& host = self(host_ctx);
        std::lock_guard lock(host.mutex_);
        host.logs_.push_back(LogLine{static_cast<sigrun_log_level>(level), message != nullptr ? message : "(null)"});
    }

    static std::int32_t emit_thunk(void* host_ctx, const char* factor, const char* instrument, double value) {
        FakeHost& host = self(host_ctx);
        std::lock_guard lock(host.mutex_);
        if (host.refuse_emit_) {
            return 1;
        }
        host.emitted_.push_back(EmittedFactor{factor, instrument, value});
        return 0;
    }

    static std::int32_t register_thunk(void* host_ctx, const char* factor) {
        FakeHost& host = self(host_ctx);
        std::lock_guard lock(host.mutex_);
        const std::string name = factor != nullptr ? factor : "";
        if (name.empty() || name.size() > SIGRUN_NAME_LEN) return -1;
        for (std::size_t i = 0; i < host.factor_names_.size(); ++i) {
            if (host.factor_names_[i] == name) return static_cast<std::int32_t>(i);
        }
        host.factor_names_.push_back(name);
        return static_cast<std::int32_t>(host.factor_names_.size() - 1);
    }

    static std::int32_t emit_value_thunk(void* host_ctx, std::int32_t factor_id, const char* instrument,
                                         double value) {
        FakeHost& host = self(host_ctx);
        std::lock_guard lock(host.mutex_);
        if (host.refuse_emit_ || factor_id < 0 || static_cast<std::size_t>(factor_id) >= host.factor_names_.size()) {
            return 1;
        }
        host.emitted_.push_back(EmittedFactor{host.factor_names_[static_cast<std::size_t>(factor_id)],
                                              std::string(instrument, strnlen(instrument, SIGRUN_INSTRUMENT_LEN)),
                                              value});
        ++host.fast_emits_;
        return 0;
    }

    static std::int32_t retain_thunk(void* host_ctx, const void* data) {
        FakeHost& host = self(host_ctx);
        std::lock_guard lock(host.mutex_);
        if (host.fail_retain_) {
            ++host.refused_retains_;
            return 1;
        }
        ++host.retains_;
        ++host.references_[data];
        host.changed_.notify_all();
        return 0;
    }

    static void release_thunk(void* host_ctx, const void* data) {
        FakeHost& host = self(host_ctx);
        std::lock_guard lock(host.mutex_);
        const auto it = host.references_.find(data);
        if (it == host.references_.end() || it->second == 0) {
            ++host.unmatched_releases_;
            return;
        }
        --it->second;
        ++host.releases_;
        host.last_release_thread_ = std::this_thread::get_id();
        host.changed_.notify_all();
    }

    sigrun_host_api api_{};

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    bool fail_retain_ = false;
    bool refuse_emit_ = false;
    std::vector<EmittedFactor> emitted_;
    std::vector<std::string> factor_names_;
    std::uint64_t fast_emits_ = 0;
    std::vector<LogLine> logs_;
    std::uint64_t retains_ = 0;
    std::uint64_t refused_retains_ = 0;
    std::uint64_t releases_ = 0;
    std::uint64_t unmatched_releases_ = 0;
    std::map<const void*, std::uint64_t> references_;
    std::thread::id last_release_thread_;
};

}  // namespace sigrun::testing

#endif  // SIGRUN_TESTS_SUPPORT_FAKE_HOST_HPP
