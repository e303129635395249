// Plugin lifecycle leak test: every shipped plugin and every test plugin goes
// through the runner's own loader 100 times in one process —
//     load (private copy + dlopen) -> signal_create -> frames ->
//     [plugins with state: snapshot -> a second instance restored from it ->
//      frames -> signal_destroy] -> signal_destroy -> dlclose + copy deleted
// — or, for a library the runner refuses, 100 refused loads. After every
// cycle nothing of the plugin is mapped and no private copy is left; after
// the 100th the file mappings and descriptors are those from before the first
// load, and (with glibc's allocator) the last 50 cycles grew neither the heap
// nor the anonymous mappings beyond a fixed slack. Under `ctest --preset
// memcheck` valgrind adds "no error, nothing definitely or indirectly lost"
// over all 100 cycles; under ASan, LeakSanitizer does.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <sigrun_test_plugins.hpp>

#include "engine_instance.hpp"
#include "factor_publisher.hpp"
#include "plugin_library.hpp"
#include "process_resources.hpp"
#include "runner_test_support.hpp"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResources;

constexpr int kCycles = 100;
constexpr int kFramesPerInstance = 24;  // half depth, half trades
// Noise that does not scale with cycles: an anonymous mapping or two for a
// malloc arena or a thread stack cached by glibc, free lists.
constexpr std::uint64_t kAnonymousMapsSlack = 4;
constexpr std::uint64_t kHeapSlack = 2 * 1024;  // < 41 bytes per cycle over the last 50 cycles
// valgrind, ASan and TSan replace malloc and keep freed blocks in a
// quarantine (valgrind's 20 MB freelist, ASan's 256 MB), so their anonymous
// mappings grow by design and mallinfo2 reads 0: there the tool's own leak
// check is the heap check, and file mappings and fds are still compared.
constexpr bool kGlibcAllocator = !runner_test::kSlowBuild;

// What one cycle of a plugin ends in.
enum class Outcome {
    runs,             // loads, creates, runs, snapshots/restores when it has state, unloads
    restore_refused,  // runs, but its signal_restore refuses the state it wrote
    create_fails,     // loads; signal_create returns NULL (a PluginError)
    load_refused,     // the loader refuses the file (a PluginError), nothing is created
};

struct LifecyclePlugin {
    const char* name;
    const char* path;
    const char* config_json;
    Outcome outcome;
    bool stateful = false;  // exports snapshot/restore: every cycle carries state into a second instance
};

std::ostream& operator<<(std::ostream& out, const LifecyclePlugin& plugin) { return out << plugin.name; }

constexpr Outcome kFrameRefOutcome = kRunnerHandoff == SIGRUN_HANDOFF_FRAME_REF ? Outcome::runs : Outcome::load_refused;

