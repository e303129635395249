#include "dispatcher.hpp"

#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "frame_replay.hpp"

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

std::size_t Dispatcher::engine_count() const {
    const std::lock_guard lock(engines_mutex_);
    return engines_.size();
}

FileIdentity Dispatcher::engine_identity(std::size_t index) const {
    const std::lock_guard lock(engines_mutex_);
    return index < engines_.size() ? engines_[index]->library().identity() : FileIdentity{};
}

bool Dispatcher::can_carry_state(std::size_t index, std::uint32_t state_version) const {
    const std::lock_guard lock(engines_mutex_);
    if (index >= engines_.size()) return false;
    const PluginLibrary& running = engines_[index]->library();
    return running.snapshot != nullptr && running.info().state_version == state_version;
}

SwapOutcome Dispatcher::swap(SwapPlan plan) {
    std::unique_lock lock(swap_mutex_);
    swap_cv_.wait(lock, [&] { return !pending_ && !outcome_; });
    pending_ = std::move(plan);
    swap_pending_.store(true, std::memory_order_release);
    while (!outcome_) {
        if (!running_) {
            apply_pending_swap();  // nobody dispatches: switch here
        } else {
            swap_cv_.wait_for(lock, std::chrono::milliseconds(10));
        }
    }
    SwapOutcome outcome = std::move(*outcome_);
    outcome_.reset();
    swap_cv_.notify_all();
    return outcome;
}

// Between two frames. Everything here is on the dispatch pause: keep it to
// the state hand-over and the catch-up of frames that arrived during warm-up.
void Dispatcher::apply_pending_swap() {
    if (!pending_) return;
    const auto started = std::chrono::steady_clock::now();
    SwapPlan plan = std::move(*pending_);
    pending_.reset();
    swap_pending_.store(false, std::memory_order_relaxed);
    SwapOutcome outcome;
    const std::uint64_t position = position_.load(std::memory_order_relaxed);
    if (plan.index >= engines_.size()) {  // destroyed: nothing left to replace
        outcome.error = "the engine is no longer running";
        outcome.retired = std::move(plan.replacement);
        outcome_ = std::move(outcome);
        swap_cv_.notify_all();
        return;
    }
    EngineInstance& old_engine = *engines_[plan.index];
    EngineInstance& new_engine = *plan.replacement;
    if (plan.carry_state) {
        std::vector<std::byte> state(4096);
        const auto& old_lib = old_engine.library();
        std::int64_t size = old_lib.snapshot(old_engine.handle(), state.data(), state.size());
        if (size > static_cast<std::int64_t>(state.size())) {
            state.resize(static_cast<std::size_t>(size));
            size = old_lib.snapshot(old_engine.handle(), state.data(), state.size());
        }
        if (size < 0 || size > static_cast<std::int64_t>(state.size())) {
            outcome.error = "signal_snapshot of the running engine failed";
        } else if (new_engine.library().restore(new_engine.handle(), state.data(),
                                                static_cast<std::uint64_t>(size)) != 0) {
            outcome.error = "signal_restore of the new engine refused the state";
        }
    } else if (plan.replayed_until != 0 && plan.replayed_until < position) {
        if (!replay_into(new_engine, reader_.mapping(), plan.replayed_until, position)) {
            outcome.error = "frames needed to finish the warm-up were already overwritten; raise the md "
                            "journal capacity or lower warmup_frames";
        }
    }
    if (outcome.error.empty()) {
        const std::lock_guard lock(engines_mutex_);
        outcome.retired = std::exchange(engines_[plan.index], std::move(plan.replacement));
        outcome.switched = true;
        outcome.first_live_sequence = position;
    } else {
        outcome.retired = std::move(plan.replacement);
    }
    swap_pauses_.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count()));
    outcome_ = std::move(outcome);
    swap_cv_.notify_all();
}

void Dispatcher::run(const std::atomic<bool>& stop, const std::atomic<std::uint64_t>& end_sequence) {
    {
        const std::lock_guard lock(swap_mutex_);
        running_ = true;
    }
    struct NotRunning {
        Dispatcher& d;
        ~NotRunning() {
            const std::lock_guard lock(d.swap_mutex_);
            d.running_ = false;
            d.swap_cv_.notify_all();
        }
    } not_running{*this};
    unsigned idle = 0;
    while (!stop.load(std::memory_order_relaxed)) {
        if (swap_pending_.load(std::memory_order_acquire)) {
            const std::lock_guard lock(swap_mutex_);
            apply_pending_swap();
        }
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
        // In place: position_ is this reader's gate on the md writer, so the
        // frame cannot change until position_ moves past it.
        const journal::InPlaceRead read = reader_.next_in_place();
        if (read.status == journal::ReadStatus::empty) return false;
        if (read.status == journal::ReadStatus::lost) {
            counts_.lost += read.lost;
            position_.store(reader_.position(), std::memory_order_release);
            spdlog::warn("md journal: dispatcher was lapped, {} frame(s) lost", read.lost);
            return true;
        }
        frame.sequence = read.info.sequence;
        frame.type = read.info.msg_type;
        frame.data = read.payload;
        frame.retainable = true;
        frame.slot = read.slot;
        deliver(frame, read.info.length);
        // The gate moves past the frame only after every engine ran (and
        // added its pins, if it keeps the frame): release pairs with the
        // writer's acquire load of the gate before it overwrites the slot.
        position_.store(reader_.position(), std::memory_order_release);
        return true;
    }
    const journal::ReadResult read = reader_.next(buffer_->bytes);
    if (read.status == journal::ReadStatus::empty) return false;
    position_.store(reader_.position(), std::memory_order_release);
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
    if (!describe_frame(frame.type, length, frame.data, frame)) {
        if (rejected_logged_++ < 5) {
            spdlog::warn("md journal: frame {} rejected: type {} with {} bytes does not match a known message; "
                         "not dispatched", frame.sequence, frame.type, length);
        }
        ++counts_.rejected;
        return;
    }
    if (frame.type == SIGRUN_MSG_DEPTH) {
        ++counts_.depth;
    } else {
        ++counts_.trade;
    }
    if (++rounds_ % kLatencySample != 0) {
        for (const auto& engine : engines_) {
            if (engine->accepts(frame.type)) engine->on_data(frame);
        }
        return;
    }
    auto before = std::chrono::steady_clock::now();
    for (const auto& engine : engines_) {
        if (!engine->accepts(frame.type)) continue;
        engine->on_data(frame);
        const auto after = std::chrono::steady_clock::now();
        engine->record_latency(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(after - before).count()));
        before = after;
    }
}

}  // namespace sigrun::runner
