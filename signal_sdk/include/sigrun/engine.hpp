// sigrun/engine.hpp — the C++ way to write a signal engine: derive from
// sigrun::Engine, then export it with one macro at global scope in one .cpp:
//
//     class Spread : public sigrun::Engine {
//     public:
//         Spread(sigrun::Host host, sigrun::Config& config)
//             : Engine(host), tick_(config.number("tick_size", 0.01, {.min = 1e-12})),
//               spread_(factor("spread_ticks")) {}
//         void on_depth(const sigrun::Depth& book) override {
//             emit(spread_, book.instrument, (book.ask_price[0] - book.bid_price[0]) / tick_);
//         }
//     private:
//         double tick_;
//         sigrun::FactorId spread_;
//     };
//     SIGRUN_EXPORT_PLUGIN(Spread, "com.example.spread", "spread", "1.0.0");
//
// The macro defines the C entry points of signal_api.h (signal_plugin_info,
// signal_create, signal_on_data, signal_destroy, signal_on_timer,
// signal_on_start, signal_on_stop, and with
// SIGRUN_EXPORT_PLUGIN_WITH_STATE also signal_snapshot / signal_restore).
// The plugin id ("com.example.spread", reverse-DNS, checked at compile time)
// is what the plugin is across versions: the runner refuses a hot swap to a
// library of another id. A constructor taking sigrun::Config& (config.hpp)
// gets typed reads and unknown keys refused after it returns; one taking
// const nlohmann::json& reads the JSON itself.
// They parse the config JSON, declare the message types the class handles
// (the on_depth / on_trade it overrides: the runner calls it for nothing
// else), call the handlers directly (no virtual call) and never let an
// exception cross the C ABI: an exception is logged through the host as an
// ERROR with its what(), counted, and the call returns (the frame is
// skipped; signal_create returns NULL).
//
// The hot path, and what it costs:
//   - on_depth / on_trade get the message BORROWED, valid for the call:
//     reading it is free. Keep it past the call only through keep(message),
//     which returns a move-only sigrun::Kept (handoff.hpp): one atomic
//     increment in frame-ref builds, one pooled copy in copy builds.
//   - Register factor names once, in the constructor, with factor("name");
//     emit(id, message.instrument, value) then costs a few stores. Everything
//     one call emits reaches the signals journal as one frame.
//
// Timers and the run (ABI 1.3): override on_timer(now_ns) and give the
// engine "timer_ms": T in the runner config: it is called every T ms of the
// frames' receive time, before the frame that reaches the deadline, and may
// emit. on_start() / on_stop() bracket the run (see signal_api.h for hot
// swaps). All three default to doing nothing.
//
// Threads: the constructor runs on the runner's load thread; on_depth,
// on_trade, on_timer, on_start, on_stop, snapshot and restore on its
// dispatch thread, one call at a time. emit() only from inside
// on_depth/on_trade/on_timer, keep() only from on_depth/on_trade; log() from
// any thread.
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
// Anything the plugin handed out (a Kept's release function, a shared_ptr
// deleter, a callback) points into the library's code and dangles once it
// is unmapped. Hence the rule:
//
//     Your destructor joins every thread you started and drops every
//     sigrun::Kept (and shared_ptr made from one) you hold: when it returns,
//     nothing of yours runs and no frame is retained.
//
// Destructors must not throw (an exception there terminates the runner).
#ifndef SIGRUN_ENGINE_HPP
#define SIGRUN_ENGINE_HPP

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "sigrun/engine.hpp needs C++20; an engine in C includes sigrun/signal_api.h only"
#endif

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "sigrun/config.hpp"
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

// The md-journal frame an engine is handling (Engine::frame()).
struct FrameInfo {
    std::uint64_t sequence = 0;     // md.journal sequence: a jump means frames were skipped
    std::int64_t receive_time_ns = 0;
    int type = 0;                   // SIGRUN_MSG_*
};

// A factor name registered once with the host (Engine::factor); pass it to
// emit. Cheap to copy.
struct FactorId {
    std::int32_t host_id = -1;  // the host's id for emit_value; -1 on a host without it
    std::uint32_t index = 0;    // this engine's own index, for the by-name fallback
};

