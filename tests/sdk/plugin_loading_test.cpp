// The test plugins as the runner sees them: shared objects loaded with
// dlopen(RTLD_NOW | RTLD_LOCAL), driven through dlsym'd entry points with a
// FakeHost, and unloaded with dlclose. Checks what sigrun_add_plugin()
// promises (only signal_* exported, no STB_GNU_UNIQUE, the library really
// leaves memory) and that each misbehaving plugin misbehaves as documented,
// so runner tests can rely on them.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sigrun_test_plugins.hpp>

#include "elf_dynamic_symbols.hpp"
#include "fake_host.hpp"
#include "message_builders.hpp"
#include "sigrun/handoff.hpp"
#include "sigrun/signal_api.h"

namespace {

namespace plugins = sigrun::test_plugins;
using sigrun::sdk_test::make_depth;
using sigrun::sdk_test::make_trade;
using sigrun::testing::FakeHost;

bool mapped_into_this_process(const std::string& path) {
    const std::string canonical = std::filesystem::canonical(path).string();
    std::ifstream maps("/proc/self/maps");
    const std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
    return text.find(canonical) != std::string::npos;
}

// One dlopen'd plugin and its required entry points.
class LoadedPlugin {
public:
    explicit LoadedPlugin(const char* path) : path_(path), library_(dlopen(path, RTLD_NOW | RTLD_LOCAL)) {
        if (library_ == nullptr) {
            load_error_ = dlerror();
            return;
        }
        plugin_info = symbol<sigrun_plugin_info_fn>("signal_plugin_info");
        create = symbol<sigrun_create_fn>("signal_create");
        on_data = symbol<sigrun_on_data_fn>("signal_on_data");
        destroy = symbol<sigrun_destroy_fn>("signal_destroy");
        snapshot = symbol<sigrun_snapshot_fn>("signal_snapshot");
        restore = symbol<sigrun_restore_fn>("signal_restore");
    }
    ~LoadedPlugin() { close(); }
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    bool loaded() const { return library_ != nullptr; }
    const std::string& load_error() const { return load_error_; }
    const std::string& path() const { return path_; }

    // dlclose; true when it succeeded.
    bool close() {
        if (library_ == nullptr) {
            return true;
        }
        const bool closed = dlclose(library_) == 0;
        library_ = nullptr;
        return closed;
    }

    template <class Fn>
    Fn symbol(const char* name) const {
        return reinterpret_cast<Fn>(dlsym(library_, name));
    }

    sigrun_plugin_info_fn plugin_info = nullptr;
    sigrun_create_fn create = nullptr;
    sigrun_on_data_fn on_data = nullptr;
    sigrun_destroy_fn destroy = nullptr;
    sigrun_snapshot_fn snapshot = nullptr;
    sigrun_restore_fn restore = nullptr;

private:
    std::string path_;
    void* library_;
    std::string load_error_;
};

// ---- what sigrun_add_plugin() guarantees, for every plugin it built ----

class EveryBuiltPlugin : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryBuiltPlugin, ExportsOnlyTheCAbi) {
    for (const auto& symbol : sigrun::sdk_test::read_dynamic_symbols(GetParam())) {
        if (symbol.defined && symbol.binding != STB_LOCAL && symbol.visibility == STV_DEFAULT) {
            EXPECT_EQ(symbol.name.rfind("signal_", 0), 0u) << "unexpected export: " << symbol.name;
        }
    }
}

TEST_P(EveryBuiltPlugin, HasNoGnuUniqueSymbolsThatWouldPinItInMemory) {
    for (const auto& symbol : sigrun::sdk_test::read_dynamic_symbols(GetParam())) {
        EXPECT_NE(symbol.binding, STB_GNU_UNIQUE) << "STB_GNU_UNIQUE symbol: " << symbol.name;
    }
}

