// envelope.cpp — encoding and decoding the version-1 envelope.
#include "envelope.hpp"

#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "bridge_config.hpp"
#include "sigrun/messages.h"

namespace sigrun::bridge {
namespace {

static_assert(std::endian::native == std::endian::little, "the envelope is written in native little-endian order");

// Field offsets in the envelope.
constexpr std::size_t kOffVersion = 4, kOffSize = 6, kOffType = 8, kOffLength = 12, kOffCreated = 16,
                      kOffSequence = 24, kOffGen = 32, kOffTrigger = 40, kOffPublish = 48;
static_assert(kOffPublish + 8 == kEnvelopeSize);

template <class T>
void put(std::byte* at, T value) {
    std::memcpy(at, &value, sizeof value);
}
template <class T>
T get(const std::byte* at) {
    T value;
    std::memcpy(&value, at, sizeof value);
    return value;
}

// A fixed-size, NUL-padded C string field.
std::string_view field(const char* chars, std::size_t size) {
    return {chars, strnlen(chars, size)};
}

}  // namespace

void encode_frame(const Envelope& e, std::span<const std::byte> payload, std::vector<std::byte>& out) {
    out.resize(kEnvelopeSize + payload.size());
    std::byte* p = out.data();
    std::memcpy(p, kEnvelopeMagic, sizeof kEnvelopeMagic);
    put<std::uint16_t>(p + kOffVersion, kEnvelopeVersion);
    put<std::uint16_t>(p + kOffSize, static_cast<std::uint16_t>(kEnvelopeSize));
    put<std::int32_t>(p + kOffType, e.msg_type);
    put<std::uint32_t>(p + kOffLength, static_cast<std::uint32_t>(payload.size()));
    put<std::int64_t>(p + kOffCreated, e.journal_created);
    put<std::uint64_t>(p + kOffSequence, e.sequence);
    put<std::int64_t>(p + kOffGen, e.gen_time);
    put<std::int64_t>(p + kOffTrigger, e.trigger_time);
    put<std::int64_t>(p + kOffPublish, e.publish_time);
    if (!payload.empty()) std::memcpy(p + kEnvelopeSize, payload.data(), payload.size());
}

std::optional<DecodedFrame> decode_frame(std::span<const std::byte> m, std::string& error) {
    if (m.size() < kEnvelopeSize || std::memcmp(m.data(), kEnvelopeMagic, sizeof kEnvelopeMagic) != 0) {
        error = "not a sigrun-bridge message (no SGRB envelope)";
        return std::nullopt;
    }
    const std::byte* p = m.data();
    const auto version = get<std::uint16_t>(p + kOffVersion);
    const auto size = get<std::uint16_t>(p + kOffSize);
    if (version != kEnvelopeVersion || size != kEnvelopeSize) {
        error = fmt::format("envelope version {} (size {}), this bridge reads version {}; upgrade the reading side",
                            version, size, kEnvelopeVersion);
        return std::nullopt;
    }
    DecodedFrame d;
    d.envelope.msg_type = get<std::int32_t>(p + kOffType);
    d.envelope.length = get<std::uint32_t>(p + kOffLength);
    d.envelope.journal_created = get<std::int64_t>(p + kOffCreated);
    d.envelope.sequence = get<std::uint64_t>(p + kOffSequence);
    d.envelope.gen_time = get<std::int64_t>(p + kOffGen);
    d.envelope.trigger_time = get<std::int64_t>(p + kOffTrigger);
    d.envelope.publish_time = get<std::int64_t>(p + kOffPublish);
    if (m.size() - kEnvelopeSize != d.envelope.length) {
        error = fmt::format("envelope says {} payload bytes, the message holds {}", d.envelope.length,
                            m.size() - kEnvelopeSize);
        return std::nullopt;
    }
    d.payload = m.subspan(kEnvelopeSize);
    return d;
}

std::string frame_subject(std::string_view name, std::int32_t msg_type, std::span<const std::byte> payload) {
    const auto* chars = reinterpret_cast<const char*>(payload.data());
    switch (msg_type) {
    case SIGRUN_MSG_DEPTH:
        if (payload.size() >= sizeof(sigrun_depth)) {
            return fmt::format("sigrun.{}.depth.{}", name, subject_token(field(chars, SIGRUN_INSTRUMENT_LEN)));
        }
        break;
    case SIGRUN_MSG_TRADE:
        if (payload.size() >= sizeof(sigrun_trade)) {
            return fmt::format("sigrun.{}.trade.{}", name, subject_token(field(chars, SIGRUN_INSTRUMENT_LEN)));
        }
        break;
    case SIGRUN_MSG_FACTOR_BATCH:
        if (payload.size() >= sizeof(sigrun_factor_batch) + sizeof(sigrun_factor_value)) {
            const auto* value = chars + sizeof(sigrun_factor_batch);
            return fmt::format("sigrun.{}.factors.{}.{}", name, subject_token(field(chars, SIGRUN_NAME_LEN)),
                               subject_token(field(value + offsetof(sigrun_factor_value, instrument), SIGRUN_INSTRUMENT_LEN)));
        }
        break;
    default:
        break;
    }
    return fmt::format("sigrun.{}.other.{}", name, msg_type);
}

std::string message_id(std::string_view name, std::int64_t journal_created, std::uint64_t sequence) {
    return fmt::format("{}:{}:{}", name, journal_created, sequence);
}

}  // namespace sigrun::bridge
