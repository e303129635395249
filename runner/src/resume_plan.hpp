// runner/src/resume_plan.hpp — where a (re)started runner dispatches from and
// where its source continues (plan_resume), decided from the consumer
// cursor, md.journal as recovered, and $.source.start. Pure: no files, no
// logging, so every case is unit-tested; Resumption (resumption.hpp) does the
// I/O around it.
//
// The rules (README, "Guarantees"):
//   * resume (the default) with a cursor for this md.journal and source:
//     dispatch continues at the cursor — the first frame not yet fully
//     dispatched — and the runner's own source (replay, synthetic) continues
//     with the event after the last one md.journal holds: md sequence s holds
//     source event s - origin, so nothing is fed twice and source time never
//     goes back.
//   * no cursor, or an explicit start other than resume: as on a first run
//     (replay/synthetic from the first event, written after what md.journal
//     holds; journal at "end" or "oldest"), and a new cursor is written.
//   * a cursor older than the md ring (frames overwritten before they were
//     dispatched) resumes at the oldest frame left and reports the exact
//     number lost; a cursor ahead of md.journal (md.journal lost its tail in
//     a power loss) resumes at md.journal's end.
//   * a cursor for another md.journal (deleted and recreated) or another
//     source is refused with a CursorError: its position means nothing there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "consumer_cursor.hpp"
#include "sigrun/journal/format.hpp"

namespace sigrun::runner {

// md.journal as the runner found it at start (after recovery, when it owns it).
struct MdJournalState {
    std::int64_t created_time = 0;
    journal::Geometry geometry;
    std::uint64_t last = 0;  // last published sequence, 0 = none

    [[nodiscard]] std::uint64_t end() const noexcept { return last + 1; }
    [[nodiscard]] std::uint64_t oldest() const noexcept {
        return last >= geometry.capacity ? last - geometry.capacity + 1 : 1;
    }
};

struct CursorState {
    CursorIdentity identity;
    std::uint64_t position = 0;  // next md sequence to dispatch
};

struct ResumeInputs {
    SourceKind kind = SourceKind::replay;
    StartPolicy start = StartPolicy::resume;
    bool start_given = false;
    std::uint64_t source_fingerprint = 0;  // source_fingerprint(config); 0 for journal
    MdJournalState md;
    std::optional<CursorState> cursor;     // the cursor file as found, if any
    std::string cursor_path;               // for messages
    std::string md_path;
};

struct ResumeLine {
    bool warning = false;  // else info
    std::string text;
};

struct ResumePlan {
    CursorIdentity identity;     // what the cursor holds from now on
    bool write_new = false;      // write a new cursor file (none yet, or replaced)
    bool resumed = false;        // continued from an existing cursor
    std::uint64_t dispatch_from = 1;
    std::uint64_t source_skip = 0;  // events of the runner's source already in md.journal
    std::uint64_t lost = 0;      // md frames gone before dispatch reached them (counted here only
                                 // when the runner owns md.journal; an external one's reader counts)
    std::vector<ResumeLine> log;
    std::string summary;         // one line for the run summary
};

// Throws CursorError when the cursor belongs to another md.journal or source
// (or cannot be right) and start is "resume".
ResumePlan plan_resume(const ResumeInputs& in);

// Identifies the data a replay or synthetic source produces: for replay each
// file's name and size, for synthetic the seed and instrument (not the event
// count: a longer run continues the same stream). 0 for journal.
std::uint64_t source_fingerprint(const SourceConfig& source);

const char* source_kind_name(SourceKind kind) noexcept;

}  // namespace sigrun::runner
