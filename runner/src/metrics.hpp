// runner/src/metrics.hpp — the runner's numbers as Prometheus metric
// families (RunnerMetrics), read at scrape time.
//
// Nothing here runs on the dispatch thread. The dispatcher, the engines and
// the feed keep their own counters (RelaxedCounter, atomic histogram
// buckets: the cost of a plain increment); Collect() reads them from the
// scraping thread — prometheus-cpp's HTTP thread, or --stats-json's — and
// builds the families. Every metric is one row of a table in metrics.cpp:
// exposing a new counter is one line there.
//
// Lifetime: the sources must outlive every Collect() until freeze(), which
// takes a last reading and serves only that from then on (the runner
// freezes before it destroys the engines, so a late scrape and the stats
// file at exit see the final numbers).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "sigrun/journal/mapping.hpp"
#include "sigrun/journal/pins.hpp"

namespace sigrun::runner {

class Dispatcher;
class FactorPublisher;
class HotSwapper;
class WatchdogTrips;
struct FeedCounters;

// Where the numbers live. Pointers are null when that part does not exist
// (no own feed and no pins when another process writes md.journal).
struct MetricsSources {
    const Dispatcher* dispatcher = nullptr;
    const FactorPublisher* publisher = nullptr;
    const HotSwapper* swapper = nullptr;
    const journal::Pins* md_pins = nullptr;
    const FeedCounters* feed = nullptr;
    std::shared_ptr<journal::Mapping> md;
    const WatchdogTrips* watchdog_trips = nullptr;
};

class RunnerMetrics final : public prometheus::Collectable {
public:
    explicit RunnerMetrics(MetricsSources sources);

    // The current numbers; after freeze(), the frozen ones. [thread-safe]
    std::vector<prometheus::MetricFamily> Collect() const override;

    // Takes a last reading and stops reading the sources. [thread-safe]
    void freeze();

private:
    std::vector<prometheus::MetricFamily> read() const;

    MetricsSources sources_;
    std::int64_t start_time_ns_;  // CLOCK_REALTIME, as the journal's gen_time
    mutable std::mutex mutex_;  // one reading at a time; guards frozen_
    std::optional<std::vector<prometheus::MetricFamily>> frozen_;
};

// The bounds (seconds) of the latency and switch-pause histograms.
const std::vector<double>& latency_bounds_seconds();

}  // namespace sigrun::runner
