// sigrun/journal/checksum.hpp — the frame checksum.
//
// Detects a frame that recovery must discard (a slot half-written when its
// writer died, or a page the kernel never flushed) and lets any reader verify
// a delivered payload. Not cryptographic: a 64-bit multiply-xorshift over
// 8-byte words, folded to 32 bits, because it runs on every write of the hot
// path and must cost nanoseconds for a 384-byte book.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sigrun::journal {

struct FrameHeader;

// Checksum of a frame's identity fields and payload. The payload is read
// with plain loads: call it only on bytes no writer is changing (a private
// copy, a pinned frame, or the writer's own slot).
[[nodiscard]] std::uint32_t frame_checksum(std::uint64_t sequence, std::uint32_t length,
                                           std::int32_t msg_type, std::int64_t gen_time,
                                           std::int64_t trigger_time,
                                           const void* payload) noexcept;

}  // namespace sigrun::journal