// Every plugin this tree builds (tools/bench's null engine aside: a bench
// fixture, built only with benchmarks) and the non-library test file.
const LifecyclePlugin kPlugins[] = {
    {"ofi", SIGRUN_OFI_PLUGIN, R"({"levels": 5, "window_events": 10})", Outcome::runs},
    {"ofi_time_window", SIGRUN_OFI_PLUGIN, R"({"levels": 3, "window_ns": 1000000, "window_capacity": 8})",
     Outcome::runs},
    {"microprice", SIGRUN_MICROPRICE_PLUGIN, R"({"levels": 5})", Outcome::runs},
    {"trade_flow", SIGRUN_TRADE_FLOW_PLUGIN, R"({"window_events": 8})", Outcome::runs},
    {"vpin", SIGRUN_VPIN_PLUGIN, R"({"bucket_volume": 0.05, "buckets": 4})", Outcome::runs, true},
    {"vpin_bulk", SIGRUN_VPIN_PLUGIN, R"({"bucket_volume": 0.05, "buckets": 4, "classification": "bulk"})",
     Outcome::runs, true},
    {"slow_engine", SIGRUN_SLOW_ENGINE_PLUGIN, "{}", Outcome::runs},
    {"c_minimal", test_plugins::c_minimal, "{}", Outcome::runs},
    {"c_abi_1_0", test_plugins::c_abi_1_0, "{}", Outcome::runs},
    {"c_abi_1_1", test_plugins::c_abi_1_1, "{}", Outcome::runs},
    {"c_timer", test_plugins::c_timer, "{}", Outcome::runs},
    {"bad_plugin_id", test_plugins::bad_plugin_id, "{}", Outcome::load_refused},
    {"typed_config", test_plugins::typed_config, R"({"scale": 2})", Outcome::runs},
    {"holder", test_plugins::holder, R"({"hold": 4})", Outcome::runs},
    {"throwing", test_plugins::throwing, R"({"throw_every": 3})", Outcome::runs},
    {"versioned_v1", test_plugins::versioned_v1, "{}", Outcome::runs, true},
    {"versioned_v2", test_plugins::versioned_v2, "{}", Outcome::runs, true},
    {"rolling_window", test_plugins::rolling_window, R"({"window": 8})", Outcome::runs, true},
    {"rolling_window_stateless", test_plugins::rolling_window_stateless, R"({"window": 8})", Outcome::runs},
    {"refuses_restore", test_plugins::refuses_restore, "{}", Outcome::restore_refused, true},
    {"restore_throws", test_plugins::restore_throws, "{}", Outcome::restore_refused, true},
    {"frame_ref_handoff", test_plugins::frame_ref_handoff, "{}", kFrameRefOutcome},
    {"misbehaving", test_plugins::misbehaving, R"({"action": "none"})", Outcome::runs},
    {"null_create", test_plugins::null_create, "{}", Outcome::create_fails},
    {"wrong_abi", test_plugins::wrong_abi, "{}", Outcome::load_refused},
    {"missing_on_data", test_plugins::missing_on_data, "{}", Outcome::load_refused},
    {"not_a_library", test_plugins::not_a_library, "{}", Outcome::load_refused},
};

// Takes the sinks off spdlog's default logger while it lives.
class QuietLogs {
public:
    QuietLogs() : saved_(std::exchange(spdlog::default_logger()->sinks(), {})) {}
    ~QuietLogs() { spdlog::default_logger()->sinks() = std::move(saved_); }
    QuietLogs(const QuietLogs&) = delete;
    QuietLogs& operator=(const QuietLogs&) = delete;

private:
    std::vector<spdlog::sink_ptr> saved_;
};

class PluginLifecycleTest : public ::testing::TestWithParam<LifecyclePlugin> {
protected:
    std::unique_ptr<EngineInstance> create(const LifecyclePlugin& plugin) {
        EngineConfig config;
        config.name = plugin.name;
        config.library = plugin.path;
        config.config_json = plugin.config_json;
        return std::make_unique<EngineInstance>(config, PluginLibrary::load(plugin.path, private_dir_), &publisher_,
                                                nullptr);
    }

    // kFramesPerInstance frames of a moving BTCUSDT book and trades at its touch.
    void feed(EngineInstance& engine) {
        for (int i = 0; i < kFramesPerInstance; ++i) {
            const double mid = 60000.0 + (i % 7) - 3;
            CurrentFrame frame;
            frame.sequence = ++sequence_;
            frame.receive_time_ns = static_cast<std::int64_t>(sequence_) * 1000;
            sigrun_depth depth{};
            sigrun_trade trade{};
            if (i % 2 == 0) {
                depth = runner_test::top_of_book(mid - 0.5, mid + 0.5);
                for (int level = 0; level < SIGRUN_DEPTH_LEVELS; ++level) {
                    depth.bid_price[level] = mid - 0.5 - level;
                    depth.ask_price[level] = mid + 0.5 + level;
                    depth.bid_size[level] = 1.0 + (i + level) % 5;
                    depth.ask_size[level] = 1.0 + (i + 2 * level) % 5;
                }
                depth.receive_time_ns = frame.receive_time_ns;
                frame.type = SIGRUN_MSG_DEPTH;
                frame.data = &depth;
            } else {
                trade = runner_test::trade(i % 4 == 1 ? mid + 0.5 : mid - 0.5, 0.25 * (1 + i % 3),
                                           i % 4 == 1 ? SIGRUN_SIDE_BUY : SIGRUN_SIDE_SELL);
                trade.receive_time_ns = frame.receive_time_ns;
                frame.type = SIGRUN_MSG_TRADE;
                frame.data = &trade;
            }
            engine.on_data(frame);
        }
        ASSERT_EQ(engine.frames(), static_cast<std::uint64_t>(kFramesPerInstance));
    }

