// runner/src/watchdog_trips.hpp — engine calls that ran past the watchdog's
// deadline, counted per engine (WatchdogTrips).
//
// The Runner owns it for its whole life, so the metrics scrape and the
// stats file read it no matter when the run's Watchdog starts and ends.
// One writer, the watchdog's sampling thread (a plain load + store per
// trip: RelaxedCounter); any thread reads. Nothing here touches the
// dispatch thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "relaxed_counter.hpp"

namespace sigrun::runner {

class WatchdogTrips {
public:
    // `engine_names[i]` names the engine of dispatch index i (the config's
    // engine order; a hot swap keeps the index and the name).
    explicit WatchdogTrips(std::vector<std::string> engine_names)
        : names_(std::move(engine_names)), trips_(std::make_unique<RelaxedCounter[]>(names_.size())) {}

    [[nodiscard]] const std::vector<std::string>& names() const noexcept { return names_; }

    // One more call of engine `index` past the deadline [watchdog thread].
    // An index the runner does not know is not counted (cannot happen: the
    // dispatcher's engines are the config's).
    void count(std::size_t index) noexcept {
        if (index < names_.size()) ++trips_[index];
    }

    // [thread-safe]
    [[nodiscard]] std::uint64_t of(std::size_t index) const noexcept {
        return index < names_.size() ? trips_[index].load() : 0;
    }
    [[nodiscard]] std::uint64_t total() const noexcept {
        std::uint64_t sum = 0;
        for (std::size_t i = 0; i < names_.size(); ++i) sum += trips_[i].load();
        return sum;
    }

private:
    std::vector<std::string> names_;
    std::unique_ptr<RelaxedCounter[]> trips_;
};

}  // namespace sigrun::runner
