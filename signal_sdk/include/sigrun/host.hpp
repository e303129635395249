// sigrun/host.hpp — sigrun::Host, a thin C++ view of the runner's services
// (sigrun_host_api). Header-only, part of the SDK; engines usually reach it
// through sigrun::Engine::emit/log rather than directly.
#ifndef SIGRUN_HOST_HPP
#define SIGRUN_HOST_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sigrun/signal_api.h"

namespace sigrun {

namespace detail {

// A NUL-terminated copy of a string_view, for handing text to the C ABI.
// Text shorter than InlineCapacity is copied into the object itself, so the
// hot path (emit with short factor and instrument names) never allocates;
// longer text goes to the heap, and if even that fails it is truncated rather
// than thrown, because every caller is noexcept.
template <std::size_t InlineCapacity>
class NulTerminated {
    static_assert(InlineCapacity > 1, "room for at least one character and the NUL");

public:
    explicit NulTerminated(std::string_view text) noexcept {
        if (text.size() < InlineCapacity) {
            store_inline(text);
            return;
        }
        try {
            heap_.assign(text.data(), text.size());
            c_str_ = heap_.c_str();
        } catch (...) {
            store_inline(text.substr(0, InlineCapacity - 1));
        }
    }
    NulTerminated(const NulTerminated&) = delete;
    NulTerminated& operator=(const NulTerminated&) = delete;

    const char* c_str() const noexcept { return c_str_; }

private:
    void store_inline(std::string_view text) noexcept {
        if (!text.empty()) {
            std::memcpy(inline_, text.data(), text.size());
        }
        inline_[text.size()] = '\0';
        c_str_ = inline_;
    }

    char inline_[InlineCapacity];
    std::string heap_;
    const char* c_str_ = inline_;
};

}  // namespace detail

// Copyable handle to the host's services. Holds the pointer only: the
// sigrun_host_api it points to is owned by the runner and stays valid until
// signal_destroy returns (see signal_api.h). A Host built from nullptr is
// inert: log does nothing and emit returns false.
class Host {
public:
    explicit Host(const sigrun_host_api* api) noexcept : api_(api) {}

    // Writes one line to the runner's log. [thread-safe]
    void log(sigrun_log_level level, std::string_view message) const noexcept {
        if (api_ == nullptr || api_->log == nullptr) {
            return;
        }
        const detail::NulTerminated<kLogInlineCapacity> text(message);
        api_->log(api_->host_ctx, static_cast<std::int32_t>(level), text.c_str());
    }

    // Publishes one factor value; true when the host wrote it. The runner
    // refuses (false) outside signal_on_data, so call it only from on_depth /
    // on_trade. [dispatch-thread]
    bool emit(std::string_view factor, std::string_view instrument, double value) const noexcept {
        if (api_ == nullptr || api_->emit == nullptr) {
            return false;
        }
        const detail::NulTerminated<kNameInlineCapacity> factor_text(factor);
        const detail::NulTerminated<kNameInlineCapacity> instrument_text(instrument);
        return api_->emit(api_->host_ctx, factor_text.c_str(), instrument_text.c_str(), value) == 0;
    }

    // Registers a factor name once; its id for emit_value, or -1 when the
    // host refused it (logged) or predates ABI 1.1.
    // [load-thread] inside signal_create, or [dispatch-thread].
    std::int32_t register_factor(std::string_view factor) const noexcept {
        if (!has<&sigrun_host_api::register_factor>()) return -1;
        const detail::NulTerminated<kNameInlineCapacity> text(factor);
        return api_->register_factor(api_->host_ctx, text.c_str());
    }

    // True when the host has register_factor and emit_value (ABI >= 1.1).
    bool has_fast_emit() const noexcept {
        return has<&sigrun_host_api::register_factor>() && has<&sigrun_host_api::emit_value>();
    }

    // The fast emit: a registered factor id and a SIGRUN_INSTRUMENT_LEN-byte,
    // NUL-padded instrument field (a message's `instrument`). Only valid when
    // has_fast_emit(). [dispatch-thread]
    bool emit_value(std::int32_t factor_id, const char (&instrument)[SIGRUN_INSTRUMENT_LEN],
                    double value) const noexcept {
        return api_->emit_value(api_->host_ctx, factor_id, instrument, value) == 0;
    }

    // True when the host offers frame_retain/frame_release, i.e. frame-ref
    // handoff can work with it: the struct is large enough to contain them
    // and both are set.
    bool can_retain_frames() const noexcept {
        return api_ != nullptr &&
               api_->struct_size >= offsetof(sigrun_host_api, frame_release) + sizeof(api_->frame_release) &&
               api_->frame_retain != nullptr && api_->frame_release != nullptr;
    }

    // The sequence, type and receive time of the frame being handled; false
    // outside on_depth / on_trade or on a host older than ABI 1.2.
    // [dispatch-thread]
    bool frame_info(sigrun_frame_info& info) const noexcept {
        if (!has<&sigrun_host_api::frame_info>()) return false;
        info.struct_size = sizeof(sigrun_frame_info);
        return api_->frame_info(api_->host_ctx, &info) == 0;
    }

    const sigrun_host_api* api() const noexcept { return api_; }

private:
    // A function pointer of the host table exists when the table the host
    // built reaches past it (checked before the field is read) and it is set.
    template <auto Field>
    bool has() const noexcept {
        if (api_ == nullptr) return false;
        const auto* base = reinterpret_cast<const std::byte*>(api_);
        const auto* field = reinterpret_cast<const std::byte*>(&(api_->*Field));
        return api_->struct_size >= static_cast<std::size_t>(field - base) + sizeof(api_->*Field) &&
               api_->*Field != nullptr;
    }

    // Log lines up to this length go out without a heap allocation.
    static constexpr std::size_t kLogInlineCapacity = 256;
    // The runner keeps at most SIGRUN_NAME_LEN / SIGRUN_INSTRUMENT_LEN
    // characters; twice that leaves room for the host to see (and report)
    // a name that is too long instead of silently receiving a cut one.
    static constexpr std::size_t kNameInlineCapacity = 2 * SIGRUN_NAME_LEN;

    const sigrun_host_api* api_;
};

}  // namespace sigrun

#endif  // SIGRUN_HOST_HPP
