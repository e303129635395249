#include "metrics.hpp"

#include <chrono>
#include <limits>
#include <string>

#include "dispatcher.hpp"
#include "factor_publisher.hpp"
#include "feed.hpp"
#include "hot_swapper.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/signal_api.h"
#include "watchdog_trips.hpp"

#ifndef SIGRUN_VERSION
#define SIGRUN_VERSION "unknown"
#endif

namespace sigrun::runner {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// What one scrape reads once and several rows use.
struct Reading {
    const MetricsSources* src = nullptr;
    DispatchCounts dispatched;
    SwapStats swaps;
    std::uint64_t md_last = 0;        // last sequence published in md.journal
    std::uint64_t dispatched_to = 0;  // last sequence the dispatcher is done with
    std::optional<journal::PinScan> pins;  // none without pins (another process writes md.journal)
    std::int64_t now_ns = 0;               // CLOCK_REALTIME at this reading
    std::int64_t start_ns = 0;             // CLOCK_REALTIME when the runner was built
};

// One runner-wide sample. `value` returns nothing when the runner has no
// such thing (e.g. its own feed's counters while another process writes
// md.journal): the sample is left out rather than reported as 0.
struct Row {
    const char* name;
    const char* help;
    MetricType type;
    Labels labels;
    std::optional<double> (*value)(const Reading&);
};

constexpr auto kCounter = MetricType::Counter;
constexpr auto kGauge = MetricType::Gauge;

double d(std::uint64_t v) { return static_cast<double>(v); }

std::int64_t realtime_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// sigrun_pin_held_longest_seconds: how long the oldest pin held now has
// been held, 0 when nothing is pinned.
//
// Computed here, at scrape time, from what the journal already holds, so
// that pinning costs the hot path nothing new: a pin (EngineHost::on_retain,
// Pins::add) stays one store to the slot's pin counters and a drop one more
// (plain on the dispatch thread, atomic elsewhere), with no clock read, no
// store of a timestamp and no lock. The
// scrape's one pass over the slots (Pins::scan) finds the oldest pinned
// frame; its gen_time is when the md writer wrote it (the writer's own
// CLOCK_REALTIME read, already paid per frame). A frame is pinned while it
// is dispatched, after it was written and after this runner started, so
//     held = now - max(gen_time, start)
// is never shorter than the true hold; it is longer by the dispatch lag
// the frame had when it was pinned (microseconds while dispatch keeps up,
// more when a resumed runner works through a backlog, or when a hot swap's
// warm-up replays older frames to an engine that keeps them). An exact acquire
// time would need a clock read per retain, i.e. per frame for an engine
// that keeps every frame; the longest hold over the whole run would need
// one per release. Prometheus's max_over_time() of this gauge gives the
// run's maximum at scrape resolution instead.
std::optional<double> pin_held_longest_seconds(const Reading& r) {
    if (!r.pins) return std::nullopt;
    if (r.pins->oldest_sequence == 0) return 0.0;
    const std::int64_t since = std::max(r.pins->oldest_gen_time, r.start_ns);
    return r.now_ns > since ? static_cast<double>(r.now_ns - since) * 1e-9 : 0.0;
}

// ---- the runner's metrics: add a row to expose another number ----
const Row kRows[] = {
    {"sigrun_frames_dispatched_total", "md frames handed to the engines, by message type", kCounter,
     {{"type", "depth"}}, [](const Reading& r) -> std::optional<double> { return d(r.dispatched.depth); }},
    {"sigrun_frames_dispatched_total", "md frames handed to the engines, by message type", kCounter,
     {{"type", "trade"}}, [](const Reading& r) -> std::optional<double> { return d(r.dispatched.trade); }},
    {"sigrun_frames_rejected_total", "md frames not dispatched: wrong length for their type, or an unknown type",
     kCounter, {}, [](const Reading& r) -> std::optional<double> { return d(r.dispatched.rejected); }},
    {"sigrun_frames_lost_total", "md frames overwritten before the dispatcher read them", kCounter, {},
     [](const Reading& r) -> std::optional<double> { return d(r.dispatched.lost); }},
    {"sigrun_frames_damaged_total", "md frames that failed the journal's checksum: never dispatched", kCounter, {},
     [](const Reading& r) -> std::optional<double> { return d(r.dispatched.damaged); }},
    {"sigrun_md_frames_written_total", "md frames the runner's own feed wrote (absent with an external writer)",
     kCounter, {}, [](const Reading& r) -> std::optional<double> {
         if (r.src->feed == nullptr) return std::nullopt;
         return d(r.src->feed->written.load());
     }},
    {"sigrun_md_writer_sequence", "last sequence published in md.journal", kGauge, {},
     [](const Reading& r) -> std::optional<double> { return d(r.md_last); }},
    {"sigrun_md_dispatched_sequence", "last md sequence the dispatcher is done with", kGauge, {},
     [](const Reading& r) -> std::optional<double> { return d(r.dispatched_to); }},
    {"sigrun_md_reader_lag_frames", "md writer sequence minus the dispatch position: frames written, not yet dispatched",
     kGauge, {}, [](const Reading& r) -> std::optional<double> {
         return d(r.md_last > r.dispatched_to ? r.md_last - r.dispatched_to : 0);
     }},
    {"sigrun_factors_published_total", "factor values written to signals.journal", kCounter, {},
     [](const Reading& r) -> std::optional<double> { return d(r.src->publisher->published()); }},
    {"sigrun_factors_failed_total", "factor values lost because signals.journal refused the write", kCounter, {},
     [](const Reading& r) -> std::optional<double> { return d(r.src->publisher->failed()); }},
    {"sigrun_frames_pinned", "md slots pinned by engines right now", kGauge, {},
     [](const Reading& r) -> std::optional<double> {
         if (!r.pins) return std::nullopt;
         return d(r.pins->pinned_slots);
     }},
    {"sigrun_pin_held_longest_seconds",
     "how long the oldest md frame pinned now has been held (since it was written, or the runner started); 0 when "
     "none is", kGauge, {}, &pin_held_longest_seconds},
    {"sigrun_writer_pin_waits_total", "md writes that waited for a frame an engine pinned", kCounter, {},
     [](const Reading& r) -> std::optional<double> {
         if (r.src->feed == nullptr) return std::nullopt;
         return d(r.src->feed->pin_waits.load());
     }},
    {"sigrun_writer_pin_wait_longest_seconds", "longest single wait of the md writer for a pinned frame", kGauge, {},
     [](const Reading& r) -> std::optional<double> {
         if (r.src->feed == nullptr) return std::nullopt;
         return d(r.src->feed->pin_wait_longest_ns.load()) * 1e-9;
     }},
    {"sigrun_hot_swaps_total", "hot swaps by result", kCounter, {{"result", "ok"}},
     [](const Reading& r) -> std::optional<double> { return d(r.swaps.swapped); }},
    {"sigrun_hot_swaps_total", "hot swaps by result", kCounter, {{"result", "failed"}},
     [](const Reading& r) -> std::optional<double> { return d(r.swaps.failed); }},
    {"sigrun_hot_swap_not_unloaded_total", "replaced libraries still mapped after dlclose", kCounter, {},
     [](const Reading& r) -> std::optional<double> { return d(r.swaps.not_unloaded); }},
};

// One sample per live engine (label `engine`, plus the row's labels).
struct EngineRow {
    const char* name;
    const char* help;
    MetricType type;
    Labels labels;
    double (*value)(const EngineInstance&);
};

// ---- per-engine metrics: add a row to expose another number ----
// Counters count from the engine instance's creation: a hot swap starts
// them again at 0, which Prometheus's rate() and increase() treat as the
// counter reset it is.
const EngineRow kEngineRows[] = {
    {"sigrun_engine_frames_total", "frames handed to the engine's on_data, by message type", kCounter,
     {{"type", "depth"}}, [](const EngineInstance& e) { return d(e.frames_of(SIGRUN_MSG_DEPTH)); }},
    {"sigrun_engine_frames_total", "frames handed to the engine's on_data, by message type", kCounter,
     {{"type", "trade"}}, [](const EngineInstance& e) { return d(e.frames_of(SIGRUN_MSG_TRADE)); }},
    {"sigrun_engine_factors_emitted_total", "factor values the engine emitted and the runner published", kCounter, {},
     [](const EngineInstance& e) { return d(e.host().emitted()); }},
    {"sigrun_engine_emits_refused_total", "factor values the engine emitted that the runner refused", kCounter, {},
     [](const EngineInstance& e) { return d(e.host().emit_refused()); }},
    {"sigrun_engine_errors_total",
     "errors the engine reported through the host log (the SDK reports every exception it caught this way)",
     kCounter, {}, [](const EngineInstance& e) { return d(e.host().errors_logged()); }},
    {"sigrun_engine_frames_held", "md frames the engine keeps right now (retained beyond on_data)", kGauge, {},
     [](const EngineInstance& e) { return d(e.host().frames_held()); }},
};

constexpr const char* kTripsName = "sigrun_watchdog_trips_total";
constexpr const char* kTripsHelp =
    "engine calls (signal_on_data, on_timer, on_start, on_stop) that ran past $.watchdog.on_data_ms, per engine (over the whole run: a hot swap keeps counting)";
constexpr const char* kLatencyName = "sigrun_engine_on_data_latency_seconds";
constexpr const char* kLatencyHelp =
    "on_data latency per engine, publishing its emits included; sampled on every 32nd frame";
constexpr const char* kPauseName = "sigrun_hot_swap_pause_seconds";
constexpr const char* kPauseHelp = "time dispatch stood still for each hot-swap switch";

// Families in first-use order; samples of one name go to one family.
class Families {
public:
    MetricFamily& family(const char* name, const char* help, MetricType type) {
        for (auto& f : families_) {
            if (f.name == name) return f;
        }
        families_.push_back(MetricFamily{name, help, type, {}});
        return families_.back();
    }
    void add(const char* name, const char* help, MetricType type, Labels labels, double value) {
        ClientMetric m;
        m.label = std::move(labels);
        if (type == kCounter) {
            m.counter.value = value;
        } else {
            m.gauge.value = value;
        }
        family(name, help, type).metric.push_back(std::move(m));
    }
    std::vector<MetricFamily> take() { return std::move(families_); }

private:
    std::vector<MetricFamily> families_;
};

ClientMetric histogram_metric(const LatencyHistogram& h, Labels labels) {
    const auto& bounds = latency_bounds_seconds();
    std::vector<std::uint64_t> bounds_ns(bounds.size());
    for (std::size_t i = 0; i < bounds.size(); ++i) bounds_ns[i] = static_cast<std::uint64_t>(bounds[i] * 1e9 + 0.5);
    std::vector<std::uint64_t> cumulative(bounds.size());
    h.cumulative(bounds_ns, cumulative);  // buckets first, then the count: the count is never below them
    ClientMetric m;
    m.label = std::move(labels);
    m.histogram.sample_count = std::max(h.count(), cumulative.empty() ? 0 : cumulative.back());
    m.histogram.sample_sum = d(h.sum()) * 1e-9;
    for (std::size_t i = 0; i < bounds.size(); ++i) m.histogram.bucket.push_back({cumulative[i], bounds[i]});
    m.histogram.bucket.push_back({m.histogram.sample_count, std::numeric_limits<double>::infinity()});
    return m;
}

}  // namespace

