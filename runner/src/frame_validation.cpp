#include "frame_validation.hpp"

#include <cstddef>
#include <cstring>

#include "sigrun/messages.h"

namespace sigrun::runner {

bool describe_frame(int type, std::uint32_t length, const void* data, CurrentFrame& frame) noexcept {
    std::size_t expected = 0;
    switch (type) {
        case SIGRUN_MSG_DEPTH: expected = sizeof(sigrun_depth); break;
        case SIGRUN_MSG_TRADE: expected = sizeof(sigrun_trade); break;
        default: return false;
    }
    if (length != expected) return false;
    frame.type = type;
    frame.data = data;
    // receive_time_ns sits at the same offset in Depth and Trade.
    static_assert(offsetof(sigrun_depth, receive_time_ns) == offsetof(sigrun_trade, receive_time_ns));
    std::memcpy(&frame.receive_time_ns, static_cast<const std::byte*>(data) + offsetof(sigrun_depth, receive_time_ns),
                sizeof frame.receive_time_ns);
    return true;
}

}  // namespace sigrun::runner
