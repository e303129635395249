#include "dispatcher.hpp"

#include <thread>

#include <spdlog/spdlog.h>

namespace sigrun::runner {

Dispatcher::Dispatcher(journal::Reader reader)
    : reader_(std::move(reader)), pinned_(reader_.mapping()->writable()), position_(reader_.position()) {
    if (!pinned_) buffer_ = std::make_unique<Buffer>();
}

void Dispatcher::add_engine(std::unique_ptr<EngineInstance> engine) {
    const std::lock_guard lock(engines_mutex_);
    engines_.push_back(std::move(engine));
}

std::vector<std::string> Dispatcher::holders_of(std::uint64_t slot) const {
    const std::lock_guard lock(engines_mutex_);
    std::vector<std::string> names;
    for (const auto& e : engines_) {
        if (const auto n = e->host().holds_on(slot); n > 0) names.push_back(fmt::format("{} ({})", e->name(), n));
    }
    return names;
}

void Dispatcher::destroy_engines() {
    std::vector<std::unique_ptr<EngineInstance>> doomed;
    {
        const std::lock_guard lock(engines_mutex_);
        doomed.swap(engines_);
    }
    doomed.clear();
}

void Dispatcher::run(const std::atomic<bool>& stop, const std::atomic<std::uint64_t>& end_sequence) {
    unsigned idle = 0;
    while (!stop.load(std::memory_order_relaxed)) {
        if (position_.load(std::memory_order_relaxed) > end_sequence.load(std::memory_order_acquire)) break;
        if (dispatch_one()) {
            idle = 0;
            continue;
        }
        // Nothing new: spin briefly (lowest latency when frames are dense),
        // then yield, then sleep so an idle runner does not burn a core.
        if (++idle < 256) continue;
        if (idle < 1024) {
            std::this_thread::yield();
        } else {
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }
}

bool Dispatcher::dispatch_one() {
    CurrentFrame frame;
    if (pinned_) {
        journal::PinnedRead read = reader_.next_pinned();
        position_.store(reader_.position(), std::memory_order_release);
        if (read.status == journal::ReadStatus::empty) return false;
        if (read.status == journal::ReadStatus::lost) {
            counts_.lost += read.lost;
            spdlog::warn("md journal: dispatcher was lapped, {} frame(s) lost", read.lost);
            return true;
        }
        frame.sequence = read.info.sequence;
        frame.type = read.info.msg_type;
        frame.data = read.frame.payload();
        frame.retainable = true;
        frame.slot = read.frame.slot_index();
        deliver(frame, read.info.length);
        return true;  // read.frame's pin is dropped here, after every engine ran
    }
    const journal::ReadResult read = reader_.next(buffer_->bytes);
    position_.store(reader_.position(), std::memory_order_release);
    if (read.status == journal::ReadStatus::empty) return false;
    if (read.status == journal::ReadStatus::lost) {
        counts_.lost += read.lost;
        spdlog::warn("md journal: dispatcher was lapped by the external writer, {} frame(s) lost", read.lost);
        return true;
    }
    frame.sequence = read.info.sequence;
    frame.type = read.info.msg_type;
    frame.data = buffer_->bytes.data();
    deliver(frame, read.info.length);
    return true;
}

// Validates the frame against its type before any engine sees it: a journal
// written by another process may hold anything.
void Dispatcher::deliver(CurrentFrame& frame, std::uint32_t length) {
    std::size_t expected = 0;
    switch (frame.type) {
        case SIGRUN_MSG_DEPTH: expected = sizeof(sigrun_depth); break;
        case SIGRUN_MSG_TRADE: expected = sizeof(sigrun_trade); break;
        default: break;
    }
    if (expected == 0 || length != expected) {
        if (rejected_logged_++ < 5) {
            spdlog::warn("md journal: frame {} rejected: type {} with {} bytes (expected {}); not dispatched",
                         frame.sequence, frame.type, length, expected);
        }
        ++counts_.rejected;
        return;
    }
    // receive_time_ns sits at the same offset in Depth and Trade.
    static_assert(offsetof(sigrun_depth, receive_time_ns) == offsetof(sigrun_trade, receive_time_ns));
    std::memcpy(&frame.receive_time_ns, static_cast<const std::byte*>(frame.data) + offsetof(sigrun_depth, receive_time_ns),
                sizeof frame.receive_time_ns);
    if (frame.type == SIGRUN_MSG_DEPTH) {
        ++counts_.depth;
    } else {
        ++counts_.trade;
    }
    for (const auto& engine : engines_) engine->on_data(frame);
}

}  // namespace sigrun::runner
