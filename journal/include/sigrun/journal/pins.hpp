// sigrun/journal/pins.hpp — frame pinning: keeping a frame from being
// overwritten after its reader has moved on (an engine keeping a frame).
//
// Only the journal's owner (the process holding the writer) pins, through
// its writable Mapping; tools and other processes never do, so a crashed
// reader cannot leave a pin that stalls the writer, and the owner clears
// stale pins when it reopens the journal. See PROTOCOL.md, "Gating and pins".
#pragma once

#include <cstdint>
#include <memory>

#include "sigrun/journal/mapping.hpp"

namespace sigrun::journal {

// What one pass over the slots found (Pins::scan).
struct PinScan {
    std::uint64_t pinned_slots = 0;     // slots with at least one pin
    std::uint64_t oldest_sequence = 0;  // lowest sequence among them; 0 when none is pinned
    std::int64_t oldest_gen_time = 0;   // that frame's gen_time: when the writer wrote it (ns)
};

class Pins {
public:
    // `mapping` must be writable (the owner's).
    explicit Pins(std::shared_ptr<Mapping> mapping);

    // Adds one pin to the slot at `index`: one relaxed fetch_add. Allowed
    // only while the writer cannot be overwriting that slot: the frame in it
    // is still covered by the caller's gate (sequence >= the gate the caller
    // registered with Writer::gate_on, and the gate is moved past the frame
    // only afterwards), or the caller already holds a pin on it. Under that
    // rule no check of the slot is needed (PROTOCOL.md, P1).
    void add(std::uint64_t index) const noexcept;

    // Drops one pin from the slot at `index` (acq_rel). Returns false (and
    // changes nothing) when the slot had no pin: a double release, a bug in
    // the caller.
    bool release(std::uint64_t index) const noexcept;

    // Pins currently on the slot at `index`.
    [[nodiscard]] std::uint32_t count(std::uint64_t index) const noexcept;

    // Slots that carry at least one pin right now.
    [[nodiscard]] std::uint64_t pinned_slots() const noexcept;

    // Slots that carry a pin right now and the oldest frame among them, in
    // one pass over every slot (for a metrics scrape, not the hot path).
    // [any thread of the owner] A pin released during the pass may be
    // counted or not, and its slot's fields may already be the next
    // frame's (younger): never an older frame than one really pinned.
    [[nodiscard]] PinScan scan() const noexcept;

    [[nodiscard]] const std::shared_ptr<Mapping>& mapping() const noexcept { return mapping_; }

private:
    std::shared_ptr<Mapping> mapping_;
};

}  // namespace sigrun::journal
