// sigrun/engine.hpp — the C++ way to write a signal engine: derive from
// sigrun::Engine, then export it with one macro at global scope in one .cpp:
//
//     class Microprice : public sigrun::Engine {
//     public:
//         Microprice(sigrun::Host host, const nlohmann::json& config);
//         void on_depth(std::shared_ptr<const sigrun::Depth> depth) override;
//     };
//     SIGRUN_EXPORT_ENGINE(Microprice, "microprice", "1.2.0");
//
// The macro defines the C entry points of signal_api.h (signal_plugin_info,
// signal_create, signal_on_data, signal_destroy, and with
// SIGRUN_EXPORT_ENGINE_WITH_STATE also signal_snapshot / signal_restore).
// They parse the config JSON, hand messages over as shared_ptrs (copy or
// frame-ref, see handoff.hpp) and never let an exception cross the C ABI: an
// exception is logged through the host as an ERROR with its what(), counted,
// and the call returns (the frame is skipped; signal_create returns NULL).
//
// Threads: the constructor runs on the runner's load thread; on_depth,
// on_trade, snapshot and restore on its dispatch thread, one call at a time.
// emit() only from inside on_depth/on_trade; log() from any thread.
//
// ---- Unloading: what keeps a plugin in memory after dlclose -------------
// A hot swap is only real if dlclose unmaps the old library. It does not when:
//   - the library was opened with RTLD_NODELETE (the runner never does);
//   - it has STB_GNU_UNIQUE symbols: GCC emits them for static locals of
//     inline functions and static data members of templates (including
//     `static inline` members). sigrun_add_plugin() builds with
//     -fno-gnu-unique and a version script exporting only signal_*; check
//     with `readelf -Ws --dyn-syms lib<name>.so | grep UNIQUE`;
//   - a thread the engine started is still running (its code is still in
//     use), or a thread_local object with a destructor is still alive on a
//     thread that outlives the engine;
//   - another object was linked against it (RTLD_GLOBAL), which RTLD_LOCAL
//     loading rules out.
// Anything the plugin handed out (a shared_ptr deleter, a callback) points
// into the library's code and dangles once it is unmapped. Hence the rule:
//
//     Your destructor joins every thread you started and drops every
//     shared_ptr<const Depth/Trade> you kept: when it returns, nothing of
//     yours runs and no frame is retained.
//
// Destructors must not throw (an exception there terminates the runner).
#ifndef SIGRUN_ENGINE_HPP
#define SIGRUN_ENGINE_HPP

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "sigrun/engine.hpp needs C++20; an engine in C includes sigrun/signal_api.h only"
#endif

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "sigrun/handoff.hpp"
#include "sigrun/host.hpp"
#include "sigrun/messages.h"
#include "sigrun/signal_api.h"

namespace sigrun {

using Depth = sigrun_depth;
using Trade = sigrun_trade;

// The text in a fixed-size name field of a message (instrument, exchange):
// NUL-padded, and without a NUL when the name fills the array.
template <std::size_t N>
constexpr std::string_view field_text(const char (&field)[N]) noexcept {
    std::size_t length = 0;
    while (length < N && field[length] != '\0') {
        ++length;
    }
    return std::string_view(field, length);
}

namespace detail {
struct EngineAccess;
}

// Base class of a C++ signal engine. Derived classes need a constructor
// (sigrun::Host, const nlohmann::json& config); the config is the engine's
// own "config" object from the runner config. Throw from the constructor to
// refuse a bad config: the message reaches the runner's log.
class Engine {
public:
    explicit Engine(Host host) noexcept : host_(host) {}
    virtual ~Engine() = default;
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // One order-book update / one trade. The pointer may be kept past the
    // call (queued, handed to another thread); in frame-ref mode the journal
    // frame stays retained until its last copy is gone. [dispatch-thread]
    virtual void on_depth(std::shared_ptr<const Depth> /*depth*/) {}
    virtual void on_trade(std::shared_ptr<const Trade> /*trade*/) {}

    // State carried across a hot swap, used only when the plugin is exported
    // with SIGRUN_EXPORT_ENGINE_WITH_STATE. snapshot() is called on the old
    // engine, restore() on the new one before its first message; return
    // false from restore to refuse the state (the runner then keeps the old
    // engine). The byte format is yours; bump state_version when it changes.
    // [dispatch-thread]
    virtual std::vector<std::byte> snapshot() const { return {}; }
    virtual bool restore(std::span<const std::byte> /*state*/) { return false; }

    // Exceptions the SDK caught from this engine's on_depth, on_trade,
    // snapshot and restore; each one was logged as an ERROR. [thread-safe]
    std::uint64_t exceptions_caught() const noexcept { return exceptions_caught_.load(std::memory_order_relaxed); }

protected:
    // Publishes a factor value; true when the runner took it. [dispatch-thread]
    bool emit(std::string_view factor, std::string_view instrument, double value) const noexcept {
        return host_.emit(factor, instrument, value);
    }
    // [thread-safe]
    void log(sigrun_log_level level, std::string_view message) const noexcept { host_.log(level, message); }
    const Host& host() const noexcept { return host_; }

private:
    friend struct detail::EngineAccess;