TEST_P(EveryBuiltPlugin, UnloadsOnDlclose) {
    LoadedPlugin plugin(GetParam());
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    ASSERT_TRUE(mapped_into_this_process(plugin.path()));

    ASSERT_TRUE(plugin.close());

    EXPECT_FALSE(mapped_into_this_process(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(TestPlugins, EveryBuiltPlugin,
                         ::testing::Values(plugins::c_minimal, plugins::holder, plugins::throwing,
                                           plugins::null_create, plugins::wrong_abi, plugins::missing_on_data,
                                           plugins::frame_ref_handoff, plugins::versioned_v1,
                                           plugins::versioned_v2),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                             return std::filesystem::path(param.param).stem().string().substr(3);  // drop "lib"
                         });

// ---- c_minimal: the ABI used from plain C ----

TEST(CMinimalPlugin, ReportsItsInfo) {
    LoadedPlugin plugin(plugins::c_minimal);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();

    const sigrun_plugin_info* info = plugin.plugin_info();

    EXPECT_EQ(info->abi_major, static_cast<std::uint32_t>(SIGRUN_ABI_VERSION_MAJOR));
    EXPECT_EQ(info->struct_size, sizeof(sigrun_plugin_info));
    EXPECT_EQ(info->handoff, static_cast<std::uint32_t>(SIGRUN_HANDOFF_COPY));
    EXPECT_STREQ(info->name, "c_minimal");
    EXPECT_EQ(plugin.snapshot, nullptr);  // optional entry points it does not export
    EXPECT_EQ(plugin.restore, nullptr);
}

TEST(CMinimalPlugin, EmitsMidPriceAndLastTradePrice) {
    LoadedPlugin plugin(plugins::c_minimal);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;
    void* engine = plugin.create(host.api(), "{}");
    ASSERT_NE(engine, nullptr);
    const sigrun_depth depth = make_depth("BTCUSDT", 1000, 100.0, 101.0);
    const sigrun_trade trade = make_trade("BTCUSDT", 2000, 100.75, 0.5);

    plugin.on_data(engine, SIGRUN_MSG_DEPTH, &depth);
    plugin.on_data(engine, SIGRUN_MSG_TRADE, &trade);
    plugin.on_data(engine, 999, &trade);
    plugin.destroy(engine);

    const auto emitted = host.emitted();
    ASSERT_EQ(emitted.size(), 2u);
    EXPECT_EQ(emitted[0].factor, "mid");
    EXPECT_EQ(emitted[0].instrument, "BTCUSDT");
    EXPECT_EQ(emitted[0].value, 100.5);
    EXPECT_EQ(emitted[1].factor, "last_price");
    EXPECT_EQ(emitted[1].value, 100.75);
}

TEST(CMinimalPlugin, HandlesAnInstrumentNameThatFillsItsField) {
    LoadedPlugin plugin(plugins::c_minimal);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;
    void* engine = plugin.create(host.api(), "{}");
    const std::string full_name(SIGRUN_INSTRUMENT_LEN, 'X');  // no NUL inside the field
    const sigrun_depth depth = make_depth(full_name, 1000, 100.0, 101.0);

    plugin.on_data(engine, SIGRUN_MSG_DEPTH, &depth);
    plugin.destroy(engine);

    ASSERT_EQ(host.emitted().size(), 1u);
    EXPECT_EQ(host.emitted()[0].instrument, full_name);
}

// ---- holder: frames kept past the call, released from its own thread ----

TEST(HolderPlugin, RetainsEveryFrameInFrameRefModeAndReleasesAllByDestroy) {
    LoadedPlugin plugin(plugins::holder);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;
    void* engine = plugin.create(host.api(), R"({"hold": 3})");
    ASSERT_NE(engine, nullptr);
    std::vector<sigrun_depth> frames;
    for (int i = 0; i < 10; ++i) {
        frames.push_back(make_depth("BTCUSDT", 1000 + i, 100.0, 101.0));
    }

    for (const auto& frame : frames) {
        plugin.on_data(engine, SIGRUN_MSG_DEPTH, &frame);
    }

    if constexpr (sigrun::build_handoff_mode == sigrun::HandoffMode::frame_ref) {
        EXPECT_EQ(host.retains(), 10u);
        EXPECT_GE(host.frames_held(), 3u);  // the releaser only drops frames beyond the newest 3
    } else {
        EXPECT_EQ(host.retains(), 0u);
    }

    plugin.destroy(engine);

    EXPECT_EQ(host.frames_held(), 0u);
    EXPECT_EQ(host.unmatched_releases(), 0u);
    EXPECT_FALSE(host.has_log_containing(SIGRUN_LOG_ERROR, "changed while held"));
    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_INFO, "after 10 frames"));
}

TEST(HolderPlugin, ReleasesFramesBeyondItsHoldFromItsOwnThread) {
    LoadedPlugin plugin(plugins::holder);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;
    void* engine = plugin.create(host.api(), R"({"hold": 1})");
    ASSERT_NE(engine, nullptr);
    const sigrun_depth first = make_depth("BTCUSDT", 1000, 100.0, 101.0);
    const sigrun_depth second = make_depth("BTCUSDT", 2000, 100.0, 101.0);

    plugin.on_data(engine, SIGRUN_MSG_DEPTH, &first);
    plugin.on_data(engine, SIGRUN_MSG_DEPTH, &second);

    if constexpr (sigrun::build_handoff_mode == sigrun::HandoffMode::frame_ref) {
        ASSERT_TRUE(host.wait_for_frames_held(1));  // the releaser lets go of `first`
        EXPECT_EQ(host.references_to(&first), 0u);
        EXPECT_EQ(host.references_to(&second), 1u);
        EXPECT_NE(host.last_release_thread(), std::this_thread::get_id());
    } else {
        EXPECT_EQ(host.retains(), 0u);
    }
    plugin.destroy(engine);
    EXPECT_EQ(host.frames_held(), 0u);
}

