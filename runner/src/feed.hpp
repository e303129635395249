// runner/src/feed.hpp — the feed: market-data events into the md journal
// (the first step of a frame's path).
//
// Back-pressure instead of loss: before writing sequence s the feed waits
// until MdRetention lets it overwrite s - capacity (dispatched, and not among
// the frames a hot swap's warm-up needs), so an in-process replay never laps
// its own dispatcher. Pins by engines are the
// journal's business: the writer waits for them up to the pin timeout and
// then fails, which stops the run with the holder named.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sigrun/journal/pins.hpp"
#include "sigrun/journal/writer.hpp"
#include "md_retention.hpp"
#include "relaxed_counter.hpp"
#include "sigrun/market_data/event.hpp"

namespace sigrun::runner {

// What the feed thread did so far, for the metrics scrape [thread-safe reads].
struct FeedCounters {
    RelaxedCounter written;           // frames written into md.journal
    RelaxedCounter pin_waits;         // writes that waited for an engine's pin
    RelaxedCounter pin_wait_longest_ns;
};

class Feed {
public:
    using Source = std::function<std::optional<market_data::Event>()>;

    // `pins`: the md journal's (its pin counts are waited on here, where a
    // stop request is seen, before the writer would wait without seeing it);
    // null when nothing pins. `pin_timeout` as in the config.
    Feed(journal::Writer& md, Source source, const journal::Pins* pins = nullptr,
         std::chrono::milliseconds pin_timeout = std::chrono::milliseconds(1000))
        : md_(md), source_(std::move(source)), pins_(pins), pin_timeout_(pin_timeout) {}

    // Writes until the source is exhausted or `stop` is set. Throws what the
    // source or the journal throws (DataError, PinTimeoutError, ...).
    void run(const std::atomic<bool>& stop, const MdRetention& retention);

    [[nodiscard]] std::uint64_t frames_written() const noexcept { return written_; }
    // Keep `counters` up to date after every write (they outlive the run).
    void report_to(FeedCounters* counters) noexcept { report_ = counters; }

private:
    bool wait_for_room(const std::atomic<bool>& stop, const MdRetention& retention);
    bool wait_for_unpinned(const std::atomic<bool>& stop);

    journal::Writer& md_;
    Source source_;
    const journal::Pins* pins_;
    std::chrono::milliseconds pin_timeout_;
    std::uint64_t written_ = 0;
    FeedCounters* report_ = nullptr;
};

}  // namespace sigrun::runner
