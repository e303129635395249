#include "sigrun/journal/writer.hpp"

#include <time.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/checksum.hpp"
#include "sigrun/journal/pins.hpp"

#include "checksum_inline.hpp"

namespace sigrun::journal {
namespace {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// The writer's wait: spin, then yield, then sleep (the pin and gate waits).
void back_off(unsigned spins) {
    if (spins < 128) {
        cpu_relax();
    } else if (spins < 256) {
        std::this_thread::yield();
    } else {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

void note_wait(WaitStats& stats, std::chrono::steady_clock::duration waited) {
    stats.longest = std::max<std::chrono::nanoseconds>(stats.longest, waited);
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) noexcept {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

long long as_ms(std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

Writer::Writer(const std::filesystem::path& path, WriterOptions options)
    : mapping_(Mapping::open_owner(path, options.geometry)), options_(options) {
    const Geometry& g = mapping_->geometry();
    ring_ = reinterpret_cast<std::byte*>(&mapping_->slot(0));
    slot_size_ = g.slot_size;
    index_mask_ = g.capacity - 1;
    hint_mask_ = std::min<std::uint64_t>(kHintInterval, g.capacity) - 1;
    prefetch_ahead_ = g.capacity >= 4 * kPrefetchAhead ? kPrefetchAhead : 0;
    max_payload_ = g.max_payload();
    // A file this mapping just created holds nothing to recover.
    if (!mapping_->created()) recover();
}

Writer::~Writer() {
    // An abandoned claim leaves its slot at sequence 0 (W2): the frame it
    // held is lost, nothing else to undo.
    flush_hint();
}

void Writer::flush_hint() noexcept {
    // Release pairs with the acquire load in last_published(): a reader that
    // sees the hint also sees every frame up to it published.
    detail::store(mapping_->header().last_sequence_hint, next_sequence_ - 1, std::memory_order_release);
}

// PROTOCOL.md, "Recovery". Runs before this owner publishes anything, while
// the flock guarantees no other writer exists; readers may be mapped.
void Writer::recover() {
    const Geometry& g = mapping_->geometry();
    std::uint64_t max_sequence = 0;
    for (std::uint64_t i = 0; i < g.capacity; ++i) {
        FrameHeader& slot = mapping_->slot(i);
        // Only the owner pins, and the previous owner is gone (we hold the
        // flock): whatever is here is stale. All four counters go back to 0
        // (their difference is what counts, but a new owner starts clean).
        recovery_.stale_pins_cleared += pins_on(slot);
        for (std::uint32_t* counter : {&slot.pin_adds, &slot.pin_drops, &slot.shared_pin_adds, &slot.shared_pin_drops}) {
            if (detail::load(*counter, std::memory_order_relaxed) != 0) {
                detail::store(*counter, std::uint32_t{0}, std::memory_order_relaxed);
            }
        }
        const std::uint64_t sequence = detail::load(slot.sequence, std::memory_order_acquire);
        if (sequence == kNoSequence) continue;  // empty, or invalidated mid-write (W2)
        const std::uint32_t length = slot.length;
        const bool intact =
            sequence <= kMaxSequence && g.slot_index(sequence) == i && length <= g.max_payload() &&
            frame_checksum(sequence, length, slot.msg_type, slot.gen_time, slot.trigger_time,
                           mapping_->payload(i)) == slot.checksum;
        if (!intact) {
            detail::store(slot.sequence, kNoSequence, std::memory_order_release);
            if (recovery_.frames_damaged++ == 0) recovery_.first_damaged_slot = i;
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
            ++recovery_.frames_stale;
            ++recovery_.frames_discarded;
        } else {
            ++recovery_.frames_intact;
        }
    }
    recovery_.last_sequence = max_sequence;
    next_sequence_ = max_sequence + 1;
    if (max_sequence != 0) last_gen_time_ = mapping_->slot(g.slot_index(max_sequence)).gen_time;
    // The hint may have been anything (damaged, ahead of what survived):
    // from now on it is the last intact frame.
    flush_hint();
}

std::int64_t Writer::next_gen_time(std::int64_t supplied) noexcept {
    std::int64_t now = supplied;
    if (now == 0) {
        timespec ts{};
        ::clock_gettime(CLOCK_REALTIME, &ts);
        now = ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
    }
    // Non-decreasing, so that readers can seek by time with a binary search
    // even if the wall clock steps back (or a caller supplies an older time).
    last_gen_time_ = std::max(last_gen_time_, now);
    return last_gen_time_;
}

void Writer::gate_on(const std::atomic<std::uint64_t>& next_to_read) {
    const std::uint64_t gate = next_to_read.load(std::memory_order_acquire);
    const std::uint64_t capacity = index_mask_ + 1;
    if (last_sequence() >= saturating_add(gate, capacity)) {
        throw std::logic_error(fmt::format(
            "journal {}: gate_on at sequence {} but the writer already overwrote it (last "
            "sequence {}); register the gate before the writer starts",
            mapping_->path().string(), gate, last_sequence()));
    }
    gates_.push_back(&next_to_read);
    gate_limit_ = saturating_add(min_gate(), capacity);
}

// G2: every gate, acquire (pairs with the consumer's release store of its
// position, which follows its pins on frames below it).
std::uint64_t Writer::min_gate() const noexcept {
    std::uint64_t lowest = UINT64_MAX;
    for (const auto* gate : gates_) lowest = std::min(lowest, gate->load(std::memory_order_acquire));
    return std::max<std::uint64_t>(lowest, 1);  // sequences start at 1: a gate at 0 holds nothing more
}

// PROTOCOL.md, G1-G3: writing `sequence` overwrites sequence - capacity,
// which every gate must have passed.
void Writer::wait_for_gates(std::uint64_t sequence) {
    const std::uint64_t capacity = index_mask_ + 1;
    gate_limit_ = saturating_add(min_gate(), capacity);
    if (sequence < gate_limit_) return;
    flush_hint();  // about to stand still: let readers see everything up to here
    ++gate_waits_.waits;
    const auto start = std::chrono::steady_clock::now();
    for (unsigned spins = 0;; ++spins) {
        back_off(spins);
        gate_limit_ = saturating_add(min_gate(), capacity);
        if (sequence < gate_limit_) break;
        const auto waited = std::chrono::steady_clock::now() - start;
        if (waited > options_.pin_timeout) {
            ++gate_waits_.timeouts;
            note_wait(gate_waits_, waited);
            throw JournalError(
                ErrorKind::gate_timeout,
                fmt::format("journal {}: cannot write frame {}: it would overwrite frame {}, which "
                            "a gating consumer has not finished (its position is {}) after {} ms; "
                            "make that consumer keep up (a stuck dispatcher or engine?) or raise "
                            "the pin timeout",
                            mapping_->path().string(), sequence, sequence - capacity,
                            gate_limit_ - capacity, as_ms(waited)));
        }
    }
    note_wait(gate_waits_, std::chrono::steady_clock::now() - start);
}

// PROTOCOL.md, W1 when the count is not 0: wait for the pins to go.
void Writer::wait_for_pins(FrameHeader& slot, std::uint64_t sequence) {
    flush_hint();
    ++pin_waits_.waits;
    const auto start = std::chrono::steady_clock::now();
    for (unsigned spins = 0;; ++spins) {
        back_off(spins);
        const std::uint32_t pins = pins_on(slot);
        if (pins == 0) break;
        const auto waited = std::chrono::steady_clock::now() - start;
        if (waited > options_.pin_timeout) {
            ++pin_waits_.timeouts;
            note_wait(pin_waits_, waited);
            const std::uint64_t held = detail::load(slot.sequence, std::memory_order_relaxed);
            throw PinTimeoutError(
                fmt::format("journal {}: cannot write frame {}: the frame it replaces ({}) is "
                            "still pinned by {} reference(s) after {} ms; release it (an "
                            "engine holding frames too long?) or raise the pin timeout",
                            mapping_->path().string(), sequence, held, pins, as_ms(waited)),
                held, pins);
        }
    }
    note_wait(pin_waits_, std::chrono::steady_clock::now() - start);
}

// PROTOCOL.md, "Writing a frame", G1 and W1-W2.
FrameHeader& Writer::begin_frame(std::uint64_t sequence) {
    // G1: the cached gate minimum; reads nothing shared unless about to pass it.
    if (sequence >= gate_limit_) [[unlikely]] wait_for_gates(sequence);
    FrameHeader& slot = slot_of(sequence);
    // W1: pins_on's acquire loads of the drops pair with the release of the
    // last pin holders (their reads of the old payload happen before our
    // overwrite) and, via G2, the gate stores published the pins added under
    // the gate. Four loads of the line W2 writes next.
    if (pins_on(slot) != 0) [[unlikely]] {
        wait_for_pins(slot, sequence);
    }
    // W2: invalidate before touching the payload: a seqlock reader that
    // copies any byte we write afterwards sees the sequence change on its
    // re-check (the fence pairs with the reader's acquire fence, R5).
    detail::store(slot.sequence, kNoSequence, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    return slot;
}

// PROTOCOL.md, "Writing a frame", W4.
void Writer::store_fields(FrameHeader& slot, std::uint32_t length, std::int32_t msg_type, std::int64_t gen_time,
                          std::int64_t trigger_time, std::uint64_t checksum) noexcept {
    detail::store(slot.length, length, std::memory_order_relaxed);
    detail::store(slot.msg_type, msg_type, std::memory_order_relaxed);
    detail::store(slot.gen_time, gen_time, std::memory_order_relaxed);
    detail::store(slot.trigger_time, trigger_time, std::memory_order_relaxed);
    detail::store(slot.checksum, checksum, std::memory_order_relaxed);
}

// PROTOCOL.md, "Writing a frame", W5-W6, then W7.
std::uint64_t Writer::publish(FrameHeader& slot, std::uint64_t sequence, std::uint32_t length) noexcept {
    // W5, the publication point: everything above happens-before any reader
    // that acquire-loads this sequence.
    detail::store(slot.sequence, sequence, std::memory_order_release);
    next_sequence_ = sequence + 1;
    // W6: the hint, every kHintInterval frames (a plain store on x86).
    if ((sequence & hint_mask_) == 0) {
        detail::store(mapping_->header().last_sequence_hint, sequence, std::memory_order_release);
    }
    // W7: ask for the lines of the slot a few frames on, for writing, now:
    // a reader last read them a lap ago, so they sit in its cache and the
    // writer's first store to each would otherwise wait for the other CPU
    // (a load miss on the pin counters at W1, then an ownership request per line).
    // Never the slot a caught-up reader polls (the next one). A hint only.
    if (prefetch_ahead_ != 0) {
        const auto* ahead = reinterpret_cast<const char*>(&slot_of(sequence + prefetch_ahead_));
        const std::uint64_t lines = (sizeof(FrameHeader) + length + kCacheLine - 1) / kCacheLine;
        for (std::uint64_t l = 0; l < lines; ++l) detail::prefetch_for_write(ahead + l * kCacheLine);
    }
    return sequence;
}

void Writer::check_length(std::uint32_t length) const {
    if (length > max_payload_) [[unlikely]] {
        throw JournalError(ErrorKind::payload_too_large,
                           fmt::format("journal {}: a frame of {} bytes does not fit its slots "
                                       "(at most {} payload bytes); raise the slot size",
                                       mapping_->path().string(), length, max_payload_));
    }
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
    if (claim_open_) throw std::logic_error("journal::Writer: write() while a claim is open");
    const auto length = static_cast<std::uint32_t>(std::min<std::size_t>(payload.size(), UINT32_MAX));
    check_length(length);
    const std::uint64_t sequence = next_sequence_;
    // W4a: the time and the checksum (over the caller's buffer) before the
    // slot is touched, so that between W2 and W5 — while a reader polling
    // the slot sees 0 — there are only stores.
    gen_time = next_gen_time(gen_time);
    const std::uint64_t checksum =
        detail::frame_checksum_inline(sequence, length, msg_type, gen_time, trigger_time, payload.data());
    FrameHeader& slot = begin_frame(sequence);
    // W4 right after W2: the header line is written in one burst.
    store_fields(slot, length, msg_type, gen_time, trigger_time, checksum);
    // W3: relaxed atomic stores: a lapped reader may be copying these bytes.
    detail::racy_copy_in(reinterpret_cast<std::byte*>(&slot) + sizeof(FrameHeader), payload.data(), length);
    return publish(slot, sequence, length);
}

Writer::Claim Writer::claim(std::int32_t msg_type, std::uint32_t length) {
    if (claim_open_) throw std::logic_error("journal::Writer: claim() while another claim is open");
    check_length(length);
    const std::uint64_t sequence = next_sequence_;
    FrameHeader& slot = begin_frame(sequence);
    claim_open_ = true;
    Claim c;
    c.payload_ = reinterpret_cast<std::byte*>(&slot) + sizeof(FrameHeader);
    c.length_ = length;
    c.sequence_ = sequence;
    c.index_ = mapping_->geometry().slot_index(sequence);
    c.msg_type_ = msg_type;
    return c;
}

std::uint64_t Writer::commit(const Claim& c, std::int64_t trigger_time, std::int64_t gen_time) {
    if (!claim_open_ || c.sequence_ != next_sequence_) {
        throw std::logic_error("journal::Writer: commit() without a matching claim()");
    }
    claim_open_ = false;
    FrameHeader& slot = mapping_->slot(c.index_);
    gen_time = next_gen_time(gen_time);
    // W4 after the payload: the checksum reads the slot (only this thread writes it).
    store_fields(slot, c.length_, c.msg_type_, gen_time, trigger_time,
                 detail::frame_checksum_inline(c.sequence_, c.length_, c.msg_type_, gen_time, trigger_time,
                                               c.payload_));
    return publish(slot, c.sequence_, c.length_);
}

}  // namespace sigrun::journal
