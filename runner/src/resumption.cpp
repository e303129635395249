#include "resumption.hpp"

#include <spdlog/spdlog.h>

namespace sigrun::runner {

Resumption::Resumption(const RunnerConfig& config, const journal::Mapping& md, std::uint64_t md_last) {
    const auto path = ConsumerCursor::path_for(config.journal.dir, config.journal.cursor);
    const SourceConfig& source = config.source;
    const bool replacing = source.start != StartPolicy::resume;
    std::unique_ptr<ConsumerCursor> existing;
    try {
        existing = ConsumerCursor::open_existing(path);
    } catch (const CursorError& e) {
        // An explicit start does not need the old position: a damaged cursor
        // is replaced (and said so) instead of stopping the start.
        if (!replacing || e.kind() != CursorError::Kind::damaged) throw;
        spdlog::warn("{}; replacing it, as $.source.start is given", e.what());  // before commit's lines: it is why
    }

    ResumeInputs in;
    in.kind = source.kind;
    in.start = source.start;
    in.start_given = source.start_given;
    in.source_fingerprint = source_fingerprint(source);
    in.md = MdJournalState{md.header().created_time, md.geometry(), md_last};
    if (existing) in.cursor = CursorState{existing->identity(), existing->stored_position()};
    in.cursor_path = path.string();
    in.md_path = md.path().string();
    plan_ = plan_resume(in);

    cursor_ = std::move(existing);
    path_ = path;
}

void Resumption::commit() {
    for (const ResumeLine& line : plan_.log) {
        if (line.warning) {
            spdlog::warn("{}", line.text);
        } else {
            spdlog::info("{}", line.text);
        }
    }
    if (plan_.write_new) {
        cursor_.reset();  // unlock and unmap the old one before it is replaced
        cursor_ = ConsumerCursor::create(path_, plan_.identity, plan_.dispatch_from);
    }
}

void Resumption::make_durable(const std::vector<std::filesystem::path>& journals) noexcept {
    try {
        for (const auto& journal : journals) sync_file(journal);
        cursor_->sync();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
    }
}

}  // namespace sigrun::runner