const std::vector<double>& latency_bounds_seconds() {
    static const std::vector<double> bounds{100e-9, 250e-9, 500e-9, 1e-6,   2.5e-6, 5e-6, 10e-6,  25e-6, 50e-6,
                                            100e-6, 250e-6, 500e-6, 1e-3,   2.5e-3, 10e-3, 100e-3, 1.0};
    return bounds;
}

RunnerMetrics::RunnerMetrics(MetricsSources sources)
    : sources_(std::move(sources)), start_time_ns_(realtime_ns()) {}

std::vector<MetricFamily> RunnerMetrics::Collect() const {
    const std::lock_guard lock(mutex_);
    if (frozen_) return *frozen_;
    return read();
}

void RunnerMetrics::freeze() {
    const std::lock_guard lock(mutex_);
    if (!frozen_) frozen_ = read();
}

std::vector<MetricFamily> RunnerMetrics::read() const {
    Reading r;
    r.src = &sources_;
    r.dispatched = sources_.dispatcher->counts();
    r.swaps = sources_.swapper->stats();
    const std::uint64_t position = sources_.dispatcher->position().load(std::memory_order_acquire);
    r.dispatched_to = position > 0 ? position - 1 : 0;
    r.md_last = journal::last_published(*sources_.md, r.dispatched_to);
    if (sources_.md_pins != nullptr) r.pins = sources_.md_pins->scan();
    r.now_ns = realtime_ns();
    r.start_ns = start_time_ns_;

    Families out;
    out.add("sigrun_build_info", "sigrun build: version, handoff mode, plugin C ABI; always 1", kGauge,
            {{"version", SIGRUN_VERSION},
             {"handoff", SIGRUN_ZERO_COPY ? "frame-ref" : "copy"},
             {"abi", std::to_string(SIGRUN_ABI_VERSION_MAJOR) + "." + std::to_string(SIGRUN_ABI_VERSION_MINOR)}},
            1.0);
    out.add("sigrun_start_time_seconds", "when the runner started, seconds since the Unix epoch", kGauge, {},
            static_cast<double>(start_time_ns_) * 1e-9);
    for (const Row& row : kRows) {
        if (const auto v = row.value(r)) out.add(row.name, row.help, row.type, row.labels, *v);
    }
    if (const WatchdogTrips* trips = sources_.watchdog_trips) {
        for (std::size_t i = 0; i < trips->names().size(); ++i) {
            out.add(kTripsName, kTripsHelp, kCounter, {{"engine", trips->names()[i]}}, d(trips->of(i)));
        }
    }
    out.family(kPauseName, kPauseHelp, MetricType::Histogram)
        .metric.push_back(histogram_metric(sources_.dispatcher->swap_pauses(), {}));

    sources_.dispatcher->for_each_engine([&](const EngineInstance& e) {
        const auto& info = e.library().info();
        out.add("sigrun_engine_info", "the plugin each engine runs now; always 1", kGauge,
                {{"engine", e.name()}, {"plugin", info.name}, {"version", info.version},
                 {"handoff", handoff_name(info.handoff)}},
                1.0);
        for (const EngineRow& row : kEngineRows) {
            Labels labels{{"engine", e.name()}};
            labels.insert(labels.end(), row.labels.begin(), row.labels.end());
            out.add(row.name, row.help, row.type, std::move(labels), row.value(e));
        }
        out.family(kLatencyName, kLatencyHelp, MetricType::Histogram)
            .metric.push_back(histogram_metric(e.latency(), {{"engine", e.name()}}));
    });
    return out.take();
}

}  // namespace sigrun::runner
