#include "sigrun/journal/pins.hpp"

#include <stdexcept>

#include "sigrun/journal/atomics.hpp"

namespace sigrun::journal {

Pins::Pins(std::shared_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {
    if (!mapping_ || !mapping_->writable()) {
        throw std::invalid_argument("journal::Pins needs the owner's writable mapping");
    }
}

// PROTOCOL.md, P1. Relaxed: the caller's gate (or the pin it holds) keeps
// the writer off this slot now; the release store that later moves the gate
// past the frame is what publishes this increment to the writer (its acquire
// load of the gate, G2), before it looks at the count (W1).
void Pins::add(std::uint64_t index) const noexcept {
    detail::ref(mapping_->slot(index).ref_count).fetch_add(1, std::memory_order_relaxed);
}

// PROTOCOL.md, P2. One locked instruction: the decrement itself. acq_rel:
// the release half orders our reads of the payload before the writer's
// acquire load of the count (W1) that sees it drop. A decrement from 0 (a
// double release, a bug in the caller) is undone at once; meanwhile the
// writer only sees a non-zero count and waits, never a freed slot.
bool Pins::release(std::uint64_t index) const noexcept {
    auto count = detail::ref(mapping_->slot(index).ref_count);
    if (count.fetch_sub(1, std::memory_order_acq_rel) == 0) [[unlikely]] {
        count.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    return true;
}

std::uint32_t Pins::count(std::uint64_t index) const noexcept {
    return detail::load(mapping_->slot(index).ref_count, std::memory_order_relaxed);
}

std::uint64_t Pins::pinned_slots() const noexcept {
    std::uint64_t pinned = 0;
    for (std::uint64_t i = 0; i < mapping_->geometry().capacity; ++i) {
        if (count(i) != 0) ++pinned;
    }
    return pinned;
}

// Relaxed loads throughout: a reading for a scrape, ordered with nothing.
// The sequence and gen_time of a pinned slot do not change while the pin is
// held (the writer claims a slot only at count 0, W1); read after a release
// they may be the next frame's, which only makes the oldest look younger.
PinScan Pins::scan() const noexcept {
    PinScan found;
    for (std::uint64_t i = 0; i < mapping_->geometry().capacity; ++i) {
        if (count(i) == 0) continue;
        ++found.pinned_slots;
        const FrameHeader& slot = mapping_->slot(i);
        const std::uint64_t sequence = detail::load(slot.sequence, std::memory_order_relaxed);
        if (sequence == 0 || (found.oldest_sequence != 0 && sequence >= found.oldest_sequence)) continue;
        found.oldest_sequence = sequence;
        found.oldest_gen_time = detail::load(slot.gen_time, std::memory_order_relaxed);
    }
    return found;
}

}  // namespace sigrun::journal
