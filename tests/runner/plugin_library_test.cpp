// The plugin loader (runner/src/plugin_library.hpp) and engine creation
// (engine_instance.hpp): every way a library can be unusable is a one-line
// PluginError naming the library and the reason; a failed load leaves
// nothing mapped and no private copy; a successful one really unloads.
#include <dlfcn.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "engine_instance.hpp"
#include "factor_publisher.hpp"
#include "plugin_library.hpp"
#include "runner_test_support.hpp"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::vector<std::string> files_in(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) names.push_back(entry.path().string());
    return names;
}

// What dlopen itself says about `path`, without the "<path>: " prefix.
std::string dlopen_reason(const std::string& path) {
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) {
        ::dlclose(handle);
        return "(dlopen succeeded)";
    }
    const std::string error = ::dlerror();
    const auto colon = error.rfind(": ");
    return colon == std::string::npos ? error : error.substr(colon + 2);
}

class PluginLibraryTest : public ::testing::Test {
protected:
    // Loads `path`, expects a PluginError, checks the common rules (one line,
    // names the library; nothing left mapped or copied) and returns what().
    std::string load_error(const std::filesystem::path& path) {
        try {
            auto lib = PluginLibrary::load(path, private_dir_);
            ADD_FAILURE() << path << " loaded; expected a PluginError";
        } catch (const PluginError& e) {
            const std::string what = e.what();
            EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
            EXPECT_THAT(what, HasSubstr(path.string()));
            expect_nothing_left();
            return what;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "expected PluginError, got another exception: " << e.what();
        }
        return {};
    }

    void expect_nothing_left() const {
        EXPECT_THAT(files_in(private_dir_), IsEmpty()) << "a private copy was left behind";
        // is_mapped matches a substring of /proc/self/maps: the folder matches
        // any private copy inside it.
        EXPECT_FALSE(PluginLibrary::is_mapped(private_dir_)) << "a private copy is still mapped";
    }

    testing::TempDir dir_;
    std::filesystem::path private_dir_ = dir_ / ".plugins";
};

// ---- failures ----

TEST_F(PluginLibraryTest, MissingFileIsRefusedSayingNoSuchFile) {
    const std::string what = load_error(dir_ / "libnothing.so");
    EXPECT_THAT(what, AllOf(HasSubstr("no such file"), HasSubstr("fix the library path")));
}

TEST_F(PluginLibraryTest, DirectoryInsteadOfALibraryIsRefusedSayingNoSuchFile) {
    std::filesystem::create_directories(dir_ / "libdir.so");
    EXPECT_THAT(load_error(dir_ / "libdir.so"), HasSubstr("no such file"));
}

TEST_F(PluginLibraryTest, FileThatIsNotALibraryIsRefusedWithTheDlerrorText) {
    // given a text file named like a plugin
    const std::string reason = dlopen_reason(test_plugins::not_a_library);
    ASSERT_NE(reason, "(dlopen succeeded)");
    // when loaded, then the error carries dlopen's own reason
    const std::string what = load_error(test_plugins::not_a_library);
    EXPECT_THAT(what, AllOf(HasSubstr("dlopen failed"), HasSubstr(reason)));
}

TEST_F(PluginLibraryTest, TruncatedLibraryIsRefusedBeforeDlopenInsteadOfCrashing) {
    // given a real plugin cut after its first page (an interrupted deploy):
    // its headers are whole, its segments end past the end of the file, and
    // dlopen would map them and die of SIGBUS
    std::ifstream in(test_plugins::c_minimal, std::ios::binary);
    std::string bytes(4096, '\0');
    ASSERT_TRUE(in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())));
    const std::filesystem::path cut = dir_ / "libcut.so";
    std::ofstream(cut, std::ios::binary) << bytes;
    // when loaded, then a PluginError says what is missing and how to deploy
    const std::string what = load_error(cut);
    EXPECT_THAT(what, AllOf(HasSubstr("truncated"), HasSubstr("4096 bytes"), HasSubstr("rename it into place")));
}

