// allocation_counter.hpp — counts heap allocations made by this process, on
// every thread, through an interposed allocator: a count, deterministic, not
// a timing.
//
//     sigrun::testing::AllocationCount count;   // starts counting at zero
//     do_the_hot_path();
//     EXPECT_EQ(count.allocations(), 0u);
//
// How it interposes, per build:
//   - plain builds: malloc/calloc/realloc/aligned_alloc/posix_memalign/
//     memalign are defined in the test executable (which the dynamic linker
//     resolves before libc, for the plugins and libstdc++'s operator new
//     too) and forward to glibc's __libc_* functions;
//   - ASan / TSan builds: the sanitizer allocator's malloc hooks
//     (__sanitizer_install_malloc_and_free_hooks), since the sanitizer owns
//     malloc there.
// Include it in exactly one translation unit of a test executable, and only
// in an executable made for it: every allocation of the process is counted.
#ifndef SIGRUN_TESTS_SUPPORT_ALLOCATION_COUNTER_HPP
#define SIGRUN_TESTS_SUPPORT_ALLOCATION_COUNTER_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SIGRUN_ALLOC_COUNT_WITH_SANITIZER_HOOKS 1
// Declared here: GCC's runtimes export it, but GCC ships no
// <sanitizer/allocator_interface.h> (only clang's runtime headers do).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                         void (*free_hook)(const volatile void*));
#endif

namespace sigrun::testing {

inline std::atomic<std::uint64_t> g_allocations{0};

class AllocationCount {
public:
    AllocationCount() noexcept : start_(g_allocations.load(std::memory_order_relaxed)) {}
    [[nodiscard]] std::uint64_t allocations() const noexcept {
        return g_allocations.load(std::memory_order_relaxed) - start_;
    }

private:
    std::uint64_t start_;
};

}  // namespace sigrun::testing

#if defined(SIGRUN_ALLOC_COUNT_WITH_SANITIZER_HOOKS)

namespace sigrun::testing::detail {
inline void count_malloc(const volatile void*, std::size_t) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
}
inline void ignore_free(const volatile void*) noexcept {}
inline const bool hooks_installed = [] {
    __sanitizer_install_malloc_and_free_hooks(&count_malloc, &ignore_free);
    return true;
}();
}  // namespace sigrun::testing::detail

#else

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);

void* malloc(std::size_t size) {
    sigrun::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
    sigrun::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) {
    sigrun::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(pointer, size);
}
void* memalign(std::size_t alignment, std::size_t size) {
    sigrun::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) { return memalign(alignment, size); }
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
    void* p = memalign(alignment, size);
    if (p == nullptr) return 12;  // ENOMEM
    *out = p;
    return 0;
}
}

#endif

#endif  // SIGRUN_TESTS_SUPPORT_ALLOCATION_COUNTER_HPP
