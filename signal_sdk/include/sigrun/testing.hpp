// sigrun/testing.hpp — sigrun::testing, unit-testing a signal engine without
// the runner: load the plugin's .so (or use the engine class linked into the
// test), feed it Depth / Trade messages built in code or read from your data,
// and check what it emitted. Header-only, for GoogleTest or any test
// framework; installed with the SDK.
//
//     #include <sigrun/testing.hpp>
//
//     TEST(Spread, EmitsTheSpreadInTicks) {
//         auto engine = sigrun::testing::Harness::load("libspread.so", R"({"tick_size": 0.5})");
//         const auto out = engine.feed(sigrun::testing::depth("BTCUSDT", 1, {{100.0, 1.0}}, {{101.0, 2.0}}));
//         ASSERT_EQ(out.size(), 1u);
//         EXPECT_EQ(out[0].factor, "spread_ticks");
//         EXPECT_DOUBLE_EQ(out[0].value, 2.0);
//     }
//
// The harness is a host like the runner, through the same C ABI:
//   - the engine is called only for the message types it declares, one call
//     at a time, with the message borrowed for the call;
//   - every message gets the next md sequence (1, 2, ...) unless you give one,
//     and what the call emitted comes back stamped with it;
//   - the config accessors (config_get_*, config_check_keys) and frame_info
//     of ABI 1.2 work as in the runner; log lines are kept (logs());
//   - frames cannot be retained (as in a copy-mode runner): keep() copies;
//   - timers (ABI 1.3) fire as in the runner, from the same TimerSchedule:
//     set_timer_ms(T) is the runner config's "timer_ms"; every message fed
//     moves the receive-time clock and fires on_timer before the message
//     when it reaches the deadline; advance_to(ns) moves the clock without a
//     message. on_start runs before the first feed / advance_to, on_stop
//     before destroy (or at stop()).
// A failing signal_create throws std::runtime_error carrying the engine's
// logged reason, so a config error is one EXPECT_THROW.
#ifndef SIGRUN_TESTING_HPP
#define SIGRUN_TESTING_HPP

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "sigrun/testing.hpp needs C++20"
#endif

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sigrun/messages.h"
#include "sigrun/signal_api.h"
#include "sigrun/timer_schedule.hpp"

