#include "frame_replay.hpp"

#include <vector>

#include "engine_instance.hpp"
#include "frame_validation.hpp"
#include "sigrun/journal/reader.hpp"

namespace sigrun::runner {
namespace {

// Restores the engine's emits on every exit path.
struct DiscardEmits {
    EngineHost& host;
    explicit DiscardEmits(EngineHost& h) : host(h) { host.set_discard_emits(true); }
    ~DiscardEmits() { host.set_discard_emits(false); }
};

// As the dispatcher hands a frame: the timer first (every frame moves the
// clock), then the frame when the engine declares its type.
void deliver(EngineInstance& engine, const CurrentFrame& frame) {
    engine.on_frame_time(frame);
    if (engine.accepts(frame.type)) engine.on_data(frame);
}

}  // namespace

bool replay_into(EngineInstance& engine, const std::shared_ptr<journal::Mapping>& md, std::uint64_t from,
                 std::uint64_t to) {
    if (from >= to) return true;
    DiscardEmits discard(engine.host());
    journal::Reader reader(md);
    reader.seek_sequence(from);
    const bool pinned = md->writable();
    std::vector<std::byte> buffer(pinned ? 0 : md->geometry().max_payload() + 64);
    while (reader.position() < to) {
        const std::uint64_t expected = reader.position();
        CurrentFrame frame;
        frame.sequence = expected;
        if (pinned) {
            // In place: MdRetention's hold keeps the feed from overwriting
            // the frames of the warm-up, so they stay put while the engine
            // reads (and may pin) them.
            const journal::InPlaceRead read = reader.next_in_place();
            if (read.status == journal::ReadStatus::damaged) continue;  // skipped, as the dispatcher skips it
            if (read.status != journal::ReadStatus::frame) return false;
            frame.retainable = true;
            frame.slot = read.slot;
            if (describe_frame(read.info.msg_type, read.info.length, read.payload, frame)) deliver(engine, frame);
        } else {
            // 64-byte aligned view of the private buffer for the engine.
            auto* aligned = reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(buffer.data()) + 63) & ~std::uintptr_t{63});
            const journal::ReadResult read = reader.next(std::span(aligned, md->geometry().max_payload()));
            if (read.status == journal::ReadStatus::damaged) continue;  // skipped, as the dispatcher skips it
            if (read.status != journal::ReadStatus::frame) return false;
            if (describe_frame(read.info.msg_type, read.info.length, aligned, frame)) deliver(engine, frame);
        }
    }
    return true;
}

}  // namespace sigrun::runner
