// sigrun/journal/pins.hpp — frame pinning: keeping a frame from being
// overwritten after its reader has moved on (an engine keeping a frame).
//
// Only the journal's owner (the process holding the writer) pins, through
// its writable Mapping; tools and other processes never do, so a crashed
// reader cannot leave a pin that stalls the writer, and the owner clears
// stale pins when it reopens the journal. See PROTOCOL.md, "Gating and pins".
//
// A slot's pin count is four counters in its header (format.hpp): one pair
// that only the owner's *pin thread* writes, with plain stores, and one pair
// that any other thread of the owner changes with an atomic read-modify-write.
// The pin thread is the one thread that takes nearly every pin (the runner's
// dispatch thread: an engine keeping the frame of its call, and dropping the
// one it kept before), so a keep and its drop cost two ordinary stores
// instead of two locked instructions (PROTOCOL.md, P1-P4).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/mapping.hpp"

namespace sigrun::journal {

// Pins on `slot` right now: its adds minus its drops. The drops are loaded
// first, with acquire (pairing with the drops' release stores: a holder's
// reads of the payload happen before anything the caller does next), and
// the adds after them: every add whose pin was already dropped is then seen,
// so the result is never below the true count at the moment the drops were
// read, and 0 means nobody held the frame then (PROTOCOL.md, W1). [any thread]
[[nodiscard]] inline std::uint32_t pins_on(const FrameHeader& slot) noexcept {
    const std::uint32_t shared_drops = detail::load(slot.shared_pin_drops, std::memory_order_acquire);
    const std::uint32_t drops = detail::load(slot.pin_drops, std::memory_order_acquire);
    const std::uint32_t shared_adds = detail::load(slot.shared_pin_adds, std::memory_order_relaxed);
    const std::uint32_t adds = detail::load(slot.pin_adds, std::memory_order_relaxed);
    return (adds + shared_adds) - (drops + shared_drops);
}

// What one pass over the slots found (Pins::scan).
struct PinScan {
    std::uint64_t pinned_slots = 0;     // slots with at least one pin
    std::uint64_t oldest_sequence = 0;  // lowest sequence among them; 0 when none is pinned
    std::int64_t oldest_gen_time = 0;   // that frame's gen_time: when the writer wrote it (ns)
};

class Pins;

namespace detail {
// The Pins whose pin thread the calling thread is (Pins::PinThread), or null.
extern constinit thread_local const Pins* pin_thread_of;
}  // namespace detail

class Pins {
public:
    // `mapping` must be writable (the owner's).
    explicit Pins(std::shared_ptr<Mapping> mapping);
    Pins(const Pins&) = delete;
    Pins& operator=(const Pins&) = delete;

    // Makes the calling thread this journal's pin thread while it lives: add
    // and release made on it then change the slot's pin_adds / pin_drops with
    // plain stores instead of a locked instruction. At most one thread is
    // the pin thread at a time; the role passes on when the scope ends
    // (acq_rel on bound_, so the next pin thread sees every store of the
    // last). A scope opened on the thread that already is the pin thread is
    // a no-op (the runner's dispatch loop inside a benchmark's own scope).
    // Throws std::logic_error when another thread is the pin thread, or
    // this thread already is another journal's. Must not outlive `pins`.
    // [owner thread]
    class PinThread {
    public:
        explicit PinThread(const Pins& pins);
        ~PinThread();
        PinThread(const PinThread&) = delete;
        PinThread& operator=(const PinThread&) = delete;

    private:
        const Pins* bound_ = nullptr;  // null when nested in a scope of the same Pins
    };

    // Adds one pin to the slot at `index`. Allowed only while the writer
    // cannot be overwriting that slot: the frame in it is still covered by
    // the caller's gate (sequence >= the gate the caller registered with
    // Writer::gate_on, and the gate is moved past the frame only afterwards),
    // or the caller already holds a pin on it. Under that rule no check of
    // the slot is needed (PROTOCOL.md, P1). [any thread of the owner]
    // On the pin thread one plain store (pin_adds, relaxed); elsewhere one
    // locked instruction (a relaxed fetch_add of shared_pin_adds).
    void add(std::uint64_t index) const noexcept {
        FrameHeader& slot = mapping_->slot(index);
        count_one(slot.pin_adds, slot.shared_pin_adds, std::memory_order_relaxed);
    }

    // Drops one pin from the slot at `index`; the pin may have been added on
    // any thread. Returns false (and changes nothing) when the slot has no
    // pin: a double release, a bug in the caller (a real pin is never
    // refused: pins_on's reading order). Release order: the holder's reads
    // of the payload happen before the writer's acquire load that sees the
    // drop (PROTOCOL.md, P2). [any thread of the owner] On the pin thread
    // one plain store (pin_drops, release); elsewhere one locked instruction
    // (a release fetch_add of shared_pin_drops).
    bool release(std::uint64_t index) const noexcept {
        if (count(index) == 0) [[unlikely]] return false;
        drop(index);
        return true;
    }

    // release() without the check, for a caller that counts the pins it
    // holds itself and so knows it holds one here (the runner's EngineHost
    // counts each engine's pins per slot): four loads fewer on every drop of
    // a kept frame. Dropping a pin nobody holds corrupts the count.
    void drop(std::uint64_t index) const noexcept {
        FrameHeader& slot = mapping_->slot(index);
        count_one(slot.pin_drops, slot.shared_pin_drops, std::memory_order_release);
    }

    // Pins currently on the slot at `index` (pins_on). [any thread]
    [[nodiscard]] std::uint32_t count(std::uint64_t index) const noexcept { return pins_on(mapping_->slot(index)); }

    // Slots that carry at least one pin right now.
    [[nodiscard]] std::uint64_t pinned_slots() const noexcept;

    // Slots that carry a pin right now and the oldest frame among them, in
    // one pass over every slot (for a metrics scrape, not the hot path).
    // [any thread of the owner] A pin released during the pass may be
    // counted or not, and its slot's fields may already be the next
    // frame's (younger): never an older frame than one really pinned.
    [[nodiscard]] PinScan scan() const noexcept;

    [[nodiscard]] const std::shared_ptr<Mapping>& mapping() const noexcept { return mapping_; }

private:
    // One more on `own` (the pin thread's counter: a plain load and store,
    // only that thread writes it) or, on any other thread, on `shared` (an
    // atomic increment), stored with `order`.
    void count_one(std::uint32_t& own, std::uint32_t& shared, std::memory_order order) const noexcept {
        if (detail::pin_thread_of == this) [[likely]] {
            detail::store(own, detail::load(own, std::memory_order_relaxed) + 1, order);
        } else {
            detail::ref(shared).fetch_add(1, order);
        }
    }

    std::shared_ptr<Mapping> mapping_;
    mutable std::atomic<bool> bound_{false};  // some thread is the pin thread (PinThread)
};

}  // namespace sigrun::journal
