// The unload check behind every hot swap: each plugin this tree builds — the
// test-only ones and the shipped engines — loaded through the runner's
// loader (private copy, dlopen), created, fed frames, destroyed and closed,
// must leave the address space (PluginLibrary::is_mapped false) and leave
// no private copy. A plugin that keeps itself loaded (STB_GNU_UNIQUE
// symbols, a thread still running, thread_local destructors) fails here.
// Plugins the loader or signal_create refuses must not stay mapped either.
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "dispatcher.hpp"
#include "engine_instance.hpp"
#include "factor_publisher.hpp"
#include "hot_swap_test_support.hpp"
#include "plugin_library.hpp"
#include "sigrun/market_data/synthetic_source.hpp"

namespace sigrun::hot_swap_test {
namespace {

enum class Expect { runs, create_fails, load_fails };

struct PluginCase {
    std::string name;
    std::string path;
    std::string config = "{}";
    Expect expect = Expect::runs;
};

// ctest shows the parameter: its name, not its bytes.
void PrintTo(const PluginCase& c, std::ostream* os) { *os << c.name; }

std::vector<PluginCase> plugin_cases() {
    return {
        {"c_minimal", test_plugins::c_minimal},
        {"holder", test_plugins::holder, R"({"hold": 8})"},
        {"throwing", test_plugins::throwing, R"({"throw_every": 3})"},
        {"versioned_v1", test_plugins::versioned_v1},
        {"versioned_v2", test_plugins::versioned_v2},
        {"rolling_window", test_plugins::rolling_window, R"({"window": 16})"},
        {"rolling_window_stateless", test_plugins::rolling_window_stateless, R"({"window": 16})"},
        {"refuses_restore", test_plugins::refuses_restore},
        {"restore_throws", test_plugins::restore_throws},
#if SIGRUN_ZERO_COPY
        {"frame_ref_handoff", test_plugins::frame_ref_handoff},
#else
        {"frame_ref_handoff", test_plugins::frame_ref_handoff, "{}", Expect::load_fails},
#endif
        {"null_create", test_plugins::null_create, "{}", Expect::create_fails},
        {"throwing_bad_config", test_plugins::throwing, R"({"throw_every": 0})", Expect::create_fails},
        {"wrong_abi", test_plugins::wrong_abi, "{}", Expect::load_fails},
        {"missing_on_data", test_plugins::missing_on_data, "{}", Expect::load_fails},
        {"not_a_library", test_plugins::not_a_library, "{}", Expect::load_fails},
        {"shipped_ofi", SIGRUN_OFI_PLUGIN},
        {"shipped_microprice", SIGRUN_MICROPRICE_PLUGIN},
        {"shipped_trade_flow", SIGRUN_TRADE_FLOW_PLUGIN},
    };
}

class HotSwapUnloadTest : public ::testing::TestWithParam<PluginCase> {};

TEST_P(HotSwapUnloadTest, LeavesTheAddressSpaceAfterDestroyAndDlclose) {
    const PluginCase& c = GetParam();
    ScratchDir scratch;
    const fs::path private_dir = scratch / ".plugins";
    runner::FactorPublisher publisher(scratch / "signals.journal", journal::Geometry{4096, 256}, 0);
    runner::EngineConfig config;
    config.name = "unload";
    config.library = c.path;
    config.config_json = c.config;

    if (c.expect == Expect::load_fails) {
        EXPECT_THROW((void)runner::PluginLibrary::load(c.path, private_dir), runner::PluginError);
    } else {
        auto library = runner::PluginLibrary::load(c.path, private_dir);
        const fs::path copy = library->private_path();
        ASSERT_TRUE(runner::PluginLibrary::is_mapped(copy)) << "the check would pass vacuously";
        if (c.expect == Expect::create_fails) {
            EXPECT_THROW(runner::EngineInstance(config, std::move(library), &publisher, nullptr), runner::PluginError);
        } else {
            auto engine = std::make_unique<runner::EngineInstance>(config, std::move(library), &publisher, nullptr);
            market_data::SyntheticConfig synthetic;
            synthetic.seed = 3;
            synthetic.events = 500;
            market_data::SyntheticSource source(synthetic);
            std::uint64_t sequence = 0;
            while (const auto event = source.next()) {
                runner::CurrentFrame frame;
                frame.sequence = ++sequence;
                ASSERT_TRUE(runner::describe_frame(event->type(), static_cast<std::uint32_t>(event->payload_size()),
                                                   event->payload(), frame));
                engine->on_data(frame);
            }
            EXPECT_EQ(engine->frames(), sequence);
            engine.reset();  // signal_destroy, release, dlclose, copy deleted
        }
        EXPECT_FALSE(runner::PluginLibrary::is_mapped(copy)) << c.path << " stayed mapped after dlclose";
        EXPECT_FALSE(fs::exists(copy)) << "private copy left behind";
    }
    EXPECT_EQ(files_in(private_dir), 0u);
    EXPECT_EQ(ProcessResources::sample(private_dir).private_copies_mapped, 0u);
}

INSTANTIATE_TEST_SUITE_P(Plugins, HotSwapUnloadTest, ::testing::ValuesIn(plugin_cases()),
                         [](const ::testing::TestParamInfo<PluginCase>& p) { return p.param.name; });

}  // namespace
}  // namespace sigrun::hot_swap_test
