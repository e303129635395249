// sigrun/journal/atomics.hpp — atomic access to fields of the mapped file.
//
// The journal's shared fields are plain integers in an mmap'd file; these
// helpers are the only way the code touches them while another thread or
// process may too. Payload bytes are copied word by word with relaxed
// atomics: a seqlock reader's copy races with the writer by design (the
// sequence re-check discards a torn copy), and doing it with atomics keeps
// that race defined behaviour and visible to ThreadSanitizer as intended
// rather than hidden behind a suppression.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sigrun::journal::detail {

template <class T>
[[nodiscard]] inline T load(const T& field, std::memory_order order) noexcept {
    return std::atomic_ref<T>(const_cast<T&>(field)).load(order);
}

template <class T>
inline void store(T& field, T value, std::memory_order order) noexcept {
    std::atomic_ref<T>(field).store(value, order);
}

template <class T>
[[nodiscard]] inline std::atomic_ref<T> ref(T& field) noexcept {
    return std::atomic_ref<T>(field);
}

// Copies `n` bytes out of a slot that a writer may be rewriting. `src` is
// 8-byte aligned (payloads start right after a 64-byte header); `dst` is any
// buffer.
inline void racy_copy_out(void* dst, const std::byte* src, std::size_t n) noexcept {
    auto* out = static_cast<std::byte*>(dst);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const auto word = load(*reinterpret_cast<const std::uint64_t*>(src + i),
                               std::memory_order_relaxed);
        std::memcpy(out + i, &word, 8);
    }
    for (; i < n; ++i) {
        out[i] = static_cast<std::byte>(
            load(*reinterpret_cast<const std::uint8_t*>(src + i), std::memory_order_relaxed));
    }
}

// Copies `n` bytes into a slot that a lapped seqlock reader may be reading.
inline void racy_copy_in(std::byte* dst, const void* src, std::size_t n) noexcept {
    const auto* in = static_cast<const std::byte*>(src);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, in + i, 8);
        store(*reinterpret_cast<std::uint64_t*>(dst + i), word, std::memory_order_relaxed);
    }
    for (; i < n; ++i) {
        store(*reinterpret_cast<std::uint8_t*>(dst + i), static_cast<std::uint8_t>(in[i]),
              std::memory_order_relaxed);
    }
}

// Asks for the cache line at `p` in a state this CPU can write (x86
// PREFETCHW; a no-op hint on CPUs without it). Never faults, never changes
// memory: only where the line lives.
inline void prefetch_for_write(const void* p) noexcept {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
    __builtin_prefetch(p, 1, 3);
#endif
}

}  // namespace sigrun::journal::detail