TEST_F(PluginLibraryTest, LibraryWithoutSignalOnDataIsRefusedNamingTheMissingEntryPoint) {
    const std::string what = load_error(test_plugins::missing_on_data);
    EXPECT_THAT(what, AllOf(HasSubstr("does not export signal_on_data"), HasSubstr("every plugin must export")));
}

TEST_F(PluginLibraryTest, WrongAbiMajorIsRefusedNamingBothVersions) {
    const std::string what = load_error(test_plugins::wrong_abi);
    const std::string plugin_abi = "ABI " + std::to_string(SIGRUN_ABI_VERSION_MAJOR + 1) + ".";
    const std::string runner_abi = "ABI " + std::to_string(SIGRUN_ABI_VERSION_MAJOR) + "." +
                                   std::to_string(SIGRUN_ABI_VERSION_MINOR);
    EXPECT_THAT(what, AllOf(HasSubstr("built for sigrun " + plugin_abi), HasSubstr("this runner speaks " + runner_abi),
                            HasSubstr("rebuild the plugin")));
}

#if SIGRUN_ZERO_COPY
TEST_F(PluginLibraryTest, FrameRefPluginLoadsInAZeroCopyRunner) {
    // given a runner built with ENABLE_ZERO_COPY=ON, when a frame-ref plugin loads
    auto lib = PluginLibrary::load(test_plugins::frame_ref_handoff, private_dir_);
    // then it is accepted as frame-ref
    ASSERT_NE(lib, nullptr);
    EXPECT_EQ(lib->info().handoff, SIGRUN_HANDOFF_FRAME_REF);
    EXPECT_EQ(kRunnerHandoff, SIGRUN_HANDOFF_FRAME_REF);
    EXPECT_TRUE(PluginLibrary::is_mapped(lib->private_path()));
}
#else
TEST_F(PluginLibraryTest, FrameRefPluginIsRefusedByACopyRunnerNamingBothModes) {
    const std::string what = load_error(test_plugins::frame_ref_handoff);
    EXPECT_THAT(what, AllOf(HasSubstr("built for frame-ref handoff"), HasSubstr("built for copy handoff"),
                            HasSubstr("ENABLE_ZERO_COPY")));
}
#endif

TEST_F(PluginLibraryTest, CopyModePluginLoadsInEitherBuild) {
    auto lib = PluginLibrary::load(test_plugins::c_minimal, private_dir_);
    ASSERT_NE(lib, nullptr);
    EXPECT_EQ(lib->info().handoff, SIGRUN_HANDOFF_COPY);
    EXPECT_STREQ(lib->info().name, "c_minimal");
    EXPECT_NE(lib->create, nullptr);
    EXPECT_NE(lib->on_data, nullptr);
    EXPECT_NE(lib->destroy, nullptr);
}

TEST_F(PluginLibraryTest, PluginDeclaringItsMessageTypesIsCalledForThoseOnly) {
    const auto ofi = PluginLibrary::load(SIGRUN_OFI_PLUGIN, private_dir_);
    EXPECT_TRUE(ofi->accepts(SIGRUN_MSG_DEPTH));
    EXPECT_FALSE(ofi->accepts(SIGRUN_MSG_TRADE));
    EXPECT_FALSE(ofi->accepts(999));
    const auto trade_flow = PluginLibrary::load(SIGRUN_TRADE_FLOW_PLUGIN, private_dir_);
    EXPECT_FALSE(trade_flow->accepts(SIGRUN_MSG_DEPTH));
    EXPECT_TRUE(trade_flow->accepts(SIGRUN_MSG_TRADE));
}

