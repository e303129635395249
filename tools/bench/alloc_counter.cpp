// alloc_counter.cpp — see alloc_counter.hpp. Link into an executable only.
#include "alloc_counter.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::uint64_t> g_count{0};
inline void count() noexcept {
    if (g_counting.load(std::memory_order_relaxed)) g_count.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

namespace sigrun::bench::alloc_counter {
void start() noexcept {
    g_count.store(0, std::memory_order_relaxed);
    g_counting.store(true, std::memory_order_seq_cst);
}
std::uint64_t stop() noexcept {
    g_counting.store(false, std::memory_order_seq_cst);
    return g_count.load(std::memory_order_relaxed);
}
}  // namespace sigrun::bench::alloc_counter

extern "C" {
void* malloc(std::size_t n) {
    count();
    return __libc_malloc(n);
}
void* calloc(std::size_t k, std::size_t n) {
    count();
    return __libc_calloc(k, n);
}
void* realloc(void* p, std::size_t n) {
    count();
    return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
    count();
    return __libc_memalign(alignment, n);
}
void* memalign(std::size_t alignment, std::size_t n) {
    count();
    return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
    count();
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void* p = __libc_memalign(alignment, n);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
}
