#include "sigrun/journal/checksum.hpp"

// Header-only XXH3: every function static inline in this translation unit,
// no libxxhash at link time. Out of line on purpose: an inline header would
// save only the call and return, and would put the XXH* names into every
// file that includes the journal's headers.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sigrun::journal {

std::uint64_t frame_checksum(std::uint64_t sequence, std::uint32_t length, std::int32_t msg_type,
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
    const XXH64_hash_t payload_hash = XXH3_64bits(payload, length);
    return XXH3_64bits_withSeed(&fields, sizeof fields, payload_hash);
}

}  // namespace sigrun::journal
