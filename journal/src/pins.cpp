#include "sigrun/journal/pins.hpp"

#include <stdexcept>

#include "sigrun/journal/atomics.hpp"

namespace sigrun::journal {

constinit thread_local const Pins* detail::pin_thread_of = nullptr;

Pins::Pins(std::shared_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {
    if (!mapping_ || !mapping_->writable()) {
        throw std::invalid_argument("journal::Pins needs the owner's writable mapping");
    }
}

// PROTOCOL.md, P1 and P2: add and release are inline in pins.hpp. The
// pin thread's plain stores are safe because it is the only thread storing
// to pin_adds / pin_drops; the acq_rel exchange below hands the role (and
// with it those two counters) from one thread to the next.
Pins::PinThread::PinThread(const Pins& pins) {
    if (detail::pin_thread_of == &pins) return;  // nested: this thread already is
    if (detail::pin_thread_of != nullptr) {
        throw std::logic_error("journal::Pins::PinThread: this thread already is another journal's pin thread");
    }
    if (pins.bound_.exchange(true, std::memory_order_acq_rel)) {
        throw std::logic_error("journal::Pins::PinThread: another thread is already the pin thread of " +
                               pins.mapping_->path().string());
    }
    detail::pin_thread_of = &pins;
    bound_ = &pins;
}

Pins::PinThread::~PinThread() {
    if (bound_ == nullptr) return;
    detail::pin_thread_of = nullptr;
    bound_->bound_.store(false, std::memory_order_release);
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
