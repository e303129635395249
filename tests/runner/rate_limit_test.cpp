// RateLimit (a warning that could repeat on every frame), and the one-line
// descriptions of limits the runner may hit at start-up.
#include <cerrno>
#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rate_limited_log.hpp"
#include "resource_limits.hpp"

namespace sigrun::runner {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

TEST(RateLimitTest, LogsTheBurstThenOneLinePerIntervalWithTheCountOfTheRest) {
    RateLimit limit(1000ms, 2);
    const auto t0 = RateLimit::Clock::time_point{} + 10s;
    EXPECT_TRUE(limit.admit(t0));
    EXPECT_TRUE(limit.admit(t0));
    // a thousand more within the interval: none logged
    int logged = 0;
    for (int i = 0; i < 1000; ++i) logged += limit.admit(t0 + 1ms * (i % 900)) ? 1 : 0;
    EXPECT_EQ(logged, 0);
    // the first after the interval is logged and carries the count
    const auto next = limit.admit(t0 + 1500ms);
    ASSERT_TRUE(next);
    EXPECT_EQ(next.suppressed, 1000u);
    EXPECT_THAT(next.suffix(), HasSubstr("and 1000 more like it in the last 1.5 s"));
    EXPECT_EQ(limit.total(), 1003u);
    // and the count starts again
    EXPECT_FALSE(limit.admit(t0 + 1600ms));
    EXPECT_EQ(limit.admit(t0 + 2600ms).suppressed, 1u);
}

TEST(ResourceLimitsTest, InotifyInstancesRunOutIsNamedAsTheSysctlNotAsFiles) {
    const std::string line = describe_os_failure("inotify_init1", EMFILE, /*inotify=*/true);
    EXPECT_THAT(line, AllOf(HasSubstr("fs.inotify.max_user_instances"), HasSubstr("hot_swap.watch")));
    EXPECT_THAT(line, Not(HasSubstr("permission")));
}

TEST(ResourceLimitsTest, InotifyWatchesRunOutIsNamedAsTheSysctl) {
    EXPECT_THAT(describe_os_failure("inotify_add_watch /x", ENOSPC, true), HasSubstr("fs.inotify.max_user_watches"));
}

TEST(ResourceLimitsTest, DescriptorsRunOutIsNamedAsUlimitN) {
    EXPECT_THAT(describe_os_failure("open", EMFILE), AllOf(HasSubstr("ulimit -n"), Not(HasSubstr("permission"))));
}

TEST(ResourceLimitsTest, OutOfMemoryIsNamedAsUlimitV) {
    EXPECT_THAT(describe_limit_exception(std::bad_alloc()), HasSubstr("ulimit -v"));
    EXPECT_THAT(describe_os_failure("mmap", ENOMEM), HasSubstr("ulimit -v"));
}

TEST(ResourceLimitsTest, OtherExceptionsAreNotLimits) {
    EXPECT_EQ(describe_limit_exception(std::runtime_error("config x: bad")), "");
}

}  // namespace
}  // namespace sigrun::runner
