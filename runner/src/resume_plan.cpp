#include "resume_plan.hpp"

#include <fmt/format.h>

namespace sigrun::runner {
namespace {

struct Fnv {
    std::uint64_t hash = 14695981039346656037ULL;
    void bytes(const void* data, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) {
            hash ^= static_cast<const unsigned char*>(data)[i];
            hash *= 1099511628211ULL;
        }
    }
    void text(const std::string& s) { bytes(s.c_str(), s.size() + 1); }
    void u64(std::uint64_t v) {
        unsigned char le[8];
        for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(v >> (8 * i));
        bytes(le, sizeof le);
    }
};

std::string frames(std::uint64_t n) { return fmt::format("{} frame{}", n, n == 1 ? "" : "s"); }

// "frames a..b (n frames)" for a non-empty range [from, to).
std::string range(std::uint64_t from, std::uint64_t to) {
    return to - from == 1 ? fmt::format("frame {}", from) : fmt::format("frames {}..{} ({})", from, to - 1, to - from);
}

bool owns_md(SourceKind kind) { return kind != SourceKind::journal; }

// A fresh start: no cursor, or $.source.start other than resume.
ResumePlan start_over(const ResumeInputs& in, const CursorIdentity& expected) {
    ResumePlan plan;
    plan.write_new = true;
    plan.identity = expected;
    const MdJournalState& md = in.md;
    if (owns_md(in.kind)) {
        plan.dispatch_from = md.end();
        plan.identity.source_origin = md.end();
    } else {
        plan.dispatch_from = in.start == StartPolicy::oldest ? md.oldest() : md.end();
    }
    const char* where = owns_md(in.kind) ? "the source's first event" : in.start == StartPolicy::oldest
                                                                           ? "the oldest frame in the ring"
                                                                           : "the first frame published from now on";
    if (!in.cursor) {
        plan.log.push_back({false, fmt::format("consumer cursor {} created: dispatch starts at md frame {}, {}",
                                               in.cursor_path, plan.dispatch_from, where)});
        plan.summary = fmt::format("{}: new, dispatch started at md frame {}", in.cursor_path, plan.dispatch_from);
        return plan;
    }
    // An explicit start replaces an existing cursor: say what that does.
    const CursorState& old = *in.cursor;
    const bool same_md = old.identity.md_created_time == md.created_time &&
                         old.identity.md_capacity == md.geometry.capacity &&
                         old.identity.md_slot_size == md.geometry.slot_size;
    std::string effect;
    if (!same_md) {
        effect = "it belonged to another md.journal";
    } else if (owns_md(in.kind)) {
        effect = "the source is fed again from its first event";
        if (old.position <= md.last) {
            effect += fmt::format("; md {} written before the restart and not dispatched are skipped",
                                  range(old.position, md.end()));
        }
    } else if (plan.dispatch_from > old.position) {
        effect = fmt::format("md {} after the cursor are skipped", range(old.position, plan.dispatch_from));
    } else if (plan.dispatch_from < old.position) {
        effect = fmt::format("md {} before the cursor are dispatched again", range(plan.dispatch_from, old.position));
    } else {
        effect = "that is where the cursor was";
    }
    const char* start = in.start == StartPolicy::beginning ? "beginning"
                        : in.start == StartPolicy::end     ? "end"
                                                           : "oldest";
    plan.log.push_back({true, fmt::format("$.source.start is \"{}\": consumer cursor {} (at md frame {}) is not resumed "
                                          "but replaced; dispatch starts at md frame {}, {}: {}",
                                          start, in.cursor_path, old.position, plan.dispatch_from, where, effect)});
    plan.summary = fmt::format("{}: replaced ($.source.start \"{}\"), dispatch started at md frame {}",
                               in.cursor_path, start, plan.dispatch_from);
    return plan;
}

[[noreturn]] void refuse(const ResumeInputs& in, const std::string& why) {
    const char* fix = owns_md(in.kind) ? "set $.source.start to \"beginning\" to feed the source from its first event"
                                       : "set $.source.start to \"end\" or \"oldest\"";
    throw CursorError(CursorError::Kind::mismatch, fmt::format("consumer cursor {} {}, so its position means nothing here; {}, or move the cursor "
                                  "aside (the runner then starts as on a first run)",
                                  in.cursor_path, why, fix));
}

}  // namespace

const char* source_kind_name(SourceKind kind) noexcept {
    switch (kind) {
        case SourceKind::replay: return "replay";
        case SourceKind::synthetic: return "synthetic";
        case SourceKind::journal: return "journal";
    }
    return "unknown";
}

