// runner/src/dispatcher.hpp — the dispatch loop: md journal frames, in
// journal order, to every engine through signal_on_data.
//
// Owner mode (the runner writes md.journal itself): frames are read in place
// and the dispatcher's position is a gate on the md writer (registered by the
// runner), stored only after every engine ran for the frame — so its bytes
// cannot change under an engine even when the writer is fast and the ring
// small, at no atomic RMW per frame. Engines built for frame-ref handoff keep
// a frame by pinning it through EngineHost while the gate still covers it. External mode (another process owns md.journal):
// frames are copied out with the seqlock read into a private buffer, and
// engines cannot retain them (the SDK falls back to a copy).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "damaged_frame_log.hpp"
#include "dispatch_probe.hpp"
#include "engine_instance.hpp"
#include "frame_validation.hpp"
#include "rate_limited_log.hpp"
#include "relaxed_counter.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/journal/reader.hpp"

namespace sigrun::runner {

struct DispatchCounts {
    std::uint64_t depth = 0;
    std::uint64_t trade = 0;
    std::uint64_t rejected = 0;  // wrong length for its type, or unknown type
    std::uint64_t lost = 0;      // overwritten before the dispatcher read them
    std::uint64_t damaged = 0;   // failed the journal's checksum: never dispatched
};

// The dispatch thread's live counts, readable from any thread (metrics).
struct LiveDispatchCounts {
    RelaxedCounter depth, trade, rejected, lost, damaged;
    [[nodiscard]] DispatchCounts snapshot() const noexcept {
        return {depth.load(), trade.load(), rejected.load(), lost.load(), damaged.load()};
    }
};

// A replacement for one engine, prepared off the dispatch thread.
struct SwapPlan {
    std::size_t index = 0;                         // engine to replace
    std::unique_ptr<EngineInstance> replacement;   // created, not yet live
    bool carry_state = false;                      // snapshot old -> restore new at the switch
    std::uint64_t replayed_until = 0;              // warm-up fed frames < this; 0 = no warm-up
};

struct SwapOutcome {
    bool switched = false;
    std::string error;                             // why not, when !switched
    std::unique_ptr<EngineInstance> retired;       // the old engine, or the refused replacement
    std::uint64_t first_live_sequence = 0;         // first frame the new engine gets live
};

class Dispatcher {
public:
    // `reader` is positioned where dispatch starts. With a writable mapping
    // it reads pinned; otherwise it copies. `position_slot`, when given, is
    // where position() lives (the consumer cursor's word in its mapped file,
    // so the position is durable at no extra store); it is set to the
    // reader's position here. `pins`, when given, are the md journal's (the
    // engines' hosts retain frames through them): run() makes its thread their
    // pin thread, so a keep and a drop made during dispatch cost no locked
    // instruction (journal::Pins::PinThread).
    explicit Dispatcher(journal::Reader reader, std::atomic<std::uint64_t>* position_slot = nullptr,
                        const journal::Pins* pins = nullptr);

    // Engines are added before run() [load-thread].
    void add_engine(std::unique_ptr<EngineInstance> engine);

    // Dispatches until `stop` is set or every frame up to `end_sequence` has
    // been dispatched (the feed sets it when its source is exhausted).
    void run(const std::atomic<bool>& stop, const std::atomic<std::uint64_t>& end_sequence);

    // Next sequence to dispatch: every frame before it was handed to every
    // engine (and what they emitted for it published), or lost. Stored after
    // the engines ran, in both modes. In owner mode it is the md writer's gate
    // (journal::Writer::gate_on); the feed's back-pressure reads it too.
    [[nodiscard]] const std::atomic<std::uint64_t>& position() const noexcept { return position_; }

    // Names of the engines that hold a retained frame in `slot` [thread-safe].
    [[nodiscard]] std::vector<std::string> holders_of(std::uint64_t slot) const;

    // Switches engine `plan.index` to `plan.replacement` between two frames
    // (on the dispatch thread while run() is active, else right here).
    // Blocks until done, or until `*stop` is set before the dispatch thread
    // took the plan (then nothing changed and the outcome says why).
    // [thread-safe, one swap at a time]
    SwapOutcome swap(SwapPlan plan, const std::atomic<bool>* stop = nullptr);

