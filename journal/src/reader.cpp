#include "sigrun/journal/reader.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"

namespace sigrun::journal {

// PROTOCOL.md, "Where the journal ends" (L1-L3).
std::uint64_t last_published(const Mapping& mapping, std::uint64_t at_least) noexcept {
    const Geometry& g = mapping.geometry();
    // L1: acquire pairs with the writer's release store of the hint, which
    // follows the publication of every frame up to it. Clamped: a damaged
    // header near 2^64 must not make `+ 1` wrap (kMaxSequence).
    std::uint64_t hint = std::min(detail::load(mapping.header().last_sequence_hint, std::memory_order_acquire),
                                  kMaxSequence);
    at_least = std::min(at_least, kMaxSequence);
    if (hint > at_least) {
        // L2: the hint's own slot holds the hint, a later lap of it, or 0
        // (being rewritten). An older frame, or one that does not belong in
        // that slot, means the hint is ahead of what was written: damaged.
        const std::uint64_t s = detail::load(mapping.slot(g.slot_index(hint)).sequence, std::memory_order_acquire);
        if (s != kNoSequence && (s < hint || g.slot_index(s) != g.slot_index(hint))) hint = 0;
    }
    std::uint64_t last = std::max(hint, at_least);
    // L3: probe forward. Acquire pairs with the writer's release store of
    // each sequence (W5): everything up to a sequence seen is published.
    for (std::uint64_t steps = 0; steps < g.capacity && last < kMaxSequence; ++steps) {
        const std::uint64_t next = last + 1;
        const std::uint64_t s = detail::load(mapping.slot(g.slot_index(next)).sequence, std::memory_order_acquire);
        if (s == next) {
            last = next;
        } else if (s > next && s <= kMaxSequence && g.slot_index(s) == g.slot_index(next)) {
            last = s;  // a later lap: the writer is at least there (a stale hint)
        } else {
            break;     // an older frame, 0 (being written, discarded) or damage
        }
    }
    return last;
}

Reader::Reader(const std::filesystem::path& path) : Reader(Mapping::open_read_only(path)) {}

Reader::Reader(std::shared_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {
    if (!mapping_) throw std::invalid_argument("journal::Reader needs a mapping");
    seek_oldest();
}

std::uint64_t Reader::last_published() const noexcept {
    known_published_ = journal::last_published(*mapping_, known_published_);
    return known_published_;
}

void Reader::seek_oldest() noexcept { position_ = mapping_->oldest_possible(last_published()); }
void Reader::seek_latest() noexcept { position_ = std::max<std::uint64_t>(last_published(), 1); }
void Reader::seek_end() noexcept { position_ = last_published() + 1; }
void Reader::seek_sequence(std::uint64_t sequence) noexcept {
    position_ = std::clamp<std::uint64_t>(sequence, 1, kMaxSequence);
}

bool Reader::peek_gen_time(std::uint64_t sequence, std::int64_t& gen_time) const noexcept {
    const FrameHeader& slot = mapping_->slot(geometry().slot_index(sequence));
    if (detail::load(slot.sequence, std::memory_order_acquire) != sequence) return false;
    gen_time = detail::load(slot.gen_time, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    return detail::load(slot.sequence, std::memory_order_relaxed) == sequence;
}

void Reader::seek_time(std::int64_t gen_time) noexcept {
    // gen_time is non-decreasing in sequence order (the writer makes it so):
    // binary search over what is in the ring. Frames overwritten during the
    // search count as "older than anything", which only moves us forward.
    const std::uint64_t last = last_published();
    std::uint64_t lo = mapping_->oldest_possible(last);
    std::uint64_t hi = last + 1;  // first candidate not known to be older
    while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        std::int64_t t = 0;
        if (!peek_gen_time(mid, t) || t < gen_time) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    position_ = lo;
}

// PROTOCOL.md, "Reading a frame", R6: the slot of position_ does not hold
// position_ (or held it, but the frame could not be used: `seen` is true).
bool Reader::missing_is_empty(std::uint64_t& lost, bool seen) noexcept {
    if (seen) known_published_ = std::max(known_published_, position_);
    const std::uint64_t last = last_published();
    if (position_ > last) return true;  // not written yet
    // Published meanwhile (the first look caught the writer between W2 and
    // W5): not missing after all, the caller looks again.
    const FrameHeader& slot = mapping_->slot(geometry().slot_index(position_));
    if (!seen && position_ >= mapping_->oldest_possible(last) &&
        detail::load(slot.sequence, std::memory_order_acquire) == position_) {
        lost = 0;
        return false;
    }
    // Gone: overwritten (every sequence below oldest_possible(last) was),
    // or discarded by recovery or damaged. Resume at the oldest frame still
    // in the ring, or just past this one if that is later.
    const std::uint64_t target = std::max(position_ + 1, mapping_->oldest_possible(last));
    lost = target - position_;
    position_ = target;
    return false;
}

// PROTOCOL.md, "Reading a frame".
ReadResult Reader::next(std::span<std::byte> buffer) {
    const std::uint32_t max_payload = geometry().max_payload();
    if (buffer.size() < max_payload) [[unlikely]] {
        throw std::invalid_argument(fmt::format(
            "journal::Reader::next: buffer of {} bytes, the journal's frames can be {} bytes",
            buffer.size(), max_payload));
    }
    for (;;) {
        const std::uint64_t sequence = position_;
        const std::uint64_t index = geometry().slot_index(sequence);
        const FrameHeader& slot = mapping_->slot(index);
        // R1: acquire pairs with the writer's release store of the sequence (W5).
        if (detail::load(slot.sequence, std::memory_order_acquire) == sequence) [[likely]] {
            // R2-R3: header fields and payload, relaxed; may race with a
            // writer that lapped us (by design, discarded at R5).
            FrameInfo info;
            info.sequence = sequence;
            info.length = detail::load(slot.length, std::memory_order_relaxed);
            info.msg_type = detail::load(slot.msg_type, std::memory_order_relaxed);
            info.gen_time = detail::load(slot.gen_time, std::memory_order_relaxed);
            info.trigger_time = detail::load(slot.trigger_time, std::memory_order_relaxed);
            info.checksum = detail::load(slot.checksum, std::memory_order_relaxed);
            if (info.length <= max_payload) detail::racy_copy_out(buffer.data(), mapping_->payload(index), info.length);
            // R4: orders everything copied above before the re-check; pairs
            // with the writer's release fence after its invalidation (W2).
            std::atomic_thread_fence(std::memory_order_acquire);
            // R5: re-check.
            if (detail::load(slot.sequence, std::memory_order_relaxed) == sequence && info.length <= max_payload)
                [[likely]] {
                known_published_ = std::max(known_published_, sequence);
                ++position_;
                return {ReadStatus::frame, info, 0};
            }
            // R6 with `seen`: rewritten under us (or a damaged length).
            std::uint64_t lost = 0;
            (void)missing_is_empty(lost, true);
            return {ReadStatus::lost, {}, lost};
        }
        // R6.
        std::uint64_t lost = 0;
        if (missing_is_empty(lost, false)) return {ReadStatus::empty, {}, 0};
        if (lost != 0) return {ReadStatus::lost, {}, lost};
    }
}

// PROTOCOL.md, "Reading a frame", in place.
InPlaceRead Reader::next_in_place() {
    if (!mapping_->writable()) [[unlikely]] {
        throw std::logic_error(fmt::format("journal {}: next_in_place() needs the owner's writable "
                                           "mapping; read-only readers use next()",
                                           mapping_->path().string()));
    }
    InPlaceRead result;
    for (;;) {
        const std::uint64_t sequence = position_;
        const std::uint64_t index = geometry().slot_index(sequence);
        const FrameHeader& slot = mapping_->slot(index);
        // R1: acquire pairs with W5. Past it the frame cannot change: the
        // caller's gate keeps the writer off it (G1).
        if (detail::load(slot.sequence, std::memory_order_acquire) == sequence) [[likely]] {
            result.info.length = detail::load(slot.length, std::memory_order_relaxed);
            if (result.info.length <= geometry().max_payload()) [[likely]] {
                result.status = ReadStatus::frame;
                result.info.sequence = sequence;
                result.info.msg_type = detail::load(slot.msg_type, std::memory_order_relaxed);
                result.info.gen_time = detail::load(slot.gen_time, std::memory_order_relaxed);
                result.info.trigger_time = detail::load(slot.trigger_time, std::memory_order_relaxed);
                result.info.checksum = detail::load(slot.checksum, std::memory_order_relaxed);
                result.payload = mapping_->payload(index);
                result.slot = index;
                known_published_ = std::max(known_published_, sequence);
                ++position_;
                return result;
            }
            // Damaged (recovery would have discarded it): lost.
            result.info.length = 0;
            result.status = ReadStatus::lost;
            (void)missing_is_empty(result.lost, true);
            return result;
        }
        std::uint64_t lost = 0;
        if (missing_is_empty(lost, false)) return result;
        if (lost != 0) {
            result.status = ReadStatus::lost;
            result.lost = lost;
            return result;
        }
    }
}

}  // namespace sigrun::journal
