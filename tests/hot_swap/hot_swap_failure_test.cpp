// Every way a hot swap can fail, each in a live run: the bad file is deployed
// by rename over the engine's library and reload(name) is asked to swap. The
// swap must fail with one error line naming the reason, be counted in
// stats().failed, leave no private copy or mapping behind, and keep the old
// engine running with no gap in its outputs; a good file deployed afterwards
// must still swap (and carry the state).
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "hot_swap_test_support.hpp"

namespace sigrun::hot_swap_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct FailureCase {
    std::string name;
    std::function<void(const fs::path& library)> make_bad;  // replaces the deployed file
    std::string expected_error;                              // in the one error line
    json engine_config = json::object();
    std::uint64_t warmup_frames = 0;
};

// ctest shows the parameter: its name, not its bytes.
void PrintTo(const FailureCase& c, std::ostream* os) { *os << c.name; }

std::vector<FailureCase> failure_cases() {
    std::vector<FailureCase> cases = {
        {"NotALibrary", [](const fs::path& l) { deploy(test_plugins::not_a_library, l); }, "dlopen failed"},
        // a 64-bit plugin whose header claims 32-bit: dlopen reports it
        {"DlopenErrorWrongElfClass",
         [](const fs::path& l) {
             std::string bytes = file_bytes(test_plugins::versioned_v2);
             bytes[4] = 1;  // EI_CLASS = ELFCLASS32
             deploy_bytes(bytes, l);
         },
         "dlopen failed"},
        // A deploy cut short (disk full, an interrupted copy, then renamed):
        // the ELF header and program headers are intact, the segments they
        // describe are past the end of the file. glibc's dlopen maps them
        // anyway and faults (SIGBUS in _dl_map_segments), so the runner must
        // refuse such a file before dlopen.
        {"TruncatedLibraryIsRefusedNotACrash",
         [](const fs::path& l) { deploy_bytes(file_bytes(test_plugins::versioned_v2).substr(0, 4096), l); },
         "truncated or corrupt library"},
        {"FileRemoved", [](const fs::path& l) { fs::remove(l); }, "no such file"},
        {"MissingSymbol", [](const fs::path& l) { deploy(test_plugins::missing_on_data, l); },
         "does not export signal_on_data"},
        {"AbiMismatch", [](const fs::path& l) { deploy(test_plugins::wrong_abi, l); }, "this runner speaks ABI"},
        {"CreateReturnsNull", [](const fs::path& l) { deploy(test_plugins::null_create, l); },
         "signal_create returned NULL"},
        // The engine's config is the same for the running and the new
        // library: versioned ignores it, throwing's constructor throws on it.
        {"ConstructorThrows", [](const fs::path& l) { deploy(test_plugins::throwing, l); },
         "signal_create returned NULL", json{{"throw_every", 0}}},
        {"RestoreRefusesState", [](const fs::path& l) { deploy(test_plugins::refuses_restore, l); },
         "signal_restore of the new engine refused the state"},
        {"RestoreThrows", [](const fs::path& l) { deploy(test_plugins::restore_throws, l); },
         "signal_restore of the new engine refused the state"},
    };
#if !SIGRUN_ZERO_COPY
    cases.push_back({"FrameRefPluginInCopyRunner", [](const fs::path& l) { deploy(test_plugins::frame_ref_handoff, l); },
                     "built for frame-ref handoff"});
#endif
    return cases;
}

class HotSwapFailureTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(HotSwapFailureTest, OldEngineKeepsRunningAndALaterGoodFileSwaps) {
    const FailureCase& c = GetParam();
    // given: versioned_v1 live under a running feed, with more than the md
    // ring's capacity already written
    const std::uint64_t step = by_build(20'000, 10'000, 5'000);
    ScratchDir scratch(/*prefer_memory=*/true);
    const fs::path deploy_dir = scratch / "deploy";
    fs::create_directories(deploy_dir);
    const fs::path library = deploy_dir / "libsignal.so";
    deploy(test_plugins::versioned_v1, library);
    json doc = runner_config(scratch / "journal", 20 * step, 11, power_of_two_at_least(2 * 20 * step));
    doc["engines"].push_back(engine_entry("sw", library, c.engine_config));
    // Other test plugins stand in for a broken build of the same plugin: the
    // identity check must not hide the failure each case is about.
    doc["engines"][0]["allow_replace_with"] = {"throwing", "null_create", "refuses_restore", "restore_throws"};
    doc["hot_swap"]["warmup_frames"] = c.warmup_frames;
    const fs::path private_dir = scratch / "journal" / ".plugins";
    LogCapture log;
    RunningRunner run(doc, scratch.path());
    ASSERT_TRUE(run.wait_for_md(step));

    // when: the bad file is deployed and a swap asked for
    c.make_bad(library);
    const bool swapped = run.swapper().reload("sw");

    // then: refused, counted, one error line with the reason, nothing left over
    EXPECT_FALSE(swapped);
    EXPECT_EQ(run.swapper().stats().failed, 1u);
    EXPECT_EQ(run.swapper().stats().swapped, 0u);
    const auto errors = log.matching("error", "hot swap of engine sw");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_THAT(errors[0], ::testing::HasSubstr(c.expected_error));
    EXPECT_THAT(errors[0], ::testing::HasSubstr("the running version keeps dispatching"));
    EXPECT_EQ(files_in(private_dir), 1u) << "only the running engine's private copy";
    EXPECT_EQ(ProcessResources::sample(private_dir).private_copies_mapped, 1u);

    // and: the old engine keeps going; a good file swaps afterwards
    const std::uint64_t failed_at = run.md_published();
    ASSERT_TRUE(run.wait_for_md(failed_at + step));
    deploy(test_plugins::versioned_v2, library);
    EXPECT_TRUE(run.swapper().reload("sw"));
    ASSERT_TRUE(run.wait_for_md(run.md_published() + step));
    const runner::RunSummary summary = run.stop_and_join();

    EXPECT_THAT(summary.error, IsEmpty());
    EXPECT_EQ(summary.swaps.failed, 1u);
    EXPECT_EQ(summary.swaps.swapped, 1u);
    EXPECT_EQ(summary.swaps.not_unloaded, 0u);
    EXPECT_EQ(files_in(private_dir), 0u);
    const std::uint64_t n = summary.dispatched.depth + summary.dispatched.trade;
    EXPECT_EQ(n, summary.frames_written);
    const VersionedStream stream = check_versioned_stream(scratch / "journal" / "signals.journal", "sw", n);
    EXPECT_EQ(stream.unreadable, 0u);
    EXPECT_EQ(stream.missing, 0u) << "a gap in the outputs";
    EXPECT_EQ(stream.duplicates, 0u);
    EXPECT_EQ(stream.out_of_range, 0u);
    EXPECT_EQ(stream.frames_seen_wrong, 0u) << "state lost across the failure or the good swap";
    EXPECT_EQ(stream.first_version, 1);
    // v1 throughout the failure, v2 from the one successful switch on
    const std::vector<std::uint64_t> points = log.swap_points("sw");
    ASSERT_THAT(points, SizeIs(1));
    EXPECT_GT(points[0], failed_at) << "v1 handled the frames written after the failure";
    EXPECT_THAT(stream.changes, ElementsAre(points[0]));
}

INSTANTIATE_TEST_SUITE_P(Failures, HotSwapFailureTest, ::testing::ValuesIn(failure_cases()),
                         [](const ::testing::TestParamInfo<FailureCase>& p) { return p.param.name; });

// The watch: a bad file deployed by rename fails once and is not retried on
// every later event in the folder; the next good deploy swaps.
TEST(HotSwapFailureWatchTest, BadDeployFailsOnceThenTheNextGoodDeploySwaps) {
    const std::uint64_t step = by_build(20'000, 10'000, 5'000);
    ScratchDir scratch(/*prefer_memory=*/true);
    const fs::path deploy_dir = scratch / "deploy";
    fs::create_directories(deploy_dir);
    const fs::path library = deploy_dir / "libsignal.so";
    deploy(test_plugins::versioned_v1, library);
    json doc = runner_config(scratch / "journal", 20 * step, 12, power_of_two_at_least(2 * 20 * step));
    doc["engines"].push_back(engine_entry("sw", library));
    doc["hot_swap"]["watch"] = true;
    LogCapture log;
    RunningRunner run(doc, scratch.path());
    ASSERT_TRUE(wait_for([&] { return run.factors_published() > 0 || run.finished(); }));
    ASSERT_TRUE(run.wait_for_md(step));

    // when: a library without signal_on_data is deployed
    deploy(test_plugins::missing_on_data, library);
    ASSERT_TRUE(wait_for([&] { return run.swapper().stats().failed >= 1; }));
    // an unrelated file written in the folder, then a good deploy
    deploy_bytes("not a plugin\n", deploy_dir / "README.txt");
    ASSERT_TRUE(run.wait_for_md(run.md_published() + step));
    deploy(test_plugins::versioned_v2, library);
    ASSERT_TRUE(wait_for([&] { return run.swapper().stats().swapped >= 1; }));
    ASSERT_TRUE(run.wait_for_md(run.md_published() + step));
    const runner::RunSummary summary = run.stop_and_join();

    // then
    EXPECT_EQ(summary.swaps.failed, 1u) << "the bad file was retried";
    EXPECT_EQ(summary.swaps.swapped, 1u);
    EXPECT_THAT(log.matching("error", "does not export signal_on_data"), SizeIs(1));
    const std::uint64_t n = summary.dispatched.depth + summary.dispatched.trade;
    const VersionedStream stream = check_versioned_stream(scratch / "journal" / "signals.journal", "sw", n);
    EXPECT_EQ(stream.missing, 0u);
    EXPECT_EQ(stream.duplicates, 0u);
    EXPECT_EQ(stream.frames_seen_wrong, 0u);
    EXPECT_THAT(stream.changes, ElementsAre(log.swap_points("sw").at(0)));
}

// SIGHUP retries a file that failed (an operator fixing a dependency and
// asking again); with the same bad file it fails again, counted again.
TEST(HotSwapFailureWatchTest, SighupRetriesAFailedFile) {
    ScratchDir scratch(/*prefer_memory=*/true);
    const fs::path deploy_dir = scratch / "deploy";
    fs::create_directories(deploy_dir);
    const fs::path library = deploy_dir / "libsignal.so";
    deploy(test_plugins::versioned_v1, library);
    json doc = runner_config(scratch / "journal", 1'000'000'000, 13, 1 << 16);
    doc["engines"].push_back(engine_entry("sw", library));
    LogCapture log;
    RunningRunner run(doc, scratch.path());
    ASSERT_TRUE(wait_for([&] { return run.factors_published() > 0 || run.finished(); }));

    deploy(test_plugins::wrong_abi, library);
    run.swapper().request_reload();
    ASSERT_TRUE(wait_for([&] { return run.swapper().stats().failed >= 1; }));
    run.swapper().request_reload();
    ASSERT_TRUE(wait_for([&] { return run.swapper().stats().failed >= 2; }));
    deploy(test_plugins::versioned_v2, library);
    run.swapper().request_reload();
    ASSERT_TRUE(wait_for([&] { return run.swapper().stats().swapped >= 1; }));
    const runner::RunSummary summary = run.stop_and_join();

    EXPECT_EQ(summary.swaps.failed, 2u);
    EXPECT_EQ(summary.swaps.swapped, 1u);
    EXPECT_THAT(log.matching("error", "this runner speaks ABI"), SizeIs(2));
}

}  // namespace
}  // namespace sigrun::hot_swap_test
