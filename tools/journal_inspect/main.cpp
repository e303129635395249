// sigrun-journal — look inside a journal file without touching it.
//
//   sigrun-journal info <file>
//   sigrun-journal dump <file> [--json|--csv] [filters] [--count N] [--follow]
//   sigrun-journal stats <file> [--json]
//   sigrun-journal export <file> --format csv|jsonl --out PATH [--force] [filters]
//   sigrun-journal verify <file>
//
//   filters: --type depth|trade|factors  --engine NAME  --factor NAME
//            --instrument NAME  --from SEQ|TIME  --to SEQ|TIME
//
// Opens the journal read-only: never pins, never writes, never takes the
// writer's lock, so it is safe on a journal the runner is writing.
// Exit codes (kExit* below, also in --help and the README): 0 done (verify:
// clean), 1 damaged frames or header found (verify), 2 not a journal this
// build reads, 3 bad arguments, 4 I/O error, 5 internal error. Every error is
// one line on stderr naming the problem and the fix.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "inspect.hpp"
#include "rows.hpp"
#include "stats.hpp"
#include "verify.hpp"
#include "sigrun/journal/error.hpp"
#include "sigrun/journal/mapping.hpp"
#include "sigrun/journal/reader.hpp"

namespace {

// 0/1/2 as diff and cmp use them: a script can tell "clean", "damaged" and
// "could not check" apart with `verify`.
constexpr int kExitDamaged = 1;     // verify: a damaged frame or header
constexpr int kExitNotJournal = 2;  // not a sigrun journal, another format version, truncated, damaged header
constexpr int kExitUsage = 3;       // bad arguments (also: --out exists without --force)
constexpr int kExitIo = 4;          // missing file, permissions, a directory, mmap, writing --out
constexpr int kExitInternal = 5;    // a bug: report it

constexpr const char* kExitCodes =
    "Exit codes: 0 done (verify: clean); 1 damaged (verify found a damaged frame or header, and names the "
    "first bad sequence); 2 not a sigrun journal this build reads (bad magic, other format version, "
    "truncated); 3 bad arguments (or --out exists without --force); 4 I/O error (missing file, "
    "permissions, writing --out); 5 internal error (a bug). Errors are one line on stderr.";

// export shows progress on a terminal from this many frames on.
constexpr std::uint64_t kProgressFrames = 100'000;

std::string one_line(std::string s) {
    for (char& c : s) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

int fail(int code, const std::string& message) {
    fmt::print(stderr, "sigrun-journal: {}\n", one_line(message));
    return code;
}

// A sequence number or count: a whole number of 1 or more. (CLI11's
// PositiveNumber would accept 0.5 and print a 300-digit range in its error.)
std::string whole_number_of_1_or_more(std::string& value) {
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
        return fmt::format("'{}' is not a whole number; give one of 1 or more", value);
    }
    std::uint64_t n = 0;
    if (std::from_chars(value.data(), value.data() + value.size(), n).ec != std::errc{}) {
        return fmt::format("{} is too large; give a number below 2^64", value);
    }
    if (n == 0) return "must be 1 or more";
    return {};
}

std::string sequence_or_time(std::string& value) {
    std::string error;
    if (!sigrun::inspect::parse_bound(value, error)) return error;
    return {};
}

// The selection options dump and export share (only one subcommand is
// parsed, so they share the storage too).
struct FilterArgs {
    std::string type, engine, factor, instrument, from, to;
    std::uint64_t count = 0;
};

void add_filters(CLI::App* sub, FilterArgs& a) {
    const CLI::Validator at_least_1(whole_number_of_1_or_more, "N>=1", "");
    const CLI::Validator bound(sequence_or_time, "SEQ|TIME", "");
    sub->add_option("--type", a.type, "only frames of this type")
        ->check(CLI::IsMember({"depth", "trade", "factors"}));
    sub->add_option("--engine", a.engine, "only factor frames of this engine");
    sub->add_option("--factor", a.factor, "only factor values of this factor");
    sub->add_option("--instrument", a.instrument,
                    "only depth/trade frames and factor values of this instrument");
    sub->add_option("--from", a.from,
                    "first frame: a sequence (1 or more) or a UTC time like 2024-05-01T12:00:00Z "
                    "(compared with gen_time); default: the oldest present")
        ->check(bound);
    sub->add_option("--to", a.to, "last frame (inclusive), a sequence or a UTC time like --from")
        ->check(bound);
    sub->add_option("--count", a.count, "stop after N matching frames")->check(at_least_1);
}

// Builds the Selection; an inconsistent --from/--to is a usage error.
bool selection_from(const CLI::App* sub, const FilterArgs& a, sigrun::inspect::DumpOptions& options,
                    std::string& error) {
    using sigrun::inspect::Bound;
    auto& sel = options.selection;
    std::string ignored;
    if (sub->count("--type") != 0) sel.type = sigrun::inspect::type_from_name(a.type);
    if (sub->count("--engine") != 0) sel.engine = a.engine;
    if (sub->count("--factor") != 0) sel.factor = a.factor;
    if (sub->count("--instrument") != 0) sel.instrument = a.instrument;
    if (sub->count("--from") != 0) sel.from = sigrun::inspect::parse_bound(a.from, ignored);
    if (sub->count("--to") != 0) sel.to = sigrun::inspect::parse_bound(a.to, ignored);
    if (sub->count("--count") != 0) options.count = a.count;
    if (sel.from && sel.to && sel.from->kind == sel.to->kind &&
        (sel.from->kind == Bound::Kind::sequence ? sel.from->sequence > sel.to->sequence
                                                 : sel.from->time_ns > sel.to->time_ns)) {
        error = fmt::format("--from {} is after --to {}", a.from, a.to);
        return false;
    }
    return true;
}

int journal_error(const std::filesystem::path& path, const sigrun::journal::JournalError& e) {
    using sigrun::journal::ErrorKind;
    switch (e.kind()) {
        case ErrorKind::not_a_journal:
            return fail(kExitNotJournal,
                        fmt::format("{} is not a sigrun journal (bad magic or header); give the "
                                    "path of a .journal file a sigrun writer made",
                                    path.string()));
        case ErrorKind::wrong_version:
        case ErrorKind::truncated:
        case ErrorKind::bad_geometry:
            return fail(kExitNotJournal, e.what());
        case ErrorKind::io:
            return fail(kExitIo, e.what());
        default:
            return fail(kExitInternal, e.what());
    }
}

// export: writes to a private file beside --out and moves it into place at
// the end, so a failed export leaves no half file, and (without --force) an
// --out that appeared meanwhile is not overwritten either.
int run_export(sigrun::journal::Reader& reader, sigrun::inspect::DumpOptions options,
               const std::filesystem::path& out_path, bool force) {
    const std::filesystem::path tmp =
        out_path.string() + fmt::format(".partial-{}", static_cast<long>(::getpid()));
    std::FILE* out = std::fopen(tmp.c_str(), "w");
    if (out == nullptr) {
        return fail(kExitIo, fmt::format("cannot write {}: {}; check that its directory exists and "
                                         "is writable",
                                         out_path.string(), std::strerror(errno)));
    }
    // Progress on a terminal for a large journal: one '\r'-rewritten line.
    const std::uint64_t last = reader.last_published();
    const std::uint64_t start = std::max<std::uint64_t>(
        reader.position(), last == 0 ? 1 : reader.mapping()->oldest_possible(last));
    const std::uint64_t total = last >= start ? last - start + 1 : 0;
    const bool show = ::isatty(STDERR_FILENO) == 1 && total >= kProgressFrames;
    int shown = -1;
    if (show) {
        options.progress = [&](std::uint64_t read) {
            const int pct = static_cast<int>(std::min<std::uint64_t>(100, read * 100 / total));
            if (pct == shown) return;
            shown = pct;
            fmt::print(stderr, "\rsigrun-journal: export {:3}% ({} of {} frames)", pct, read, total);
            std::fflush(stderr);
        };
    }
    const sigrun::inspect::DumpResult r = sigrun::inspect::dump(reader, options, out, stderr);
    if (show) fmt::print(stderr, "\n");
    const bool write_failed = std::ferror(out) != 0;
    const int write_errno = errno;
    if (std::fclose(out) != 0 || write_failed) {
        std::filesystem::remove(tmp);
        return fail(kExitIo, fmt::format("writing {} failed: {}; check free space", out_path.string(),
                                         std::strerror(write_errno)));
    }
    if (force) {
        if (::rename(tmp.c_str(), out_path.c_str()) != 0) {
            const int err = errno;
            std::filesystem::remove(tmp);
            return fail(kExitIo, fmt::format("cannot move the export into {}: {}", out_path.string(),
                                             std::strerror(err)));
        }
    } else {
        const int rc = ::link(tmp.c_str(), out_path.c_str());
        const int err = errno;
        std::filesystem::remove(tmp);
        if (rc != 0 && err == EEXIST) {
            return fail(kExitUsage, fmt::format("{} appeared during the export; give --force to "
                                                "overwrite it, or another --out",
                                                out_path.string()));
        }
        if (rc != 0) {
            return fail(kExitIo, fmt::format("cannot create {}: {}", out_path.string(), std::strerror(err)));
        }
    }
    fmt::print("exported {} rows ({} frames) to {}\n", r.rows, r.frames, out_path.string());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // A journal truncated under this read: one line and exit 4, never SIGBUS.
    sigrun::journal::exit_on_shrink(kExitIo);
    CLI::App app{"Inspect a sigrun journal file, read-only.", "sigrun-journal"};
    app.require_subcommand(1);
    app.footer(kExitCodes);

    std::filesystem::path path;
    sigrun::inspect::DumpOptions dump_options;
    FilterArgs filters;

    CLI::App* info = app.add_subcommand("info", "geometry, sequences, frames present, pins, owner");
    info->add_option("file", path, "journal file")->required();

    CLI::App* dump = app.add_subcommand(
        "dump", "one line per frame: sequence, type, gen_time, contents (or JSON lines / CSV rows)");
    dump->add_option("file", path, "journal file")->required();
    add_filters(dump, filters);
    dump->add_flag("--follow,-f", dump_options.follow, "keep printing frames as they are written");
    bool json = false;
    bool csv = false;
    auto* json_flag = dump->add_flag("--json", json,
                                     "one JSON object per line: per frame, or per factor value");
    dump->add_flag("--csv", csv, "a header line, then one row per frame or per factor value")
        ->excludes(json_flag);

    CLI::App* stats = app.add_subcommand(
        "stats", "frames per type, engine and factor; time span, rate, lost frames, payload sizes");
    stats->add_option("file", path, "journal file")->required();
    bool stats_json = false;
    stats->add_flag("--json", stats_json, "one JSON object instead of text");

    CLI::App* exporter = app.add_subcommand(
        "export", "write the frames (or factor values) to a CSV or JSON-lines file, as dump --csv/--json");
    exporter->add_option("file", path, "journal file")->required();
    std::string format;
    std::filesystem::path out_path;
    bool force = false;
    exporter->add_option("--format", format, "csv or jsonl")
        ->required()
        ->check(CLI::IsMember({"csv", "jsonl"}));
    exporter->add_option("--out", out_path, "file to write")->required();
    exporter->add_flag("--force", force, "overwrite --out if it exists");
    add_filters(exporter, filters);

    CLI::App* verify = app.add_subcommand(
        "verify", "check every slot (checksums, sequence continuity, header hint); exit 0 clean, 1 damaged");
    verify->add_option("file", path, "journal file")->required();

    for (CLI::App* sub : {info, dump, stats, exporter, verify}) sub->footer(kExitCodes);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return fail(kExitUsage, fmt::format("{}; run 'sigrun-journal --help' for usage", e.what()));
    }
    auto usage = [](const std::string& what) {
        return fail(kExitUsage, fmt::format("{}; run 'sigrun-journal --help' for usage", what));
    };
    std::string error;
    if (dump->parsed()) {
        if (!selection_from(dump, filters, dump_options, error)) return usage(error);
        if (json) dump_options.format = sigrun::inspect::DumpFormat::json;
        if (csv) dump_options.format = sigrun::inspect::DumpFormat::csv;
    }
    if (exporter->parsed()) {
        if (!selection_from(exporter, filters, dump_options, error)) return usage(error);
        dump_options.format =
            format == "csv" ? sigrun::inspect::DumpFormat::csv : sigrun::inspect::DumpFormat::json;
        std::error_code ec;
        if (std::filesystem::equivalent(out_path, path, ec)) {
            return usage(fmt::format("--out {} is the journal itself; sigrun-journal never writes "
                                     "a journal",
                                     out_path.string()));
        }
        if (!force && std::filesystem::exists(std::filesystem::symlink_status(out_path))) {
            return usage(fmt::format("--out {} exists; give --force to overwrite it, or another --out",
                                     out_path.string()));
        }
    }

