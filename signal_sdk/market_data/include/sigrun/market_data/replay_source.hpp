// sigrun::market_data::ReplaySource — replays recorded files (book20 and
// trades, any number of instruments) as one stream of Events in receive-time
// order.
//
// Order: by receive_time_ns; on equal times a depth event comes before a
// trade, then the file listed first comes first; rows of one file keep their
// file order. (Rows within a file must already be in receive order —
// CsvReader enforces it — so the merge is a k-way merge.)
//
// Streaming: every file is opened up front (so a missing or malformed file
// fails at construction, before any event is handed out), and each keeps
// exactly one parsed row buffered; memory does not grow with file size.
// Picking the next event is a scan over the files, O(files) per event.
//
// Pacing is the Pacer's job: next() calls pacer.wait_for() before returning.
#pragma once

#include "sigrun/market_data/csv_reader.hpp"
#include "sigrun/market_data/event.hpp"
#include "sigrun/market_data/file_spec.hpp"
#include "sigrun/market_data/pacer.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace sigrun::market_data {

class ReplaySource {
public:
    /// Opens every file (see CsvReader) and reads its first row. Throws
    /// DataError for the first file that has a problem, and
    /// std::invalid_argument when `files` is empty.
    explicit ReplaySource(std::vector<FileSpec> files, Pacer pacer = Pacer::as_fast_as_possible());
    /// Same, with kind, instrument and exchange taken from each file name.
    explicit ReplaySource(const std::vector<std::filesystem::path>& files,
                          Pacer pacer = Pacer::as_fast_as_possible());

    /// The next event in receive-time order (after the pacer lets it go);
    /// std::nullopt when every file is exhausted. Throws DataError when a
    /// row is malformed.
    std::optional<Event> next();

    /// Skips the next `count` events without pacing (a resumed replay
    /// continues after what was fed before). Returns how many it skipped:
    /// fewer when the files end first. Throws DataError like next().
    std::uint64_t skip(std::uint64_t count);

    /// Events handed out (or skipped) so far.
    [[nodiscard]] std::uint64_t events_read() const noexcept { return events_read_; }
    /// The resolved spec of each input, in the order given.
    [[nodiscard]] std::vector<FileSpec> files() const;

private:
    std::optional<Event> take();  // the next event in order, unpaced

    struct Input {
        CsvReader reader;
        std::optional<Event> pending;  // the one buffered row; empty once exhausted
    };

    std::vector<Input> inputs_;
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::size_t refill_ = kNone;  // input whose buffered row was handed out last
    Pacer pacer_;
    std::uint64_t events_read_ = 0;
};

}  // namespace sigrun::market_data
