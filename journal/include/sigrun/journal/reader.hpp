// sigrun/journal/reader.hpp — reading a journal, in this process or another.
//
// Any number of readers, each with its own cursor. next() never blocks and
// never returns torn or overwritten data: it copies the payload out and
// re-checks the sequence (PROTOCOL.md, "Reading a frame"). A reader the
// writer has lapped gets an explicit lost result with the exact number of
// frames it missed, then continues with the oldest frame still there.
//
// next_pinned() reads in place instead of copying; it needs the owner's
// writable mapping (Pins) and is how the runner's dispatcher reads.
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
    std::uint32_t checksum = 0;
};

enum class ReadStatus {
    frame,  // info (and the payload) describe the next frame
    empty,  // nothing new yet
    lost,   // the writer lapped this reader: `lost` frames were skipped
};

struct ReadResult {
    ReadStatus status = ReadStatus::empty;
    FrameInfo info;
    std::uint64_t lost = 0;
};

struct PinnedRead {
    ReadStatus status = ReadStatus::empty;
    FrameInfo info;
    std::uint64_t lost = 0;
    PinnedFrame frame;  // held when status == frame
};

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

    // Pins the next frame and returns it in place. Needs a writable mapping.
    PinnedRead next_pinned();

    [[nodiscard]] std::uint64_t position() const noexcept { return position_; }
    [[nodiscard]] std::uint64_t last_published() const noexcept;
    [[nodiscard]] const std::shared_ptr<Mapping>& mapping() const noexcept { return mapping_; }
    [[nodiscard]] const Geometry& geometry() const noexcept { return mapping_->geometry(); }

private:
    // Moves past frames the writer overwrote; returns how many were lost.
    std::uint64_t skip_lapped() noexcept;
    // gen_time of `sequence` if it is still intact in its slot.
    bool peek_gen_time(std::uint64_t sequence, std::int64_t& gen_time) const noexcept;

    std::shared_ptr<Mapping> mapping_;
    std::unique_ptr<Pins> pins_;  // only with a writable mapping
    std::uint64_t position_ = 1;
};

}  // namespace sigrun::journal
