// journal/src/checksum_avx2.cpp — XXH3 compiled for AVX2, for payloads past
// XXH3's 240-byte mid-size path (see payload_hash in checksum_inline.hpp).
//
// The only file of the library built with -mavx2. It includes nothing but
// xxhash.h with XXH_INLINE_ALL (every XXH function static, so no AVX2 code
// can be picked by the linker for another file's inline function), and the
// function it exports is called only after cpu_has_avx2 said yes.
#include <cstddef>
#include <cstdint>

#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>

namespace sigrun::journal::detail {

std::uint64_t payload_hash_avx2(const void* payload, std::size_t length) noexcept {
    return XXH3_64bits(payload, length);
}

// __builtin_cpu_init first: this initializer may run before libgcc's own.
extern const bool cpu_has_avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
}();

}  // namespace sigrun::journal::detail
