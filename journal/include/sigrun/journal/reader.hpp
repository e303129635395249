// sigrun/journal/reader.hpp — reading a journal, in this process or another.
//
// Any number of readers, each with its own cursor. next() never blocks and
// never returns torn or overwritten data: it copies the payload out and
// re-checks the sequence (PROTOCOL.md, "Reading a frame"). A reader the
// writer has lapped gets an explicit lost result with the exact number of
// frames it missed, then continues with the oldest frame still there.
//
// A reader finds frames by polling each slot's own sequence; the header's
// last_sequence_hint only tells it where to start probing (PROTOCOL.md,
// "Reading a frame").
//
// Every frame handed out matched its checksum (frame_checksum over the
// fields and the payload): a damaged frame is reported as `damaged`, never
// returned as a frame.
//
// next_in_place() reads in place instead of copying, with no atomic RMW; it
// needs the owner's writable mapping and a gate (Writer::gate_on) that keeps
// the writer off the frame: it is how the runner's dispatcher reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "sigrun/journal/mapping.hpp"
#include "sigrun/journal/pins.hpp"

namespace sigrun::journal {

struct FrameInfo {
    std::uint64_t sequence = 0;
    std::int32_t msg_type = 0;
    std::uint32_t length = 0;
    std::int64_t gen_time = 0;
    std::int64_t trigger_time = 0;
    std::uint64_t checksum = 0;  // frame_checksum() of the frame as written
};

enum class ReadStatus {
    frame,    // info (and the payload) describe the next frame
    empty,    // nothing new yet
    lost,     // the writer lapped this reader: `lost` frames were skipped
    damaged,  // `lost` frames from info.sequence were in the ring but not intact
              // (checksum mismatch, impossible length, or the slot emptied by
              // recovery): skipped, never handed out; info holds the header
              // fields as found (sequence always; the rest when the slot held it)
};

struct ReadResult {
    ReadStatus status = ReadStatus::empty;
    FrameInfo info;
    std::uint64_t lost = 0;
};

// A frame read in place (Reader::next_in_place).
struct InPlaceRead {
    ReadStatus status = ReadStatus::empty;
    FrameInfo info;
    std::uint64_t lost = 0;
    const std::byte* payload = nullptr;  // in the slot, when status == frame
    std::uint64_t slot = 0;              // slot index (for Pins), when status == frame
};

// The last published sequence of the journal in `mapping`: the header's
// hint (ignored when its own slot shows it is ahead of what was written),
// or `at_least` if larger — a sequence the caller knows was published —
// then probing forward slot by slot while the next slot holds the next
// sequence (or a later lap of it), at most `capacity` slots. Never above
// kMaxSequence.
[[nodiscard]] std::uint64_t last_published(const Mapping& mapping, std::uint64_t at_least = 0) noexcept;

class Reader {
public:
    // Maps `path` read-only; starts at the oldest frame.
    explicit Reader(const std::filesystem::path& path);
    // Reads through an existing mapping (the owner's, to pin); starts at the
    // oldest frame.
    explicit Reader(std::shared_ptr<Mapping> mapping);

    // Positioning. The next read returns:
    void seek_oldest() noexcept;                        // the oldest frame still in the ring
    void seek_latest() noexcept;                        // the newest published frame
    void seek_end() noexcept;                           // the first frame published after now
    void seek_sequence(std::uint64_t sequence) noexcept;// that frame (or a lost result)
    void seek_time(std::int64_t gen_time) noexcept;     // the first frame with gen_time >= t

    // Copies the next frame's payload into `buffer`, which must hold the
    // journal's max payload (Geometry::max_payload()).
    ReadResult next(std::span<std::byte> buffer);

    // Returns the next frame in place: no copy, no atomic RMW. The payload
    // stays valid until the caller moves its gate past the frame (or, with a
    // pin added before that, until the pin is released). Precondition: the
    // caller's gate (Writer::gate_on) is at most position(), or the writer
    // is otherwise kept off the frames read (MdRetention's hold, no writer
    // running). Needs the owner's writable mapping: throws std::logic_error
    // on a read-only one.
    InPlaceRead next_in_place();

    // next_in_place() does not verify the checksum of frames from `first`
    // on: the caller vouches that this process's own writer wrote them
    // through this mapping, so they never left this process's memory (only a
    // bug in the process or another process writing the file could change
    // them, which a checksum is not the defence against). Frames before
    // `first` — a previous run's, recovered at open — are still verified.
    // The runner's dispatcher uses it for what its own feed writes: the
    // XXH3 of a 384 B frame is ~500 instructions, twice a whole dispatch.
    // next() (copies, other processes' journals) always verifies.
    void trust_own_writes_from(std::uint64_t first) noexcept { trusted_from_ = first; }

    [[nodiscard]] std::uint64_t position() const noexcept { return position_; }
    // The last published sequence (journal::last_published, starting from
    // the newest frame this reader has seen published).
    [[nodiscard]] std::uint64_t last_published() const noexcept;
    [[nodiscard]] const std::shared_ptr<Mapping>& mapping() const noexcept { return mapping_; }
    [[nodiscard]] const Geometry& geometry() const noexcept { return mapping_->geometry(); }

private:
    // Why position_'s slot does not hold position_ (or did, `seen`, but the
    // frame was rewritten under the reader): not written yet; published
    // meanwhile (look again); overwritten by the writer (lapped) or missing
    // from the ring for another reason (damaged): in the last two cases the
    // reader moved past the frames that are gone and `lost` counts them.
    enum class Missing { not_yet, look_again, overwritten, damaged };
    Missing classify_missing(std::uint64_t& lost, bool seen) noexcept;
    // Moves past a frame found published but not intact.
    void skip_damaged(std::uint64_t sequence) noexcept;
    // gen_time of `sequence` if it is still intact in its slot.
    bool peek_gen_time(std::uint64_t sequence, std::int64_t& gen_time) const noexcept;

    std::shared_ptr<Mapping> mapping_;
    std::uint64_t position_ = 1;
    std::uint64_t trusted_from_ = UINT64_MAX;  // trust_own_writes_from(); none by default
    // Newest sequence this reader has seen published: where probing starts
    // when the header's hint is older.
    mutable std::uint64_t known_published_ = 0;
};

}  // namespace sigrun::journal
