// 1000 swaps (alternating versioned_v1 / versioned_v2, deployed by rename,
// swapped by reload(name)) must not grow the process: /proc/self/maps lines,
// /proc/self/fd entries and malloc'd bytes are the same after 1000 swaps as
// after 100 (a fixed slack for allocator noise, none per swap), exactly one
// private copy exists and is mapped (the live engine's), every old library
// left the address space (stats().not_unloaded == 0), and nothing is left in
// <journal dir>/.plugins once the runner is gone.
//
// No run(): nobody dispatches, so each switch happens on the calling thread
// (the feed-running case is the under-load suite, which checks the private
// copies and not_unloaded too).
#include <cstdint>
#include <cstdio>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "hot_swap_test_support.hpp"

namespace sigrun::hot_swap_test {
namespace {

// Slack for noise that does not scale with the number of swaps: a malloc
// arena growing a new mmap'd region (a maps line or two), free lists.
constexpr std::uint64_t kMapsSlack = 4;
constexpr std::uint64_t kHeapSlack = 16 * 1024;  // < 20 bytes per swap over 900 swaps

void print(const char* when, std::uint64_t swaps, const ProcessResources& r) {
    std::printf("after %5llu swaps (%s): maps lines %llu, fds %llu, heap in use %llu bytes, private copies mapped %llu\n",
                static_cast<unsigned long long>(swaps), when, static_cast<unsigned long long>(r.maps_lines),
                static_cast<unsigned long long>(r.fds), static_cast<unsigned long long>(r.heap_bytes),
                static_cast<unsigned long long>(r.private_copies_mapped));
}

TEST(HotSwapResourcesTest, ThousandSwapsGrowNeitherMapsNorFdsNorHeapAndLeaveNoCopies) {
    const std::uint64_t warm = by_build(10, 10, 5);
    const std::uint64_t checkpoint = by_build(100, 60, 15);
    const std::uint64_t total = by_build(1000, 300, 40);
    ScratchDir scratch;
    const fs::path deploy_dir = scratch / "deploy";
    fs::create_directories(deploy_dir);
    const fs::path library = deploy_dir / "libsignal.so";
    deploy(test_plugins::versioned_v1, library);
    json doc = runner_config(scratch / "journal", 1000, 5, 1024);
    doc["engines"].push_back(engine_entry("sw", library, json::object(), /*reload=*/false));
    const fs::path private_dir = scratch / "journal" / ".plugins";

    ProcessResources baseline, at_checkpoint, at_end;
    {
        runner::Runner runner(runner::parse_config(doc, scratch.path(), "hot_swap_test.json"));
        runner::HotSwapper& swapper = runner.hot_swapper();
        std::uint64_t done = 0;
        auto swap_to = [&](std::uint64_t upto) {
            for (; done < upto; ++done) {
                deploy(done % 2 == 0 ? test_plugins::versioned_v2 : test_plugins::versioned_v1, library);
                ASSERT_TRUE(swapper.reload("sw")) << "swap " << done;
            }
        };
        // the first swaps set up what is set up once (the private folder,
        // the loader's caches, spdlog's buffers)
        swap_to(warm);
        baseline = ProcessResources::sample(private_dir);
        swap_to(checkpoint);
        at_checkpoint = ProcessResources::sample(private_dir);
        EXPECT_EQ(files_in(private_dir), 1u);
        swap_to(total);
        at_end = ProcessResources::sample(private_dir);
        EXPECT_EQ(files_in(private_dir), 1u) << "private copies of retired libraries left behind";

        const runner::SwapStats stats = swapper.stats();
        EXPECT_EQ(stats.swapped, total);
        EXPECT_EQ(stats.failed, 0u);
        EXPECT_EQ(stats.not_unloaded, 0u) << "an old library stayed mapped after dlclose";
    }
    print("baseline", warm, baseline);
    print("checkpoint", checkpoint, at_checkpoint);
    print("end", total, at_end);
    RecordProperty("maps_lines", std::to_string(baseline.maps_lines) + "/" + std::to_string(at_checkpoint.maps_lines) +
                                     "/" + std::to_string(at_end.maps_lines));
    RecordProperty("fds", std::to_string(baseline.fds) + "/" + std::to_string(at_checkpoint.fds) + "/" +
                              std::to_string(at_end.fds));
    RecordProperty("heap_bytes", std::to_string(baseline.heap_bytes) + "/" +
                                     std::to_string(at_checkpoint.heap_bytes) + "/" + std::to_string(at_end.heap_bytes));

    // only the live engine's copy is mapped, at every point
    EXPECT_EQ(baseline.private_copies_mapped, 1u);
    EXPECT_EQ(at_checkpoint.private_copies_mapped, 1u);
    EXPECT_EQ(at_end.private_copies_mapped, 1u);
    // no growth per swap: 100 -> 1000 swaps changes nothing beyond the slack
    EXPECT_LE(at_end.maps_lines, at_checkpoint.maps_lines + kMapsSlack);
    EXPECT_LE(at_checkpoint.maps_lines, baseline.maps_lines + kMapsSlack);
    EXPECT_EQ(at_end.fds, at_checkpoint.fds);
    EXPECT_EQ(at_checkpoint.fds, baseline.fds);
    EXPECT_LE(at_end.heap_bytes, at_checkpoint.heap_bytes + kHeapSlack);
    EXPECT_LE(at_checkpoint.heap_bytes, baseline.heap_bytes + kHeapSlack);
    // and once the runner is gone, nothing of the plugins is left
    EXPECT_EQ(files_in(private_dir), 0u);
    EXPECT_EQ(ProcessResources::sample(private_dir).private_copies_mapped, 0u);
}

}  // namespace
}  // namespace sigrun::hot_swap_test