    // What the dispatch thread is doing now (watchdog, fatal-signal report).
    [[nodiscard]] const DispatchProbe& probe() const noexcept { return probe_; }

    // Identity of the library engine `index` runs now. [thread-safe]
    [[nodiscard]] FileIdentity engine_identity(std::size_t index) const;
    [[nodiscard]] std::size_t engine_count() const;
    // True when engine `index` exports signal_snapshot for `state_version`. [thread-safe]
    [[nodiscard]] bool can_carry_state(std::size_t index, std::uint32_t state_version) const;
    // The plugin id (or name) of engine `index`'s running library. [thread-safe]
    [[nodiscard]] std::string engine_plugin_id(std::size_t index) const;

    // Time dispatch stood still for each switch (read once run() returned).
    [[nodiscard]] const LatencyHistogram& swap_pauses() const noexcept { return swap_pauses_; }

    [[nodiscard]] DispatchCounts counts() const noexcept { return counts_.snapshot(); }  // [thread-safe]
    [[nodiscard]] const std::vector<std::unique_ptr<EngineInstance>>& engines() const noexcept { return engines_; }
    // Calls `visit(engine)` for each live engine, under the lock a swap
    // takes, so from any thread (the metrics scrape). [thread-safe]
    template <class Visit>
    void for_each_engine(Visit&& visit) const {
        const std::lock_guard lock(engines_mutex_);
        for (const auto& e : engines_) visit(static_cast<const EngineInstance&>(*e));
    }
    // Destroys every engine (signal_destroy, frames released, dlclose).
    void destroy_engines();
    // The end of the run: signal_on_stop on every live engine, when run()
    // gave them signal_on_start. Call on the thread that ran run(), after it
    // returned and no swap can come any more. [dispatch-thread]
    void stop_engines();

private:
    bool dispatch_one();  // false when nothing was there
    void deliver(CurrentFrame& frame, std::uint32_t length);
    void skip_damaged(std::uint64_t sequence, std::uint64_t count);
    void apply_pending_swap();  // with swap_mutex_ held
    void fire_timers(const CurrentFrame& frame);
    void update_timer_due() noexcept;

    journal::Reader reader_;
    const journal::Pins* pins_;  // the md journal's, or null (run() is their pin thread)
    bool pinned_;
    std::vector<std::unique_ptr<EngineInstance>> engines_;
    mutable std::mutex engines_mutex_;  // guards engines_ against readers on other threads
    std::atomic<std::uint64_t> own_position_{0};  // position_ when no slot was given
    std::atomic<std::uint64_t>& position_;
    LiveDispatchCounts counts_;
    DamagedFrameLog damaged_log_;
    RateLimit rejected_log_;
    RateLimit lapped_log_;
    DispatchProbe probe_;
    // Every kLatencySample-th frame, the engine calls are timed (one clock
    // read per engine plus one): latency histograms without a clock read on
    // every call.
    static constexpr std::uint64_t kLatencySample = 32;
    std::uint64_t rounds_ = 0;
    // The earliest TimerSchedule::due() of all engines (kNever when none has
    // a timer): one compare per frame decides whether any timer is due.
    std::int64_t timer_due_ = TimerSchedule::kNever;
    bool started_ = false;  // run() called signal_on_start [dispatch-thread]

    // Swap hand-over between the swapper and the dispatch thread.
    std::mutex swap_mutex_;
    std::condition_variable swap_cv_;
    std::optional<SwapPlan> pending_;
    std::optional<SwapOutcome> outcome_;
    std::atomic<bool> swap_pending_{false};
    bool running_ = false;  // guarded by swap_mutex_
    LatencyHistogram swap_pauses_;
    // External mode's private copy of one frame; 64-byte aligned like a slot.
    struct alignas(64) Buffer {
        std::array<std::byte, journal::kMaxSlotSize> bytes;
    };
    std::unique_ptr<Buffer> buffer_;
};

}  // namespace sigrun::runner
