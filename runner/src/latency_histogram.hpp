// runner/src/latency_histogram.hpp — fixed-memory latency histogram.
//
// Log-linear buckets (a power-of-two range split into 32 linear
// sub-buckets, as HdrHistogram does) so recording is a few instructions and
// no allocation on the dispatch thread, with at most ~3% error on a
// percentile. Single writer; read after the writer stopped or accept slightly
// stale numbers.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace sigrun::runner {

class LatencyHistogram {
public:
    void record(std::uint64_t ns) noexcept {
        ++counts_[bucket_of(ns)];
        ++total_;
        max_ = std::max(max_, ns);
    }

    [[nodiscard]] std::uint64_t count() const noexcept { return total_; }
    [[nodiscard]] std::uint64_t max() const noexcept { return max_; }

    // The value at quantile q in [0, 1] (upper edge of its bucket, capped at
    // the maximum seen); 0 when empty.
    [[nodiscard]] std::uint64_t percentile(double q) const noexcept {
        if (total_ == 0) return 0;
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t b = 0; b < counts_.size(); ++b) {
            seen += counts_[b];
            if (seen >= rank) return std::min(upper_edge(b), max_);
        }
        return max_;
    }

    void merge(const LatencyHistogram& other) noexcept {
        for (std::size_t b = 0; b < counts_.size(); ++b) counts_[b] += other.counts_[b];
        total_ += other.total_;
        max_ = std::max(max_, other.max_);
    }

private:
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

    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace sigrun::runner
