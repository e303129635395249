// runner/src/dispatch_probe.hpp — what the dispatch thread is doing right
// now, published for the watchdog (is an engine stuck?) and the fatal-signal
// handler (which engine and frame was in flight when the process crashed).
//
// Written only by the dispatch thread, with relaxed stores of words no other
// thread writes: on x86 each is a plain `mov` to a line that stays in the
// dispatch core's cache — no locked instruction, no clock read per frame.
// Readers sample it: the watchdog every few milliseconds, the signal handler
// once (lock-free atomics are async-signal-safe to load).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sigrun/messages.h"

namespace sigrun::runner {

// Which entry point an engine call is (DispatchProbe::call).
enum class DispatchCall : std::int32_t { on_data = 0, on_timer = 1, on_start = 2, on_stop = 3 };

struct alignas(64) DispatchProbe {
    // Engine calls started so far. The watchdog calls a call stuck when this
    // word and `engine` read the same on two samples a deadline apart.
    std::atomic<std::uint64_t> calls{0};
    // The md frame being dispatched: sequence and message type.
    std::atomic<std::uint64_t> sequence{0};
    std::atomic<std::int32_t> type{0};
    // 1 + index (in the config's engine order) of the engine inside
    // signal_on_data now; 0 between calls.
    std::atomic<std::uint32_t> engine{0};
    // Hot swaps switched so far, the last one's engine (1 + index) and the
    // first md frame the new version got.
    std::atomic<std::uint64_t> swaps{0};
    std::atomic<std::uint64_t> last_swap_sequence{0};
    std::atomic<std::uint32_t> last_swap_engine{0};
    // Kernel thread id of the dispatch thread (0 before run()).
    std::atomic<int> dispatch_tid{0};
    // The entry point of the call in progress (a DispatchCall): on_data
    // unless enter_call() says otherwise, so the per-frame path stores
    // nothing more for it.
    std::atomic<std::int32_t> call{0};

    // Stores of a value only this thread writes: load + store, never an RMW.
    void begin_frame(std::uint64_t seq, std::int32_t msg_type) noexcept {
        sequence.store(seq, std::memory_order_relaxed);
        type.store(msg_type, std::memory_order_relaxed);
    }
    void enter(std::size_t index) noexcept {
        calls.store(calls.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        engine.store(static_cast<std::uint32_t>(index + 1), std::memory_order_relaxed);
    }
    void leave() noexcept { engine.store(0, std::memory_order_relaxed); }
    // A call other than signal_on_data (timers, start, stop: rare), watched
    // like one.
    void enter_call(std::size_t index, DispatchCall kind) noexcept {
        call.store(static_cast<std::int32_t>(kind), std::memory_order_relaxed);
        enter(index);
    }
    void leave_call() noexcept {
        leave();
        call.store(static_cast<std::int32_t>(DispatchCall::on_data), std::memory_order_relaxed);
    }
    void switched(std::size_t index, std::uint64_t first_live_sequence) noexcept {
        last_swap_sequence.store(first_live_sequence, std::memory_order_relaxed);
        last_swap_engine.store(static_cast<std::uint32_t>(index + 1), std::memory_order_relaxed);
        swaps.store(swaps.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
};

// The entry point's name for reports (static strings only: the fatal-signal
// handler uses it too).
inline const char* dispatch_call_name(std::int32_t call) noexcept {
    switch (static_cast<DispatchCall>(call)) {
        case DispatchCall::on_timer: return "signal_on_timer";
        case DispatchCall::on_start: return "signal_on_start";
        case DispatchCall::on_stop: return "signal_on_stop";
        default: return "signal_on_data";
    }
}

// "depth", "trade" or "unknown type" for messages (static strings only: the
// fatal-signal handler uses it too).
inline const char* message_type_name(std::int32_t type) noexcept {
    switch (type) {
        case SIGRUN_MSG_DEPTH: return "depth";
        case SIGRUN_MSG_TRADE: return "trade";
        default: return "unknown type";
    }
}

}  // namespace sigrun::runner
