// sigrun/journal/checksum.hpp — the frame checksum.
//
// Detects a frame that recovery must discard (a slot half-written when its
// writer died, or a page the kernel never flushed) and lets any reader verify
// a delivered payload. Not cryptographic: XXH3-64 (Debian's libxxhash-dev,
// used header-only with XXH_INLINE_ALL inside the library, so there is no
// link dependency), because it runs on every write of the hot path.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sigrun::journal {

// Checksum of a frame's identity fields and payload: XXH3-64 of the payload,
// used as the seed of XXH3-64 over (sequence, length, msg_type, gen_time,
// trigger_time). A flipped byte anywhere in them changes it. The payload is
// read with plain loads: call it only on bytes no writer is changing (a
// private copy, a frame behind a gate or a pin, or the writer's own slot).
[[nodiscard]] std::uint64_t frame_checksum(std::uint64_t sequence, std::uint32_t length,
                                           std::int32_t msg_type, std::int64_t gen_time,
                                           std::int64_t trigger_time,
                                           const void* payload) noexcept;

}  // namespace sigrun::journal
