// runner/src/frame_replay.hpp — feeding recent journal frames into an engine
// that is not live yet (hot-swap warm-up), with its emits discarded.
#pragma once

#include <cstdint>
#include <memory>

#include "engine_instance.hpp"
#include "sigrun/journal/mapping.hpp"

namespace sigrun::runner {

// Replays md frames [from, to) into `engine` with its emits discarded (its
// timer fires as in dispatch), the
// same frames in the same order the dispatcher delivered them (invalid frames
// are skipped as the dispatcher skips them). Reads in place when `md` is the
// owner's mapping: the caller keeps the writer off [from, to) (MdRetention's
// hold, or the dispatcher's gate for frames not yet dispatched). Returns false when a frame in
// the range is no longer in the journal. Never call on a live engine.
bool replay_into(EngineInstance& engine, const std::shared_ptr<journal::Mapping>& md, std::uint64_t from,
                 std::uint64_t to);

}  // namespace sigrun::runner
