#include "sigrun/journal/checksum.hpp"

#include "checksum_inline.hpp"

namespace sigrun::journal {

std::uint64_t frame_checksum(std::uint64_t sequence, std::uint32_t length, std::int32_t msg_type,
                             std::int64_t gen_time, std::int64_t trigger_time,
                             const void* payload) noexcept {
    return detail::frame_checksum_inline(sequence, length, msg_type, gen_time, trigger_time, payload);
}

}  // namespace sigrun::journal