    try {
        if (info->parsed()) {
            const auto mapping = sigrun::journal::Mapping::open_read_only(path);
            fmt::print("{}", sigrun::inspect::format_info(sigrun::inspect::read_info(*mapping)));
        } else if (stats->parsed()) {
            sigrun::journal::Reader reader(path);
            const auto s = sigrun::inspect::compute_stats(reader);
            if (stats_json) {
                fmt::print("{}\n", sigrun::inspect::stats_json(s).dump(2));
            } else {
                fmt::print("{}", sigrun::inspect::format_stats(s));
            }
        } else if (exporter->parsed()) {
            sigrun::journal::Reader reader(path);
            return run_export(reader, dump_options, out_path, force);
        } else if (verify->parsed()) {
            const auto mapping = sigrun::journal::Mapping::open_read_only(path);
            const auto report = sigrun::inspect::verify_journal(*mapping);
            fmt::print("{}", sigrun::inspect::format_verify(path.string(), report));
            return report.clean() ? 0 : kExitDamaged;
        } else {
            sigrun::journal::Reader reader(path);
            sigrun::inspect::dump(reader, dump_options, stdout, stderr);
        }
    } catch (const sigrun::journal::JournalError& e) {
        return journal_error(path, e);
    } catch (const std::system_error& e) {
        return fail(kExitIo, fmt::format("{}: {}", path.string(), e.what()));
    } catch (const std::exception& e) {
        return fail(kExitInternal, fmt::format("{}: {}", path.string(), e.what()));
    }
    return 0;
}
