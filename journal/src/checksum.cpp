#include "sigrun/journal/checksum.hpp"

#include <cstring>

namespace sigrun::journal {
namespace {

constexpr std::uint64_t kMul = 0x9E37'79B9'7F4A'7C15ull;  // 2^64 / golden ratio

inline std::uint64_t mix(std::uint64_t h, std::uint64_t word) noexcept {
    h ^= word;
    h *= kMul;
    return h ^ (h >> 29);
}

}  // namespace

std::uint32_t frame_checksum(std::uint64_t sequence, std::uint32_t length, std::int32_t msg_type,
                             std::int64_t gen_time, std::int64_t trigger_time,
                             const void* payload) noexcept {
    std::uint64_t h = 0x5349'4752'554E'4A31ull;  // "SIGRUNJ1"
    h = mix(h, sequence);
    h = mix(h, (static_cast<std::uint64_t>(length) << 32) | static_cast<std::uint32_t>(msg_type));
    h = mix(h, static_cast<std::uint64_t>(gen_time));
    h = mix(h, static_cast<std::uint64_t>(trigger_time));
    const auto* p = static_cast<const unsigned char*>(payload);
    std::size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, p + i, 8);
        h = mix(h, word);
    }
    if (i < length) {
        std::uint64_t tail = 0;
        std::memcpy(&tail, p + i, length - i);
        h = mix(h, tail ^ (static_cast<std::uint64_t>(length - i) << 56));
    }
    return static_cast<std::uint32_t>(h ^ (h >> 32));
}

}  // namespace sigrun::journal