namespace sigrun::testing {

// One factor value an engine emitted.
struct Emitted {
    std::string factor;
    std::string instrument;
    double value = 0.0;
    std::uint64_t source_sequence = 0;      // md sequence of the message being handled
    std::int64_t source_receive_time_ns = 0;
    // Emitted by on_timer: source_sequence is then the message whose receive
    // time fired the timer (not handed yet) and source_receive_time_ns the
    // deadline, as the runner stamps them.
    bool from_timer = false;
};

struct LogLine {
    sigrun_log_level level = SIGRUN_LOG_INFO;
    std::string text;
};

// One book level for depth(): price, size.
struct Level {
    double price = 0.0;
    double size = 0.0;
};

namespace detail {

template <std::size_t N>
void copy_name(char (&field)[N], std::string_view text) {
    std::memset(field, 0, N);
    std::memcpy(field, text.data(), std::min(text.size(), N));
}

template <std::size_t N>
std::string field_string(const char (&field)[N]) {
    return std::string(field, strnlen(field, N));
}

}  // namespace detail

// A depth message: up to SIGRUN_DEPTH_LEVELS levels per side, best first;
// missing levels are price 0, size 0 as in the runner's feed.
inline sigrun_depth depth(std::string_view instrument, std::int64_t receive_time_ns, std::initializer_list<Level> bids,
                          std::initializer_list<Level> asks, std::string_view exchange = "test") {
    sigrun_depth d{};
    detail::copy_name(d.instrument, instrument);
    detail::copy_name(d.exchange, exchange);
    d.exchange_time_ns = receive_time_ns;
    d.receive_time_ns = receive_time_ns;
    std::size_t i = 0;
    for (const Level& l : bids) {
        if (i == SIGRUN_DEPTH_LEVELS) break;
        d.bid_price[i] = l.price;
        d.bid_size[i++] = l.size;
    }
    i = 0;
    for (const Level& l : asks) {
        if (i == SIGRUN_DEPTH_LEVELS) break;
        d.ask_price[i] = l.price;
        d.ask_size[i++] = l.size;
    }
    return d;
}

// A trade message; `side` is SIGRUN_SIDE_BUY / _SELL (the aggressor) or
// SIGRUN_SIDE_UNKNOWN.
inline sigrun_trade trade(std::string_view instrument, std::int64_t receive_time_ns, double price, double size,
                          std::int32_t side, std::string_view exchange = "test") {
    sigrun_trade t{};
    detail::copy_name(t.instrument, instrument);
    detail::copy_name(t.exchange, exchange);
    t.exchange_time_ns = receive_time_ns;
    t.receive_time_ns = receive_time_ns;
    t.price = price;
    t.size = size;
    t.aggressor_side = side;
    return t;
}

// The C entry points of one plugin, from a library or from a class.
struct EntryPoints {
    sigrun_plugin_info_fn info = nullptr;
    sigrun_create_fn create = nullptr;
    sigrun_on_data_fn on_data = nullptr;
    sigrun_destroy_fn destroy = nullptr;
    sigrun_snapshot_fn snapshot = nullptr;  // optional
    sigrun_restore_fn restore = nullptr;    // optional
    sigrun_on_timer_fn on_timer = nullptr;  // optional (ABI 1.3)
    sigrun_on_start_fn on_start = nullptr;  // optional (ABI 1.3)
    sigrun_on_stop_fn on_stop = nullptr;    // optional (ABI 1.3)
};

// The host side: the sigrun_host_api table and what the engine did with it.
class TestHost {
public:
    explicit TestHost(std::string_view config_json) {
        config_ = nlohmann::json::parse(config_json.empty() ? std::string_view("{}") : config_json, nullptr, false);
        if (!config_.is_object()) config_ = nlohmann::json::object();
        api_.abi_version = SIGRUN_ABI_VERSION;
        api_.struct_size = sizeof(sigrun_host_api);
        api_.host_ctx = this;
        api_.log = [](void* ctx, std::int32_t level, const char* message) {
            self(ctx).logs_.push_back({static_cast<sigrun_log_level>(level), message != nullptr ? message : ""});
        };
        api_.emit = [](void* ctx, const char* factor, const char* instrument, double value) -> std::int32_t {
            TestHost& h = self(ctx);
            if (!h.inside_ || factor == nullptr || *factor == '\0' || instrument == nullptr) return h.refuse();
            h.record(std::string(factor, strnlen(factor, SIGRUN_NAME_LEN)),
                     std::string(instrument, strnlen(instrument, SIGRUN_INSTRUMENT_LEN)), value);
            return 0;
        };
        api_.frame_retain = [](void*, const void*) -> std::int32_t { return 1; };  // like a copy-mode runner
        api_.frame_release = [](void*, const void*) {};
        api_.register_factor = [](void* ctx, const char* factor) -> std::int32_t {
            TestHost& h = self(ctx);
            const std::size_t length = factor != nullptr ? strnlen(factor, SIGRUN_NAME_LEN + 1) : 0;
            if (length == 0 || length > SIGRUN_NAME_LEN) return -1;
            const std::string name(factor, length);
            const auto it = std::find(h.factors_.begin(), h.factors_.end(), name);
            if (it != h.factors_.end()) return static_cast<std::int32_t>(it - h.factors_.begin());
            h.factors_.push_back(name);
            return static_cast<std::int32_t>(h.factors_.size() - 1);
        };
        api_.emit_value = [](void* ctx, std::int32_t id, const char* instrument, double value) -> std::int32_t {
            TestHost& h = self(ctx);
            if (!h.inside_ || id < 0 || static_cast<std::size_t>(id) >= h.factors_.size() || instrument == nullptr) {
                return h.refuse();
            }
            h.record(h.factors_[static_cast<std::size_t>(id)],
                     std::string(instrument, strnlen(instrument, SIGRUN_INSTRUMENT_LEN)), value);
            return 0;
        };
        api_.config_get_double = [](void* ctx, const char* key, double* value) -> std::int32_t {
            const nlohmann::json* v = self(ctx).config_value(key);
            if (v == nullptr || value == nullptr) return 1;
            if (!v->is_number()) return self(ctx).wrong(key, *v, "a number");
            *value = v->get<double>();
            return 0;
        };
        api_.config_get_int = [](void* ctx, const char* key, std::int64_t* value) -> std::int32_t {
            const nlohmann::json* v = self(ctx).config_value(key);
            if (v == nullptr || value == nullptr) return 1;
            if (!v->is_number_integer()) return self(ctx).wrong(key, *v, "an integer");
            *value = v->get<std::int64_t>();
            return 0;
        };
        api_.config_get_string = [](void* ctx, const char* key, const char** value) -> std::int32_t {
            const nlohmann::json* v = self(ctx).config_value(key);
            if (v == nullptr || value == nullptr) return 1;
            if (!v->is_string()) return self(ctx).wrong(key, *v, "a string");
            *value = self(ctx).strings_.emplace_back(v->get<std::string>()).c_str();
            return 0;
        };
        api_.config_check_keys = [](void* ctx, const char* const* known, std::uint32_t count) -> std::int32_t {
            TestHost& h = self(ctx);
            for (const auto& item : h.config_.items()) {
                bool found = false;
                std::string list;
                for (std::uint32_t i = 0; i < count; ++i) {
                    found = found || item.key() == known[i];
                    list += (i == 0 ? "" : ", ") + std::string(known[i]);
                }
                if (!found) {
                    h.logs_.push_back({SIGRUN_LOG_ERROR, "config: unknown key \"" + item.key() + "\"; known keys: " + list});
                    return 1;
                }
            }
            return 0;
        };
        api_.frame_info = [](void* ctx, sigrun_frame_info* info) -> std::int32_t {
            const TestHost& h = self(ctx);
            if (!h.inside_ || h.timer_ || info == nullptr || info->struct_size < sizeof(std::uint32_t)) return 1;
            sigrun_frame_info full{};
            full.struct_size = static_cast<std::uint32_t>(std::min<std::size_t>(info->struct_size, sizeof full));
            full.type = h.type_;
            full.sequence = h.sequence_;
            full.receive_time_ns = h.receive_time_ns_;
            std::memcpy(info, &full, full.struct_size);
            return 0;
        };
    }
    TestHost(const TestHost&) = delete;
    TestHost& operator=(const TestHost&) = delete;