    // The engine's state through signal_snapshot, grown as the ABI says (a
    // return larger than the capacity asks for a bigger buffer).
    static std::vector<std::byte> snapshot(EngineInstance& engine) {
        std::vector<std::byte> state(16);
        std::int64_t size = engine.library().snapshot(engine.handle(), state.data(), state.size());
        if (size > static_cast<std::int64_t>(state.size())) {
            state.resize(static_cast<std::size_t>(size));
            size = engine.library().snapshot(engine.handle(), state.data(), state.size());
        }
        EXPECT_GE(size, 0) << "signal_snapshot failed";
        state.resize(size < 0 ? 0 : static_cast<std::size_t>(size));
        return state;
    }

    // One whole lifecycle; a test failure when it did not end the way the
    // plugin's Outcome says.
    void cycle(const LifecyclePlugin& plugin, int n) {
        SCOPED_TRACE("cycle " + std::to_string(n));
        std::unique_ptr<EngineInstance> first;
        try {
            first = create(plugin);
        } catch (const PluginError& e) {
            const bool expected = plugin.outcome == Outcome::load_refused || plugin.outcome == Outcome::create_fails;
            EXPECT_TRUE(expected) << "refused: " << e.what();
            EXPECT_NE(std::string(e.what()).find(plugin.path), std::string::npos) << e.what();
            ++refused_;
            return;
        }
        ASSERT_TRUE(plugin.outcome == Outcome::runs || plugin.outcome == Outcome::restore_refused)
            << "loaded and created, expected a PluginError";
        const fs::path first_copy = first->library().private_path();
        EXPECT_TRUE(PluginLibrary::is_mapped(first_copy));
        feed(*first);

        // A hot swap's state carry at instance level: a second instance of a
        // second private copy, restored from the first one's snapshot.
        if (first->library().snapshot != nullptr && first->library().restore != nullptr) {
            const std::vector<std::byte> state = snapshot(*first);
            auto second = create(plugin);
            const std::int32_t restored = second->library().restore(second->handle(), state.data(), state.size());
            if (plugin.outcome == Outcome::restore_refused) {
                EXPECT_NE(restored, 0) << "the restore was expected to be refused";
            } else {
                EXPECT_EQ(restored, 0) << "signal_restore refused its own snapshot";
            }
            feed(*second);
            ++carried_;
            const fs::path second_copy = second->library().private_path();
            second.reset();
            EXPECT_FALSE(PluginLibrary::is_mapped(second_copy)) << "second instance's library still mapped";
        }
        first.reset();
        ++ran_;
        EXPECT_FALSE(PluginLibrary::is_mapped(first_copy)) << "library still mapped after signal_destroy + dlclose";
    }

    testing::TempDir dir_;
    fs::path private_dir_ = dir_ / ".plugins";
    FactorPublisher publisher_{dir_ / "signals.journal", journal::Geometry{4096, 256}, 0};
    std::uint64_t sequence_ = 0;
    int ran_ = 0, carried_ = 0, refused_ = 0;
};

