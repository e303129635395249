// sigrun/factor_batch.hpp — reading the signals journal's factor frames.
//
// Each SIGRUN_MSG_FACTOR_BATCH frame is one sigrun_factor_batch header and
// `count` sigrun_factor_value entries (messages.h). for_each_factor() checks
// the frame is well formed and hands out one sigrun_factor per value — the
// value joined with its batch's engine, source sequence and times — so that
// tools and tests read factors one by one without knowing the batching.
// Header-only, no allocation.
#ifndef SIGRUN_FACTOR_BATCH_HPP
#define SIGRUN_FACTOR_BATCH_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "sigrun/messages.h"

namespace sigrun {

// Payload bytes of a batch of `count` values.
constexpr std::size_t factor_batch_bytes(std::uint32_t count) noexcept {
    return sizeof(sigrun_factor_batch) + std::size_t{count} * sizeof(sigrun_factor_value);
}

// Calls `each(const sigrun_factor&)` for every value of the batch in
// `payload`, in the order the engine emitted them. Returns false, calling
// nothing, when the payload is not a batch: shorter than its header, a count
// of 0, or a length that does not match its count.
template <class Each>
bool for_each_factor(std::span<const std::byte> payload, Each&& each) {
    sigrun_factor_batch batch;
    if (payload.size() < sizeof batch) return false;
    std::memcpy(&batch, payload.data(), sizeof batch);
    if (batch.count == 0 || payload.size() != factor_batch_bytes(batch.count)) return false;
    sigrun_factor factor{};
    std::memcpy(factor.engine, batch.engine, sizeof factor.engine);
    factor.source_sequence = batch.source_sequence;
    factor.source_receive_time_ns = batch.source_receive_time_ns;
    factor.publish_time_ns = batch.publish_time_ns;
    for (std::uint32_t i = 0; i < batch.count; ++i) {
        sigrun_factor_value value;
        std::memcpy(&value, payload.data() + sizeof batch + i * sizeof value, sizeof value);
        std::memcpy(factor.factor, value.factor, sizeof factor.factor);
        std::memcpy(factor.instrument, value.instrument, sizeof factor.instrument);
        factor.value = value.value;
        each(static_cast<const sigrun_factor&>(factor));
    }
    return true;
}

}  // namespace sigrun

#endif  // SIGRUN_FACTOR_BATCH_HPP