    const sigrun_host_api* api() const noexcept { return &api_; }

    // Brackets one on_data call: emits are accepted only inside.
    // For on_timer: `sequence` is the message that fired it, the time the deadline.
    void enter(int type, std::uint64_t sequence, std::int64_t receive_time_ns, bool timer = false) noexcept {
        inside_ = true;
        timer_ = timer;
        type_ = type;
        sequence_ = sequence;
        receive_time_ns_ = receive_time_ns;
    }
    void leave() noexcept { inside_ = timer_ = false; }

    std::vector<Emitted> emitted;
    const std::vector<LogLine>& logs() const noexcept { return logs_; }
    std::uint64_t refused() const noexcept { return refused_; }

private:
    static TestHost& self(void* ctx) noexcept { return *static_cast<TestHost*>(ctx); }
    std::int32_t refuse() noexcept {
        ++refused_;
        return 1;
    }
    void record(std::string factor, std::string instrument, double value) {
        emitted.push_back({std::move(factor), std::move(instrument), value, sequence_, receive_time_ns_, timer_});
    }
    const nlohmann::json* config_value(const char* key) const {
        if (key == nullptr) return nullptr;
        const auto it = config_.find(std::string_view(key));
        return it != config_.end() ? &*it : nullptr;
    }
    std::int32_t wrong(const char* key, const nlohmann::json& value, const char* wanted) {
        logs_.push_back({SIGRUN_LOG_ERROR, "config: \"" + std::string(key) + "\" must be " + wanted + ", got " + value.dump()});
        return -1;
    }

