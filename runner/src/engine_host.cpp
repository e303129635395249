#include "engine_host.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "plugin_library.hpp"

namespace sigrun::runner {
namespace {

void copy_text(char* out, std::size_t size, const char* in) {
    std::memset(out, 0, size);
    if (in != nullptr) std::memcpy(out, in, strnlen(in, size));
}

std::int64_t realtime_ns() {
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

}  // namespace

EngineHost::EngineHost(std::string engine_name, FactorPublisher* publisher, const journal::Pins* pins)
    : name_(std::move(engine_name)), publisher_(publisher), pins_(pins) {
    api_.abi_version = SIGRUN_ABI_VERSION;
    api_.struct_size = sizeof(sigrun_host_api);
    api_.host_ctx = this;
    api_.log = &EngineHost::on_log;
    api_.emit = &EngineHost::on_emit;
    api_.frame_retain = &EngineHost::on_retain;
    api_.frame_release = &EngineHost::on_release;
    if (pins_ != nullptr) {
        slots_ = pins_->mapping()->geometry().capacity;
        holds_ = std::make_unique<std::atomic<std::uint32_t>[]>(slots_);
    }
}

void EngineHost::on_log(void* ctx, std::int32_t level, const char* message) {
    const auto* self = static_cast<EngineHost*>(ctx);
    spdlog::log(to_spdlog(level), "[{}] {}", self->name_, message != nullptr ? message : "(null)");
}

std::int32_t EngineHost::on_emit(void* ctx, const char* factor, const char* instrument, double value) {
    auto* self = static_cast<EngineHost*>(ctx);
    const CurrentFrame* frame = self->current_;
    if (frame == nullptr) {
        if (self->emit_refused_++ == 0) {
            spdlog::error("[{}] emit called outside signal_on_data (or from another thread); "
                          "emit only from signal_on_data on the dispatch thread", self->name_);
        }
        return 1;
    }
    if (self->discard_emits_) return 0;
    sigrun_factor out;
    copy_text(out.engine, sizeof out.engine, self->name_.c_str());
    copy_text(out.factor, sizeof out.factor, factor);
    copy_text(out.instrument, sizeof out.instrument, instrument);
    out.value = value;
    out.source_sequence = frame->sequence;
    out.source_receive_time_ns = frame->receive_time_ns;
    out.publish_time_ns = realtime_ns();
    if (!self->publisher_->publish(out)) {
        ++self->emit_refused_;
        return 2;
    }
    ++self->emitted_;
    return 0;
}

std::int32_t EngineHost::on_retain(void* ctx, const void* data) {
    auto* self = static_cast<EngineHost*>(ctx);
    if (kRunnerHandoff != SIGRUN_HANDOFF_FRAME_REF) return 1;  // copy runner: engines copy
    const CurrentFrame* frame = self->current_;
    if (frame == nullptr || !frame->retainable || data != frame->data || self->pins_ == nullptr) {
        return 2;  // not the pinned frame of the current call: the SDK falls back to a copy
    }
    // The dispatcher's gate covers this frame for the whole call (or, in a
    // warm-up replay, MdRetention's hold does), so the writer cannot be
    // claiming the slot: one relaxed increment, no re-validation.
    self->pins_->add(frame->slot);
    self->holds_[frame->slot].fetch_add(1, std::memory_order_relaxed);
    self->retains_.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

void EngineHost::on_release(void* ctx, const void* data) {
    auto* self = static_cast<EngineHost*>(ctx);
    const auto slot = self->pins_ != nullptr ? self->pins_->mapping()->slot_of_payload(data) : std::nullopt;
    if (!slot) {
        if (self->bad_releases_++ == 0) {
            spdlog::error("[{}] frame_release of a pointer that is not a retained frame; fix the engine", self->name_);
        }
        return;
    }
    auto& holds = self->holds_[*slot];
    std::uint32_t current = holds.load(std::memory_order_relaxed);
    do {
        if (current == 0) {
            if (self->bad_releases_++ == 0) {
                spdlog::error("[{}] frame_release of a frame it does not hold (double release?); fix the engine",
                              self->name_);
            }
            return;
        }
    } while (!holds.compare_exchange_weak(current, current - 1, std::memory_order_relaxed));
    self->pins_->release(*slot);
}

std::uint64_t EngineHost::frames_held() const noexcept {
    std::uint64_t held = 0;
    for (std::uint64_t i = 0; i < slots_; ++i) held += holds_[i].load(std::memory_order_relaxed);
    return held;
}

std::uint32_t EngineHost::holds_on(std::uint64_t slot) const noexcept {
    return slot < slots_ ? holds_[slot].load(std::memory_order_relaxed) : 0;
}

std::uint64_t EngineHost::release_all() noexcept {
    std::uint64_t released = 0;
    for (std::uint64_t i = 0; i < slots_; ++i) {
        for (std::uint32_t n = holds_[i].exchange(0, std::memory_order_relaxed); n > 0; --n) {
            pins_->release(i);
            ++released;
        }
    }
    return released;
}

}  // namespace sigrun::runner