// Base class of a C++ signal engine. Derived classes need a constructor
// (sigrun::Host, const nlohmann::json& config); the config is the engine's
// own "config" object from the runner config. Throw from the constructor to
// refuse a bad config: the message reaches the runner's log.
class Engine {
public:
    explicit Engine(Host host) noexcept : host_(host), fast_emit_(host.has_fast_emit()), handoff_(host) {}
    virtual ~Engine() = default;
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // One order-book update / one trade, borrowed for the call: keep() it to
    // use it afterwards. Override the ones the engine handles; the runner
    // calls only those. [dispatch-thread]
    virtual void on_depth(const Depth& /*depth*/) {}
    virtual void on_trade(const Trade& /*trade*/) {}

    // A timer deadline of receive time was reached (the engine's "timer_ms"
    // in the runner config; never called without it): now_ns is the
    // deadline, a multiple of the interval since the epoch, and every frame
    // received before it has been handled. emit() works here. [dispatch-thread]
    virtual void on_timer(std::int64_t /*now_ns*/) {}
    // Once before the run's first frame, once after its last (not around a
    // hot swap: see signal_api.h). emit() is refused in both. [dispatch-thread]
    virtual void on_start() {}
    virtual void on_stop() {}

    // State carried across a hot swap, used only when the plugin is exported
    // with SIGRUN_EXPORT_ENGINE_WITH_STATE. snapshot() is called on the old
    // engine, restore() on the new one before its first message; return
    // false from restore to refuse the state (the runner then keeps the old
    // engine). The byte format is yours; bump state_version when it changes.
    // Both run inside the swap's pause on the dispatch thread: no logging,
    // no I/O there. [dispatch-thread]
    virtual std::vector<std::byte> snapshot() const { return {}; }
    virtual bool restore(std::span<const std::byte> /*state*/) { return false; }

    // Exceptions the SDK caught from this engine's on_depth, on_trade,
    // on_timer, on_start, on_stop, snapshot and restore; each one was logged as an ERROR. [thread-safe]
    std::uint64_t exceptions_caught() const noexcept { return exceptions_caught_.load(std::memory_order_relaxed); }

    // keep() calls that had to copy in a frame-ref build because the runner
    // could not retain the frame (always 0 in copy builds). [dispatch-thread]
    std::uint64_t keep_copy_fallbacks() const noexcept { return handoff_.copy_fallbacks(); }

protected:
    // Registers a factor name (1 to SIGRUN_NAME_LEN characters) and returns
    // its id; the same name twice gives the same id. Call it in the
    // constructor. Throws std::invalid_argument when the runner refuses the
    // name. [load-thread]
    FactorId factor(std::string_view name) {
        if (name.empty() || name.size() > SIGRUN_NAME_LEN) {
            throw std::invalid_argument("factor name \"" + std::string(name) + "\" must have 1 to " +
                                        std::to_string(SIGRUN_NAME_LEN) + " characters");
        }
        FactorId id;
        const auto known = std::find(names_.begin(), names_.end(), name);
        id.index = static_cast<std::uint32_t>(known - names_.begin());
        if (known == names_.end()) names_.emplace_back(name);
        if (fast_emit_) {
            id.host_id = host_.register_factor(name);
            if (id.host_id < 0) {
                throw std::invalid_argument("the runner refused the factor name \"" + std::string(name) + "\"");
            }
        }
        return id;
    }

    // Publishes a factor value for `instrument`, a message's own instrument
    // field (pass depth.instrument). True when the runner took it.
    // [dispatch-thread], inside on_depth / on_trade / on_timer.
    bool emit(FactorId factor, const char (&instrument)[SIGRUN_INSTRUMENT_LEN], double value) const noexcept {
        if (fast_emit_) return host_.emit_value(factor.host_id, instrument, value);
        return host_.emit(names_[factor.index], field_text(instrument), value);
    }

