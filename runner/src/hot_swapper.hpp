// runner/src/hot_swapper.hpp — replacing a live engine's library while the
// runner dispatches (HotSwapper).
//
// Triggers: the library file replaced in its folder (inotify IN_CLOSE_WRITE /
// IN_MOVED_TO: an atomic rename is the normal deploy; a plain copy is acted on
// only once the writer closed the file) and SIGHUP (every engine whose file
// changed). One swap, off the dispatch thread:
//   load a private copy, check it, signal_create      (swap thread)
//   warm up from the journal when no state is carried (swap thread)
//   switch between two frames: snapshot/restore or the catch-up of frames
//   that arrived during warm-up                       (dispatch thread, timed)
//   destroy the old engine, release its frames, dlclose, check the mapping is
//   gone, delete the private copy                     (swap thread)
// Any failure keeps the old engine running and is logged in one line.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config.hpp"
#include "dispatcher.hpp"
#include "factor_publisher.hpp"
#include "md_retention.hpp"
#include "sigrun/journal/pins.hpp"

namespace sigrun::runner {

struct SwapStats {
    std::uint64_t swapped = 0;
    std::uint64_t failed = 0;
    std::uint64_t not_unloaded = 0;  // old library still mapped after dlclose
};

class HotSwapper {
public:
    // `retention`: the runner's own feed, which keeps warm-up frames in the
    // ring while a warm-up reads them; null with an external md writer.
    HotSwapper(Dispatcher& dispatcher, const RunnerConfig& config, FactorPublisher* publisher,
               const journal::Pins* pins, std::shared_ptr<journal::Mapping> md, MdRetention* retention);
    ~HotSwapper();
    HotSwapper(const HotSwapper&) = delete;
    HotSwapper& operator=(const HotSwapper&) = delete;

    // Starts watching the engines' folders (engines with "reload": true, when
    // hot_swap.watch is on). Without a watch, reload() and SIGHUP still work.
    // A swap waiting for the dispatch thread gives up once `*stop` is set.
    // Throws std::runtime_error naming the limit when inotify cannot start.
    void start(const std::atomic<bool>* stop = nullptr);
    // Waits for a swap in progress, then refuses every later one: after
    // stop() the runner may destroy the engines.
    void stop();

    // SIGHUP: reload, on the swap thread, every reloadable engine whose file
    // changed since it was loaded. [thread-safe, async-signal-unsafe]
    void request_reload();

    // Replaces engine `name` from its configured library path now, on the
    // calling thread. True when the new engine is live; false (logged and
    // counted as failed) on any error, and after stop(). [thread-safe]
    bool reload(const std::string& name);

    [[nodiscard]] SwapStats stats() const;

private:
    void watch_loop();
    void reload_changed(bool retry_failed);
    std::string swap_engine(std::size_t index);  // empty on success, else the reason

    Dispatcher& dispatcher_;
    const RunnerConfig& config_;
    FactorPublisher* publisher_;
    const journal::Pins* pins_;
    std::shared_ptr<journal::Mapping> md_;
    MdRetention* retention_;
    std::filesystem::path private_dir_;

    mutable std::mutex swap_mutex_;  // one swap at a time; guards stats_
    SwapStats stats_;
    bool closed_ = false;  // stop() was called; guarded by swap_mutex_
    std::vector<FileIdentity> failed_identity_;  // per engine: the file that last failed to swap

    int wake_fd_;        // eventfd: stop and SIGHUP requests; lives as long as this object
    int inotify_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> reload_requested_{false};
    // The run's stop request, set by start() on the run's thread and read by
    // reload() callers on any thread (SIGHUP watcher, --reload-every, tests).
    std::atomic<const std::atomic<bool>*> run_stop_{nullptr};
    std::thread thread_;
};

}  // namespace sigrun::runner