// A plugin built against the ABI 1.0 headers: its plugin_info ends before
// message_types. It still loads, and gets every message type as in 1.0.
TEST_F(PluginLibraryTest, PluginBuiltForAbi10LoadsAndIsCalledForEveryType) {
    const auto lib = PluginLibrary::load(test_plugins::c_abi_1_0, private_dir_);
    EXPECT_EQ(lib->info().abi_minor, 0u);
    EXPECT_EQ(lib->info().struct_size, offsetof(sigrun_plugin_info, message_types));
    EXPECT_TRUE(lib->accepts(SIGRUN_MSG_DEPTH));
    EXPECT_TRUE(lib->accepts(SIGRUN_MSG_TRADE));
    EXPECT_TRUE(lib->accepts(999));
}

// ABI 1.2: the plugin id identifies a plugin across versions; one built
// against the 1.1 headers (plugin_info ends before plugin_id) is identified by
// its name, and its struct is not read past its size.
TEST_F(PluginLibraryTest, PluginIdIsReadAndOlderPluginsAreIdentifiedByName) {
    const auto current = PluginLibrary::load(test_plugins::c_minimal, private_dir_);
    EXPECT_EQ(current->plugin_id(), "org.sigrun.test.c-minimal");
    EXPECT_TRUE(current->has_plugin_id());
    const auto abi_1_1 = PluginLibrary::load(test_plugins::c_abi_1_1, private_dir_);
    EXPECT_EQ(abi_1_1->info().abi_minor, 1u);
    EXPECT_EQ(abi_1_1->plugin_id(), "c_abi_1_1");
    EXPECT_FALSE(abi_1_1->has_plugin_id());
    EXPECT_TRUE(abi_1_1->accepts(SIGRUN_MSG_DEPTH));
    EXPECT_FALSE(abi_1_1->accepts(999));
    const auto abi_1_0 = PluginLibrary::load(test_plugins::c_abi_1_0, private_dir_);
    EXPECT_EQ(abi_1_0->plugin_id(), "c_abi_1_0");
    const auto ofi = PluginLibrary::load(SIGRUN_OFI_PLUGIN, private_dir_);
    EXPECT_EQ(ofi->plugin_id(), "org.sigrun.ofi");
}

TEST_F(PluginLibraryTest, MalformedPluginIdIsRefusedNamingIt) {
    EXPECT_THAT(load_error(test_plugins::bad_plugin_id),
                AllOf(HasSubstr("plugin_id \"Bad Plugin Id\" has the character 'B'"), HasSubstr("reverse-DNS")));
}

TEST(PluginIdProblem, NamesWhatIsWrong) {
    EXPECT_EQ(plugin_id_problem("com.example.spread"), "");
    EXPECT_EQ(plugin_id_problem("org.sigrun.trade-flow_2"), "");
    EXPECT_EQ(plugin_id_problem(""), "is empty");
    EXPECT_THAT(plugin_id_problem("spread"), HasSubstr("is not reverse-DNS"));
    EXPECT_THAT(plugin_id_problem(".com.example"), HasSubstr("is not reverse-DNS"));
    EXPECT_THAT(plugin_id_problem("com example"), HasSubstr("has the character ' '"));
    EXPECT_THAT(plugin_id_problem(std::string(SIGRUN_PLUGIN_ID_MAX + 1, 'a').c_str()), HasSubstr("longer than 128"));
}