    Host host_;
    // Incremented on the dispatch thread, read from anywhere: a statistic
    // with no ordering duty, so relaxed.
    std::atomic<std::uint64_t> exceptions_caught_{0};
};

// How many signal_create calls of this plugin failed (bad JSON config or a
// throwing constructor); each was logged. Defined by SIGRUN_EXPORT_ENGINE in
// the plugin's translation unit, so only callable where the macro is used.
std::uint64_t create_failures() noexcept;

namespace detail {

// The object behind a SIGRUN_EXPORT_ENGINE handle.
struct EngineHandle {
    explicit EngineHandle(Host h) noexcept : host(h), handoff(h) {}

    Host host;
    Handoff<build_handoff_mode> handoff;
    std::unique_ptr<Engine> engine;
};

struct EngineAccess {
    static void count_exception(Engine& engine) noexcept {
        engine.exceptions_caught_.fetch_add(1, std::memory_order_relaxed);
    }
};

// Logs "sigrun SDK: <what_failed>: <reason>" as an ERROR. Formats into a fixed
// buffer: it runs inside catch blocks of noexcept entry points, possibly
// after a std::bad_alloc, so it must not allocate or throw.
inline void log_failure(const Host& host, const char* what_failed, const char* reason) noexcept {
    char line[768];
    std::snprintf(line, sizeof line, "sigrun SDK: %s: %s", what_failed, reason != nullptr ? reason : "(no message)");
    host.log(SIGRUN_LOG_ERROR, line);
}

inline constexpr const char* kNonStdException = "an exception not derived from std::exception";

inline void engine_threw(EngineHandle& handle, const char* what_failed, const char* reason) noexcept {
    log_failure(handle.host, what_failed, reason);
    EngineAccess::count_exception(*handle.engine);
}

constexpr sigrun_plugin_info make_plugin_info(const char* name, const char* version,
                                              std::uint32_t state_version) noexcept {
    return sigrun_plugin_info{
        SIGRUN_ABI_VERSION_MAJOR,
        SIGRUN_ABI_VERSION_MINOR,
        static_cast<std::uint32_t>(sizeof(sigrun_plugin_info)),
        static_cast<std::uint32_t>(build_handoff_mode),
        name,
        version,
        state_version,
        0,
    };
}

template <class EngineClass>
void* create_engine(const sigrun_host_api* api, const char* config_json,
                    std::atomic<std::uint64_t>& create_failures) noexcept {
    // A host of another major version may lay out sigrun_host_api
    // differently, so not even its log pointer can be trusted.
    if (api == nullptr || (api->abi_version >> 16) != SIGRUN_ABI_VERSION_MAJOR) {
        create_failures.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    const Host host(api);
    try {
        nlohmann::json config;
        try {
            config = nlohmann::json::parse(config_json != nullptr ? config_json : "{}");
        } catch (const nlohmann::json::parse_error& e) {
            log_failure(host, "signal_create: the engine config is not valid JSON", e.what());
            create_failures.fetch_add(1, std::memory_order_relaxed);
            return nullptr;
        }
        auto handle = std::make_unique<EngineHandle>(host);
        handle->engine = std::make_unique<EngineClass>(host, config);
        return handle.release();
    } catch (const std::exception& e) {
        log_failure(host, "signal_create: the engine constructor threw", e.what());
    } catch (...) {
        log_failure(host, "signal_create: the engine constructor threw", kNonStdException);
    }
    create_failures.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
}

inline void dispatch(void* handle_ptr, int type, const void* data) noexcept {
    if (handle_ptr == nullptr || data == nullptr) {
        return;
    }
    auto& handle = *static_cast<EngineHandle*>(handle_ptr);
    const char* const callback = type == SIGRUN_MSG_DEPTH ? "on_depth threw (frame skipped)"
                                                          : "on_trade threw (frame skipped)";
    try {
        switch (type) {
        case SIGRUN_MSG_DEPTH:
            handle.engine->on_depth(handle.handoff.take<Depth>(data));
            break;
        case SIGRUN_MSG_TRADE:
            handle.engine->on_trade(handle.handoff.take<Trade>(data));
            break;
        default:
            // An id this SDK does not know: newer runners may send more.
            break;
        }
    } catch (const std::exception& e) {
        engine_threw(handle, callback, e.what());
    } catch (...) {
        engine_threw(handle, callback, kNonStdException);
    }
}

inline void destroy_engine(void* handle_ptr) noexcept {
    // ~Engine is noexcept: joining threads and dropping frames is its job.
    delete static_cast<EngineHandle*>(handle_ptr);
}

inline std::int64_t snapshot_engine(void* handle_ptr, void* buffer, std::uint64_t capacity) noexcept {
    if (handle_ptr == nullptr) {
        return -1;
    }
    auto& handle = *static_cast<EngineHandle*>(handle_ptr);
    try {
        const std::vector<std::byte> state = handle.engine->snapshot();
        if (buffer != nullptr && state.size() <= capacity && !state.empty()) {
            std::memcpy(buffer, state.data(), state.size());
        }
        return static_cast<std::int64_t>(state.size());
    } catch (const std::exception& e) {
        engine_threw(handle, "snapshot threw (no state carried)", e.what());
    } catch (...) {
        engine_threw(handle, "snapshot threw (no state carried)", kNonStdException);
    }
    return -1;
}

inline std::int32_t restore_engine(void* handle_ptr, const void* state, std::uint64_t size) noexcept {
    if (handle_ptr == nullptr || (state == nullptr && size != 0)) {
        return -1;
    }
    auto& handle = *static_cast<EngineHandle*>(handle_ptr);
    try {
        const std::span<const std::byte> bytes(static_cast<const std::byte*>(state), static_cast<std::size_t>(size));
        if (handle.engine->restore(bytes)) {
            return 0;
        }
        handle.host.log(SIGRUN_LOG_WARN, "sigrun SDK: restore refused the snapshot state");
        return 1;
    } catch (const std::exception& e) {
        engine_threw(handle, "restore threw", e.what());
    } catch (...) {
        engine_threw(handle, "restore threw", kNonStdException);
    }
    return -1;
}

}  // namespace detail

// The engine behind a handle returned by a SIGRUN_EXPORT_ENGINE signal_create
// of the same library (for in-process tests and tools); nullptr for nullptr.
inline Engine* engine_from_handle(void* handle) noexcept {
    return handle != nullptr ? static_cast<detail::EngineHandle*>(handle)->engine.get() : nullptr;
}

}  // namespace sigrun

// ---- Export macros: use exactly one, once, at global scope, in one .cpp ----

// Exports EngineClass as a plugin without state carry across hot swaps.
#define SIGRUN_EXPORT_ENGINE(EngineClass, plugin_name, plugin_version) \
    SIGRUN_DETAIL_EXPORT_ENGINE(EngineClass, plugin_name, plugin_version, 0)

// Same, and also exports signal_snapshot / signal_restore, backed by
// EngineClass::snapshot / restore. state_version (non-zero) names the byte
// format: state is carried only between builds reporting the same value.
#define SIGRUN_EXPORT_ENGINE_WITH_STATE(EngineClass, plugin_name, plugin_version, state_version)                  \
    static_assert((state_version) != 0, "SIGRUN_EXPORT_ENGINE_WITH_STATE: state_version 0 means 'no state'");  \
    SIGRUN_DETAIL_EXPORT_ENGINE(EngineClass, plugin_name, plugin_version, state_version);                      \
    extern "C" SIGRUN_EXPORT int64_t signal_snapshot(void* handle, void* buffer, uint64_t capacity) {          \
        return ::sigrun::detail::snapshot_engine(handle, buffer, capacity);                                     \
    }                                                                                                           \
    extern "C" SIGRUN_EXPORT int32_t signal_restore(void* handle, const void* state, uint64_t size) {          \
        return ::sigrun::detail::restore_engine(handle, state, size);                                           \
    }                                                                                                           \
    static_assert(true, "lets the macro be followed by a semicolon")

#define SIGRUN_DETAIL_EXPORT_ENGINE(EngineClass, plugin_name, plugin_version, state_version)                       \
    static_assert(::std::is_base_of_v<::sigrun::Engine, EngineClass>,                                              \
                  "SIGRUN_EXPORT_ENGINE: " #EngineClass " must derive from sigrun::Engine");                       \
    static_assert(::std::is_constructible_v<EngineClass, ::sigrun::Host, const ::nlohmann::json&>,                 \
                  "SIGRUN_EXPORT_ENGINE: " #EngineClass " needs a constructor (sigrun::Host, const nlohmann::json&)"); \
    namespace {                                                                                                    \
    ::std::atomic<::std::uint64_t> sigrun_detail_create_failures{0};                                               \
    constexpr ::sigrun_plugin_info sigrun_detail_plugin_info =                                                     \
        ::sigrun::detail::make_plugin_info(plugin_name, plugin_version, state_version);                            \
    }                                                                                                              \
    ::std::uint64_t sigrun::create_failures() noexcept {                                                           \
        return sigrun_detail_create_failures.load(::std::memory_order_relaxed);                                    \
    }                                                                                                              \
    extern "C" SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) { return &sigrun_detail_plugin_info; } \
    extern "C" SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {          \
        return ::sigrun::detail::create_engine<EngineClass>(host, config_json, sigrun_detail_create_failures);    \
    }                                                                                                              \
    extern "C" SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {                      \
        ::sigrun::detail::dispatch(handle, type, data);                                                            \
    }                                                                                                              \
    extern "C" SIGRUN_EXPORT void signal_destroy(void* handle) { ::sigrun::detail::destroy_engine(handle); }      \
    static_assert(true, "lets the macro be followed by a semicolon")

#endif  // SIGRUN_ENGINE_HPP
