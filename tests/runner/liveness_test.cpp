// Liveness and crash containment of the `sigrun` executable, run as a user
// runs it: an engine that never returns, a stop during a slow paced replay,
// engines that crash (SIGSEGV, SIGABRT, a stack overflow). What is asserted
// is what the operator sees — the lines on stderr, the exit code or the
// signal, journals still readable — never how long anything took: each
// child is bounded by a generous kill limit and the ctest TIMEOUT.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sigrun_test_plugins.hpp>

#include "sigrun/journal/reader.hpp"
#include "spawned_process.hpp"
#include "temp_dir.hpp"

namespace {

using json = nlohmann::json;
using sigrun::testing::SpawnedProcess;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kExitStopTimeout = 3;  // runner/src/watchdog.hpp, documented in the README

class LivenessTest : public ::testing::Test {
protected:
    // A synthetic run that would last long: c_minimal and one misbehaving engine.
    [[nodiscard]] json config_with(const json& misbehaving_config) const {
        return json{
            {"journal", {{"dir", (dir_ / "journal").string()}, {"md", {{"capacity", 1024}, {"slot_size", 512}}}}},
            {"source", {{"kind", "synthetic"}, {"seed", 7}, {"events", 100000000}}},
            {"engines",
             {{{"name", "calm"}, {"library", sigrun::test_plugins::c_minimal}},
              {{"name", "culprit"}, {"library", sigrun::test_plugins::misbehaving}, {"config", misbehaving_config}}}},
            {"hot_swap", {{"watch", false}}},
            {"watchdog", {{"on_data_ms", 50}, {"stop_timeout_ms", 300}}},
        };
    }

    std::string write_config(const json& document) const {
        const auto path = dir_ / "runner.json";
        std::ofstream(path) << document.dump(2);
        return path.string();
    }

    [[nodiscard]] SpawnedProcess start(const json& document) const {
        return SpawnedProcess({SIGRUN_EXE, "--config", write_config(document)}, dir_.path());
    }

