// spsc_ring.hpp — the "best plain queue" reference for bench_peers: a bounded
// single-producer single-consumer ring in the style of rigtorp/SPSCQueue.
//
// What makes it fast, and what sigrun's journal is compared against:
// - head (reader) and tail (writer) on their own cache lines, so the two
//   cores only share a line when one actually needs the other's index;
// - each side caches the other's index and re-reads it (one acquire load,
//   one cache miss) only when the cached value says full / empty;
// - slots padded at both ends of the array, so a neighbour's data never
//   shares a line with the first or last slot.
// Copy in on push, copy out on pop: the same work as Reader::next.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>

#include "bench_support.hpp"

namespace sigrun::bench {

template <class T>
class SpscRing {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    // `capacity` must be a power of two; one slot stays empty.
    explicit SpscRing(std::size_t capacity)
        : mask_(capacity - 1), slots_(std::make_unique<Padded[]>(capacity + 2 * kPad)) {}

    // [writer thread] false when full.
    bool try_push(const T& value) noexcept {
        const std::size_t tail = tail_.value.load(std::memory_order_relaxed);
        const std::size_t next = tail + 1;
        if (next - head_cache_ > mask_) {
            // acquire pairs with the reader's release of head: it is done with the slot
            head_cache_ = head_.value.load(std::memory_order_acquire);
            if (next - head_cache_ > mask_) return false;
        }
        std::memcpy(&slot(tail), &value, sizeof(T));
        // release pairs with the reader's acquire of tail: the slot is filled
        tail_.value.store(next, std::memory_order_release);
        return true;
    }

    // [reader thread] false when empty.
    bool try_pop(T& out) noexcept {
        const std::size_t head = head_.value.load(std::memory_order_relaxed);
        if (head == tail_cache_) {
            tail_cache_ = tail_.value.load(std::memory_order_acquire);  // pairs with push's release
            if (head == tail_cache_) return false;
        }
        std::memcpy(&out, &slot(head), sizeof(T));
        head_.value.store(head + 1, std::memory_order_release);  // pairs with push's acquire
        return true;
    }

private:
    struct alignas(kCacheLine) Index {
        std::atomic<std::size_t> value{0};
    };
    struct alignas(alignof(T) > kCacheLine ? alignof(T) : 1) Padded {
        T value;
    };
    static constexpr std::size_t kPad = (kCacheLine - 1) / sizeof(Padded) + 1;

    T& slot(std::size_t i) noexcept { return slots_[(i & mask_) + kPad].value; }

    std::size_t mask_;
    std::unique_ptr<Padded[]> slots_;
    Index head_;                                         // next to read; written by the reader
    alignas(kCacheLine) std::size_t tail_cache_ = 0;     // reader's copy of tail
    Index tail_;                                         // next to write; written by the writer
    alignas(kCacheLine) std::size_t head_cache_ = 0;     // writer's copy of head
    char pad_[kCacheLine - sizeof(std::size_t)];
};

}  // namespace sigrun::bench
