// The watchdog watches every engine call the dispatcher makes, not only
// signal_on_data: a call stuck in signal_on_timer (or on_start / on_stop) is
// reported under its own name, with the md frame that fired it.
#include <atomic>
#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runner_test_support.hpp"
#include "watchdog.hpp"
#include "watchdog_trips.hpp"

namespace sigrun::runner {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;

TEST(WatchdogCalls, AStuckOnTimerIsReportedAsSignalOnTimerOfTheFrameThatFiredIt) {
    runner_test::LogCapture logs;
    DispatchProbe probe;
    std::atomic<bool> stop{false};
    WatchdogConfig config;
    config.on_data_deadline = std::chrono::milliseconds(20);
    WatchdogTrips trips({"vpin"});
    Watchdog watchdog(probe, trips, config, stop);
    watchdog.start();
    probe.begin_frame(77, SIGRUN_MSG_TRADE);
    probe.enter_call(0, DispatchCall::on_timer);  // and never leaves, until the report
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (logs.matching("warning", "watchdog: engine vpin has been inside").empty() &&
           std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    probe.leave_call();
    watchdog.finish();
    EXPECT_THAT(logs.matching("warning", "has been inside signal_on_timer of md frame 77 (trade)"), Not(IsEmpty()));
    EXPECT_EQ(watchdog.overruns(), 1u);
    EXPECT_EQ(trips.of(0), 1u) << "counted for the engine, as sigrun_watchdog_trips_total{engine=\"vpin\"}";
    EXPECT_EQ(probe.call.load(), static_cast<std::int32_t>(DispatchCall::on_data)) << "leave_call resets the call";
}

}  // namespace
}  // namespace sigrun::runner