    // Same, for an instrument given as text (up to SIGRUN_INSTRUMENT_LEN
    // characters; a longer one is refused by the runner, which logs it).
    bool emit(FactorId factor, std::string_view instrument, double value) const noexcept {
        if (fast_emit_ && instrument.size() <= SIGRUN_INSTRUMENT_LEN) {
            char field[SIGRUN_INSTRUMENT_LEN] = {};
            std::memcpy(field, instrument.data(), instrument.size());
            return host_.emit_value(factor.host_id, field, value);
        }
        return host_.emit(names_[factor.index], instrument, value);
    }

    // Publishes by name, looked up on every call: for a factor whose name is
    // only known at run time. Prefer a registered FactorId. [dispatch-thread]
    bool emit(std::string_view factor, std::string_view instrument, double value) const noexcept {
        return host_.emit(factor, instrument, value);
    }

    // Keeps the message of the current call past its end: see handoff.hpp.
    // Throws std::bad_alloc only (a growing copy pool). [dispatch-thread],
    // inside the on_depth / on_trade that received `message`.
    Kept<Depth> keep(const Depth& message) { return handoff_.keep(message); }
    Kept<Trade> keep(const Trade& message) { return handoff_.keep(message); }

    // The sequence and receive time of the frame being handled, for gap
    // checks and latency; {} outside on_depth / on_trade or on a runner
    // older than ABI 1.2. Asks the host (a few loads), so an engine that
    // never calls it pays nothing. [dispatch-thread]
    FrameInfo frame() const noexcept {
        sigrun_frame_info info{};
        if (!host_.frame_info(info)) return {};
        return {info.sequence, info.receive_time_ns, info.type};
    }

    // [thread-safe]
    void log(sigrun_log_level level, std::string_view message) const noexcept { host_.log(level, message); }
    const Host& host() const noexcept { return host_; }

private:
    friend struct detail::EngineAccess;

    Host host_;
    bool fast_emit_;
    std::vector<std::string> names_;  // registered factor names, by FactorId::index
    Handoff<build_handoff_mode> handoff_;
    // Incremented on the dispatch thread, read from anywhere: a statistic
    // with no ordering duty, so relaxed.
    std::atomic<std::uint64_t> exceptions_caught_{0};
};

// How many signal_create calls of this plugin failed (bad JSON config or a
// throwing constructor); each was logged. Defined by SIGRUN_EXPORT_ENGINE in
// the plugin's translation unit, so only callable where the macro is used.
std::uint64_t create_failures() noexcept;