    sigrun_host_api api_{};
    nlohmann::json config_;
    std::vector<std::string> factors_;
    std::vector<LogLine> logs_;
    std::deque<std::string> strings_;
    bool inside_ = false;
    bool timer_ = false;
    int type_ = 0;
    std::uint64_t sequence_ = 0;
    std::int64_t receive_time_ns_ = 0;
    std::uint64_t refused_ = 0;
};

// A dlopen'ed plugin library. Movable; dlclose on destruction.
class Library {
public:
    explicit Library(const std::string& path) : handle_(::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        if (handle_ == nullptr) {
            const char* e = ::dlerror();
            throw std::runtime_error("sigrun::testing: cannot load " + path + ": " + (e != nullptr ? e : "dlopen failed"));
        }
        entry_.info = reinterpret_cast<sigrun_plugin_info_fn>(::dlsym(handle_, "signal_plugin_info"));
        entry_.create = reinterpret_cast<sigrun_create_fn>(::dlsym(handle_, "signal_create"));
        entry_.on_data = reinterpret_cast<sigrun_on_data_fn>(::dlsym(handle_, "signal_on_data"));
        entry_.destroy = reinterpret_cast<sigrun_destroy_fn>(::dlsym(handle_, "signal_destroy"));
        entry_.snapshot = reinterpret_cast<sigrun_snapshot_fn>(::dlsym(handle_, "signal_snapshot"));
        entry_.restore = reinterpret_cast<sigrun_restore_fn>(::dlsym(handle_, "signal_restore"));
        entry_.on_timer = reinterpret_cast<sigrun_on_timer_fn>(::dlsym(handle_, "signal_on_timer"));
        entry_.on_start = reinterpret_cast<sigrun_on_start_fn>(::dlsym(handle_, "signal_on_start"));
        entry_.on_stop = reinterpret_cast<sigrun_on_stop_fn>(::dlsym(handle_, "signal_on_stop"));
        if (!entry_.info || !entry_.create || !entry_.on_data || !entry_.destroy) {
            ::dlclose(handle_);
            throw std::runtime_error("sigrun::testing: " + path +
                                     " does not export signal_plugin_info, signal_create, signal_on_data and "
                                     "signal_destroy; is it a sigrun plugin?");
        }
    }
    ~Library() {
        if (handle_ != nullptr) ::dlclose(handle_);
    }
    Library(Library&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)), entry_(other.entry_) {}
    Library& operator=(Library&&) = delete;
    Library(const Library&) = delete;

    const EntryPoints& entry_points() const noexcept { return entry_; }

private:
    void* handle_;
    EntryPoints entry_;
};

// One engine instance under test.
class Harness {
public:
    // Loads the plugin at `path` and creates an engine with `config_json`.
    // Throws std::runtime_error when the library cannot be loaded or
    // signal_create fails (with the engine's logged reason).
    static Harness load(const std::string& path, std::string_view config_json = "{}") {
        auto library = std::make_shared<Library>(path);
        const EntryPoints entry = library->entry_points();  // before the pointer is moved away
        return Harness(entry, std::move(library), config_json);
    }

    // An engine from entry points you have (e.g. a plugin linked into the
    // test executable: pass its signal_* functions).
    static Harness from(const EntryPoints& entry, std::string_view config_json = "{}") {
        return Harness(entry, nullptr, config_json);
    }

    ~Harness() {
        if (handle_ == nullptr) return;
        stop();
        entry_.destroy(handle_);
    }
    Harness(Harness&& other) noexcept
        : entry_(other.entry_), library_(std::move(other.library_)), host_(std::move(other.host_)),
          handle_(std::exchange(other.handle_, nullptr)), info_(other.info_), next_sequence_(other.next_sequence_),
          timer_(other.timer_), timer_calls_(other.timer_calls_), started_(other.started_), stopped_(other.stopped_) {}
    Harness& operator=(Harness&&) = delete;
    Harness(const Harness&) = delete;

    const sigrun_plugin_info& info() const noexcept { return *info_; }
    // The plugin id, or its name when it has none (as the runner identifies it).
    std::string plugin_id() const {
        if (info_->struct_size >= offsetof(sigrun_plugin_info, plugin_id) + sizeof(const char*) &&
            info_->plugin_id != nullptr) {
            return info_->plugin_id;
        }
        return info_->name;
    }
    // Whether the engine declared `type` (a 1.0 plugin takes every type).
    bool accepts(int type) const noexcept {
        if (info_->struct_size < offsetof(sigrun_plugin_info, reserved1) || info_->message_types == nullptr) return true;
        for (std::uint32_t i = 0; i < info_->message_type_count; ++i) {
            if (info_->message_types[i] == type) return true;
        }
        return false;
    }