TEST(HolderPlugin, ReportsAFrameThatChangedWhileHeldInFrameRefModeButNeverACopy) {
    LoadedPlugin plugin(plugins::holder);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;
    void* engine = plugin.create(host.api(), R"({"hold": 5})");
    sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);

    plugin.on_data(engine, SIGRUN_MSG_DEPTH, &frame);
    frame.bid_price[0] = 99.0;  // what a writer overwriting a retained frame would do
    plugin.destroy(engine);

    const bool reported = host.has_log_containing(SIGRUN_LOG_ERROR, "changed while held");
    EXPECT_EQ(reported, sigrun::build_handoff_mode == sigrun::HandoffMode::frame_ref);
}

TEST(HolderPlugin, UnloadsOnDlcloseOnceDestroyHasJoinedItsThread) {
    LoadedPlugin plugin(plugins::holder);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;
    void* engine = plugin.create(host.api(), R"({"hold": 2})");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);
    for (int i = 0; i < 5; ++i) {
        plugin.on_data(engine, SIGRUN_MSG_DEPTH, &frame);
    }
    plugin.destroy(engine);

    ASSERT_TRUE(plugin.close());

    EXPECT_FALSE(mapped_into_this_process(plugins::holder));
}

TEST(HolderPlugin, RefusesANegativeHold) {
    LoadedPlugin plugin(plugins::holder);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;

    EXPECT_EQ(plugin.create(host.api(), R"({"hold": -1})"), nullptr);
    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "\"hold\" must be a non-negative integer"));
}

// ---- throwing: exceptions stay inside the plugin ----

TEST(ThrowingPlugin, ExceptionsAreLoggedNotPropagated) {
    LoadedPlugin plugin(plugins::throwing);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;
    void* engine = plugin.create(host.api(), R"({"throw_every": 2})");
    ASSERT_NE(engine, nullptr);
    const sigrun_depth depth = make_depth("BTCUSDT", 1000, 100.0, 101.0);
    const sigrun_trade trade = make_trade("BTCUSDT", 2000, 100.0, 1.0);

    plugin.on_data(engine, SIGRUN_MSG_DEPTH, &depth);  // 1: ok
    plugin.on_data(engine, SIGRUN_MSG_TRADE, &trade);  // 2: throws
    plugin.on_data(engine, SIGRUN_MSG_DEPTH, &depth);  // 3: ok
    plugin.destroy(engine);

    EXPECT_EQ(host.emitted().size(), 2u);
    EXPECT_EQ(host.count_logs(SIGRUN_LOG_ERROR), 1u);
    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "on_trade fails on purpose"));
    EXPECT_EQ(host.frames_held(), 0u);
}

// ---- versioned: what hot-swap tests read ----

TEST(VersionedPlugin, EachBuildEmitsItsVersionAsFactorNameWithTheReceiveTime) {
    LoadedPlugin v1(plugins::versioned_v1);
    LoadedPlugin v2(plugins::versioned_v2);
    ASSERT_TRUE(v1.loaded()) << v1.load_error();
    ASSERT_TRUE(v2.loaded()) << v2.load_error();
    FakeHost host;
    void* engine_v1 = v1.create(host.api(), "{}");
    void* engine_v2 = v2.create(host.api(), "{}");
    const sigrun_depth depth = make_depth("BTCUSDT", 1000, 100.0, 101.0);
    const sigrun_trade trade = make_trade("BTCUSDT", 2000, 100.0, 1.0);

    v1.on_data(engine_v1, SIGRUN_MSG_DEPTH, &depth);
    v2.on_data(engine_v2, SIGRUN_MSG_TRADE, &trade);
    v1.destroy(engine_v1);
    v2.destroy(engine_v2);

    const auto emitted = host.emitted();
    ASSERT_EQ(emitted.size(), 4u);
    EXPECT_EQ(emitted[0].factor, "v1");
    EXPECT_EQ(emitted[0].value, 1000.0);
    EXPECT_EQ(emitted[1].factor, "frames_seen");
    EXPECT_EQ(emitted[2].factor, "v2");
    EXPECT_EQ(emitted[2].value, 2000.0);
    EXPECT_STREQ(v1.plugin_info()->version, "1.0.0");
    EXPECT_STREQ(v2.plugin_info()->version, "2.0.0");
    EXPECT_EQ(v1.plugin_info()->state_version, v2.plugin_info()->state_version);
}