namespace detail {

struct EngineAccess {
    static void count_exception(Engine& engine) noexcept {
        engine.exceptions_caught_.fetch_add(1, std::memory_order_relaxed);
    }
    static const Host& host(const Engine& engine) noexcept { return engine.host_; }
};

// True when EngineClass overrides the handler: &EngineClass::on_depth then
// names EngineClass's own function, not Engine's.
template <class EngineClass>
inline constexpr bool handles_depth =
    !std::is_same_v<decltype(&EngineClass::on_depth), void (Engine::*)(const Depth&)>;
template <class EngineClass>
inline constexpr bool handles_trade =
    !std::is_same_v<decltype(&EngineClass::on_trade), void (Engine::*)(const Trade&)>;

// The message types an engine class declares (sigrun_plugin_info::message_types).
template <class EngineClass>
struct MessageTypes {
    static constexpr std::uint32_t count = (handles_depth<EngineClass> ? 1u : 0u) + (handles_trade<EngineClass> ? 1u : 0u);
    // The ids in order; only the first `count` mean anything.
    static constexpr std::int32_t first = handles_depth<EngineClass> ? SIGRUN_MSG_DEPTH : SIGRUN_MSG_TRADE;
    static constexpr std::int32_t second = SIGRUN_MSG_TRADE;
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

inline void engine_threw(Engine& engine, const char* what_failed, const char* reason) noexcept {
    log_failure(EngineAccess::host(engine), what_failed, reason);
    EngineAccess::count_exception(engine);
}

// A plugin id the runner accepts: 1 to SIGRUN_PLUGIN_ID_MAX characters of
// [a-z0-9._-] with at least one '.', not starting or ending with '.'.
consteval bool valid_plugin_id(const char* id) {
    if (id == nullptr) return true;  // no id: identified by name
    std::size_t length = 0;
    bool dot = false;
    for (; id[length] != '\0'; ++length) {
        const char c = id[length];
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!allowed) return false;
        dot = dot || c == '.';
    }
    return length > 0 && length <= SIGRUN_PLUGIN_ID_MAX && dot && id[0] != '.' && id[length - 1] != '.';
}

constexpr sigrun_plugin_info make_plugin_info(const char* plugin_id, const char* name, const char* version,
                                              std::uint32_t state_version, const std::int32_t* message_types,
                                              std::uint32_t message_type_count) noexcept {
    return sigrun_plugin_info{
        SIGRUN_ABI_VERSION_MAJOR,
        SIGRUN_ABI_VERSION_MINOR,
        static_cast<std::uint32_t>(sizeof(sigrun_plugin_info)),
        static_cast<std::uint32_t>(build_handoff_mode),
        name,
        version,
        state_version,
        0,
        message_types,
        message_type_count,
        0,
        plugin_id,
    };
}

template <class EngineClass>
inline constexpr bool takes_typed_config = std::is_constructible_v<EngineClass, Host, Config&>;

// The handle signal_create returns is the Engine itself.
template <class EngineClass>
void* create_engine(const sigrun_host_api* api, const char* config_json, const char* plugin_name,
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
        if constexpr (takes_typed_config<EngineClass>) {
            Config reader(plugin_name, config);
            std::unique_ptr<EngineClass> engine(new EngineClass(host, reader));
            reader.finish();  // a key the constructor never read is a typo or a stale setting
            return static_cast<Engine*>(engine.release());
        } else {
            Engine* engine = new EngineClass(host, config);
            return engine;
        }
    } catch (const std::exception& e) {
        log_failure(host, "signal_create: the engine constructor threw", e.what());
    } catch (...) {
        log_failure(host, "signal_create: the engine constructor threw", kNonStdException);
    }
    create_failures.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
}

// Runs one engine handler; an exception is logged as "<what>: <reason>" and
// counted, and never crosses the C ABI.
template <class Handler>
void call_guarded(Engine& engine, const char* what, Handler&& handler) noexcept {
    try {
        handler();
    } catch (const std::exception& e) {
        engine_threw(engine, what, e.what());
    } catch (...) {
        engine_threw(engine, what, kNonStdException);
    }
}

// signal_on_data: a direct (non-virtual) call of the handler EngineClass
// declares for `type`; anything else is ignored.
template <class EngineClass>
void dispatch(void* handle, int type, const void* data) noexcept {
    if (handle == nullptr || data == nullptr) return;
    auto& engine = static_cast<EngineClass&>(*static_cast<Engine*>(handle));
    if constexpr (handles_depth<EngineClass>) {
        if (type == SIGRUN_MSG_DEPTH) {
            call_guarded(engine, "on_depth threw (frame skipped)",
                         [&] { engine.EngineClass::on_depth(*static_cast<const Depth*>(data)); });
            return;
        }
    }
    if constexpr (handles_trade<EngineClass>) {
        if (type == SIGRUN_MSG_TRADE) {
            call_guarded(engine, "on_trade threw (frame skipped)",
                         [&] { engine.EngineClass::on_trade(*static_cast<const Trade*>(data)); });
        }
    }
}

// signal_on_timer / on_start / on_stop: direct calls of EngineClass's own
// (or Engine's no-op) handler, exceptions logged and counted.
template <class EngineClass>
void timer(void* handle, std::int64_t now_ns) noexcept {
    if (handle == nullptr) return;
    auto& engine = static_cast<EngineClass&>(*static_cast<Engine*>(handle));
    call_guarded(engine, "on_timer threw", [&] { engine.EngineClass::on_timer(now_ns); });
}
template <class EngineClass>
void start(void* handle) noexcept {
    if (handle == nullptr) return;
    auto& engine = static_cast<EngineClass&>(*static_cast<Engine*>(handle));
    call_guarded(engine, "on_start threw", [&] { engine.EngineClass::on_start(); });
}
template <class EngineClass>
void stop(void* handle) noexcept {
    if (handle == nullptr) return;
    auto& engine = static_cast<EngineClass&>(*static_cast<Engine*>(handle));
    call_guarded(engine, "on_stop threw", [&] { engine.EngineClass::on_stop(); });
}

