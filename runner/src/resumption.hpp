// runner/src/resumption.hpp — the consumer cursor of one run (Resumption):
// opens it, plans where dispatch and the source start (plan_resume), says so
// in the log, writes a new cursor when the plan asks for one, and at a clean
// stop makes the journals and the cursor durable.
//
// What the runner does with it: the dispatcher starts at dispatch_from()
// with its position in the cursor file (position()), the runner's own
// source skips source_skip() events, and lost() joins the summary's lost.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "consumer_cursor.hpp"
#include "resume_plan.hpp"
#include "sigrun/journal/mapping.hpp"

namespace sigrun::runner {

class Resumption {
public:
    // Opens (and locks) the cursor if there is one and plans; changes
    // nothing yet. `md`: md.journal's mapping; `md_last`: its last published
    // sequence as recovered (owner) or seen now (external). Throws CursorError.
    Resumption(const RunnerConfig& config, const journal::Mapping& md, std::uint64_t md_last);

    // Logs the plan and writes a new cursor when it asks for one; from here
    // on position() is usable. Throws CursorError.
    void commit();

    [[nodiscard]] std::uint64_t dispatch_from() const noexcept { return plan_.dispatch_from; }
    [[nodiscard]] std::uint64_t source_skip() const noexcept { return plan_.source_skip; }
    [[nodiscard]] std::uint64_t lost() const noexcept { return plan_.lost; }
    [[nodiscard]] const std::string& summary() const noexcept { return plan_.summary; }
    [[nodiscard]] const ConsumerCursor& cursor() const noexcept { return *cursor_; }
    // The dispatcher's position, in the cursor file.
    [[nodiscard]] std::atomic<std::uint64_t>& position() noexcept { return cursor_->position(); }

    // fsync `journals` (in order), then the cursor: after a clean stop a
    // power loss costs nothing. Failures are logged, not thrown: the run's
    // data is written either way.
    void make_durable(const std::vector<std::filesystem::path>& journals) noexcept;

private:
    ResumePlan plan_;
    std::filesystem::path path_;
    std::unique_ptr<ConsumerCursor> cursor_;  // the existing one until commit()
};

}  // namespace sigrun::runner
