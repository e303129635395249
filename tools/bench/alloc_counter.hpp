// alloc_counter.hpp — counts calls into the C allocator while switched on.
//
// The program that includes alloc_counter.cpp defines malloc, calloc,
// realloc, aligned_alloc, posix_memalign and memalign itself; glibc's
// symbol lookup then sends every allocation of the process to them —
// operator new in libstdc++, and the plugins loaded with dlopen too — and
// they forward to glibc's allocator (__libc_malloc ...). Nothing is counted
// while counting is off, so set-up and teardown stay out.
#pragma once

#include <cstdint>

namespace sigrun::bench::alloc_counter {

void start() noexcept;  // reset to 0 and count from now
std::uint64_t stop() noexcept;  // stop counting, return the count

}  // namespace sigrun::bench::alloc_counter