TEST_F(PluginLibraryTest, UnwritablePrivateFolderIsRefusedSayingMakeItWritable) {
    // given a "private folder" that is a regular file, so no copy can be made
    std::ofstream(dir_ / "not_a_folder") << "x";
    try {
        auto lib = PluginLibrary::load(test_plugins::c_minimal, dir_ / "not_a_folder");
        ADD_FAILURE() << "loaded through a private folder that is a file";
    } catch (const PluginError& e) {
        EXPECT_THAT(e.what(), AllOf(HasSubstr(test_plugins::c_minimal), HasSubstr("cannot copy")));
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
}

// ---- engine creation ----

class EngineInstanceTest : public PluginLibraryTest {
protected:
    FactorPublisher publisher_{dir_ / "signals.journal", journal::Geometry{1024, 256}, 0};
};

TEST_F(EngineInstanceTest, NullFromSignalCreateIsAPluginErrorAndUnloadsTheLibrary) {
    // given a library whose signal_create returns NULL (after logging why)
    runner_test::LogCapture logs;
    auto lib = PluginLibrary::load(test_plugins::null_create, private_dir_);
    EngineConfig config;
    config.name = "nully";
    config.library = test_plugins::null_create;
    // when an engine is created from it
    try {
        EngineInstance engine(config, std::move(lib), &publisher_, nullptr);
        ADD_FAILURE() << "EngineInstance was created from a NULL handle";
    } catch (const PluginError& e) {
        // then the error names the library, the engine and the reason, on one line
        const std::string what = e.what();
        EXPECT_THAT(what, AllOf(HasSubstr(test_plugins::null_create), HasSubstr("\"nully\""),
                                HasSubstr("signal_create returned NULL")));
        EXPECT_EQ(what.find('\n'), std::string::npos);
    }
    // and the plugin's own reason was logged under the engine's name, and the
    // library is gone
    EXPECT_THAT(logs.matching("error", "[nully]"), Not(IsEmpty()));
    expect_nothing_left();
}

TEST_F(EngineInstanceTest, CreatedEngineGetsItsConfigAndEmitsThroughTheHost) {
    auto lib = PluginLibrary::load(test_plugins::c_minimal, private_dir_);
    EngineConfig config;
    config.name = "c";
    EngineInstance engine(config, std::move(lib), &publisher_, nullptr);
    const sigrun_depth depth = runner_test::top_of_book(100.0, 102.0);
    CurrentFrame frame = runner_test::depth_frame(1, depth);
    engine.on_data(frame);
    EXPECT_EQ(engine.frames(), 1u);
    EXPECT_EQ(engine.host().emitted(), 1u);
    EXPECT_EQ(publisher_.published(), 1u);
}

// The ABI 1.2 config accessors of a C engine (c_minimal reads "offset" and
// refuses other keys): a wrong type or an unknown key is one log line under
// the engine's name, and the engine is not created.
TEST_F(EngineInstanceTest, CEngineConfigErrorsAreLoggedNamingTheKey) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"offset": "1"})", "[c] config: \"offset\" must be a number, got \"1\""},
        {R"({"ofset": 1})", "[c] config: unknown key \"ofset\"; known keys: offset"},
    };
    for (const auto& [json_text, expected] : cases) {
        runner_test::LogCapture logs;
        EngineConfig config;
        config.name = "c";
        config.config_json = json_text;
        EXPECT_THROW(EngineInstance(config, PluginLibrary::load(test_plugins::c_minimal, private_dir_), &publisher_,
                                    nullptr),
                     PluginError);
        EXPECT_THAT(logs.matching("error", expected), ::testing::SizeIs(1)) << json_text;
    }
}

TEST_F(EngineInstanceTest, CEngineReadsItsConfigThroughTheHost) {
    EngineConfig config;
    config.name = "c";
    config.config_json = R"({"offset": 0.5})";
    EngineInstance engine(config, PluginLibrary::load(test_plugins::c_minimal, private_dir_), &publisher_, nullptr);
    const sigrun_depth depth = runner_test::top_of_book(100.0, 102.0);  // the frame points at it
    CurrentFrame frame = runner_test::depth_frame(1, depth);
    engine.on_data(frame);
    const runner_test::FactorStream stream = runner_test::read_factor_stream(dir_ / "signals.journal");
    EXPECT_EQ(stream.count, 1u);
    EXPECT_DOUBLE_EQ(stream.last.at({"c", "mid", "BTCUSDT"}), 101.5);
}