std::uint64_t source_fingerprint(const SourceConfig& source) {
    Fnv f;
    f.u64(static_cast<std::uint64_t>(source.kind));
    switch (source.kind) {
        case SourceKind::replay:
            // Name and size, not the folder: the same recording moved elsewhere
            // is the same data.
            for (const auto& file : source.files) {
                std::error_code ec;
                const auto size = std::filesystem::file_size(file, ec);
                f.text(file.filename().string());
                f.u64(ec ? 0 : size);
            }
            return f.hash;
        case SourceKind::synthetic:
            f.u64(source.synthetic.seed);
            f.text(source.synthetic.instrument);
            return f.hash;
        case SourceKind::journal: return 0;
    }
    return 0;
}

ResumePlan plan_resume(const ResumeInputs& in) {
    const MdJournalState& md = in.md;
    CursorIdentity expected;
    expected.source_kind = static_cast<std::uint32_t>(in.kind);
    expected.md_slot_size = md.geometry.slot_size;
    expected.md_capacity = md.geometry.capacity;
    expected.md_created_time = md.created_time;
    expected.source_fingerprint = in.source_fingerprint;
    if (!in.cursor || in.start != StartPolicy::resume) return start_over(in, expected);

    const CursorState& cursor = *in.cursor;
    const CursorIdentity& id = cursor.identity;
    if (id.source_kind != expected.source_kind) {
        const auto old_kind = static_cast<SourceKind>(id.source_kind);
        refuse(in, fmt::format("was written by a \"{}\" source and this config's source is \"{}\"",
                               id.source_kind <= 2 ? source_kind_name(old_kind) : "unknown", source_kind_name(in.kind)));
    }
    if (id.md_created_time != md.created_time || id.md_capacity != md.geometry.capacity ||
        id.md_slot_size != md.geometry.slot_size) {
        refuse(in, fmt::format("belongs to another md.journal than {} (created at {} ns, this one at {} ns: deleted or "
                               "replaced since)",
                               in.md_path, id.md_created_time, md.created_time));
    }
    if (id.source_fingerprint != expected.source_fingerprint) {
        refuse(in, in.kind == SourceKind::replay ? "was written for other replay files (names or sizes differ)"
                                                 : "was written for another synthetic stream (seed or instrument differ)");
    }
    if (cursor.position == 0) refuse(in, "holds position 0, which no frame has (damaged)");
    if (owns_md(in.kind) && (id.source_origin == 0 || md.end() < id.source_origin)) {
        refuse(in, fmt::format("starts its source at md frame {} but {} ends at frame {} (it lost its tail: a power "
                               "loss?)",
                               id.source_origin, in.md_path, md.last));
    }

    ResumePlan plan;
    plan.identity = id;
    plan.resumed = true;
    std::uint64_t from = cursor.position;
    if (from > md.end()) {
        plan.log.push_back({true, fmt::format("consumer cursor {} is at md frame {} but {} ends at frame {} (it lost its "
                                              "tail: a power loss?); resuming at md frame {}: md {} {}",
                                              in.cursor_path, from, in.md_path, md.last, md.end(),
                                              range(md.end(), from),
                                              owns_md(in.kind) ? "are fed and dispatched again"
                                                               : "will be whatever the writer writes next")});
        from = md.end();
    }
    if (from < md.oldest()) {
        if (owns_md(in.kind)) {
            plan.lost = md.oldest() - from;
            plan.log.push_back({true, fmt::format("consumer cursor {}: md {} were overwritten before they were "
                                                  "dispatched: {} lost; resuming at the oldest frame left, {}",
                                                  in.cursor_path, range(from, md.oldest()), frames(plan.lost),
                                                  md.oldest())});
            from = md.oldest();
        } else {
            // The writer keeps writing: the reader counts the exact loss when
            // dispatch gets there (the dispatcher's "lapped" line, summary lost=).
            plan.log.push_back({true, fmt::format("consumer cursor {}: the writer overwrote md frames from {} on while "
                                                  "the runner was down (the ring starts at {} now); they are lost, "
                                                  "counted exactly when dispatch starts",
                                                  in.cursor_path, from, md.oldest())});
        }
    }
    plan.dispatch_from = from;
    const std::uint64_t pending = md.end() > from ? md.end() - from : 0;
    if (owns_md(in.kind)) {
        plan.source_skip = md.end() - id.source_origin;
        plan.log.push_back({false, fmt::format("consumer cursor {}: resuming at md frame {} ({} written before the "
                                               "restart to dispatch first); the source continues at its event {} "
                                               "(md frame {})",
                                               in.cursor_path, from, frames(pending), plan.source_skip + 1, md.end())});
        plan.summary = fmt::format("{}: resumed at md frame {}, source event {}{}", in.cursor_path, from,
                                   plan.source_skip + 1, plan.lost > 0 ? fmt::format(", {} lost", plan.lost) : "");
    } else {
        plan.log.push_back({false, fmt::format("consumer cursor {}: resuming at md frame {} ({} published since to "
                                               "catch up)",
                                               in.cursor_path, from, frames(pending))});
        plan.summary = fmt::format("{}: resumed at md frame {}", in.cursor_path, from);
    }
    return plan;
}

}  // namespace sigrun::runner
