// verify.hpp — `sigrun-journal verify`: checks every slot of a journal
// (checksum, length, the sequence belongs in its slot), the continuity of
// the sequences the ring should hold, and the header's last_sequence_hint
// against the frames, on a read-only mapping.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sigrun/journal/mapping.hpp"

namespace sigrun::inspect {

struct VerifyProblem {
    // The frame sequence the problem is about; 0 when no sequence can be
    // named (a damaged slot outside the frames the ring holds, the header).
    std::uint64_t sequence = 0;
    std::uint64_t slot = 0;  // slot index; meaningless for header problems
    bool header = false;     // a problem of the file header, not of a slot
    std::string what;        // one line: what is wrong
};

struct VerifyReport {
    std::uint64_t slots = 0;           // slots checked (the capacity)
    std::uint64_t frames_intact = 0;   // slots holding a frame that checks out
    std::uint64_t first_sequence = 0;  // range the ring should hold; 0 when empty
    std::uint64_t last_sequence = 0;
    std::uint64_t skipped_busy = 0;    // slots a live writer rewrote during the check
    std::vector<VerifyProblem> problems;  // in sequence order, header problems last

    [[nodiscard]] bool clean() const noexcept { return problems.empty(); }
    // The first damaged sequence (0 if the first problem names none).
    [[nodiscard]] std::uint64_t first_bad_sequence() const noexcept;
};

// Reads every slot with atomic loads (a seqlock copy, as Reader::next does),
// so it is safe on a live journal: a slot rewritten while it is checked is
// counted in skipped_busy, not reported as damage.
[[nodiscard]] VerifyReport verify_journal(const journal::Mapping& mapping);

// The report as text: one line per problem (at most `max_lines`, then how
// many more), then a summary line.
[[nodiscard]] std::string format_verify(const std::string& path, const VerifyReport& report,
                                        std::size_t max_lines = 20);

}  // namespace sigrun::inspect
