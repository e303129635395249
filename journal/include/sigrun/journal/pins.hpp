// sigrun/journal/pins.hpp — frame pinning: keeping a frame from being
// overwritten while someone reads it in place.
//
// Only the journal's owner (the process holding the writer) pins, through
// its writable Mapping; tools and other processes never do, so a crashed
// reader cannot leave a pin that stalls the writer, and the owner clears
// stale pins when it reopens the journal. See PROTOCOL.md, "Pinning".
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "sigrun/journal/mapping.hpp"

namespace sigrun::journal {

class Pins {
public:
    // `mapping` must be writable (the owner's).
    explicit Pins(std::shared_ptr<Mapping> mapping);

    // Pins the frame with `sequence`. Returns false, leaving nothing pinned,
    // when that frame is no longer (or not yet) in its slot: the writer is
    // rewriting it or has already replaced it.
    [[nodiscard]] bool retain(std::uint64_t sequence) const noexcept;

    // Adds one pin to the slot at `index`, which the caller already holds a
    // pin on (so it cannot change meanwhile). Cheaper than retain(): no
    // re-validation is needed.
    void retain_held(std::uint64_t index) const noexcept;

    // Drops one pin from the slot at `index`. Returns false (and changes
    // nothing) when the slot had no pin: a double release, a bug in the
    // caller.
    bool release(std::uint64_t index) const noexcept;

    // Pins currently on the slot at `index`.
    [[nodiscard]] std::uint32_t count(std::uint64_t index) const noexcept;

    // Slots that carry at least one pin right now.
    [[nodiscard]] std::uint64_t pinned_slots() const noexcept;

    [[nodiscard]] const std::shared_ptr<Mapping>& mapping() const noexcept { return mapping_; }

private:
    std::shared_ptr<Mapping> mapping_;
};

// A pinned frame: the payload stays valid and unchanged until this object is
// destroyed or release()d. Move-only.
class PinnedFrame {
public:
    PinnedFrame() = default;
    PinnedFrame(const Pins* pins, std::uint64_t index, std::uint64_t sequence,
                const std::byte* payload) noexcept
        : pins_(pins), index_(index), sequence_(sequence), payload_(payload) {}
    ~PinnedFrame() { release(); }
    PinnedFrame(PinnedFrame&& other) noexcept { *this = std::move(other); }
    PinnedFrame& operator=(PinnedFrame&& other) noexcept {
        if (this != &other) {
            release();
            pins_ = std::exchange(other.pins_, nullptr);
            index_ = other.index_;
            sequence_ = other.sequence_;
            payload_ = other.payload_;
        }
        return *this;
    }
    PinnedFrame(const PinnedFrame&) = delete;
    PinnedFrame& operator=(const PinnedFrame&) = delete;

    void release() noexcept {
        if (pins_ != nullptr) std::exchange(pins_, nullptr)->release(index_);
    }
    [[nodiscard]] bool held() const noexcept { return pins_ != nullptr; }
    [[nodiscard]] std::uint64_t slot_index() const noexcept { return index_; }
    [[nodiscard]] std::uint64_t sequence() const noexcept { return sequence_; }
    [[nodiscard]] const std::byte* payload() const noexcept { return payload_; }

private:
    const Pins* pins_ = nullptr;
    std::uint64_t index_ = 0;
    std::uint64_t sequence_ = 0;
    const std::byte* payload_ = nullptr;
};

}  // namespace sigrun::journal
