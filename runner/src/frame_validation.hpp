// runner/src/frame_validation.hpp — is an md journal frame a message an
// engine may be handed? The one check between the journal and the engines,
// used by the dispatcher and by the warm-up replay of a hot swap.
//
// A journal written by another process may hold anything: an unknown type,
// or a length that does not match the type's struct. Such a frame is never
// dispatched.
#pragma once

#include <cstdint>

#include "engine_host.hpp"

namespace sigrun::runner {

// Fills frame.type, frame.data and frame.receive_time_ns from a frame of
// `type` with `length` payload bytes at `data`; false (frame untouched) when
// it must not be dispatched.
bool describe_frame(int type, std::uint32_t length, const void* data, CurrentFrame& frame) noexcept;

}  // namespace sigrun::runner
