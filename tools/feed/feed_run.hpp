// tools/feed/feed_run.hpp — sigrun-feed's loop: events from a replay or
// synthetic source into md.journal, as the runner's own feed writes them,
// with progress for a terminal and a summary for the end.
//
// Unlike the runner's in-process feed there is no dispatcher to wait for:
// runners reading this journal ("source": {"kind": "journal"}) are readers
// of their own, and one that falls a whole ring behind counts the frames it
// lost (the md ring's capacity is the slack; size it with --capacity).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>

#include "sigrun/journal/writer.hpp"
#include "sigrun/market_data/event.hpp"

namespace sigrun::feed {

struct FeedTotals {
    std::uint64_t depth = 0;
    std::uint64_t trade = 0;
    std::uint64_t first_sequence = 0;  // 0: nothing written
    std::uint64_t last_sequence = 0;
    double seconds = 0;
    bool stopped = false;  // SIGINT/SIGTERM before the source ended
    [[nodiscard]] std::uint64_t frames() const noexcept { return depth + trade; }
};

struct FeedRunOptions {
    using Source = std::function<std::optional<market_data::Event>()>;
    Source source;
    std::uint64_t expected_events = 0;  // for % and ETA; 0 = unknown
    std::FILE* progress = nullptr;      // a terminal to redraw one line on, or null
};

// Writes until the source ends or `stop` is set. Throws what the source
// (market_data::DataError) or the journal (journal::JournalError) throws.
FeedTotals run_feed(journal::Writer& md, FeedRunOptions options, const std::atomic<bool>& stop);

// "wrote 5015 frames (depth 1793, trade 3222), sequences 1..5015, in 9.01 s (556.6 frames/s)"
std::string summary_line(const FeedTotals& totals);

}  // namespace sigrun::feed