inline void destroy_engine(void* handle) noexcept {
    // ~Engine is noexcept: joining threads and dropping frames is its job.
    delete static_cast<Engine*>(handle);
}

inline std::int64_t snapshot_engine(void* handle, void* buffer, std::uint64_t capacity) noexcept {
    if (handle == nullptr) return -1;
    auto& engine = *static_cast<Engine*>(handle);
    try {
        const std::vector<std::byte> state = engine.snapshot();
        if (buffer != nullptr && state.size() <= capacity && !state.empty()) {
            std::memcpy(buffer, state.data(), state.size());
        }
        return static_cast<std::int64_t>(state.size());
    } catch (const std::exception& e) {
        engine_threw(engine, "snapshot threw (no state carried)", e.what());
    } catch (...) {
        engine_threw(engine, "snapshot threw (no state carried)", kNonStdException);
    }
    return -1;
}

inline std::int32_t restore_engine(void* handle, const void* state, std::uint64_t size) noexcept {
    if (handle == nullptr || (state == nullptr && size != 0)) return -1;
    auto& engine = *static_cast<Engine*>(handle);
    try {
        const std::span<const std::byte> bytes(static_cast<const std::byte*>(state), static_cast<std::size_t>(size));
        if (engine.restore(bytes)) return 0;
        EngineAccess::host(engine).log(SIGRUN_LOG_WARN, "sigrun SDK: restore refused the snapshot state");
        return 1;
    } catch (const std::exception& e) {
        engine_threw(engine, "restore threw", e.what());
    } catch (...) {
        engine_threw(engine, "restore threw", kNonStdException);
    }
    return -1;
}

}  // namespace detail

// The engine behind a handle returned by a SIGRUN_EXPORT_ENGINE signal_create
// of the same library (for in-process tests and tools); nullptr for nullptr.
inline Engine* engine_from_handle(void* handle) noexcept { return static_cast<Engine*>(handle); }

}  // namespace sigrun

// ---- Export macros: use exactly one, once, at global scope, in one .cpp ----

// Exports EngineClass as the plugin `plugin_id` (reverse-DNS, e.g.
// "com.example.spread": what the plugin is, across versions), without state
// carry across hot swaps. `plugin_name` is the short name in logs.
#define SIGRUN_EXPORT_PLUGIN(EngineClass, plugin_id, plugin_name, plugin_version) \
    SIGRUN_DETAIL_EXPORT_ENGINE(EngineClass, plugin_id, plugin_name, plugin_version, 0)

// Same, and also exports signal_snapshot / signal_restore, backed by
// EngineClass::snapshot / restore. state_version (non-zero) names the byte
// format: state is carried only between builds reporting the same value.
#define SIGRUN_EXPORT_PLUGIN_WITH_STATE(EngineClass, plugin_id, plugin_name, plugin_version, state_version)      \
    static_assert((state_version) != 0, "SIGRUN_EXPORT_PLUGIN_WITH_STATE: state_version 0 means 'no state'");  \
    SIGRUN_DETAIL_EXPORT_ENGINE(EngineClass, plugin_id, plugin_name, plugin_version, state_version);           \
    SIGRUN_DETAIL_EXPORT_STATE()

// The ABI 1.1 forms, without a plugin id: the runner identifies the plugin
// by its name. Prefer SIGRUN_EXPORT_PLUGIN.
#define SIGRUN_EXPORT_ENGINE(EngineClass, plugin_name, plugin_version) \
    SIGRUN_DETAIL_EXPORT_ENGINE(EngineClass, nullptr, plugin_name, plugin_version, 0)
