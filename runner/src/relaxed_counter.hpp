// runner/src/relaxed_counter.hpp — a counter with one writer thread that any
// thread may read (RelaxedCounter).
//
// The metrics scrape and --stats-json read the dispatcher's and engines'
// counters while the dispatch thread bumps them. A plain uint64_t would be a
// data race; an atomic fetch_add would put a locked instruction on the hot
// path. A relaxed load + relaxed store is neither: on x86-64 it compiles to
// the same load/add/store as the plain increment, and a reader on another
// thread sees some recent value, never a torn one. Only ONE thread may
// write (add); for counters bumped from several threads use
// std::atomic::fetch_add.
#pragma once

#include <atomic>
#include <cstdint>

namespace sigrun::runner {

class RelaxedCounter {
public:
    RelaxedCounter() noexcept = default;
    RelaxedCounter(const RelaxedCounter& other) noexcept : value_(other.load()) {}
    RelaxedCounter& operator=(const RelaxedCounter& other) noexcept {
        value_.store(other.load(), std::memory_order_relaxed);
        return *this;
    }

    // [the one writer thread]
    void add(std::uint64_t n) noexcept { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void set(std::uint64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }  // mirror another count
    RelaxedCounter& operator++() noexcept {
        add(1);
        return *this;
    }
    RelaxedCounter& operator+=(std::uint64_t n) noexcept {
        add(n);
        return *this;
    }

    // [any thread]
    [[nodiscard]] std::uint64_t load() const noexcept { return value_.load(std::memory_order_relaxed); }
    operator std::uint64_t() const noexcept { return load(); }  // NOLINT: reads like the plain counter it replaces

private:
    std::atomic<std::uint64_t> value_{0};
};

}  // namespace sigrun::runner