// frame_info (ABI 1.2): the engine sees the md sequence and receive time of
// the frame the runner hands it (typed_config emits them as factors).
TEST_F(EngineInstanceTest, EngineSeesTheSequenceAndReceiveTimeOfTheFrame) {
    EngineConfig config;
    config.name = "t";
    config.config_json = R"({"scale": 2})";
    EngineInstance engine(config, PluginLibrary::load(test_plugins::typed_config, private_dir_), &publisher_, nullptr);
    sigrun_depth depth = runner_test::top_of_book(100.0, 102.0);
    depth.receive_time_ns = 123'456;
    CurrentFrame frame = runner_test::depth_frame(77, depth);
    frame.receive_time_ns = depth.receive_time_ns;
    engine.on_data(frame);
    const runner_test::FactorStream stream = runner_test::read_factor_stream(dir_ / "signals.journal");
    EXPECT_DOUBLE_EQ(stream.last.at({"t", "sequence", "BTCUSDT"}), 77.0);
    EXPECT_DOUBLE_EQ(stream.last.at({"t", "receive_time", "BTCUSDT"}), 123'456.0);
    EXPECT_DOUBLE_EQ(stream.last.at({"t", "scaled", "BTCUSDT"}), 200.0);
}

// ---- unloading ----

class PluginUnloadTest : public PluginLibraryTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(PluginUnloadTest, DestroyedLibraryLeavesTheProcessAndItsPrivateCopyIsDeleted) {
    // given a loaded library
    auto lib = PluginLibrary::load(GetParam(), private_dir_);
    const std::filesystem::path private_path = lib->private_path();
    ASSERT_NE(private_path, std::filesystem::path(GetParam()));
    EXPECT_EQ(private_path.parent_path(), private_dir_);
    EXPECT_TRUE(std::filesystem::exists(private_path));
    EXPECT_TRUE(PluginLibrary::is_mapped(private_path));
    // when it is destroyed
    lib.reset();
    // then the mapping left /proc/self/maps and the copy is deleted
    EXPECT_FALSE(PluginLibrary::is_mapped(private_path));
    EXPECT_FALSE(std::filesystem::exists(private_path));
    EXPECT_THAT(files_in(private_dir_), IsEmpty());
}

TEST_P(PluginUnloadTest, DestroyedEngineUnloadsItsLibrary) {
    FactorPublisher publisher(dir_ / "signals.journal", journal::Geometry{1024, 256}, 0);
    auto lib = PluginLibrary::load(GetParam(), private_dir_);
    const std::filesystem::path private_path = lib->private_path();
    EngineConfig config;
    config.name = "e";
    auto engine = std::make_unique<EngineInstance>(config, std::move(lib), &publisher, nullptr);
    EXPECT_TRUE(PluginLibrary::is_mapped(private_path));
    engine.reset();
    EXPECT_FALSE(PluginLibrary::is_mapped(private_path));
    EXPECT_FALSE(std::filesystem::exists(private_path));
}

TEST_P(PluginUnloadTest, SamePathLoadedTwiceGivesTwoDistinctPrivateCopiesBothMapped) {
    // given the same library path loaded twice
    auto first = PluginLibrary::load(GetParam(), private_dir_);
    auto second = PluginLibrary::load(GetParam(), private_dir_);
    // then they are two private copies, both mapped at once
    EXPECT_NE(first->private_path(), second->private_path());
    EXPECT_TRUE(PluginLibrary::is_mapped(first->private_path()));
    EXPECT_TRUE(PluginLibrary::is_mapped(second->private_path()));
    // two objects, not one handed back twice
    EXPECT_NE(reinterpret_cast<void*>(first->on_data), reinterpret_cast<void*>(second->on_data));
    // and unloading one leaves the other
    const auto first_path = first->private_path();
    first.reset();
    EXPECT_FALSE(PluginLibrary::is_mapped(first_path));
    EXPECT_TRUE(PluginLibrary::is_mapped(second->private_path()));
    second.reset();
    EXPECT_THAT(files_in(private_dir_), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(CAndCppPlugins, PluginUnloadTest,
                         ::testing::Values(test_plugins::c_minimal, test_plugins::holder, SIGRUN_OFI_PLUGIN),
                         [](const auto& p) {
                             return std::filesystem::path(p.param).stem().string().substr(3);
                         });

}  // namespace
}  // namespace sigrun::runner
