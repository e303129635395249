#include "sigrun/journal/liveness.hpp"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"

namespace sigrun::journal {
namespace {

bool process_exists(std::int32_t pid) noexcept {
    if (pid <= 0) return false;
    return ::kill(pid, 0) == 0 || errno == EPERM;  // EPERM: exists, owned by someone else
}

std::int64_t realtime_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

}  // namespace

std::chrono::milliseconds stale_after(std::chrono::milliseconds interval) noexcept {
    return std::max(interval * 5, std::chrono::milliseconds(250));
}

WriterLiveness writer_liveness(const Mapping& mapping) {
    const FileHeader& h = mapping.header();
    WriterLiveness l;
    l.pid = detail::load(h.owner_pid, std::memory_order_relaxed);
    const std::int64_t beat = detail::load(h.heartbeat_time, std::memory_order_relaxed);
    const std::uint32_t interval_ms = detail::load(h.heartbeat_interval_ms, std::memory_order_relaxed);
    l.stale_after = stale_after(std::chrono::milliseconds(interval_ms));
    if (beat > 0) {
        // A clock stepped back makes the age negative: as fresh as it gets.
        l.heartbeat_age = std::chrono::milliseconds(std::max<std::int64_t>(0, (realtime_ns() - beat) / 1'000'000));
    }
    if (l.pid == 0) {
        l.state = WriterState::no_writer;
    } else if (beat > 0 && interval_ms > 0 && l.heartbeat_age <= l.stale_after) {
        l.state = WriterState::alive;
    } else if (!process_exists(l.pid)) {
        l.state = WriterState::died;
    } else if (beat > 0 && interval_ms > 0) {
        l.state = WriterState::stalled;
    } else {
        l.state = WriterState::alive;
    }
    return l;
}

std::string WriterLiveness::describe(const std::filesystem::path& path) const {
    const std::string age = heartbeat_age.count() < 0
                                ? std::string("it writes no heartbeat")
                                : fmt::format("last heartbeat {:.1f} s ago", heartbeat_age.count() / 1000.0);
    switch (state) {
        case WriterState::alive:
            return fmt::format("journal {}: its writer (pid {}) is alive ({})", path.string(), pid, age);
        case WriterState::no_writer:
            return fmt::format("journal {}: no writer has it open (the last one closed it); waiting for a writer "
                               "to open it and publish",
                               path.string());
        case WriterState::died:
            return fmt::format("journal {}: its writer (pid {}) died ({}); frames resume when a writer reopens "
                               "the journal: restart the writer",
                               path.string(), pid, age);
        case WriterState::stalled:
            return fmt::format("journal {}: its writer (pid {}) stopped: {}, more than {} ms (stopped, hung or "
                               "starved of CPU); still waiting: check that process",
                               path.string(), pid, age, stale_after.count());
    }
    return {};
}

}  // namespace sigrun::journal