    // Hands one message to the engine (when it declares its type) as md
    // frame `sequence` (0: the next one); returns what this call emitted.
    std::vector<Emitted> feed(const sigrun_depth& message, std::uint64_t sequence = 0) {
        return feed(SIGRUN_MSG_DEPTH, &message, message.receive_time_ns, sequence);
    }
    std::vector<Emitted> feed(const sigrun_trade& message, std::uint64_t sequence = 0) {
        return feed(SIGRUN_MSG_TRADE, &message, message.receive_time_ns, sequence);
    }
    // Any message by type id and pointer (e.g. from your own data reader).
    // The timer's values (when the message reached a deadline) come first.
    std::vector<Emitted> feed(int type, const void* message, std::int64_t receive_time_ns, std::uint64_t sequence = 0) {
        const std::uint64_t seq = sequence != 0 ? sequence : next_sequence_;
        next_sequence_ = seq + 1;
        const std::size_t before = host_->emitted.size();
        start();
        fire_timer(receive_time_ns, seq);  // every message moves the clock, declared type or not
        if (accepts(type)) {
            host_->enter(type, seq, receive_time_ns);
            entry_.on_data(handle_, type, message);
            host_->leave();
        }
        return {host_->emitted.begin() + static_cast<std::ptrdiff_t>(before), host_->emitted.end()};
    }

    // ---- timers and the run (ABI 1.3) ----

    // The runner config's "timer_ms" for this engine: on_timer every `ms` of
    // receive time from now on. Throws std::invalid_argument for a value the
    // runner refuses, or when the plugin has no signal_on_timer.
    void set_timer_ms(std::int64_t ms) {
        if (ms < TimerSchedule::kMinIntervalMs || ms > TimerSchedule::kMaxIntervalMs) {
            throw std::invalid_argument("sigrun::testing: timer_ms is " + std::to_string(ms) + "; use 1 to " +
                                        std::to_string(TimerSchedule::kMaxIntervalMs));
        }
        if (entry_.on_timer == nullptr) {
            throw std::invalid_argument("sigrun::testing: the plugin does not export signal_on_timer");
        }
        timer_ = TimerSchedule(ms * 1'000'000);
    }
    // Moves the receive-time clock to `receive_time_ns` as a message received
    // then would, without a message: fires on_timer when that reaches the
    // deadline (stamped with the sequence the next feed() gets). Returns what
    // the timer emitted. The first feed / advance_to only sets the clock.
    std::vector<Emitted> advance_to(std::int64_t receive_time_ns) {
        const std::size_t before = host_->emitted.size();
        start();
        fire_timer(receive_time_ns, next_sequence_);
        return {host_->emitted.begin() + static_cast<std::ptrdiff_t>(before), host_->emitted.end()};
    }
    // The next deadline (TimerSchedule::due()).
    [[nodiscard]] std::int64_t timer_due() const noexcept { return timer_.due(); }
    // on_timer calls so far.
    [[nodiscard]] std::uint64_t timer_calls() const noexcept { return timer_calls_; }
    // signal_on_start, once, as the runner does before the run's first frame
    // (feed and advance_to call it). [idempotent]
    void start() {
        if (std::exchange(started_, true) || entry_.on_start == nullptr) return;
        entry_.on_start(handle_);
    }
    // signal_on_stop, once, as the runner does at the end of a run (the
    // destructor calls it when you did not). Nothing is fed after it.
    void stop() {
        if (!started_ || std::exchange(stopped_, true) || entry_.on_stop == nullptr) return;
        entry_.on_stop(handle_);
    }

    // What a hot swap does besides the state: `next` continues this engine's
    // md sequence and timer schedule and is not started again (the run goes
    // on); this engine will not get on_stop (it is retired).
    void replace_with(Harness& next) noexcept {
        next.next_sequence_ = next_sequence_;
        next.timer_.continue_from(timer_);
        next.started_ = started_;
        stopped_ = true;
    }

    // Everything emitted so far, and the values of one factor in order.
    const std::vector<Emitted>& emitted() const noexcept { return host_->emitted; }
    std::vector<double> values(std::string_view factor) const {
        std::vector<double> out;
        for (const Emitted& e : host_->emitted) {
            if (e.factor == factor) out.push_back(e.value);
        }
        return out;
    }
    void clear_emitted() noexcept { host_->emitted.clear(); }
    // Log lines of the engine (and of the config accessors).
    const std::vector<LogLine>& logs() const noexcept { return host_->logs(); }
    // emit / emit_value calls the host refused (outside a call, bad id).
    std::uint64_t refused_emits() const noexcept { return host_->refused(); }

