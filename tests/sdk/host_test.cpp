// sigrun::Host: the C++ view of sigrun_host_api that engines emit and log through.
#include <gtest/gtest.h>

#include <string>

#include "fake_host.hpp"
#include "sigrun/host.hpp"

namespace {

using sigrun::Host;
using sigrun::testing::FakeHost;

TEST(Host, EmitPassesNamesAndValueAndReportsSuccess) {
    FakeHost fake;
    const Host host(fake.api());

    EXPECT_TRUE(host.emit("mid", "BTCUSDT", 101.25));

    const auto emitted = fake.emitted();
    ASSERT_EQ(emitted.size(), 1u);
    EXPECT_EQ(emitted[0].factor, "mid");
    EXPECT_EQ(emitted[0].instrument, "BTCUSDT");
    EXPECT_EQ(emitted[0].value, 101.25);
}

TEST(Host, EmitReturnsFalseWhenTheHostRefuses) {
    FakeHost fake;
    fake.set_refuse_emit(true);

    EXPECT_FALSE(Host(fake.api()).emit("mid", "BTCUSDT", 1.0));
}

TEST(Host, EmitNulTerminatesViewsThatAreNotStrings) {
    FakeHost fake;
    const std::string text = "imbalanceETHUSDT-rest";
    const std::string_view factor = std::string_view(text).substr(0, 9);
    const std::string_view instrument = std::string_view(text).substr(9, 7);

    Host(fake.api()).emit(factor, instrument, 0.5);

    ASSERT_EQ(fake.emitted().size(), 1u);
    EXPECT_EQ(fake.emitted()[0].factor, "imbalance");
    EXPECT_EQ(fake.emitted()[0].instrument, "ETHUSDT");
}

TEST(Host, EmitPassesNamesLongerThanTheRunnerKeepsSoTheRunnerCanReportThem) {
    FakeHost fake;
    const std::string long_factor(100, 'f');

    Host(fake.api()).emit(long_factor, "BTCUSDT", 1.0);

    ASSERT_EQ(fake.emitted().size(), 1u);
    EXPECT_EQ(fake.emitted()[0].factor, long_factor);
}

TEST(Host, LogPassesLevelAndMessage) {
    FakeHost fake;

    Host(fake.api()).log(SIGRUN_LOG_WARN, "spread is negative");

    const auto logs = fake.logs();
    ASSERT_EQ(logs.size(), 1u);
    EXPECT_EQ(logs[0].level, SIGRUN_LOG_WARN);
    EXPECT_EQ(logs[0].message, "spread is negative");
}

TEST(Host, LogPassesMessagesLongerThanTheInlineBufferWhole) {
    FakeHost fake;
    std::string long_message(5000, 'x');
    long_message.back() = 'y';

    Host(fake.api()).log(SIGRUN_LOG_INFO, long_message);

    ASSERT_EQ(fake.logs().size(), 1u);
    EXPECT_EQ(fake.logs()[0].message, long_message);
}

TEST(Host, LogOfAnEmptyMessageIsAnEmptyLine) {
    FakeHost fake;

    Host(fake.api()).log(SIGRUN_LOG_DEBUG, std::string_view());

    ASSERT_EQ(fake.logs().size(), 1u);
    EXPECT_EQ(fake.logs()[0].message, "");
}

TEST(Host, NullHostIsInert) {
    const Host host(nullptr);

    host.log(SIGRUN_LOG_ERROR, "goes nowhere");
    EXPECT_FALSE(host.emit("mid", "BTCUSDT", 1.0));
    EXPECT_FALSE(host.can_retain_frames());
    EXPECT_EQ(host.api(), nullptr);
}

TEST(Host, CanRetainFramesOnlyWhenTheHostStructHasBothFunctions) {
    FakeHost complete;
    EXPECT_TRUE(Host(complete.api()).can_retain_frames());

    FakeHost older;  // a host built before frame_release existed
    older.mutable_api().struct_size = offsetof(sigrun_host_api, frame_release);
    EXPECT_FALSE(Host(older.api()).can_retain_frames());

    FakeHost without_retain;
    without_retain.mutable_api().frame_retain = nullptr;
    EXPECT_FALSE(Host(without_retain.api()).can_retain_frames());
}

TEST(Host, CopiesShareTheSameHostApi) {
    FakeHost fake;
    const Host original(fake.api());
    const Host copy = original;  // NOLINT(performance-unnecessary-copy-initialization): copying is the point

    EXPECT_EQ(copy.api(), fake.api());
    copy.emit("a", "b", 1.0);
    EXPECT_EQ(fake.emitted().size(), 1u);
}

}  // namespace
