// holder — a frame-ref stress engine: it keeps every message it receives
// (sigrun::Kept) in a queue and releases them later from its own thread, the
// case a naive "empty deleter" handoff gets wrong.
//
// Config: {"hold": N} (default 1): keep the N most recent frames; older ones
// are handed to the releaser thread, which drops them, so frame_release runs
// on a thread the runner did not create. The destructor stops and joins that
// thread, then drops what is still queued, before signal_destroy returns.
//
// It also checks the journal's promise: when it lets go of a frame it
// compares the frame's bytes with a fingerprint taken on arrival; a frame
// that changed while held is logged as an ERROR ("changed while held"). In
// copy mode the frames are private copies and can never change.
//
// Emits "held" = frames queued after each message (dispatch thread only).
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <sigrun/engine.hpp>

namespace {

// FNV-1a over the message bytes: cheap, and any overwrite of the frame
// changes it.
std::uint64_t fingerprint(const void* bytes, std::size_t size) noexcept {
    std::uint64_t hash = 14695981039346656037ULL;
    for (std::size_t i = 0; i < size; ++i) {
        hash ^= static_cast<const unsigned char*>(bytes)[i];
        hash *= 1099511628211ULL;
    }
    return hash;
}

std::size_t parse_hold(const nlohmann::json& config) {
    if (!config.is_object()) {
        throw std::invalid_argument("holder: config must be a JSON object like {\"hold\": 4}");
    }
    for (const auto& [key, value] : config.items()) {
        if (key != "hold") {
            throw std::invalid_argument("holder: unknown config key \"" + key + "\" (known: \"hold\")");
        }
    }
    const auto hold = config.find("hold");
    if (hold == config.end()) {
        return 1;
    }
    if (!hold->is_number_unsigned()) {
        throw std::invalid_argument("holder: config \"hold\" must be a non-negative integer, got " + hold->dump());
    }
    return hold->get<std::size_t>();
}

class Holder final : public sigrun::Engine {
public:
    Holder(sigrun::Host host, const nlohmann::json& config)
        : Engine(host), hold_(parse_hold(config)), held_(factor("held")), releaser_([this] { release_loop(); }) {}

    ~Holder() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        releaser_.join();
        // What is still queued is released here, on the destroying thread:
        // nothing may stay retained once signal_destroy returns.
        let_go(queue_);
        const std::string summary = "holder: destroyed after " + std::to_string(received_) + " frames, " +
                                    std::to_string(changed_while_held_) + " changed while held";
        log(changed_while_held_ == 0 ? SIGRUN_LOG_INFO : SIGRUN_LOG_ERROR, summary);
    }

    void on_depth(const sigrun::Depth& depth) override {
        hold(keep(depth).erase(), sizeof(sigrun::Depth), depth.instrument);
    }

    void on_trade(const sigrun::Trade& trade) override {
        hold(keep(trade).erase(), sizeof(sigrun::Trade), trade.instrument);
    }

private:
    struct HeldFrame {
        sigrun::Kept<void> message;
        std::size_t size;
        std::uint64_t fingerprint_on_arrival;
    };

    void hold(sigrun::Kept<void> message, std::size_t size, const char (&instrument)[SIGRUN_INSTRUMENT_LEN]) {
        const std::uint64_t arrival = fingerprint(message.get(), size);
        std::size_t queued = 0;
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(HeldFrame{std::move(message), size, arrival});
            ++received_;
            queued = queue_.size();
        }
        if (queued > hold_) {
            wake_.notify_one();
        }
        emit(held_, instrument, static_cast<double>(queued));
    }

    void release_loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return stopping_ || queue_.size() > hold_; });
            if (stopping_) {
                return;
            }
            std::deque<HeldFrame> oldest;
            while (queue_.size() > hold_) {
                oldest.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            lock.unlock();
            let_go(oldest);  // frame_release runs here, on the releaser thread
            lock.lock();
        }
    }

    // Checks each frame is still what arrived, then drops it.
    void let_go(std::deque<HeldFrame>& frames) {
        for (const HeldFrame& frame : frames) {
            if (fingerprint(frame.message.get(), frame.size) != frame.fingerprint_on_arrival) {
                changed_while_held_.fetch_add(1, std::memory_order_relaxed);
                log(SIGRUN_LOG_ERROR, "holder: a frame changed while held (the journal overwrote a retained frame)");
            }
        }
        frames.clear();
    }

    const std::size_t hold_;
    const sigrun::FactorId held_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<HeldFrame> queue_;  // guarded by mutex_
    bool stopping_ = false;        // guarded by mutex_
    std::uint64_t received_ = 0;   // guarded by mutex_
    std::atomic<std::uint64_t> changed_while_held_{0};
    std::thread releaser_;  // last: starts after everything it uses exists
};

}  // namespace

SIGRUN_EXPORT_ENGINE(Holder, "holder", "1.0.0");
