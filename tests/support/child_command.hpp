// child_command.hpp — the command line of a tool a test spawns (sigrun,
// sigrun-journal), under valgrind memcheck too in the memcheck preset.
//
// ctest's valgrind wrapper covers the test process only: a tool it spawns
// would run unchecked, and with it the tool's main(). So in the memcheck
// build the test spawns the tool through valgrind itself, with its report in
// a log file (the tool's stderr stays the tool's: tests assert "one line")
// and a distinct exit code, kChildMemcheckExit, when valgrind found an error
// or a definite/indirect leak. child_memcheck_report() turns that into the
// log's text for the test's failure message.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace sigrun::testing {

inline constexpr bool kChildrenUnderMemcheck = SIGRUN_TEST_MEMCHECK != 0;
inline constexpr int kChildMemcheckExit = 97;

// argv for `exe args...`; in the memcheck build prefixed with valgrind,
// which writes its report to `valgrind_log`.
inline std::vector<std::string> child_command(const std::string& exe, const std::vector<std::string>& args,
                                              const std::filesystem::path& valgrind_log) {
    std::vector<std::string> argv;
#if SIGRUN_TEST_MEMCHECK
    argv = {SIGRUN_TEST_VALGRIND,
            "--tool=memcheck",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
            "--error-exitcode=" + std::to_string(kChildMemcheckExit),
            "--keep-debuginfo=yes",
            "--num-callers=30",
            "--suppressions=" SIGRUN_TEST_VALGRIND_SUPPRESSIONS,
            "--log-file=" + valgrind_log.string()};
#else
    (void)valgrind_log;
#endif
    argv.push_back(exe);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

// Empty when the child ran clean (always, outside the memcheck build);
// otherwise valgrind's report, to print with the failure.
inline std::string child_memcheck_report(int exit_code, const std::filesystem::path& valgrind_log) {
    if (!kChildrenUnderMemcheck || exit_code != kChildMemcheckExit) return {};
    std::ifstream in(valgrind_log);
    std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return "valgrind found errors or leaks in the spawned tool:\n" + log;
}

}  // namespace sigrun::testing
