// runner/src/md_retention.hpp — which md frames the runner's own feed may
// overwrite (MdRetention).
//
// The feed writes ahead of the dispatcher into a ring of `capacity` slots.
// Writing sequence s overwrites s - capacity, so without a rule the feed
// could run a whole ring ahead and leave nothing behind the dispatcher. Two
// rules keep what a hot swap's warm-up reads:
//   * the last `keep_behind` dispatched frames are never overwritten (the
//     feed leads by at most capacity - keep_behind);
//   * while a warm-up replays, nothing from its first frame on is
//     overwritten, and until the switch nothing the catch-up at the switch
//     reads (hold_recent() ... hold_from() ... release()); the feed waits,
//     the dispatcher keeps working through what is already written.
// With an external writer (source "journal") there is no feed and the
// warm-up frames can be gone; replay_into() then reports it.
#pragma once

#include <atomic>
#include <cstdint>

namespace sigrun::runner {

class MdRetention {
public:
    // `dispatch_position`: the next sequence the dispatcher will hand out
    // (frames below it are done). `keep_behind` < the md ring's capacity.
    MdRetention(const std::atomic<std::uint64_t>& dispatch_position, std::uint64_t keep_behind) noexcept
        : position_(dispatch_position), keep_behind_(keep_behind) {}

    // Feed thread: may the write that overwrites `overwritten` go ahead?
    // The dispatch position is re-read only when the cached one no longer
    // allows the write (Disruptor-style cached gating): the dispatcher stores
    // it on every frame, so reading it on every write would pull its cache
    // line across cores each time.
    [[nodiscard]] bool may_overwrite(std::uint64_t overwritten) const noexcept {
        // Order matters (both seq_cst): position first, then the hold. See
        // hold_recent() for why that makes a hold airtight; a cached position
        // was loaded even earlier, which keeps the argument.
        if (overwritten + keep_behind_ >= cached_position_) {
            cached_position_ = position_.load(std::memory_order_seq_cst);
        }
        const std::uint64_t held_from = held_from_.load(std::memory_order_seq_cst);
        return overwritten + keep_behind_ < cached_position_ && overwritten < held_from;
    }

    // Swap thread: stops the feed from overwriting the last `count` (<=
    // keep_behind) dispatched frames from now on, and returns the dispatch
    // position `to` at which they end: [to - count, to) stays readable until
    // release(). Why it is airtight: the hold (from p1 - count) is stored
    // before p2 is read. A feed check that still saw no hold loaded its
    // position before that store, so before p2: position <= p2, and it only
    // overwrote below position - keep_behind <= p2 - count. Any later check
    // sees the hold and stops below p1 - count <= p2 - count.
    [[nodiscard]] std::uint64_t hold_recent(std::uint64_t count) noexcept {
        const std::uint64_t p1 = position_.load(std::memory_order_seq_cst);
        held_from_.store(p1 > count ? p1 - count : 0, std::memory_order_seq_cst);
        return position_.load(std::memory_order_seq_cst);
    }

    // Swap thread: the warm-up read everything before `sequence`; keep only
    // frames from `sequence` on (the catch-up at the switch reads them).
    void hold_from(std::uint64_t sequence) noexcept { held_from_.store(sequence, std::memory_order_seq_cst); }

    // Swap thread: the new engine is live (or the swap failed); the feed may go on.
    void release() noexcept { held_from_.store(kNoHold, std::memory_order_seq_cst); }

private:
    static constexpr std::uint64_t kNoHold = UINT64_MAX;

    const std::atomic<std::uint64_t>& position_;
    const std::uint64_t keep_behind_;
    std::atomic<std::uint64_t> held_from_{kNoHold};
    // The dispatch position as last read by the feed thread (only it uses it).
    mutable std::uint64_t cached_position_ = 0;
};

}  // namespace sigrun::runner
