// Deterministic test payloads: every byte is derived from the sequence, so a
// reader can verify a frame it received without talking to the writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sigrun/journal/checksum.hpp"
#include "sigrun/journal/reader.hpp"

namespace sigrun::testing {

inline std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Length in [8, max_payload], random-looking but fixed per sequence.
inline std::uint32_t payload_length(std::uint64_t sequence, std::uint32_t max_payload) {
    return 8 + static_cast<std::uint32_t>(splitmix(sequence) % (max_payload - 7));
}

inline void fill_payload(std::uint64_t sequence, std::span<std::byte> out) {
    std::uint64_t state = sequence;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i % 8 == 0) state = splitmix(state);
        out[i] = static_cast<std::byte>(state >> (8 * (i % 8)));
    }
}

inline std::vector<std::byte> make_payload(std::uint64_t sequence, std::uint32_t length) {
    std::vector<std::byte> bytes(length);
    fill_payload(sequence, bytes);
    return bytes;
}

// True when `payload` is exactly what make_payload(sequence, length) wrote
// and the header checksum matches it.
inline bool payload_intact(const journal::FrameInfo& info, const std::byte* payload) {
    const auto expected = make_payload(info.sequence, info.length);
    if (!std::equal(expected.begin(), expected.end(), payload)) return false;
    return journal::frame_checksum(info.sequence, info.length, info.msg_type, info.gen_time,
                                   info.trigger_time, payload) == info.checksum;
}

}  // namespace sigrun::testing
