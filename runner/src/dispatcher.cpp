#include "dispatcher.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "frame_replay.hpp"

namespace sigrun::runner {

Dispatcher::Dispatcher(journal::Reader reader, std::atomic<std::uint64_t>* position_slot,
                       const journal::Pins* pins)
    : reader_(std::move(reader)),
      pins_(pins),
      pinned_(reader_.mapping()->writable()),
      position_(position_slot != nullptr ? *position_slot : own_position_) {
    position_.store(reader_.position(), std::memory_order_release);
    if (!pinned_) buffer_ = std::make_unique<Buffer>();
}

void Dispatcher::add_engine(std::unique_ptr<EngineInstance> engine) {
    const std::lock_guard lock(engines_mutex_);
    engines_.push_back(std::move(engine));
    update_timer_due();
}

void Dispatcher::update_timer_due() noexcept {
    std::int64_t due = TimerSchedule::kNever;
    for (const auto& e : engines_) due = std::min(due, e->timer_due());
    timer_due_ = due;
}

// A frame reached some engine's deadline (or is the first of the run): each
// engine whose own deadline it reached gets signal_on_timer before the frame.
void Dispatcher::fire_timers(const CurrentFrame& frame) {
    for (std::size_t i = 0; i < engines_.size(); ++i) {
        EngineInstance& engine = *engines_[i];
        const std::int64_t due = engine.timer_due();
        if (frame.receive_time_ns < due) continue;
        if (due == TimerSchedule::kUnset) {
            engine.on_frame_time(frame);  // the run's first frame sets the clock: no call
            continue;
        }
        probe_.enter_call(i, DispatchCall::on_timer);
        engine.on_frame_time(frame);
        probe_.leave_call();
    }
    update_timer_due();
}

void Dispatcher::stop_engines() {
    if (!std::exchange(started_, false)) return;
    for (std::size_t i = 0; i < engines_.size(); ++i) {
        probe_.enter_call(i, DispatchCall::on_stop);
        engines_[i]->on_stop();
        probe_.leave_call();
    }
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

std::string Dispatcher::engine_plugin_id(std::size_t index) const {
    const std::lock_guard lock(engines_mutex_);
    return index < engines_.size() ? engines_[index]->library().plugin_id() : std::string{};
}

SwapOutcome Dispatcher::swap(SwapPlan plan, const std::atomic<bool>* stop) {
    const auto stopping = [stop] { return stop != nullptr && stop->load(std::memory_order_relaxed); };
    std::unique_lock lock(swap_mutex_);
    while (pending_ || outcome_) {
        if (stopping()) return {false, "the runner is stopping", std::move(plan.replacement), 0};
        swap_cv_.wait_for(lock, std::chrono::milliseconds(10));
    }
    pending_ = std::move(plan);
    swap_pending_.store(true, std::memory_order_release);
    while (!outcome_) {
        if (!running_) {
            apply_pending_swap();  // nobody dispatches: switch here
        } else if (pending_ && stopping()) {
            // The dispatch thread has not taken the plan (it holds this mutex
            // while it applies one): withdraw it. A dispatch stuck in an
            // engine would never take it.
            swap_pending_.store(false, std::memory_order_relaxed);
            SwapOutcome withdrawn{false, "the runner is stopping", std::move(pending_->replacement), 0};
            pending_.reset();
            swap_cv_.notify_all();
            return withdrawn;
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
        plan.replacement->continue_from(*engines_[plan.index]);
        outcome.retired = std::exchange(engines_[plan.index], std::move(plan.replacement));
        update_timer_due();
        outcome.switched = true;
        outcome.first_live_sequence = position;
        probe_.switched(plan.index, position);
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
    std::optional<journal::Pins::PinThread> pin_thread;
    if (pins_ != nullptr) pin_thread.emplace(*pins_);
    probe_.dispatch_tid.store(static_cast<int>(::syscall(SYS_gettid)), std::memory_order_relaxed);
    if (!started_) {
        // Since running_ is set, only this thread switches engines (a swap
        // made before it brought its engine in before the run: it starts
        // with the others).
        started_ = true;
        for (std::size_t i = 0; i < engines_.size(); ++i) {
            probe_.enter_call(i, DispatchCall::on_start);
            engines_[i]->on_start();
            probe_.leave_call();
        }
    }
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
        if (read.status == journal::ReadStatus::damaged) {
            skip_damaged(read.info.sequence, read.lost);
            return true;
        }
        if (read.status == journal::ReadStatus::lost) {
            counts_.lost += read.lost;
            position_.store(reader_.position(), std::memory_order_release);
            if (const auto log = lapped_log_.admit()) {
                spdlog::warn("md journal: dispatcher was lapped, {} frame(s) lost, {} in all{}", read.lost,
                             counts_.lost, log.suffix());
            }
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
    if (read.status == journal::ReadStatus::damaged) {
        skip_damaged(read.info.sequence, read.lost);
        return true;
    }
    if (read.status == journal::ReadStatus::lost) {
        counts_.lost += read.lost;
        position_.store(reader_.position(), std::memory_order_release);
        if (const auto log = lapped_log_.admit()) {
            spdlog::warn("md journal: dispatcher was lapped by the external writer, {} frame(s) lost, {} in all{}",
                         read.lost, counts_.lost.load(), log.suffix());
        }
        return true;
    }
    frame.sequence = read.info.sequence;
    frame.type = read.info.msg_type;
    frame.data = buffer_->bytes.data();
    deliver(frame, read.info.length);
    // After the engines, as in owner mode: the position (the durable
    // consumer cursor) then says the frame was fully dispatched.
    position_.store(reader_.position(), std::memory_order_release);
    return true;
}

// A frame the reader found damaged: no engine sees it; counted, logged
// (throttled), and the gate moves past it.
void Dispatcher::skip_damaged(std::uint64_t sequence, std::uint64_t count) {
    counts_.damaged += count;
    damaged_log_.note(sequence, count);
    position_.store(reader_.position(), std::memory_order_release);
}

// Validates the frame against its type before any engine sees it: a journal
// written by another process may hold anything.
void Dispatcher::deliver(CurrentFrame& frame, std::uint32_t length) {
    if (!describe_frame(frame.type, length, frame.data, frame)) {
        if (const auto log = rejected_log_.admit()) {
            spdlog::warn("md journal: frame {} rejected: type {} with {} bytes does not match a known message; "
                         "not dispatched{}", frame.sequence, frame.type, length, log.suffix());
        }
        ++counts_.rejected;
        return;
    }
    if (frame.type == SIGRUN_MSG_DEPTH) {
        ++counts_.depth;
    } else {
        ++counts_.trade;
    }
    probe_.begin_frame(frame.sequence, frame.type);
    // Timers fire before the frame that reaches their deadline (signal_api.h).
    if (frame.receive_time_ns >= timer_due_) [[unlikely]] fire_timers(frame);
    const std::size_t count = engines_.size();
    if (++rounds_ % kLatencySample != 0) {
        for (std::size_t i = 0; i < count; ++i) {
            EngineInstance& engine = *engines_[i];
            if (!engine.accepts(frame.type)) continue;
            probe_.enter(i);
            engine.on_data(frame);
            probe_.leave();
        }
        return;
    }
    auto before = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < count; ++i) {
        const auto& engine = engines_[i];
        if (!engine->accepts(frame.type)) continue;
        probe_.enter(i);
        engine->on_data(frame);
        probe_.leave();
        const auto after = std::chrono::steady_clock::now();
        engine->record_latency(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(after - before).count()));
        before = after;
    }
}

}  // namespace sigrun::runner