    // Polls stderr until it holds `text` or the child ended (bounded: 60 s).
    static bool wait_for_stderr(const SpawnedProcess& p, const std::string& text) {
        for (int i = 0; i < 3000; ++i) {
            if (p.err().find(text) != std::string::npos) return true;
            if (!p.running()) return p.err().find(text) != std::string::npos;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    // Both journals open and read to their end without an error.
    void expect_journals_readable(std::uint64_t md_at_least) const {
        for (const char* name : {"md.journal", "signals.journal"}) {
            const auto path = dir_ / "journal" / name;
            try {
                sigrun::journal::Reader reader(path);
                reader.seek_oldest();
                std::vector<std::byte> buffer(reader.geometry().max_payload());
                std::uint64_t frames = 0;
                for (auto r = reader.next(buffer); r.status != sigrun::journal::ReadStatus::empty; r = reader.next(buffer)) {
                    if (r.status == sigrun::journal::ReadStatus::frame) ++frames;
                }
                if (std::string(name) == "md.journal") {
                    EXPECT_GE(frames, md_at_least);
                }
            } catch (const std::exception& e) {
                ADD_FAILURE() << name << " is not readable after the run: " << e.what();
            }
        }
    }

    sigrun::testing::TempDir dir_;
};

TEST_F(LivenessTest, AStuckEngineIsNamedByTheWatchdogAndSigtermEndsTheRunWithTheStopTimeoutCode) {
    // given a runner whose engine "culprit" never returns from its 5th frame
    SpawnedProcess p = start(config_with({{"action", "hang"}, {"at_frame", 5}}));
    // then the watchdog names the engine, the frame and the deadline
    ASSERT_TRUE(wait_for_stderr(p, "watchdog: engine culprit has been inside signal_on_data")) << p.err();
    EXPECT_THAT(p.err(), AllOf(HasSubstr("over the 50 ms deadline"), HasSubstr("md frame ")));
    EXPECT_THAT(p.err(), Not(HasSubstr("engine calm has been inside")));
    // when the operator stops it
    p.signal(SIGTERM);
    // then it ends, by itself, with the distinct exit code and a line naming what is stuck
    const SpawnedProcess::Exit e = p.wait();
    ASSERT_TRUE(e.exited) << "ended by signal " << e.signal << "\n" << p.err();
    EXPECT_EQ(e.code, kExitStopTimeout) << p.err();
    EXPECT_THAT(p.err(), AllOf(HasSubstr("did not end within 300 ms of the stop request"),
                               HasSubstr("engine culprit has been inside signal_on_data of md frame"),
                               HasSubstr("exiting with code 3")));
    expect_journals_readable(5);
}

// The value of sigrun_watchdog_trips_total{engine=...} in a --stats-json file.
std::optional<double> watchdog_trips_in(const std::filesystem::path& stats, const std::string& engine) {
    std::ifstream in(stats);
    const json document = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !document.contains("metrics")) return std::nullopt;
    const auto& family = document["metrics"].value("sigrun_watchdog_trips_total", json::object());
    for (const auto& sample : family.value("samples", json::array())) {
        if (sample["labels"].value("engine", "") == engine) return sample["value"].get<double>();
    }
    return std::nullopt;
}

TEST_F(LivenessTest, AStalledEngineIsOneWatchdogTripCountedForThatEngineInTheMetrics) {
    // given a short run whose engine "culprit" stalls once, in its 3rd
    // frame, for 5x the deadline (a generous deadline: "calm" must not trip
    // on a busy machine), then returns
    json config = config_with({{"action", "stall"}, {"at_frame", 3}, {"stall_ms", 1000}});
    config["source"]["events"] = 2000;
    config["watchdog"]["on_data_ms"] = 200;
    const auto stats = dir_ / "stats.json";
    SpawnedProcess p({SIGRUN_EXE, "--config", write_config(config), "--stats-json", stats.string()}, dir_.path());
    // when it runs to the end
    const SpawnedProcess::Exit e = p.wait();
    ASSERT_TRUE(e.exited) << "ended by signal " << e.signal << "\n" << p.err();
    ASSERT_EQ(e.code, 0) << p.err();
    // then the watchdog named the engine while it was stuck
    EXPECT_THAT(p.err(), HasSubstr("watchdog: engine culprit has been inside signal_on_data"));
    EXPECT_THAT(p.err(), Not(HasSubstr("engine calm has been inside")));
    // and counted exactly that one call, for that engine, in the metrics and the summary
    EXPECT_EQ(watchdog_trips_in(stats, "culprit"), 1.0) << p.err();
    EXPECT_EQ(watchdog_trips_in(stats, "calm"), 0.0) << p.err();
    EXPECT_THAT(p.out(), HasSubstr("watchdog         1 engine call(s) over the 200 ms deadline"));
}

TEST_F(LivenessTest, SigtermDuringASlowPacedReplayEndsTheRunCleanly) {
    // given a replay paced at a thousandth of the recorded speed: seconds to
    // minutes of sleep between two events
    json config = config_with({{"action", "none"}});
    config["source"] = {{"kind", "replay"},
                        {"files", {std::string(SIGRUN_EXAMPLES_DATA_DIR) + "/spot_btcusdt_book20.csv.gz",
                                   std::string(SIGRUN_EXAMPLES_DATA_DIR) + "/spot_btcusdt_trades.csv.gz"}},
                        {"speed", 0.001}};
    SpawnedProcess p = start(config);
    ASSERT_TRUE(wait_for_stderr(p, "loaded misbehaving")) << p.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // into a pacing sleep
    // when it is stopped, then it drains and exits 0 with its summary (the
    // kill limit of wait() is far below the pacing sleeps it would otherwise finish)
    p.signal(SIGTERM);
    const SpawnedProcess::Exit e = p.wait(std::chrono::seconds(60));
    ASSERT_TRUE(e.exited) << "ended by signal " << e.signal << "\n" << p.err();
    EXPECT_EQ(e.code, 0) << p.err();
    EXPECT_THAT(p.out(), HasSubstr("=== sigrun summary"));
}

struct CrashCase {
    const char* action;
    int signal;
    const char* signal_name;
};
// Not GTest's byte dump, which reads the padding (uninitialised under valgrind).
void PrintTo(const CrashCase& c, std::ostream* os) { *os << c.action << " -> " << c.signal_name; }

// Under ASan or TSan (the sanitizer presets run this test too) the
// sanitizer's own SEGV/SIGBUS handler would report the crash and exit 1
// before the runner's handler ran: the child runs with those two handlers
// off, so what is tested is the runner's line and the re-raised signal. The
// variables mean nothing to a build without sanitizers.
class SanitizerSignalHandlersOff {
public:
    SanitizerSignalHandlersOff() {
        for (const char* name : {"ASAN_OPTIONS", "TSAN_OPTIONS"}) {
            const char* old = std::getenv(name);
            saved_.emplace_back(name, old != nullptr ? std::optional<std::string>(old) : std::nullopt);
            const std::string value = (old != nullptr && *old != '\0' ? std::string(old) + ":" : std::string()) +
                                      "handle_segv=0:handle_sigbus=0";
            ::setenv(name, value.c_str(), 1);
        }
    }
    ~SanitizerSignalHandlersOff() {
        for (const auto& [name, value] : saved_) {
            if (value) {
                ::setenv(name.c_str(), value->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
    }
    SanitizerSignalHandlersOff(const SanitizerSignalHandlersOff&) = delete;
    SanitizerSignalHandlersOff& operator=(const SanitizerSignalHandlersOff&) = delete;

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

class EngineCrashTest : public LivenessTest, public ::testing::WithParamInterface<CrashCase> {
protected:
    SanitizerSignalHandlersOff sanitizer_handlers_off_;
};

TEST_P(EngineCrashTest, OneLineNamesTheEngineAndTheFrameThenTheProcessDiesByTheSignal) {
    // given an engine that crashes on its 3rd frame
    SpawnedProcess p = start(config_with({{"action", GetParam().action}, {"at_frame", 3}}));
    // when it runs, then the process ends by that signal
    const SpawnedProcess::Exit e = p.wait();
    ASSERT_FALSE(e.exited) << "exited with " << e.code << "\n" << p.err();
    EXPECT_EQ(e.signal, GetParam().signal) << p.err();
    // and stderr has the one line naming the engine and the frame in flight
    const std::string err = p.err();
    EXPECT_THAT(err, AllOf(HasSubstr(std::string("sigrun: fatal signal ") + GetParam().signal_name),
                           HasSubstr("in engine culprit, inside signal_on_data of md frame "),
                           HasSubstr("no hot swap this run"), HasSubstr("stays readable")));
    // and the journals are readable
    expect_journals_readable(1);
}

INSTANTIATE_TEST_SUITE_P(Signals, EngineCrashTest,
                         ::testing::Values(CrashCase{"segv", SIGSEGV, "SIGSEGV"},
                                           CrashCase{"abort", SIGABRT, "SIGABRT"},
                                           CrashCase{"overflow", SIGSEGV, "SIGSEGV"}),
                         [](const auto& p) { return std::string(p.param.action); });

}  // namespace
