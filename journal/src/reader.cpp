#include "sigrun/journal/reader.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"

namespace sigrun::journal {

Reader::Reader(const std::filesystem::path& path) : Reader(Mapping::open_read_only(path)) {}

Reader::Reader(std::shared_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {
    if (!mapping_) throw std::invalid_argument("journal::Reader needs a mapping");
    if (mapping_->writable()) pins_ = std::make_unique<Pins>(mapping_);
    seek_oldest();
}

std::uint64_t Reader::last_published() const noexcept {
    // Acquire pairs with the writer's release store of last_sequence, which
    // follows the slot's own sequence store.
    // Clamped: a damaged header claiming a sequence near 2^64 would make
    // position_ wrap to 0 and the reader loop forever (kMaxSequence).
    return std::min(detail::load(mapping_->header().last_sequence, std::memory_order_acquire), kMaxSequence);
}

void Reader::seek_oldest() noexcept { position_ = mapping_->oldest_possible(last_published()); }
void Reader::seek_latest() noexcept { position_ = std::max<std::uint64_t>(last_published(), 1); }
void Reader::seek_end() noexcept { position_ = last_published() + 1; }
void Reader::seek_sequence(std::uint64_t sequence) noexcept { position_ = std::max<std::uint64_t>(sequence, 1); }

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

std::uint64_t Reader::skip_lapped() noexcept {
    const std::uint64_t oldest = mapping_->oldest_possible(last_published());
    // Resume at the oldest frame still in the ring (or just past the frame
    // that was overwritten, if that is later): everything before it is lost.
    const std::uint64_t target = std::max(position_ + 1, oldest);
    const std::uint64_t lost = target - position_;
    position_ = target;
    return lost;
}

// PROTOCOL.md, "Reading a frame".
ReadResult Reader::next(std::span<std::byte> buffer) {
    if (buffer.size() < geometry().max_payload()) {
        throw std::invalid_argument(fmt::format(
            "journal::Reader::next: buffer of {} bytes, the journal's frames can be {} bytes",
            buffer.size(), geometry().max_payload()));
    }
    const std::uint64_t last = last_published();
    if (position_ > last) return {ReadStatus::empty, {}, 0};
    if (position_ < mapping_->oldest_possible(last)) return {ReadStatus::lost, {}, skip_lapped()};

    const std::uint64_t sequence = position_;
    const FrameHeader& slot = mapping_->slot(geometry().slot_index(sequence));
    // Acquire pairs with the writer's release store of the sequence.
    if (detail::load(slot.sequence, std::memory_order_acquire) != sequence) {
        return {ReadStatus::lost, {}, skip_lapped()};
    }
    FrameInfo info;
    info.sequence = sequence;
    info.length = detail::load(slot.length, std::memory_order_relaxed);
    info.msg_type = detail::load(slot.msg_type, std::memory_order_relaxed);
    info.gen_time = detail::load(slot.gen_time, std::memory_order_relaxed);
    info.trigger_time = detail::load(slot.trigger_time, std::memory_order_relaxed);
    info.checksum = detail::load(slot.checksum, std::memory_order_relaxed);
    if (info.length <= geometry().max_payload()) {
        detail::racy_copy_out(buffer.data(), mapping_->payload(geometry().slot_index(sequence)),
                              info.length);
    }
    // Everything copied above must be ordered before the re-check: if any of
    // it came from a rewrite, the writer's invalidation (released by its
    // fence) is visible here.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (detail::load(slot.sequence, std::memory_order_relaxed) != sequence ||
        info.length > geometry().max_payload()) {
        return {ReadStatus::lost, {}, skip_lapped()};
    }
    ++position_;
    return {ReadStatus::frame, info, 0};
}

PinnedRead Reader::next_pinned() {
    if (!pins_) {
        throw std::logic_error(fmt::format("journal {}: next_pinned() needs the owner's writable "
                                           "mapping; read-only readers use next()",
                                           mapping_->path().string()));
    }
    const std::uint64_t last = last_published();
    PinnedRead result;
    if (position_ > last) return result;
    if (position_ < mapping_->oldest_possible(last) || !pins_->retain(position_)) {
        result.status = ReadStatus::lost;
        result.lost = skip_lapped();
        return result;
    }
    const std::uint64_t sequence = position_;
    const std::uint64_t index = geometry().slot_index(sequence);
    const FrameHeader& slot = mapping_->slot(index);
    // Pinned: the writer cannot claim the slot, so these fields are stable.
    result.status = ReadStatus::frame;
    result.info.sequence = sequence;
    result.info.length = detail::load(slot.length, std::memory_order_relaxed);
    result.info.msg_type = detail::load(slot.msg_type, std::memory_order_relaxed);
    result.info.gen_time = detail::load(slot.gen_time, std::memory_order_relaxed);
    result.info.trigger_time = detail::load(slot.trigger_time, std::memory_order_relaxed);
    result.info.checksum = detail::load(slot.checksum, std::memory_order_relaxed);
    result.frame = PinnedFrame(pins_.get(), index, sequence, mapping_->payload(index));
    ++position_;
    return result;
}

}  // namespace sigrun::journal
