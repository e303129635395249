// sigrun/handoff.hpp — how a message the runner passes to signal_on_data
// becomes the std::shared_ptr<const Message> an engine receives.
//
// Two modes, chosen when the plugin is built (CMake ENABLE_ZERO_COPY, which
// sets SIGRUN_ZERO_COPY=0/1 on sigrun::sdk):
//
//   copy       the message is copied into a heap object; the engine owns its
//              copy and the journal never waits for it.
//   frame_ref  the journal frame itself is retained through
//              host->frame_retain; the shared_ptr's deleter calls
//              host->frame_release when the last copy of the pointer dies,
//              on whatever thread that happens. The engine may keep the
//              pointer after signal_on_data returns; the writer will not
//              overwrite the frame until then.
//
// Both modes are class templates here, so a test can exercise either in any
// build. Engines never call this directly: the SIGRUN_EXPORT_ENGINE entry
// points do (engine.hpp).
#ifndef SIGRUN_HANDOFF_HPP
#define SIGRUN_HANDOFF_HPP

#include <cstdint>
#include <memory>
#include <type_traits>

#include "sigrun/host.hpp"
#include "sigrun/signal_api.h"

#ifndef SIGRUN_ZERO_COPY
// Built without sigrun::sdk's definitions: copy mode runs on every runner.
#define SIGRUN_ZERO_COPY 0
#endif

namespace sigrun {

enum class HandoffMode : std::uint32_t {
    copy = SIGRUN_HANDOFF_COPY,
    frame_ref = SIGRUN_HANDOFF_FRAME_REF,
};

// The mode this translation unit was built with; what signal_plugin_info
// reports in `handoff`.
inline constexpr HandoffMode build_handoff_mode = SIGRUN_ZERO_COPY ? HandoffMode::frame_ref : HandoffMode::copy;

// Copy handoff: a heap copy the engine owns outright.
template <class Message>
std::shared_ptr<const Message> copy_message(const void* data) {
    static_assert(std::is_trivially_copyable_v<Message> && std::is_standard_layout_v<Message>,
                  "handoff is for the C message structs of messages.h");
    return std::make_shared<const Message>(*static_cast<const Message*>(data));
}

// Deleter of a frame-ref shared_ptr: gives the frame back to the runner.
// Holds the host api pointer, which outlives the engine; the engine must drop
// every frame before signal_destroy returns (see engine.hpp), so this never
// runs against a destroyed host.
class FrameRelease {
public:
    explicit FrameRelease(const sigrun_host_api* api) noexcept : api_(api) {}
    void operator()(const void* data) const noexcept { api_->frame_release(api_->host_ctx, data); }

private:
    const sigrun_host_api* api_;
};

// Frame-ref handoff: retains the frame `data` points into, exactly once, and
// returns a pointer into the frame that releases it exactly once, when its
// last copy dies. Returns an empty pointer when the host cannot or will not
// retain (a copy-mode runner, a host without frame_retain); the caller
// decides what to do then. If allocating the control block throws, the
// shared_ptr constructor runs the deleter, so the retain is not leaked.
template <class Message>
std::shared_ptr<const Message> retain_frame(const Host& host, const void* data) {
    static_assert(std::is_trivially_copyable_v<Message> && std::is_standard_layout_v<Message>,
                  "handoff is for the C message structs of messages.h");
    if (!host.can_retain_frames()) {
        return {};
    }
    const sigrun_host_api* api = host.api();
    if (api->frame_retain(api->host_ctx, data) != 0) {
        return {};
    }
    return std::shared_ptr<const Message>(static_cast<const Message*>(data), FrameRelease(api));
}

// The handoff of one engine instance. One per handle, used only on the
// dispatch thread (the counter is not atomic for that reason).
template <HandoffMode Mode>
class Handoff {
public:
    explicit Handoff(Host host) noexcept : host_(host) {}

    static constexpr HandoffMode mode = Mode;

    // The message `data` points at, as the engine receives it. In frame_ref
    // mode a refused retain falls back to a heap copy (logged once per engine,
    // counted every time), so the engine still gets correct data; it just
    // costs a copy. Throws std::bad_alloc only.
    template <class Message>
    std::shared_ptr<const Message> take(const void* data) {
        if constexpr (Mode == HandoffMode::frame_ref) {
            if (auto frame = retain_frame<Message>(host_, data)) {
                return frame;
            }
            note_copy_fallback();
        }
        return copy_message<Message>(data);
    }

    // How many frame_ref handoffs became copies because the host refused the
    // retain. Always 0 in copy mode.
    std::uint64_t copy_fallbacks() const noexcept { return copy_fallbacks_; }

private:
    void note_copy_fallback() noexcept {
        if (copy_fallbacks_++ == 0) {
            host_.log(SIGRUN_LOG_WARN,
                      "sigrun SDK: the host refused frame_retain, so this frame-ref engine receives heap "
                      "copies instead (logged once; is the runner built with ENABLE_ZERO_COPY=ON?)");
        }
    }

    Host host_;
    std::uint64_t copy_fallbacks_ = 0;
};

}  // namespace sigrun

#endif  // SIGRUN_HANDOFF_HPP
