#include "feed.hpp"

#include <thread>

namespace sigrun::runner {

bool Feed::wait_for_room(const std::atomic<bool>& stop, const MdRetention& retention) {
    const std::uint64_t next = md_.last_sequence() + 1;
    const std::uint64_t capacity = md_.geometry().capacity;
    unsigned spins = 0;
    // Sequences start at 1: the first `capacity` writes overwrite nothing.
    while (next > capacity && !retention.may_overwrite(next - capacity)) {
        if (stop.load(std::memory_order_relaxed)) return false;
        if (++spins < 256) continue;
        if (spins < 1024) {
            std::this_thread::yield();
        } else {
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    }
    return true;
}

void Feed::run(const std::atomic<bool>& stop, const MdRetention& retention) {
    while (!stop.load(std::memory_order_relaxed)) {
        std::optional<market_data::Event> event = source_();
        if (!event) return;
        if (!wait_for_room(stop, retention)) return;
        md_.write(event->type(), std::span(static_cast<const std::byte*>(event->payload()), event->payload_size()),
                  event->receive_time_ns());
        ++written_;
    }
}

}  // namespace sigrun::runner
