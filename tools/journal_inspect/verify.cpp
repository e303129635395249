#include "verify.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/checksum.hpp"
#include "sigrun/journal/format.hpp"

namespace sigrun::inspect {
namespace {

using journal::detail::load;

enum class SlotState { empty, intact, damaged, busy };

struct SlotCheck {
    SlotState state = SlotState::empty;
    std::uint64_t sequence = 0;  // as found in the slot
    std::string why;             // for damaged
};

// One slot, read like Reader::next (R1-R5) and then checked.
SlotCheck check_slot(const journal::Mapping& mapping, std::uint64_t index, std::vector<std::byte>& buffer) {
    const journal::Geometry& g = mapping.geometry();
    const journal::FrameHeader& slot = mapping.slot(index);
    SlotCheck c;
    c.sequence = load(slot.sequence, std::memory_order_acquire);
    if (c.sequence == journal::kNoSequence) return c;
    const std::uint32_t length = load(slot.length, std::memory_order_relaxed);
    const std::int32_t msg_type = load(slot.msg_type, std::memory_order_relaxed);
    const std::int64_t gen_time = load(slot.gen_time, std::memory_order_relaxed);
    const std::int64_t trigger_time = load(slot.trigger_time, std::memory_order_relaxed);
    const std::uint64_t checksum = load(slot.checksum, std::memory_order_relaxed);
    if (length <= g.max_payload()) journal::detail::racy_copy_out(buffer.data(), mapping.payload(index), length);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (load(slot.sequence, std::memory_order_relaxed) != c.sequence) {
        c.state = SlotState::busy;
        return c;
    }
    if (c.sequence > journal::kMaxSequence || g.slot_index(c.sequence) != index) {
        c.state = SlotState::damaged;
        c.why = fmt::format("its sequence word reads {}, which does not belong in slot {}", c.sequence, index);
    } else if (length > g.max_payload()) {
        c.state = SlotState::damaged;
        c.why = fmt::format("its length reads {} bytes, more than a slot holds ({})", length, g.max_payload());
    } else if (journal::frame_checksum(c.sequence, length, msg_type, gen_time, trigger_time, buffer.data()) !=
               checksum) {
        c.state = SlotState::damaged;
        c.why = "checksum mismatch (payload or header fields changed after it was written)";
    } else {
        c.state = SlotState::intact;
    }
    return c;
}

}  // namespace

std::uint64_t VerifyReport::first_bad_sequence() const noexcept {
    return problems.empty() ? 0 : problems.front().sequence;
}

VerifyReport verify_journal(const journal::Mapping& mapping) {
    const journal::Geometry& g = mapping.geometry();
    VerifyReport report;
    report.slots = g.capacity;
    std::vector<std::byte> buffer(g.max_payload());
    std::vector<SlotCheck> slots(g.capacity);
    std::uint64_t last = 0;
    for (std::uint64_t i = 0; i < g.capacity; ++i) {
        slots[i] = check_slot(mapping, i, buffer);
        if (slots[i].state == SlotState::intact) {
            ++report.frames_intact;
            last = std::max(last, slots[i].sequence);
        } else if (slots[i].state == SlotState::busy) {
            ++report.skipped_busy;
        }
    }
    std::vector<bool> explained(g.capacity, false);
    if (last != 0) {
        // Every sequence the ring should hold, in order: the one in its slot.
        const std::uint64_t first = mapping.oldest_possible(last);
        report.first_sequence = first;
        report.last_sequence = last;
        for (std::uint64_t seq = first; seq <= last; ++seq) {
            const std::uint64_t i = g.slot_index(seq);
            const SlotCheck& c = slots[i];
            explained[i] = true;
            if (c.state == SlotState::intact && c.sequence == seq) continue;
            if (c.state == SlotState::busy) continue;
            VerifyProblem p{seq, i, false, {}};
            if (c.state == SlotState::damaged) {
                p.what = fmt::format("frame {} (slot {}) is damaged: {}", seq, i, c.why);
            } else if (c.state == SlotState::intact) {
                p.what = fmt::format("frame {} (slot {}) is missing: the slot holds frame {}, a lap older; "
                                     "the sequence does not continue",
                                     seq, i, c.sequence);
            } else if (seq == first && first > 1) {
                // The oldest slot emptied: the writer was (or is) rewriting it
                // for the next frame, last + 1. Not damage.
                continue;
            } else {
                p.what = fmt::format("frame {} (slot {}) is missing: its slot is empty inside the ring "
                                     "(recovery discarded a damaged or torn frame there)",
                                     seq, i);
            }
            report.problems.push_back(std::move(p));
        }
    }
    // Slots outside the range above hold nothing a reader would return; any
    // frame there that does not check out is damage without a sequence.
    for (std::uint64_t i = 0; i < g.capacity; ++i) {
        if (explained[i] || slots[i].state != SlotState::damaged) continue;
        report.problems.push_back({0, i, false, fmt::format("slot {} (no frame expected there) is damaged: {}", i,
                                                            slots[i].why)});
    }
    // The header's hint must be corroborated by the frames: never ahead of
    // the last one, and never further behind than the writer lets it lag.
    const std::uint64_t hint = load(mapping.header().last_sequence_hint, std::memory_order_acquire);
    if (hint > last) {
        report.problems.push_back({0, 0, true, fmt::format("header last_sequence_hint is {}, ahead of the last "
                                                           "intact frame ({})",
                                                           hint, last)});
    } else if (last - hint > journal::kHintInterval) {
        report.problems.push_back({0, 0, true, fmt::format("header last_sequence_hint is {}, more than {} frames "
                                                           "behind the last intact frame ({})",
                                                           hint, journal::kHintInterval, last)});
    }
    return report;
}

std::string format_verify(const std::string& path, const VerifyReport& r, std::size_t max_lines) {
    std::string out;
    for (std::size_t k = 0; k < r.problems.size() && k < max_lines; ++k) out += r.problems[k].what + "\n";
    if (r.problems.size() > max_lines) out += fmt::format("... and {} more\n", r.problems.size() - max_lines);
    const std::string range =
        r.last_sequence == 0 ? std::string("no frames")
                             : fmt::format("frames {}..{}", r.first_sequence, r.last_sequence);
    const std::string busy =
        r.skipped_busy == 0 ? std::string()
                            : fmt::format(", {} slot(s) rewritten by a live writer during the check", r.skipped_busy);
    if (r.clean()) {
        out += fmt::format("{}: clean: {} slots, {} intact frame(s), {}{}\n", path, r.slots, r.frames_intact, range,
                           busy);
        return out;
    }
    const VerifyProblem& first = r.problems.front();
    const std::string where = first.header      ? std::string("the file header")
                              : first.sequence != 0 ? fmt::format("sequence {}", first.sequence)
                                                    : fmt::format("slot {}", first.slot);
    out += fmt::format("{}: DAMAGED: {} problem(s), first bad {}; {} slots, {} intact frame(s), {}{}; readers skip "
                       "damaged frames (counted as damaged, never dispatched)\n",
                       path, r.problems.size(), where, r.slots, r.frames_intact, range, busy);
    return out;
}

}  // namespace sigrun::inspect
