// journal/src/checksum_inline.hpp — the frame checksum as an inline function,
// for the writer's hot path. Private to the library: the public, out-of-line
// frame_checksum() (checksum.hpp) calls it too, so both are the same hash.
//
// Header-only XXH3 (XXH_INLINE_ALL): every XXH function static inline in the
// including translation unit, no libxxhash at link time, and the XXH* names
// stay out of the installed headers. Measured with callgrind in the release
// build: inlined into Writer::publish, one write costs 304 instructions
// (64 B) / 931 (384 B) against 312 / 951 with the call into checksum.cpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sigrun::journal::detail {

// Past 240 bytes XXH3 runs its striped loop over 64-byte stripes. Compiled
// for the x86-64 baseline that loop uses SSE2; AVX2 does it in half the
// vector instructions and gives the same hash (XXH3's output does not depend
// on the instruction set), so a 384 B Depth is hashed by the AVX2 build of
// XXH3 (checksum_avx2.cpp, the only file compiled with -mavx2) when the CPU
// has it. Measured on this 2-core Xeon VM: 384 B hashed in ~22 ns with
// SSE2, ~17 ns with AVX2; bench_peers 1W->1R at 384 B, three interleaved
// rounds, medians: in-place read 19.75 -> 24.40 M frames/s, copy read (which
// verifies every frame) 9.05 -> 12.48 M/s, boost::lockfree in the same runs
// 7-9 M/s. The writer alone gains ~2 ns (the hash is not what bounds it).
// Shorter payloads never reach the vector loop, so they stay inline.
#if defined(__x86_64__) && defined(SIGRUN_JOURNAL_HAVE_AVX2_HASH)
std::uint64_t payload_hash_avx2(const void* payload, std::size_t length) noexcept;
extern const bool cpu_has_avx2;  // read once at load time (checksum_avx2.cpp)
#endif

inline std::uint64_t payload_hash(const void* payload, std::uint32_t length) noexcept {
#if defined(__x86_64__) && defined(SIGRUN_JOURNAL_HAVE_AVX2_HASH)
    if (length > XXH3_MIDSIZE_MAX && cpu_has_avx2) return payload_hash_avx2(payload, length);
#endif
    return XXH3_64bits(payload, length);
}

inline std::uint64_t frame_checksum_inline(std::uint64_t sequence, std::uint32_t length, std::int32_t msg_type,
                                           std::int64_t gen_time, std::int64_t trigger_time,
                                           const void* payload) noexcept {
    // The fields as 32 bytes: XXH3's 17-128 byte path, a few multiplies.
    struct Fields {
        std::uint64_t sequence;
        std::uint32_t length;
        std::int32_t msg_type;
        std::int64_t gen_time;
        std::int64_t trigger_time;
    };
    static_assert(sizeof(Fields) == 32);
    const Fields fields{sequence, length, msg_type, gen_time, trigger_time};
    // The payload hashed unseeded (a seeded XXH3 past 240 bytes first derives
    // a custom secret, which would cost more than the hash), its hash seeding
    // the hash of the fields.
    return XXH3_64bits_withSeed(&fields, sizeof fields, payload_hash(payload, length));
}

// frame_checksum_inline over a payload read with relaxed atomic loads, in
// chunks through a stack buffer: for a slot a writer may be rewriting (the
// caller re-checks the sequence afterwards). XXH3's streaming API gives the
// same hash as the one-shot call.
inline std::uint64_t frame_checksum_racy(std::uint64_t sequence, std::uint32_t length, std::int32_t msg_type,
                                         std::int64_t gen_time, std::int64_t trigger_time,
                                         const std::byte* payload, void (*copy_out)(void*, const std::byte*, std::size_t)) noexcept {
    XXH3_state_t state;
    XXH3_INITSTATE(&state);
    XXH3_64bits_reset(&state);
    alignas(64) std::byte chunk[512];
    for (std::uint32_t done = 0; done < length;) {
        const std::uint32_t n = std::min<std::uint32_t>(sizeof chunk, length - done);
        copy_out(chunk, payload + done, n);
        XXH3_64bits_update(&state, chunk, n);
        done += n;
    }
    struct Fields {
        std::uint64_t sequence;
        std::uint32_t length;
        std::int32_t msg_type;
        std::int64_t gen_time;
        std::int64_t trigger_time;
    };
    const Fields fields{sequence, length, msg_type, gen_time, trigger_time};
    return XXH3_64bits_withSeed(&fields, sizeof fields, XXH3_64bits_digest(&state));
}

}  // namespace sigrun::journal::detail