#define SIGRUN_EXPORT_ENGINE_WITH_STATE(EngineClass, plugin_name, plugin_version, state_version)                  \
    static_assert((state_version) != 0, "SIGRUN_EXPORT_ENGINE_WITH_STATE: state_version 0 means 'no state'");  \
    SIGRUN_DETAIL_EXPORT_ENGINE(EngineClass, nullptr, plugin_name, plugin_version, state_version);             \
    SIGRUN_DETAIL_EXPORT_STATE()

#define SIGRUN_DETAIL_EXPORT_STATE()                                                                            \
    extern "C" SIGRUN_EXPORT int64_t signal_snapshot(void* handle, void* buffer, uint64_t capacity) {          \
        return ::sigrun::detail::snapshot_engine(handle, buffer, capacity);                                     \
    }                                                                                                           \
    extern "C" SIGRUN_EXPORT int32_t signal_restore(void* handle, const void* state, uint64_t size) {          \
        return ::sigrun::detail::restore_engine(handle, state, size);                                           \
    }                                                                                                           \
    static_assert(true, "lets the macro be followed by a semicolon")

#define SIGRUN_DETAIL_EXPORT_ENGINE(EngineClass, plugin_id, plugin_name, plugin_version, state_version)            \
    static_assert(::std::is_base_of_v<::sigrun::Engine, EngineClass>,                                              \
                  "SIGRUN_EXPORT_PLUGIN: " #EngineClass " must derive from sigrun::Engine");                       \
    static_assert(::sigrun::detail::takes_typed_config<EngineClass> ||                                             \
                      ::std::is_constructible_v<EngineClass, ::sigrun::Host, const ::nlohmann::json&>,             \
                  "SIGRUN_EXPORT_PLUGIN: " #EngineClass " needs a constructor (sigrun::Host, sigrun::Config&) "    \
                  "or (sigrun::Host, const nlohmann::json&)");                                                     \
    static_assert(::sigrun::detail::valid_plugin_id(plugin_id),                                                    \
                  "SIGRUN_EXPORT_PLUGIN: the plugin id must be reverse-DNS: [a-z0-9._-], at least one '.', "       \
                  "e.g. \"com.example.spread\"");                                                                 \
    namespace {                                                                                                    \
    ::std::atomic<::std::uint64_t> sigrun_detail_create_failures{0};                                               \
    constexpr ::std::int32_t sigrun_detail_message_types[2] = {                                                    \
        ::sigrun::detail::MessageTypes<EngineClass>::first, ::sigrun::detail::MessageTypes<EngineClass>::second};  \
    constexpr ::sigrun_plugin_info sigrun_detail_plugin_info = ::sigrun::detail::make_plugin_info(                 \
        plugin_id, plugin_name, plugin_version, state_version, sigrun_detail_message_types,                        \
        ::sigrun::detail::MessageTypes<EngineClass>::count);                                                       \
    }                                                                                                              \
    ::std::uint64_t sigrun::create_failures() noexcept {                                                           \
        return sigrun_detail_create_failures.load(::std::memory_order_relaxed);                                    \
    }                                                                                                              \
    extern "C" SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) { return &sigrun_detail_plugin_info; } \
    extern "C" SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {          \
        return ::sigrun::detail::create_engine<EngineClass>(host, config_json, plugin_name,                       \
                                                            sigrun_detail_create_failures);                       \
    }                                                                                                              \
    extern "C" SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {                      \
        ::sigrun::detail::dispatch<EngineClass>(handle, type, data);                                               \
    }                                                                                                              \
    extern "C" SIGRUN_EXPORT void signal_destroy(void* handle) { ::sigrun::detail::destroy_engine(handle); }      \
    extern "C" SIGRUN_EXPORT void signal_on_timer(void* handle, int64_t now_ns) {                                 \
        ::sigrun::detail::timer<EngineClass>(handle, now_ns);                                                      \
    }                                                                                                              \
    extern "C" SIGRUN_EXPORT void signal_on_start(void* handle) { ::sigrun::detail::start<EngineClass>(handle); } \
    extern "C" SIGRUN_EXPORT void signal_on_stop(void* handle) { ::sigrun::detail::stop<EngineClass>(handle); }   \
    static_assert(true, "lets the macro be followed by a semicolon")

#endif  // SIGRUN_ENGINE_HPP
