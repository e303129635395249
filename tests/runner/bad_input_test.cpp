// Each class of bad input to the `sigrun` executable ends in one line on
// stderr naming the thing and the fix, and a non-zero exit, before anything
// is dispatched: numbers out of range, a FIFO / directory / device where a
// regular file must be, JSON too large or too deep, and limits too low for
// the run (open files, address space) — named as limits, never as
// permissions.
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sigrun_test_plugins.hpp>

#include "spawned_process.hpp"
#include "temp_dir.hpp"

namespace {

using json = nlohmann::json;
using sigrun::testing::ChildLimit;
using sigrun::testing::SpawnedProcess;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class BadInputTest : public ::testing::Test {
protected:
    [[nodiscard]] json valid_config() const {
        return json{
            {"journal", {{"dir", (dir_ / "journal").string()}}},
            {"source", {{"kind", "synthetic"}, {"seed", 1}, {"events", 100}}},
            {"engines", {{{"name", "calm"}, {"library", sigrun::test_plugins::c_minimal}}}},
            {"hot_swap", {{"watch", false}}},
        };
    }

    std::filesystem::path write_config(const json& document, const std::string& name = "runner.json") const {
        const auto path = dir_ / name;
        std::ofstream(path) << document.dump(2);
        return path;
    }

    // Runs sigrun on `config_path`; expects exit 1 and exactly one stderr line.
    std::string refused(const std::filesystem::path& config_path, std::vector<ChildLimit> limits = {}) const {
        SpawnedProcess p({SIGRUN_EXE, "--config", config_path.string()}, dir_.path(), std::move(limits));
        const SpawnedProcess::Exit e = p.wait(std::chrono::seconds(60));
        const std::string err = p.err();
        EXPECT_TRUE(e.exited) << "ended by signal " << e.signal << "\n" << err;
        EXPECT_EQ(e.code, 1) << err;
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "not one line:\n" << err;
        EXPECT_THAT(p.out(), Not(HasSubstr("summary")));
        return err;
    }

    sigrun::testing::TempDir dir_;
};

struct RangeCase {
    const char* pointer;  // JSON pointer of the value
    json value;
    const char* expected;
};
// GTest would print the raw bytes, padding included (uninitialised: an error
// under valgrind when the test list is printed).
void PrintTo(const RangeCase& c, std::ostream* os) { *os << c.pointer << " = " << c.value.dump(); }

class OutOfRangeTest : public BadInputTest, public ::testing::WithParamInterface<RangeCase> {};

TEST_P(OutOfRangeTest, IsOneLineNamingTheKeyAndTheRange) {
    json config = valid_config();
    if (std::string(GetParam().pointer).rfind("/source/speed", 0) == 0) {
        config["source"] = {{"kind", "replay"},
                            {"files", {std::string(SIGRUN_EXAMPLES_DATA_DIR) + "/spot_btcusdt_trades.csv.gz"}}};
    }
    config[json::json_pointer(GetParam().pointer)] = GetParam().value;
    const std::string err = refused(write_config(config));
    std::string path = std::string("$") + GetParam().pointer;
    std::replace(path.begin(), path.end(), '/', '.');
    EXPECT_THAT(err, AllOf(HasSubstr(path), HasSubstr(GetParam().expected)));
}

INSTANTIATE_TEST_SUITE_P(
    Numbers, OutOfRangeTest,
    ::testing::Values(RangeCase{"/journal/pin_timeout_ms", json(10'000'000'000'000LL), "use 0 to 3600000 ms"},
                      RangeCase{"/watchdog/on_data_ms", json(0), "use 1 to 3600000 ms"},
                      RangeCase{"/watchdog/stop_timeout_ms", json(std::uint64_t{1} << 63), "use 1 to 3600000 ms"},
                      RangeCase{"/watchdog/on_data_ms", json(-5), "non-negative integer"},
                      RangeCase{"/source/speed", json(1e-300), "positive pace factor"},
                      RangeCase{"/source/speed", json(1e300), "positive pace factor"},
                      RangeCase{"/journal/md/capacity", json(std::uint64_t{1} << 40), "power of two"},
                      RangeCase{"/journal/md/slot_size", json(std::uint64_t{1} << 33), "multiple of"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST_F(BadInputTest, AFifoAsTheConfigIsRefusedWithoutWaitingForAWriter) {
    const auto fifo = dir_ / "runner.json";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_THAT(refused(fifo), AllOf(HasSubstr(fifo.string()), HasSubstr("is a FIFO")));
}

TEST_F(BadInputTest, ACharacterDeviceAsTheConfigIsRefused) {
    EXPECT_THAT(refused("/dev/zero"), AllOf(HasSubstr("/dev/zero"), HasSubstr("is a character device")));
}

TEST_F(BadInputTest, ADirectoryAsTheConfigIsRefused) {
    EXPECT_THAT(refused(dir_.path()), HasSubstr("is a directory"));
}

TEST_F(BadInputTest, AFifoAsAReplayFileIsRefusedNamingTheEntry) {
    const auto fifo = dir_ / "spot_btcusdt_trades.csv.gz";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    json config = valid_config();
    config["source"] = {{"kind", "replay"}, {"files", {fifo.string()}}};
    EXPECT_THAT(refused(write_config(config)), AllOf(HasSubstr("$.source.files[0]"), HasSubstr("is a FIFO")));
}

TEST_F(BadInputTest, ADirectoryAsAnEngineLibraryIsRefusedNamingTheEntry) {
    std::filesystem::create_directories(dir_ / "libdir.so");
    json config = valid_config();
    config["engines"][0]["library"] = (dir_ / "libdir.so").string();
    EXPECT_THAT(refused(write_config(config)), AllOf(HasSubstr("$.engines[0].library"), HasSubstr("is a directory")));
}

TEST_F(BadInputTest, JsonNestedTenThousandDeepIsRefusedNamingTheLimit) {
    const auto path = dir_ / "deep.json";
    std::string engine_config(10000, '[');
    engine_config += std::string(10000, ']');
    std::string text = valid_config().dump();
    std::ofstream(path) << text.substr(0, text.size() - 1) << R"(,"deep":)" << engine_config << "}";
    EXPECT_THAT(refused(path), HasSubstr("deeper than 64 levels"));
}

TEST_F(BadInputTest, AConfigOfSeventeenMebibytesIsRefusedBeforeItIsRead) {
    const auto path = dir_ / "huge.json";
    std::ofstream(path) << valid_config().dump();
    std::filesystem::resize_file(path, 17 * 1024 * 1024);  // sparse: no disk used
    EXPECT_THAT(refused(path), AllOf(HasSubstr("over the limit of"), HasSubstr("bytes")));
}

// ulimit -n and -v act on the child only; the sanitizers and valgrind map
// terabytes of shadow memory and open their own files, so these limits are
// exercised in the plain builds (release, zero-copy), not there.
#if !SIGRUN_SANITIZED && !SIGRUN_UNDER_MEMCHECK
TEST_F(BadInputTest, TooFewFileDescriptorsIsOneLineNamingUlimitN) {
    const std::string err = refused(write_config(valid_config()), {ChildLimit{RLIMIT_NOFILE, 9}});
    EXPECT_THAT(err, AllOf(HasSubstr("open-file limit (ulimit -n) is 9"), HasSubstr("raise it")));
    EXPECT_THAT(err, Not(HasSubstr("permission")));
}

TEST_F(BadInputTest, TooLittleAddressSpaceIsOneLineNamingUlimitV) {
    json config = valid_config();
    config["journal"]["md"] = {{"capacity", 1 << 21}, {"slot_size", 512}};  // a 1 GiB journal
    const std::string err = refused(write_config(config), {ChildLimit{RLIMIT_AS, rlim_t{512} << 20}});
    EXPECT_THAT(err, AllOf(HasSubstr("address-space limit (ulimit -v) is 512 MiB"), HasSubstr("raise it")));
    EXPECT_THAT(err, Not(HasSubstr("permission")));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "journal" / "md.journal")) << "refused before creating anything";
}
#endif

}  // namespace