TEST(VersionedPlugin, FrameCountContinuesAcrossSnapshotAndRestore) {
    LoadedPlugin v1(plugins::versioned_v1);
    LoadedPlugin v2(plugins::versioned_v2);
    ASSERT_TRUE(v1.loaded() && v2.loaded());
    ASSERT_NE(v1.snapshot, nullptr);
    ASSERT_NE(v2.restore, nullptr);
    FakeHost host;
    void* old_engine = v1.create(host.api(), "{}");
    const sigrun_depth depth = make_depth("BTCUSDT", 1000, 100.0, 101.0);
    for (int i = 0; i < 3; ++i) {
        v1.on_data(old_engine, SIGRUN_MSG_DEPTH, &depth);
    }

    std::vector<std::byte> state(static_cast<std::size_t>(v1.snapshot(old_engine, nullptr, 0)));
    ASSERT_EQ(v1.snapshot(old_engine, state.data(), state.size()), static_cast<std::int64_t>(state.size()));
    void* new_engine = v2.create(host.api(), "{}");
    ASSERT_EQ(v2.restore(new_engine, state.data(), state.size()), 0);
    v1.destroy(old_engine);
    v2.on_data(new_engine, SIGRUN_MSG_DEPTH, &depth);
    v2.destroy(new_engine);

    const auto emitted = host.emitted();
    ASSERT_FALSE(emitted.empty());
    EXPECT_EQ(emitted.back().factor, "frames_seen");
    EXPECT_EQ(emitted.back().value, 4.0);
}

// ---- the misbehaving ones ----

TEST(NullCreatePlugin, CreateLogsAndReturnsNull) {
    LoadedPlugin plugin(plugins::null_create);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;

    EXPECT_EQ(plugin.create(host.api(), "{}"), nullptr);
    EXPECT_EQ(host.count_logs(SIGRUN_LOG_ERROR), 1u);
}

TEST(WrongAbiPlugin, ReportsTheNextMajorVersionAndExportsEverything) {
    LoadedPlugin plugin(plugins::wrong_abi);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();

    EXPECT_EQ(plugin.plugin_info()->abi_major, static_cast<std::uint32_t>(SIGRUN_ABI_VERSION_MAJOR + 1));
    EXPECT_NE(plugin.create, nullptr);
    EXPECT_NE(plugin.on_data, nullptr);
    EXPECT_NE(plugin.destroy, nullptr);
}

TEST(MissingOnDataPlugin, ExportsEverythingButSignalOnData) {
    LoadedPlugin plugin(plugins::missing_on_data);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();

    EXPECT_NE(plugin.plugin_info, nullptr);
    EXPECT_NE(plugin.create, nullptr);
    EXPECT_NE(plugin.destroy, nullptr);
    EXPECT_EQ(plugin.on_data, nullptr);
}

TEST(FrameRefHandoffPlugin, ReportsFrameRefAndBalancesItsRetains) {
    LoadedPlugin plugin(plugins::frame_ref_handoff);
    ASSERT_TRUE(plugin.loaded()) << plugin.load_error();
    FakeHost host;
    void* engine = plugin.create(host.api(), "{}");
    const sigrun_depth first = make_depth("BTCUSDT", 1000, 100.0, 101.0);
    const sigrun_depth second = make_depth("BTCUSDT", 2000, 100.0, 101.0);

    plugin.on_data(engine, SIGRUN_MSG_DEPTH, &first);
    plugin.on_data(engine, SIGRUN_MSG_DEPTH, &second);
    EXPECT_EQ(host.references_to(&first), 0u);
    EXPECT_EQ(host.references_to(&second), 1u);
    plugin.destroy(engine);

    EXPECT_EQ(plugin.plugin_info()->handoff, static_cast<std::uint32_t>(SIGRUN_HANDOFF_FRAME_REF));
    EXPECT_EQ(host.frames_held(), 0u);
    EXPECT_EQ(host.unmatched_releases(), 0u);
}

TEST(NotALibrary, IsAFileDlopenRefuses) {
    ASSERT_TRUE(std::filesystem::exists(plugins::not_a_library));

    LoadedPlugin plugin(plugins::not_a_library);

    EXPECT_FALSE(plugin.loaded());
    EXPECT_NE(plugin.load_error().find("libnot_a_library.so"), std::string::npos) << plugin.load_error();
}

}  // namespace
