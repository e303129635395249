// sigrun-journal — look inside a journal file without touching it.
//
//   sigrun-journal info <file>
//   sigrun-journal dump <file> [--from SEQ] [--count N] [--follow]
//
// Opens the file read-only: never pins, never writes, never takes the
// writer's lock, so it is safe on a journal the runner is writing.
// Exit codes: 0 done, 1 the file cannot be read as a journal, 2 bad usage.
// Every error is one line on stderr naming the problem and the fix.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "inspect.hpp"
#include "sigrun/journal/error.hpp"
#include "sigrun/journal/mapping.hpp"
#include "sigrun/journal/reader.hpp"

namespace {

constexpr int kExitFile = 1;
constexpr int kExitUsage = 2;

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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Inspect a sigrun journal file, read-only.", "sigrun-journal"};
    app.require_subcommand(1);

    std::filesystem::path path;
    sigrun::inspect::DumpOptions dump_options;
    std::uint64_t from = 0;
    std::uint64_t count = 0;

    CLI::App* info = app.add_subcommand("info", "geometry, sequences, frames present, pins, owner");
    info->add_option("file", path, "journal file")->required();

    CLI::App* dump = app.add_subcommand("dump", "one line per frame: sequence, type, gen_time, contents");
    dump->add_option("file", path, "journal file")->required();
    const CLI::Validator at_least_1(whole_number_of_1_or_more, "N>=1", "");
    dump->add_option("--from", from, "first sequence to print (default: the oldest present)")
        ->check(at_least_1);
    dump->add_option("--count", count, "stop after N frames")->check(at_least_1);
    dump->add_flag("--follow,-f", dump_options.follow, "keep printing frames as they are written");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return fail(kExitUsage, fmt::format("{}; run 'sigrun-journal --help' for usage", e.what()));
    }
    if (dump->count("--from") != 0) dump_options.from = from;
    if (dump->count("--count") != 0) dump_options.count = count;

    try {
        if (info->parsed()) {
            const auto mapping = sigrun::journal::Mapping::open_read_only(path);
            fmt::print("{}", sigrun::inspect::format_info(sigrun::inspect::read_info(*mapping)));
        } else {
            sigrun::journal::Reader reader(path);
            sigrun::inspect::dump(reader, dump_options, stdout);
        }
    } catch (const sigrun::journal::JournalError& e) {
        if (e.kind() == sigrun::journal::ErrorKind::not_a_journal) {
            return fail(kExitFile, fmt::format("{} is not a sigrun journal (bad magic or header); "
                                               "give the path of a .journal file a sigrun writer made",
                                               path.string()));
        }
        return fail(kExitFile, e.what());
    } catch (const std::exception& e) {
        return fail(kExitFile, fmt::format("{}: {}", path.string(), e.what()));
    }
    return 0;
}
