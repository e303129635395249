#include "feed_run.hpp"

#include <fmt/format.h>

#include "sigrun/messages.h"

namespace sigrun::feed {
namespace {

using Clock = std::chrono::steady_clock;

void draw_progress(std::FILE* out, const FeedTotals& t, double seconds, std::uint64_t expected) {
    const double rate = seconds > 0 ? static_cast<double>(t.frames()) / seconds : 0.0;
    std::string line = fmt::format("\r{} frames, {:.0f} frames/s", t.frames(), rate);
    if (expected > 0) {
        const double done = static_cast<double>(t.frames()) / static_cast<double>(expected);
        line += fmt::format(", {:.1f}% of input", 100.0 * done);
        if (rate > 0 && t.frames() < expected) {
            line += fmt::format(", ETA {:.0f} s", static_cast<double>(expected - t.frames()) / rate);
        }
    }
    fmt::print(out, "{}\x1b[K", line);  // erase what a longer previous line left
    std::fflush(out);
}

}  // namespace

FeedTotals run_feed(journal::Writer& md, FeedRunOptions options, const std::atomic<bool>& stop) {
    FeedTotals totals;
    const auto started = Clock::now();
    auto next_draw = started;
    while (true) {
        if (stop.load(std::memory_order_relaxed)) {
            totals.stopped = true;
            break;
        }
        std::optional<market_data::Event> event = options.source();
        if (!event) break;
        const std::uint64_t sequence =
            md.write(event->type(), std::span(static_cast<const std::byte*>(event->payload()), event->payload_size()),
                     event->receive_time_ns());
        if (totals.first_sequence == 0) totals.first_sequence = sequence;
        totals.last_sequence = sequence;
        if (event->type() == SIGRUN_MSG_DEPTH) {
            ++totals.depth;
        } else {
            ++totals.trade;
        }
        if (options.progress != nullptr && (totals.frames() & 255) == 0) {
            const auto now = Clock::now();
            if (now >= next_draw) {
                draw_progress(options.progress, totals, std::chrono::duration<double>(now - started).count(),
                              options.expected_events);
                next_draw = now + std::chrono::milliseconds(250);
            }
        }
    }
    md.flush_hint();  // readers probing from the header find the end at once
    totals.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (options.progress != nullptr) {
        draw_progress(options.progress, totals, totals.seconds, options.expected_events);
        fmt::print(options.progress, "\n");
    }
    return totals;
}

std::string summary_line(const FeedTotals& t) {
    const double rate = t.seconds > 0 ? static_cast<double>(t.frames()) / t.seconds : 0.0;
    std::string sequences = t.frames() == 0 ? std::string("none")
                                            : fmt::format("{}..{}", t.first_sequence, t.last_sequence);
    return fmt::format("wrote {} frames (depth {}, trade {}), sequences {}, in {:.2f} s ({:.1f} frames/s){}",
                       t.frames(), t.depth, t.trade, sequences, t.seconds, rate,
                       t.stopped ? "; stopped by signal before the input ended" : "");
}

}  // namespace sigrun::feed
