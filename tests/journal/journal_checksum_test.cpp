// The frame checksum is one hash whatever the CPU: the library hashes long
// payloads with XXH3's AVX2 build where the CPU has AVX2 (checksum_avx2.cpp)
// and everything else with the baseline build, and a journal written on one
// machine must verify on another and in Python (xxhash). Checked against
// XXH3 compiled here, in this file, for the x86-64 baseline (SSE2), at every
// length across the 240-byte switch and past the slot sizes in use.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "sigrun/journal/checksum.hpp"

namespace sigrun::journal {
namespace {

// The documented construction (checksum.hpp), written out independently.
std::uint64_t reference_checksum(std::uint64_t sequence, std::uint32_t length, std::int32_t msg_type,
                                 std::int64_t gen_time, std::int64_t trigger_time, const void* payload) {
    struct Fields {
        std::uint64_t sequence;
        std::uint32_t length;
        std::int32_t msg_type;
        std::int64_t gen_time;
        std::int64_t trigger_time;
    };
    const Fields fields{sequence, length, msg_type, gen_time, trigger_time};
    return XXH3_64bits_withSeed(&fields, sizeof fields, XXH3_64bits(payload, length));
}

TEST(JournalChecksumTest, EveryPayloadLengthHashesAsTheBaselineXxh3) {
    std::vector<std::byte> payload(4100);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::byte>((i * 131 + 7) & 0xff);
    for (std::uint32_t length = 0; length <= payload.size(); ++length) {
        const std::uint64_t sequence = 1000 + length;
        ASSERT_EQ(frame_checksum(sequence, length, 101, 1'700'000'000'000'000'000 + length, 42, payload.data()),
                  reference_checksum(sequence, length, 101, 1'700'000'000'000'000'000 + length, 42, payload.data()))
            << "payload length " << length;
    }
}

TEST(JournalChecksumTest, AFlippedByteOfALongPayloadChangesIt) {
    std::vector<std::byte> payload(384, std::byte{0x5a});
    const std::uint64_t intact = frame_checksum(7, 384, 101, 1, 2, payload.data());
    for (std::size_t at : {std::size_t{0}, std::size_t{239}, std::size_t{240}, std::size_t{383}}) {
        payload[at] ^= std::byte{0x01};
        EXPECT_NE(frame_checksum(7, 384, 101, 1, 2, payload.data()), intact) << "byte " << at;
        payload[at] ^= std::byte{0x01};
    }
    EXPECT_EQ(frame_checksum(7, 384, 101, 1, 2, payload.data()), intact);
}

}  // namespace
}  // namespace sigrun::journal
