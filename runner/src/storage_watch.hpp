// runner/src/storage_watch.hpp — the runner's journals, watched while it runs.
//
// A thread that, every 500 ms, asks each journal mapping whether its file is
// still the journal (journal::Mapping::file_problem: shrank, deleted,
// replaced) and, reading another process's md.journal, whether that writer
// is alive (journal::writer_liveness). A file problem ends the run: the
// dispatcher and the feed stop at once (the journal can no longer be
// trusted, nothing is drained) and the run fails with that one line. A writer
// that died, stalled or closed is logged once when it happens and once when
// it is back; the run goes on waiting for frames.
//
// It also relays the caller's stop request into halt() (every 10 ms), so
// that the feed and the dispatcher watch one flag for both reasons to stop.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sigrun/journal/liveness.hpp"
#include "sigrun/journal/mapping.hpp"

namespace sigrun::runner {

class StorageWatch {
public:
    struct Journal {
        std::shared_ptr<journal::Mapping> mapping;
        bool watch_writer = false;  // another process writes it: report its liveness
    };

    StorageWatch(const std::atomic<bool>& stop, std::vector<Journal> journals);
    ~StorageWatch();
    StorageWatch(const StorageWatch&) = delete;
    StorageWatch& operator=(const StorageWatch&) = delete;

    // Set once `stop` is set or a journal failed.
    [[nodiscard]] const std::atomic<bool>& halt() const noexcept { return halt_; }
    // Set once a journal failed.
    [[nodiscard]] const std::atomic<bool>& failed() const noexcept { return failed_; }
    // Why it failed; empty while nothing did. [thread-safe]
    [[nodiscard]] std::string error() const;

private:
    void run();
    bool check_files();
    void check_writers();

    const std::atomic<bool>& stop_;
    std::vector<Journal> journals_;
    std::vector<journal::WriterState> reported_;  // last state logged per journal
    std::atomic<bool> halt_{false};
    std::atomic<bool> failed_{false};
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool quit_ = false;
    std::string error_;
    std::thread thread_;
};

}  // namespace sigrun::runner
