#include "sigrun/journal/pins.hpp"

#include <stdexcept>

#include "sigrun/journal/atomics.hpp"

namespace sigrun::journal {

Pins::Pins(std::shared_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {
    if (!mapping_ || !mapping_->writable()) {
        throw std::invalid_argument("journal::Pins needs the owner's writable mapping");
    }
}

bool Pins::retain(std::uint64_t sequence) const noexcept {
    FrameHeader& slot = mapping_->slot(mapping_->geometry().slot_index(sequence));
    auto count = detail::ref(slot.ref_count);
    // Increment first, then look: pairs with the writer's claim CAS
    // (0 -> kWriting). Either the writer's CAS saw our pin and will wait, or
    // we see its mark here and back off; both cannot win.
    const std::uint32_t before = count.fetch_add(1, std::memory_order_acquire);
    if ((before & kWriting) != 0) {
        // The writer owns the slot. Undo our increment with an RMW so the
        // mark beside it survives (never a store).
        count.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    // The slot may have been rewritten between the caller choosing
    // `sequence` and our increment: re-validate. Acquire pairs with the
    // writer's release store of the sequence, so the payload we will read is
    // the one published with it.
    if (detail::load(slot.sequence, std::memory_order_acquire) != sequence) {
        count.fetch_sub(1, std::memory_order_release);
        return false;
    }
    return true;
}

void Pins::retain_held(std::uint64_t index) const noexcept {
    detail::ref(mapping_->slot(index).ref_count).fetch_add(1, std::memory_order_relaxed);
}

bool Pins::release(std::uint64_t index) const noexcept {
    auto count = detail::ref(mapping_->slot(index).ref_count);
    std::uint32_t current = count.load(std::memory_order_relaxed);
    do {
        if ((current & kPinMask) == 0) return false;  // nothing to release: caller bug
        // acq_rel: release orders our reads of the payload before the
        // writer's claim CAS (acquire) that may follow the last release.
    } while (!count.compare_exchange_weak(current, current - 1, std::memory_order_acq_rel,
                                          std::memory_order_relaxed));
    return true;
}

std::uint32_t Pins::count(std::uint64_t index) const noexcept {
    return detail::load(mapping_->slot(index).ref_count, std::memory_order_relaxed) & kPinMask;
}

std::uint64_t Pins::pinned_slots() const noexcept {
    std::uint64_t pinned = 0;
    for (std::uint64_t i = 0; i < mapping_->geometry().capacity; ++i) {
        if (count(i) != 0) ++pinned;
    }
    return pinned;
}

}  // namespace sigrun::journal