void print(const char* plugin, const char* when, const ProcessResources& r) {
    std::printf("%-26s %-17s maps %llu lines (files %llu), fds %llu, heap %llu bytes\n", plugin, when,
                static_cast<unsigned long long>(r.maps_lines), static_cast<unsigned long long>(r.file_maps_lines),
                static_cast<unsigned long long>(r.fds), static_cast<unsigned long long>(r.heap_bytes));
}

TEST_P(PluginLifecycleTest, HundredLoadRunUnloadCyclesLeaveNothingBehind) {
    const LifecyclePlugin& plugin = GetParam();
    // The plugins log (throwing, null_create, the refused restores) 100
    // times over: formatted as always, written nowhere.
    const QuietLogs quiet;

    // Before any load: every file mapping a load adds must be gone again.
    const ProcessResources before = ProcessResources::sample(private_dir_);
    // The first cycles set up what is set up once per process (the private
    // folder, the dynamic loader's and spdlog's buffers, libgcc's unwinder
    // for the first exception thrown through a plugin, malloc's free lists):
    // growth per cycle is measured over the second half.
    ProcessResources half_way;
    for (int n = 1; n <= kCycles && !HasFatalFailure(); ++n) {
        cycle(plugin, n);
        ASSERT_EQ(testing::files_in(private_dir_), 0u) << "a private copy was left behind by cycle " << n;
        if (n == kCycles / 2) half_way = ProcessResources::sample(private_dir_);
    }
    const ProcessResources after = ProcessResources::sample(private_dir_);
    print(plugin.name, "before any load", before);
    print(plugin.name, "after 50 cycles", half_way);
    print(plugin.name, "after 100 cycles", after);
    std::printf("%-26s %d ran, %d with state carried, %d refused\n", plugin.name, ran_, carried_, refused_);

    // every cycle ended as this plugin's outcome says
    if (plugin.outcome == Outcome::runs || plugin.outcome == Outcome::restore_refused) {
        EXPECT_EQ(ran_, kCycles);
        EXPECT_EQ(refused_, 0);
        EXPECT_EQ(carried_, plugin.stateful ? kCycles : 0) << "snapshot/restore found or not as expected";
    } else {
        EXPECT_EQ(refused_, kCycles);
        EXPECT_EQ(ran_, 0);
    }
    // nothing of the plugin is mapped or on disk
    EXPECT_EQ(after.private_copies_mapped, 0u);
    EXPECT_EQ(testing::files_in(private_dir_), 0u);
    // the file mappings are those from before the first load: every library
    // a load brought in left with it
    EXPECT_EQ(after.file_maps_lines, before.file_maps_lines) << "a file mapping stayed after the plugin was unloaded";
    EXPECT_EQ(after.fds, before.fds) << "a file descriptor leaked";
    // and the last 50 cycles added nothing beyond the allocator's slack
    if (kGlibcAllocator) {
        EXPECT_LE(after.maps_lines, half_way.maps_lines + kAnonymousMapsSlack);
        EXPECT_LE(after.heap_bytes, half_way.heap_bytes + kHeapSlack);
    }
}

// The list above covers every test plugin the tree builds: one added to
// tests/test_plugins and not here fails this.
TEST(PluginLifecycleCoverage, EveryTestPluginIsCycled) {
    for (const char* path : test_plugins::all) {
        const bool listed = std::any_of(std::begin(kPlugins), std::end(kPlugins),
                                        [&](const LifecyclePlugin& p) { return std::string(p.path) == path; });
        EXPECT_TRUE(listed) << path << " is not in kPlugins of plugin_lifecycle_test.cpp";
    }
}

INSTANTIATE_TEST_SUITE_P(EveryPlugin, PluginLifecycleTest, ::testing::ValuesIn(kPlugins),
                         [](const ::testing::TestParamInfo<LifecyclePlugin>& param) { return param.param.name; });

}  // namespace
}  // namespace sigrun::runner
