#include "sigrun/journal/reader.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"

#include "checksum_inline.hpp"

namespace sigrun::journal {

namespace {

// L3a: a later lap of a slot counts only if that frame checks out (its
// checksum, with the payload read by relaxed atomic loads, and its sequence
// unchanged afterwards): one damaged sequence word that happens to look like
// a later lap must not make a reader believe the writer is far ahead (it
// would count every frame up to there as lost and wait past the real end).
bool later_lap_intact(const Mapping& mapping, std::uint64_t index, std::uint64_t sequence) noexcept {
    const FrameHeader& slot = mapping.slot(index);
    const std::uint32_t length = detail::load(slot.length, std::memory_order_relaxed);
    if (length > mapping.geometry().max_payload()) return false;
    const std::uint64_t checksum = detail::frame_checksum_racy(
        sequence, length, detail::load(slot.msg_type, std::memory_order_relaxed),
        detail::load(slot.gen_time, std::memory_order_relaxed),
        detail::load(slot.trigger_time, std::memory_order_relaxed), mapping.payload(index),
        [](void* dst, const std::byte* src, std::size_t n) { detail::racy_copy_out(dst, src, n); });
    const bool matches = checksum == detail::load(slot.checksum, std::memory_order_relaxed);
    // Pairs with W2's release fence, as R4: a copy that saw a rewrite sees
    // the sequence change below.
    std::atomic_thread_fence(std::memory_order_acquire);
    // Rewritten meanwhile: the writer is past `sequence` anyway.
    return matches || detail::load(slot.sequence, std::memory_order_relaxed) != sequence;
}

}  // namespace

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
        // L2: the hint counts only when its own slot corroborates it: the
        // slot holds the hint or a later lap of it. An older frame, one that
        // does not belong in that slot, or 0 (never written, emptied, or
        // being rewritten right now) means one header word alone would be
        // trusted: probe from `at_least` instead. (A damaged hint pointing at
        // a never-written slot would otherwise make every intact frame up
        // to it look lost, and a reader that sought the end would wait past
        // it forever, even after the header was repaired.)
        const std::uint64_t s = detail::load(mapping.slot(g.slot_index(hint)).sequence, std::memory_order_acquire);
        if (s < hint || s > kMaxSequence || g.slot_index(s) != g.slot_index(hint)) hint = 0;
    }
    std::uint64_t last = std::max(hint, at_least);
    // L3: probe forward. Acquire pairs with the writer's release store of
    // each sequence (W5): everything up to a sequence seen is published.
    for (std::uint64_t steps = 0; steps < g.capacity && last < kMaxSequence; ++steps) {
        const std::uint64_t next = last + 1;
        const std::uint64_t s = detail::load(mapping.slot(g.slot_index(next)).sequence, std::memory_order_acquire);
        if (s == next) {
            last = next;
        } else if (s > next && s <= kMaxSequence && g.slot_index(s) == g.slot_index(next) &&
                   later_lap_intact(mapping, g.slot_index(next), s)) {
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
Reader::Missing Reader::classify_missing(std::uint64_t& lost, bool seen) noexcept {
    if (seen) known_published_ = std::max(known_published_, position_);
    const std::uint64_t last = last_published();
    if (position_ > last) return Missing::not_yet;  // not written yet
    const std::uint64_t oldest = mapping_->oldest_possible(last);
    // Published meanwhile (the first look caught the writer between W2 and
    // W5): not missing after all, the caller looks again.
    const FrameHeader& slot = mapping_->slot(geometry().slot_index(position_));
    if (!seen && position_ >= oldest &&
        detail::load(slot.sequence, std::memory_order_acquire) == position_) {
        lost = 0;
        return Missing::look_again;
    }
    // Gone. Below the oldest frame the ring can hold, or seen and then
    // rewritten under us, or at the oldest with the writer about to rewrite
    // it: the writer lapped this reader. Above the oldest (and not seen),
    // the frame should still be there: its slot was emptied by recovery (a
    // damaged frame) or its sequence word is damaged. Resume at the oldest
    // frame still in the ring, or just past this one if that is later.
    const bool overwritten = seen || position_ <= oldest;
    const std::uint64_t target = std::max(position_ + 1, oldest);
    lost = target - position_;
    position_ = target;
    return overwritten ? Missing::overwritten : Missing::damaged;
}

// A frame this reader has in hand (its sequence matched before and after
// reading the fields) but that does not check out: skipped, reported.
void Reader::skip_damaged(std::uint64_t sequence) noexcept {
    known_published_ = std::max(known_published_, sequence);
    ++position_;
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
            // R5: re-check. Still `sequence`: the copy is exactly what the
            // slot held for it.
            if (detail::load(slot.sequence, std::memory_order_relaxed) == sequence) [[likely]] {
                // R5a: the copy is stable; it must also be intact.
                if (info.length <= max_payload &&
                    detail::frame_checksum_inline(sequence, info.length, info.msg_type, info.gen_time,
                                                  info.trigger_time, buffer.data()) == info.checksum)
                    [[likely]] {
                    known_published_ = std::max(known_published_, sequence);
                    ++position_;
                    return {ReadStatus::frame, info, 0};
                }
                skip_damaged(sequence);
                return {ReadStatus::damaged, info, 1};
            }
            // R6 with `seen`: rewritten under us.
            std::uint64_t lost = 0;
            (void)classify_missing(lost, true);
            return {ReadStatus::lost, {}, lost};
        }
        // R6.
        std::uint64_t lost = 0;
        switch (classify_missing(lost, false)) {
            case Missing::not_yet: return {ReadStatus::empty, {}, 0};
            case Missing::look_again: continue;
            case Missing::overwritten: return {ReadStatus::lost, {}, lost};
            case Missing::damaged: return {ReadStatus::damaged, FrameInfo{.sequence = sequence}, lost};
        }
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
            result.info.sequence = sequence;
            result.info.length = detail::load(slot.length, std::memory_order_relaxed);
            result.info.msg_type = detail::load(slot.msg_type, std::memory_order_relaxed);
            result.info.gen_time = detail::load(slot.gen_time, std::memory_order_relaxed);
            result.info.trigger_time = detail::load(slot.trigger_time, std::memory_order_relaxed);
            result.info.checksum = detail::load(slot.checksum, std::memory_order_relaxed);
            const std::byte* payload = mapping_->payload(index);
            // R5a in place: the frame is stable (gated); it must be intact
            // (checked unless this process wrote it: trust_own_writes_from).
            if (result.info.length <= geometry().max_payload() &&
                (sequence >= trusted_from_ ||
                 detail::frame_checksum_inline(sequence, result.info.length, result.info.msg_type,
                                               result.info.gen_time, result.info.trigger_time,
                                               payload) == result.info.checksum)) [[likely]] {
                result.status = ReadStatus::frame;
                result.payload = payload;
                result.slot = index;
                known_published_ = std::max(known_published_, sequence);
                ++position_;
                return result;
            }
            skip_damaged(sequence);
            result.status = ReadStatus::damaged;
            result.lost = 1;
            return result;
        }
        std::uint64_t lost = 0;
        switch (classify_missing(lost, false)) {
            case Missing::not_yet: return result;
            case Missing::look_again: continue;
            case Missing::overwritten: result.status = ReadStatus::lost; break;
            case Missing::damaged:
                result.status = ReadStatus::damaged;
                result.info.sequence = sequence;
                break;
        }
        result.lost = lost;
        return result;
    }
}

}  // namespace sigrun::journal
