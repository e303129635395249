// envelope.hpp — what one journal frame looks like on the wire.
//
// A message's payload is a fixed 56-byte little-endian envelope followed by
// the frame's payload bytes, unchanged. The envelope says which journal the
// frame came from (its name and creation time: a journal recreated at the
// same path starts again at sequence 1, and must not collide with the old
// one's message ids), its sequence there, its message type and times.
// Version 1; a reader refuses another version instead of guessing.
//
// Subject: sigrun.<name>.depth.<instrument>, sigrun.<name>.trade.<instrument>,
// sigrun.<name>.factors.<engine>.<instrument> (the first value's instrument),
// sigrun.<name>.other.<msg_type> for anything else.
// Nats-Msg-Id: <name>:<journal created ns>:<sequence> — JetStream's
// duplicate window drops a frame published twice (after a crash or a retry).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sigrun::bridge {

inline constexpr char kEnvelopeMagic[4] = {'S', 'G', 'R', 'B'};
inline constexpr std::uint16_t kEnvelopeVersion = 1;
inline constexpr std::size_t kEnvelopeSize = 56;

struct Envelope {
    std::int64_t journal_created = 0;  // the source journal's FileHeader::created_time
    std::uint64_t sequence = 0;        // the frame's sequence in that journal
    std::int32_t msg_type = 0;
    std::uint32_t length = 0;          // payload bytes after the envelope
    std::int64_t gen_time = 0;
    std::int64_t trigger_time = 0;
    std::int64_t publish_time = 0;     // when the bridge published it (latency)
};

// Envelope followed by `payload`, appended to `out` (cleared first).
void encode_frame(const Envelope& envelope, std::span<const std::byte> payload, std::vector<std::byte>& out);

// The envelope of a message, and where its frame payload starts; nullopt with
// `error` set when the bytes are not a version-1 envelope of the right length.
struct DecodedFrame {
    Envelope envelope;
    std::span<const std::byte> payload;
};
std::optional<DecodedFrame> decode_frame(std::span<const std::byte> message, std::string& error);

// The subject of a frame published under `name` (already a subject token).
std::string frame_subject(std::string_view name, std::int32_t msg_type, std::span<const std::byte> payload);

std::string message_id(std::string_view name, std::int64_t journal_created, std::uint64_t sequence);

}  // namespace sigrun::bridge
