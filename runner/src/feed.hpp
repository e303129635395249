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
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sigrun/journal/writer.hpp"
#include "md_retention.hpp"
#include "sigrun/market_data/event.hpp"

namespace sigrun::runner {

class Feed {
public:
    using Source = std::function<std::optional<market_data::Event>()>;

    Feed(journal::Writer& md, Source source) : md_(md), source_(std::move(source)) {}

    // Writes until the source is exhausted or `stop` is set. Throws what the
    // source or the journal throws (DataError, PinTimeoutError, ...).
    void run(const std::atomic<bool>& stop, const MdRetention& retention);

    [[nodiscard]] std::uint64_t frames_written() const noexcept { return written_; }

private:
    bool wait_for_room(const std::atomic<bool>& stop, const MdRetention& retention);

    journal::Writer& md_;
    Source source_;
    std::uint64_t written_ = 0;
};

}  // namespace sigrun::runner
