#include "engine_host.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "plugin_library.hpp"
#include "sigrun/factor_batch.hpp"

namespace sigrun::runner {
namespace {

std::int64_t realtime_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

spdlog::level::level_enum to_spdlog(std::int32_t level) {
    switch (level) {
        case SIGRUN_LOG_DEBUG: return spdlog::level::debug;
        case SIGRUN_LOG_INFO: return spdlog::level::info;
        case SIGRUN_LOG_WARN: return spdlog::level::warn;
        default: return spdlog::level::err;
    }
}

// NUL-terminated text -> NUL-padded field of N bytes (cut at N).
template <std::size_t N>
void to_field(char (&field)[N], const char* text) noexcept {
    std::memset(field, 0, N);
    if (text != nullptr) std::memcpy(field, text, strnlen(text, N));
}

// Plain load + store of a counter only this thread writes: no locked
// instruction, and readers on other threads still see a whole value.
void bump(std::atomic<std::uint32_t>& counter) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

thread_local const EngineHost* EngineHost::inside_ = nullptr;

EngineHost::EngineHost(std::string engine_name, FactorPublisher* publisher, const journal::Pins* pins,
                       std::string_view config_json)
    : name_(std::move(engine_name)), publisher_(publisher), pins_(pins), config_(name_, config_json) {
    api_.abi_version = SIGRUN_ABI_VERSION;
    api_.struct_size = sizeof(sigrun_host_api);
    api_.host_ctx = this;
    api_.log = &EngineHost::on_log;
    api_.emit = &EngineHost::on_emit;
    api_.frame_retain = &EngineHost::on_retain;
    api_.frame_release = &EngineHost::on_release;
    api_.register_factor = &EngineHost::on_register_factor;
    api_.emit_value = &EngineHost::on_emit_value;
    HostConfig::install(api_);
    api_.frame_info = &EngineHost::on_frame_info;
    if (pins_ != nullptr) {
        slots_ = pins_->mapping()->geometry().capacity;
        holds_ = std::make_unique<SlotHolds[]>(slots_);
    }
    if (publisher_ != nullptr) {
        batch_capacity_ = publisher_->max_batch_values();
        batch_ = std::make_unique<std::byte[]>(factor_batch_bytes(batch_capacity_));
    }
}

void EngineHost::on_log(void* ctx, std::int32_t level, const char* message) {
    auto* self = static_cast<EngineHost*>(ctx);
    if (level >= SIGRUN_LOG_ERROR) self->errors_logged_.fetch_add(1, std::memory_order_relaxed);
    if (!spdlog::should_log(to_spdlog(level))) return;
    RateLimit::Admission admitted;
    {
        const std::lock_guard lock(self->log_mutex_);
        admitted = self->log_limit_.admit();
    }
    if (!admitted) return;
    spdlog::log(to_spdlog(level), "[{}] {}{}", self->name_, message != nullptr ? message : "(null)",
                admitted.suppressed == 0 ? std::string()
                                         : fmt::format(" (and {} more messages from this engine in the last {:.1f} s)",
                                                       admitted.suppressed, admitted.suppressed_over_s));
}

std::int32_t EngineHost::refuse(std::int32_t code, const char* what) noexcept {
    ++emit_refused_;
    if (!refusal_logged_) {
        refusal_logged_ = true;
        spdlog::error("[{}] {} (logged once per engine)", name_, what);
    }
    return code;
}

std::int32_t EngineHost::register_factor(std::string_view name) {
    if (name.empty() || name.size() > SIGRUN_NAME_LEN) {
        spdlog::error("[{}] factor name \"{}\" refused: use 1 to {} characters", name_, name, SIGRUN_NAME_LEN);
        return -1;
    }
    for (std::size_t i = 0; i < factor_names_.size(); ++i) {
        if (std::string_view(factor_names_[i].data(), strnlen(factor_names_[i].data(), SIGRUN_NAME_LEN)) == name) {
            return static_cast<std::int32_t>(i);
        }
    }
    Field field{};
    std::memcpy(field.data(), name.data(), name.size());
    factor_names_.push_back(field);
    return static_cast<std::int32_t>(factor_names_.size() - 1);
}

std::int32_t EngineHost::on_register_factor(void* ctx, const char* factor) {
    auto* self = static_cast<EngineHost*>(ctx);
    if (factor == nullptr) return -1;
    try {
        return self->register_factor(std::string_view(factor, strnlen(factor, SIGRUN_NAME_LEN + 1)));
    } catch (const std::exception& e) {  // out of memory: refuse, never throw across the C ABI
        spdlog::error("[{}] register_factor: {}", self->name_, e.what());
        return -1;
    }
}

// The by-name emit of ABI 1.0: registers the name on first use (the only
// allocation, once per name), then takes the fast path.
std::int32_t EngineHost::on_emit(void* ctx, const char* factor, const char* instrument, double value) {
    auto* self = static_cast<EngineHost*>(ctx);
    if (self->current_ == nullptr) {
        return self->refuse(1, "emit called outside signal_on_data / signal_on_timer (or from another "
                               "thread); emit only from those, on the dispatch thread");
    }
    const std::string_view name(factor != nullptr ? factor : "", factor != nullptr ? strnlen(factor, SIGRUN_NAME_LEN) : 0);
    std::int32_t id = -1;
    try {
        id = self->register_factor(name);
    } catch (const std::exception&) {
    }
    if (id < 0) return self->refuse(3, "emit with an empty factor name, or no memory to register it");
    char field[SIGRUN_INSTRUMENT_LEN];
    to_field(field, instrument);
    return self->add_value(id, field, value);
}

std::int32_t EngineHost::on_emit_value(void* ctx, std::int32_t factor_id, const char* instrument, double value) {
    auto* self = static_cast<EngineHost*>(ctx);
    if (self->current_ == nullptr) {
        return self->refuse(1, "emit_value called outside signal_on_data / signal_on_timer (or from another "
                               "thread); emit only from those, on the dispatch thread");
    }
    if (instrument == nullptr) return self->refuse(3, "emit_value with a NULL instrument");
    return self->add_value(factor_id, instrument, value);
}

std::int32_t EngineHost::on_frame_info(void* ctx, sigrun_frame_info* info) {
    const auto* self = static_cast<EngineHost*>(ctx);
    const CurrentFrame* frame = self->current_;
    // A timer call handles no frame (its CurrentFrame only stamps the emits).
    if (frame == nullptr || frame->data == nullptr || info == nullptr || info->struct_size < sizeof(std::uint32_t)) {
        return 1;
    }
    // Write no further than the engine's struct reaches.
    sigrun_frame_info full{};
    full.struct_size = static_cast<std::uint32_t>(std::min<std::size_t>(info->struct_size, sizeof full));
    full.type = frame->type;
    full.sequence = frame->sequence;
    full.receive_time_ns = frame->receive_time_ns;
    std::memcpy(info, &full, full.struct_size);
    return 0;
}

std::int32_t EngineHost::add_value(std::int32_t factor_id, const char* instrument, double value) noexcept {
    if (factor_id < 0 || static_cast<std::size_t>(factor_id) >= factor_names_.size()) {
        return refuse(3, "emit_value with a factor id register_factor did not return; register every factor "
                         "in signal_create");
    }
    if (publisher_ == nullptr) return refuse(2, "emit without a signals journal");
    if (discard_emits_) return 0;
    if (batch_count_ == batch_capacity_) flush_batch();  // more values than one frame holds
    sigrun_factor_value entry;
    std::memcpy(entry.factor, factor_names_[static_cast<std::size_t>(factor_id)].data(), sizeof entry.factor);
    std::memcpy(entry.instrument, instrument, sizeof entry.instrument);
    entry.value = value;
    std::memcpy(batch_.get() + factor_batch_bytes(batch_count_), &entry, sizeof entry);
    ++batch_count_;
    return 0;
}

void EngineHost::flush_batch() noexcept {
    sigrun_factor_batch header{};
    std::memcpy(header.engine, name_.data(), std::min(name_.size(), sizeof header.engine));
    header.source_sequence = current_->sequence;
    header.source_receive_time_ns = current_->receive_time_ns;
    header.publish_time_ns = realtime_ns();  // the one clock read of this frame
    header.count = batch_count_;
    std::memcpy(batch_.get(), &header, sizeof header);
    const std::uint32_t count = std::exchange(batch_count_, 0);
    if (publisher_->publish_batch(std::span(batch_.get(), factor_batch_bytes(count)), header)) {
        emitted_ += count;
    } else {
        emit_refused_ += count;
    }
}

// The hot path of keeping a frame (callgrind names every instruction here:
// BM_Handoff/keep in tools/bench): a few compares, the pin, two counters.
std::int32_t EngineHost::on_retain(void* ctx, const void* data) {
    auto* self = static_cast<EngineHost*>(ctx);
    if constexpr (kRunnerHandoff != SIGRUN_HANDOFF_FRAME_REF) return 1;  // copy runner: engines copy
    const CurrentFrame* frame = self->current_;
    if (frame == nullptr || data != frame->data || !frame->retainable || self->pins_ == nullptr) [[unlikely]] {
        // Not the gated frame of the current call, or a journal this host
        // does not pin (no Pins: another process owns it): the SDK copies.
        return 2;
    }
    // The dispatcher's gate covers this frame for the whole call (or, in a
    // warm-up replay, MdRetention's hold does), so the writer cannot be
    // claiming the slot: the pin is one store on the dispatch thread (the md
    // journal's pin thread), one atomic increment elsewhere.
    self->pins_->add(frame->slot);
    bump(self->holds_[frame->slot].retained);
    self->retains_.store(self->retains_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return 0;
}

namespace {
constexpr const char* kNotHeld = "a frame it does not hold (double release?)";
constexpr const char* kNotRetained = "a pointer that is not a retained frame";
}  // namespace

// Off the hot path; logged once per engine, every one counted.
void EngineHost::report_bad_release(const char* what) noexcept {
    if (bad_releases_.fetch_add(1, std::memory_order_relaxed) == 0) {
        spdlog::error("[{}] frame_release of {}; fix the engine", name_, what);
    }
}

void EngineHost::on_release(void* ctx, const void* data) {
    auto* self = static_cast<EngineHost*>(ctx);
    const auto slot = self->pins_ != nullptr ? self->pins_->mapping()->slot_of_payload(data) : std::nullopt;
    if (!slot) [[unlikely]] {
        self->report_bad_release(kNotRetained);
        return;
    }
    SlotHolds& holds = self->holds_[*slot];
    if (inside_ != self) [[unlikely]] {
        self->release_from_another_thread(holds, *slot);
        return;
    }
    // On the thread running this engine's call, inside it: `retained` is
    // this thread's own counter, so taking one back is a plain store, and
    // having checked the engine holds one here, the pin is dropped unchecked.
    const std::uint32_t retained = holds.retained.load(std::memory_order_relaxed);
    if (retained == holds.released.load(std::memory_order_relaxed)) [[unlikely]] {
        self->report_bad_release(kNotHeld);
        return;
    }
    holds.retained.store(retained - 1, std::memory_order_relaxed);
    self->pins_->drop(*slot);
}

void EngineHost::release_from_another_thread(SlotHolds& holds, std::uint64_t slot) noexcept {
    std::uint32_t current = holds.released.load(std::memory_order_relaxed);
    do {
        if (current == holds.retained.load(std::memory_order_relaxed)) {
            report_bad_release(kNotHeld);
            return;
        }
    } while (!holds.released.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
    pins_->drop(slot);
}

std::uint32_t EngineHost::holds_on(std::uint64_t slot) const noexcept {
    if (slot >= slots_) return 0;
    // Released first: a release racing with this read then never makes the
    // difference negative.
    const std::uint32_t released = holds_[slot].released.load(std::memory_order_relaxed);
    return holds_[slot].retained.load(std::memory_order_relaxed) - released;
}

std::uint64_t EngineHost::frames_held() const noexcept {
    std::uint64_t held = 0;
    for (std::uint64_t i = 0; i < slots_; ++i) held += holds_on(i);
    return held;
}

std::uint64_t EngineHost::release_all() noexcept {
    std::uint64_t released = 0;
    for (std::uint64_t i = 0; i < slots_; ++i) {
        for (std::uint32_t n = holds_on(i); n > 0; --n) {
            pins_->release(i);
            ++released;
        }
        holds_[i].released.store(holds_[i].retained.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
    return released;
}

}  // namespace sigrun::runner
