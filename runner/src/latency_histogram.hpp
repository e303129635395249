// runner/src/latency_histogram.hpp — fixed-memory latency histogram.
//
// Log-linear buckets (a power-of-two range split into 32 linear
// sub-buckets, as HdrHistogram does) so recording is a few instructions and
// no allocation on the dispatch thread, with at most ~3% error on a
// percentile. Single writer; any thread may read while it records (the
// metrics scrape does): every field is an atomic written with a relaxed
// load + store, the cost of a plain increment, so a reader gets slightly
// stale but never torn numbers.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <span>

namespace sigrun::runner {

class LatencyHistogram {
public:
    // [the one writer thread]
    void record(std::uint64_t ns) noexcept {
        bump(counts_[bucket_of(ns)], 1);
        bump(total_, 1);
        bump(sum_, ns);
        if (ns > get(max_)) max_.store(ns, std::memory_order_relaxed);
    }

    [[nodiscard]] std::uint64_t count() const noexcept { return get(total_); }
    [[nodiscard]] std::uint64_t max() const noexcept { return get(max_); }
    [[nodiscard]] std::uint64_t sum() const noexcept { return get(sum_); }

    // Cumulative counts at each upper bound of `bounds_ns` (ascending), as a
    // Prometheus histogram wants them: a recorded value counts at a bound
    // when its bucket's upper edge is at or below it, so values near a bound
    // may land one bound up (within the ~3% bucket width). [any thread]
    void cumulative(std::span<const std::uint64_t> bounds_ns, std::span<std::uint64_t> out) const noexcept {
        std::size_t b = 0;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bounds_ns.size() && i < out.size(); ++i) {
            for (; b < counts_.size() && upper_edge(b) <= bounds_ns[i]; ++b) seen += get(counts_[b]);
            out[i] = seen;
        }
    }

    // The value at quantile q in [0, 1] (upper edge of its bucket, capped at
    // the maximum seen); 0 when empty.
    [[nodiscard]] std::uint64_t percentile(double q) const noexcept {
        const std::uint64_t total = count();
        if (total == 0) return 0;
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total - 1)) + 1;
        const std::uint64_t max_seen = max();
        std::uint64_t seen = 0;
        for (std::size_t b = 0; b < counts_.size(); ++b) {
            seen += get(counts_[b]);
            if (seen >= rank) return std::min(upper_edge(b), max_seen);
        }
        return max_seen;
    }

private:
    using Cell = std::atomic<std::uint64_t>;
    static std::uint64_t get(const Cell& c) noexcept { return c.load(std::memory_order_relaxed); }
    static void bump(Cell& c, std::uint64_t n) noexcept { c.store(get(c) + n, std::memory_order_relaxed); }

    static constexpr unsigned kSubBits = 5;  // 32 sub-buckets per power of two
    static constexpr std::size_t kSub = 1u << kSubBits;
    static constexpr std::size_t kBuckets = (64 - kSubBits + 1) * kSub;

    static std::size_t bucket_of(std::uint64_t v) noexcept {
        if (v < kSub) return static_cast<std::size_t>(v);
        const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
        const unsigned shift = msb - kSubBits;
        return static_cast<std::size_t>((shift + 1) * kSub + ((v >> shift) - kSub));
    }
    static std::uint64_t upper_edge(std::size_t b) noexcept {
        if (b < kSub) return b;
        const std::size_t shift = b / kSub - 1;
        const std::uint64_t base = (kSub + b % kSub) << shift;
        return base + ((std::uint64_t{1} << shift) - 1);
    }

    std::array<Cell, kBuckets> counts_{};
    Cell total_{0};
    Cell sum_{0};
    Cell max_{0};
};

}  // namespace sigrun::runner
