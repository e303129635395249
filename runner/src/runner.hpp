// runner/src/runner.hpp — the runner: journals, feed, engines, dispatch,
// and the summary of a run.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "dispatcher.hpp"
#include "factor_publisher.hpp"
#include "feed.hpp"
#include "hot_swapper.hpp"
#include "md_retention.hpp"
#include "metrics.hpp"
#include "metrics_server.hpp"
#include "resumption.hpp"
#include "watchdog_trips.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/journal/writer.hpp"

namespace sigrun::runner {

struct EngineSummary {
    std::string name;
    std::string plugin;  // plugin name and version from signal_plugin_info
    std::uint64_t frames = 0;  // handled live, across every version hot swaps brought in
    std::uint64_t factors = 0;
    std::uint64_t p50_ns = 0, p99_ns = 0, max_ns = 0;
    std::uint32_t versions = 1;  // versions that ran: 1 + successful hot swaps
    std::uint64_t timers = 0;    // signal_on_timer calls, across every version
};

struct FactorValue {
    std::string engine, factor, instrument;
    double value = 0;
};

struct RunSummary {
    std::uint64_t frames_written = 0;  // by the feed into md.journal
    DispatchCounts dispatched;
    std::uint64_t factors_published = 0;
    std::uint64_t factors_failed = 0;
    std::uint64_t frames_pinned_at_exit = 0;
    std::uint64_t pin_waits = 0;
    std::uint64_t watchdog_overruns = 0;  // on_data calls past $.watchdog.on_data_ms
    std::uint64_t on_data_deadline_ms = 0;
    double seconds = 0;
    SwapStats swaps;
    std::uint64_t swap_pause_p50_ns = 0, swap_pause_p99_ns = 0, swap_pause_max_ns = 0;
    std::vector<EngineSummary> engines;
    std::vector<FactorValue> last_values;  // last value per engine/factor/instrument
    std::string cursor;                    // where dispatch started: the consumer cursor (Resumption)
    std::string error;                     // why the run failed; empty when it did not
};

class Runner {
public:
    // Opens the journals and loads and creates every engine. Throws
    // ConfigError, PluginError, journal::JournalError or market_data::DataError.
    explicit Runner(RunnerConfig config);
    ~Runner();

    // Runs until the source is exhausted (and dispatched) or `stop` is set;
    // then destroys the engines. Returns what happened.
    RunSummary run(const std::atomic<bool>& stop);

    [[nodiscard]] const RunnerConfig& config() const noexcept { return config_; }
    // Leak-check mode: during run(), reload every engine from its own file
    // each time another `frames` frames were dispatched, so that one run goes
    // through many load -> create -> frames -> destroy -> dlclose cycles.
    void reload_every(std::uint64_t frames) noexcept { reload_every_frames_ = frames; }

    // What the dispatch thread is doing (the fatal-signal report reads it).
    [[nodiscard]] const DispatchProbe& probe() const noexcept { return dispatcher_->probe(); }

    // Hot swap: SIGHUP's entry point and the tests' handle. [thread-safe]
    [[nodiscard]] HotSwapper& hot_swapper() noexcept { return *swapper_; }

    // The numbers /metrics serves (and --stats-json writes); frozen at the
    // end of run(). [thread-safe]
    [[nodiscard]] std::shared_ptr<RunnerMetrics> metrics() const noexcept { return metrics_; }
    // The port /metrics listens on; 0 without "metrics" in the config.
    [[nodiscard]] int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

private:
    Feed::Source make_source(const std::atomic<bool>& stop) const;
    std::vector<FactorValue> read_last_factor_values() const;

    RunnerConfig config_;
    std::unique_ptr<journal::Writer> md_writer_;  // null when an external process writes md.journal
    std::shared_ptr<journal::Mapping> md_mapping_;
    std::unique_ptr<journal::Pins> md_pins_;
    std::unique_ptr<FactorPublisher> publisher_;
    std::unique_ptr<Resumption> resumption_;  // the consumer cursor: dispatch's position lives in its file
    std::unique_ptr<Dispatcher> dispatcher_;
    std::unique_ptr<MdRetention> retention_;  // null when an external process writes md.journal
    std::unique_ptr<HotSwapper> swapper_;
    std::uint64_t reload_every_frames_ = 0;
    FeedCounters feed_counters_;
    std::unique_ptr<WatchdogTrips> watchdog_trips_;  // outlives each run's Watchdog: the metrics read it
    std::unique_ptr<MetricsServer> metrics_server_;  // bound first: a busy port fails before any journal is opened
    std::shared_ptr<RunnerMetrics> metrics_;
};

void print_summary(const RunSummary& summary, std::FILE* out);

}  // namespace sigrun::runner
