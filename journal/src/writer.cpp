#include "sigrun/journal/writer.hpp"

#include <time.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/checksum.hpp"

namespace sigrun::journal {
namespace {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

}  // namespace

Writer::Writer(const std::filesystem::path& path, WriterOptions options)
    : mapping_(Mapping::open_owner(path, options.geometry)), options_(options) {
    recover();
}

Writer::~Writer() {
    if (claim_open_) {
        // An abandoned claim: the slot stays empty (sequence 0); drop the mark
        // so the slot can be claimed again after a reopen.
        const auto index = mapping_->geometry().slot_index(next_sequence_);
        detail::ref(mapping_->slot(index).ref_count).fetch_and(~kWriting, std::memory_order_release);
    }
}

// PROTOCOL.md, "Recovery". Runs before this owner publishes anything, while
// the flock guarantees no other writer exists; readers may be mapped.
void Writer::recover() {
    const Geometry& g = mapping_->geometry();
    std::uint64_t max_sequence = 0;
    for (std::uint64_t i = 0; i < g.capacity; ++i) {
        FrameHeader& slot = mapping_->slot(i);
        const std::uint32_t refs = detail::load(slot.ref_count, std::memory_order_acquire);
        if (refs != 0) {
            // Only the owner pins, and the previous owner is gone (we hold the
            // flock): whatever is here is stale.
            recovery_.stale_pins_cleared += refs & kPinMask;
            detail::store(slot.ref_count, std::uint32_t{0}, std::memory_order_relaxed);
        }
        const std::uint64_t sequence = detail::load(slot.sequence, std::memory_order_acquire);
        if (sequence == kNoSequence) {
            if ((refs & kWriting) != 0) ++recovery_.frames_discarded;  // died mid-write
            continue;
        }
        const std::uint32_t length = slot.length;
        const bool intact =
            sequence <= kMaxSequence && g.slot_index(sequence) == i && length <= g.max_payload() &&
            frame_checksum(sequence, length, slot.msg_type, slot.gen_time, slot.trigger_time,
                           mapping_->payload(i)) == slot.checksum;
        if (!intact) {
            detail::store(slot.sequence, kNoSequence, std::memory_order_release);
            ++recovery_.frames_discarded;
            continue;
        }
        max_sequence = std::max(max_sequence, sequence);
    }
    for (std::uint64_t i = 0; i < g.capacity; ++i) {
        const std::uint64_t sequence = detail::load(mapping_->slot(i).sequence, std::memory_order_relaxed);
        if (sequence == kNoSequence) continue;
        if (max_sequence >= g.capacity && sequence <= max_sequence - g.capacity) {
            detail::store(mapping_->slot(i).sequence, kNoSequence, std::memory_order_release);
            ++recovery_.frames_discarded;
        } else {
            ++recovery_.frames_intact;
        }
    }
    recovery_.last_sequence = max_sequence;
    next_sequence_ = max_sequence + 1;
    if (max_sequence != 0) last_gen_time_ = mapping_->slot(g.slot_index(max_sequence)).gen_time;
    detail::store(mapping_->header().last_sequence, max_sequence, std::memory_order_release);
}

std::int64_t Writer::next_gen_time(std::int64_t supplied) noexcept {
    std::int64_t now = supplied;
    if (now == 0) {
        timespec ts{};
        ::clock_gettime(CLOCK_REALTIME, &ts);
        now = ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
    }
    // Non-decreasing, so that readers can seek by time with a binary search
    // even if the wall clock steps back.
    last_gen_time_ = std::max(last_gen_time_, now);
    return last_gen_time_;
}

// PROTOCOL.md, "Writing a frame", steps 1-2.
void Writer::acquire_slot(std::uint64_t index, std::uint64_t sequence) {
    FrameHeader& slot = mapping_->slot(index);
    auto refs = detail::ref(slot.ref_count);
    std::uint32_t expected = 0;
    // Acquire pairs with the acq_rel decrement of the last pin holder: their
    // reads of the old payload happen before our overwrite.
    if (!refs.compare_exchange_strong(expected, kWriting, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        ++pin_waits_.waits;
        const auto start = std::chrono::steady_clock::now();
        for (unsigned spins = 0;; ++spins) {
            expected = 0;
            if (refs.compare_exchange_weak(expected, kWriting, std::memory_order_acquire,
                                           std::memory_order_relaxed)) {
                break;
            }
            const auto waited = std::chrono::steady_clock::now() - start;
            if (waited > options_.pin_timeout) {
                ++pin_waits_.timeouts;
                pin_waits_.longest = std::max<std::chrono::nanoseconds>(pin_waits_.longest, waited);
                const std::uint64_t held = detail::load(slot.sequence, std::memory_order_relaxed);
                throw PinTimeoutError(
                    fmt::format("journal {}: cannot write frame {}: the frame it replaces ({}) is "
                                "still pinned by {} reference(s) after {} ms; release it (an "
                                "engine holding frames too long?) or raise the pin timeout",
                                mapping_->path().string(), sequence, held, expected & kPinMask,
                                std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()),
                    held, expected & kPinMask);
            }
            if (spins < 128) {
                cpu_relax();
            } else if (spins < 256) {
                std::this_thread::yield();
            } else {
                std::this_thread::sleep_for(std::chrono::microseconds(50));
            }
        }
        pin_waits_.longest = std::max<std::chrono::nanoseconds>(
            pin_waits_.longest, std::chrono::steady_clock::now() - start);
    }
    // Invalidate before touching the payload: a seqlock reader that copies
    // any byte we write afterwards sees the sequence change on its re-check.
    detail::store(slot.sequence, kNoSequence, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
}

// PROTOCOL.md, "Writing a frame", steps 4-6.
std::uint64_t Writer::publish(std::uint64_t index, std::uint64_t sequence, std::int32_t msg_type,
                              std::uint32_t length, std::int64_t trigger_time,
                              const void* checksum_source, std::int64_t supplied_gen_time) {
    FrameHeader& slot = mapping_->slot(index);
    const std::int64_t gen_time = next_gen_time(supplied_gen_time);
    detail::store(slot.length, length, std::memory_order_relaxed);
    detail::store(slot.msg_type, msg_type, std::memory_order_relaxed);
    detail::store(slot.gen_time, gen_time, std::memory_order_relaxed);
    detail::store(slot.trigger_time, trigger_time, std::memory_order_relaxed);
    detail::store(slot.checksum,
                  frame_checksum(sequence, length, msg_type, gen_time, trigger_time, checksum_source),
                  std::memory_order_relaxed);
    // The publication point: everything above happens-before any reader that
    // acquire-loads this sequence.
    detail::store(slot.sequence, sequence, std::memory_order_release);
    // Clear only our mark: a reader's transient increment may sit beside it.
    detail::ref(slot.ref_count).fetch_and(~kWriting, std::memory_order_release);
    detail::store(mapping_->header().last_sequence, sequence, std::memory_order_release);
    next_sequence_ = sequence + 1;
    return sequence;
}

void Writer::Claim::copy_in(std::size_t offset, std::span<const std::byte> bytes) const {
    if (offset > length_ || bytes.size() > length_ - offset) {
        throw std::out_of_range(fmt::format("journal::Writer::Claim::copy_in: {} bytes at {} overrun a {}-byte frame",
                                            bytes.size(), offset, length_));
    }
    detail::racy_copy_in(payload_ + offset, bytes.data(), bytes.size());
}

std::uint64_t Writer::write(std::int32_t msg_type, std::span<const std::byte> payload,
                            std::int64_t trigger_time, std::int64_t gen_time) {
    const Claim c = claim(msg_type, static_cast<std::uint32_t>(
                                        std::min<std::size_t>(payload.size(), UINT32_MAX)));
    c.copy_in(0, payload);
    claim_open_ = false;
    return publish(c.index_, c.sequence_, c.msg_type_, static_cast<std::uint32_t>(payload.size()),
                   trigger_time, payload.data(), gen_time);
}

Writer::Claim Writer::claim(std::int32_t msg_type, std::uint32_t length) {
    if (claim_open_) throw std::logic_error("journal::Writer: claim() while another claim is open");
    const Geometry& g = mapping_->geometry();
    if (length > g.max_payload()) {
        throw JournalError(ErrorKind::payload_too_large,
                           fmt::format("journal {}: a frame of {} bytes does not fit its slots "
                                       "(at most {} payload bytes); raise the slot size",
                                       mapping_->path().string(), length, g.max_payload()));
    }
    const std::uint64_t sequence = next_sequence_;
    const std::uint64_t index = g.slot_index(sequence);
    acquire_slot(index, sequence);
    claim_open_ = true;
    Claim c;
    c.payload_ = mapping_->payload(index);
    c.length_ = length;
    c.sequence_ = sequence;
    c.index_ = index;
    c.msg_type_ = msg_type;
    return c;
}

std::uint64_t Writer::commit(const Claim& c, std::int64_t trigger_time) {
    if (!claim_open_ || c.sequence_ != next_sequence_) {
        throw std::logic_error("journal::Writer: commit() without a matching claim()");
    }
    claim_open_ = false;
    return publish(c.index_, c.sequence_, c.msg_type_, c.length_, trigger_time, c.payload_);
}

}  // namespace sigrun::journal