    // The engine's state as signal_snapshot writes it; throws when the
    // plugin has no signal_snapshot or it fails.
    std::vector<std::byte> snapshot() const {
        if (entry_.snapshot == nullptr) throw std::runtime_error("sigrun::testing: the plugin has no signal_snapshot");
        std::vector<std::byte> state(256);
        for (;;) {
            const std::int64_t size = entry_.snapshot(handle_, state.data(), state.size());
            if (size < 0) throw std::runtime_error("sigrun::testing: signal_snapshot failed");
            if (static_cast<std::uint64_t>(size) <= state.size()) {
                state.resize(static_cast<std::size_t>(size));
                return state;
            }
            state.resize(static_cast<std::size_t>(size));
        }
    }
    // signal_restore; true when the engine took the state.
    bool restore(std::span<const std::byte> state) {
        if (entry_.restore == nullptr) throw std::runtime_error("sigrun::testing: the plugin has no signal_restore");
        return entry_.restore(handle_, state.data(), state.size()) == 0;
    }
    // A hot swap's state carry: this engine's snapshot restored into `next`,
    // which then continues where this one stopped (replace_with).
    bool carry_state_to(Harness& next) {
        const bool ok = next.restore(snapshot());
        replace_with(next);
        return ok;
    }

    void* handle() const noexcept { return handle_; }

private:
    Harness(const EntryPoints& entry, std::shared_ptr<Library> library, std::string_view config_json)
        : entry_(entry), library_(std::move(library)), host_(std::make_unique<TestHost>(config_json)) {
        info_ = entry_.info();
        if (info_ == nullptr) throw std::runtime_error("sigrun::testing: signal_plugin_info returned NULL");
        if (info_->abi_major != SIGRUN_ABI_VERSION_MAJOR) {
            throw std::runtime_error("sigrun::testing: the plugin was built for ABI " + std::to_string(info_->abi_major) +
                                     ", this SDK is " + std::to_string(SIGRUN_ABI_VERSION_MAJOR));
        }
        const std::string config(config_json.empty() ? std::string_view("{}") : config_json);
        handle_ = entry_.create(host_->api(), config.c_str());
        if (handle_ == nullptr) {
            std::string reason;
            for (const LogLine& l : host_->logs()) reason += (reason.empty() ? "" : "; ") + l.text;
            throw std::runtime_error("signal_create failed: " + (reason.empty() ? "(nothing logged)" : reason));
        }
    }

    EntryPoints entry_;
    std::shared_ptr<Library> library_;  // declared before host_ and handle_: closed last
    std::unique_ptr<TestHost> host_;    // stable address: the engine keeps the host pointer
    void* handle_ = nullptr;
    void fire_timer(std::int64_t receive_time_ns, std::uint64_t sequence) {
        const std::int64_t now = timer_.advance(receive_time_ns);
        if (now == 0) return;
        host_->enter(0, sequence, now, true);
        entry_.on_timer(handle_, now);
        host_->leave();
        ++timer_calls_;
    }

    const sigrun_plugin_info* info_ = nullptr;
    std::uint64_t next_sequence_ = 1;
    TimerSchedule timer_;  // the runner's own rule (timer_schedule.hpp)
    std::uint64_t timer_calls_ = 0;
    bool started_ = false, stopped_ = false;
};

// The entry points of the plugin linked into this executable (a test that
// compiles the engine's source with its SIGRUN_EXPORT_PLUGIN, instead of
// loading the .so): Harness::from(linked_plugin(), config). Not the optional
// ones: add them yourself (e.on_timer = &::signal_on_timer; ...) or use
// linked_cpp_plugin() for an engine exported by the C++ SDK's macro.
inline EntryPoints linked_plugin() noexcept {
    EntryPoints e;
    e.info = &::signal_plugin_info;
    e.create = &::signal_create;
    e.on_data = &::signal_on_data;
    e.destroy = &::signal_destroy;
    return e;
}
// A plugin exported with SIGRUN_EXPORT_PLUGIN (or _ENGINE) of this SDK: it
// always has signal_on_timer, signal_on_start and signal_on_stop.
inline EntryPoints linked_cpp_plugin() noexcept {
    EntryPoints e = linked_plugin();
    e.on_timer = &::signal_on_timer;
    e.on_start = &::signal_on_start;
    e.on_stop = &::signal_on_stop;
    return e;
}
// Same, for a plugin exported WITH_STATE (it has snapshot / restore).
inline EntryPoints linked_plugin_with_state() noexcept {
    EntryPoints e = linked_cpp_plugin();
    e.snapshot = &::signal_snapshot;
    e.restore = &::signal_restore;
    return e;
}

}  // namespace sigrun::testing

#endif  // SIGRUN_TESTING_HPP
