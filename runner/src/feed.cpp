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

// The slot the next write overwrites may be pinned by an engine keeping a
// frame (frame-ref handoff). The writer would wait for it up to the pin
// timeout without seeing a stop request; waiting here first keeps a stop
// prompt. Past the timeout the writer's own error (naming the frame) ends
// the run.
bool Feed::wait_for_unpinned(const std::atomic<bool>& stop) {
    if (pins_ == nullptr) return true;
    const std::uint64_t next = md_.last_sequence() + 1;
    const std::uint64_t slot = md_.geometry().slot_index(next);
    if (pins_->count(slot) == 0) return true;
    const auto give_up = std::chrono::steady_clock::now() + pin_timeout_;
    while (pins_->count(slot) != 0 && std::chrono::steady_clock::now() < give_up) {
        if (stop.load(std::memory_order_relaxed)) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
}

void Feed::run(const std::atomic<bool>& stop, const MdRetention& retention) {
    while (!stop.load(std::memory_order_relaxed)) {
        std::optional<market_data::Event> event = source_();
        if (!event) return;
        if (!wait_for_room(stop, retention)) return;
        if (!wait_for_unpinned(stop)) return;
        md_.write(event->type(), std::span(static_cast<const std::byte*>(event->payload()), event->payload_size()),
                  event->receive_time_ns());
        ++written_;
        if (report_ != nullptr) {
            const journal::WaitStats& pins = md_.pin_wait_stats();
            report_->written.set(written_);
            if (pins.waits != report_->pin_waits.load()) {  // rare: only after a wait
                report_->pin_waits.set(pins.waits);
                report_->pin_wait_longest_ns.set(static_cast<std::uint64_t>(pins.longest.count()));
            }
        }
    }
}

}  // namespace sigrun::runner
