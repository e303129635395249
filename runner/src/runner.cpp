#include "runner.hpp"


#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "journal_recovery_log.hpp"
#include "leftovers.hpp"
#include "resource_limits.hpp"
#include "sigrun/factor_batch.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/market_data/replay_source.hpp"
#include "sigrun/market_data/synthetic_source.hpp"
#include "stoppable_wait.hpp"
#include "storage_preflight.hpp"
#include "storage_watch.hpp"
#include "watchdog.hpp"

namespace sigrun::runner {

Runner::Runner(RunnerConfig config) : config_(std::move(config)) {
    check_start_headroom(config_);  // a limit too low fails here, before anything is opened
    if (!config_.metrics.listen.empty()) {
        metrics_server_ = std::make_unique<MetricsServer>(config_.metrics.listen, config_.source_file.string());
    }
    const auto& jc = config_.journal;
    std::error_code ec;
    std::filesystem::create_directories(jc.dir, ec);
    if (ec) {
        throw ConfigError(fmt::format("config {}: $.journal.dir {} cannot be created ({}); use a writable folder",
                                      config_.source_file.string(), jc.dir.string(), ec.message()));
    }
    check_storage(config_);  // before anything is created: one line if it cannot fit
    const auto md_path = config_.source.md_journal.empty() ? jc.dir / "md.journal" : config_.source.md_journal;
    if (config_.source.kind == SourceKind::journal) {
        md_mapping_ = journal::Mapping::open_read_only(md_path);
    } else {
        md_writer_ = std::make_unique<journal::Writer>(md_path, journal::WriterOptions{jc.md, jc.pin_timeout});
        log_journal_recovery("md", *md_writer_);
        md_mapping_ = md_writer_->mapping();
        md_pins_ = std::make_unique<journal::Pins>(md_mapping_);
    }
    publisher_ = std::make_unique<FactorPublisher>(jc.dir / "signals.journal", jc.signals, config_.output.print_factors);
    log_journal_recovery("signals", publisher_->writer());
    // Holding the signals journal's lock, no other runner works in this dir.
    if (const LeftoverCount left = remove_leftovers(jc.dir); left.files > 0) {
        spdlog::info("journal dir {}: removed {} file(s) ({} bytes) left by a run that crashed", jc.dir.string(),
                     left.files, left.bytes);
    }

    // Where dispatch (and the runner's own source) continues: the consumer
    // cursor, opened only now that the journal locks keep out another runner.
    // Read and planned here (a cursor that does not fit stops the start,
    // untouched); written only once the engines loaded (commit below).
    resumption_ = std::make_unique<Resumption>(
        config_, *md_mapping_, md_writer_ ? md_writer_->last_sequence() : journal::last_published(*md_mapping_));
    // The warm-up frames must fit in the ring behind the dispatcher.
    const std::uint64_t md_capacity = md_mapping_->geometry().capacity;
    if (config_.hot_swap.warmup_frames >= md_capacity) {
        throw ConfigError(fmt::format("config {}: $.hot_swap.warmup_frames is {} but the md journal holds {} frames; "
                                      "lower warmup_frames or raise $.journal.md.capacity",
                                      config_.source_file.string(), config_.hot_swap.warmup_frames, md_capacity));
    }
    std::vector<std::unique_ptr<EngineInstance>> engines;
    for (const EngineConfig& ec_ : config_.engines) {
        auto library = PluginLibrary::load(ec_.library, jc.dir / ".plugins");
        const auto& info = library->info();
        spdlog::info("engine {}: loaded {} {} ({} handoff) from {}", ec_.name, info.name, info.version,
                     handoff_name(info.handoff), ec_.library.string());
        engines.push_back(std::make_unique<EngineInstance>(ec_, std::move(library), publisher_.get(), md_pins_.get()));
    }
    resumption_->commit();
    journal::Reader reader(md_mapping_);
    reader.seek_sequence(resumption_->dispatch_from());
    // What the runner's own feed writes from now on never leaves this
    // process: dispatch does not re-verify its checksums (Reader); frames of
    // a previous run (recovered, verified at open) and of another process's
    // journal still are.
    if (md_writer_) reader.trust_own_writes_from(md_writer_->last_sequence() + 1);
    dispatcher_ = std::make_unique<Dispatcher>(std::move(reader), &resumption_->position(), md_pins_.get());
    for (auto& engine : engines) dispatcher_->add_engine(std::move(engine));
    if (md_writer_) {
        retention_ = std::make_unique<MdRetention>(dispatcher_->position(), config_.hot_swap.warmup_frames);
        // The dispatcher reads md frames in place: its position gates the
        // writer, registered before the feed starts (the resume plan keeps
        // it within the ring).
        md_writer_->gate_on(dispatcher_->position());
    }
    swapper_ = std::make_unique<HotSwapper>(*dispatcher_, config_, publisher_.get(), md_pins_.get(), md_mapping_,
                                            retention_.get());
    std::vector<std::string> names;
    for (const auto& e : config_.engines) names.push_back(e.name);
    watchdog_trips_ = std::make_unique<WatchdogTrips>(std::move(names));
    metrics_ = std::make_shared<RunnerMetrics>(MetricsSources{dispatcher_.get(), publisher_.get(), swapper_.get(),
                                                              md_pins_.get(), md_writer_ ? &feed_counters_ : nullptr,
                                                              md_mapping_, watchdog_trips_.get()});
    if (metrics_server_) metrics_server_->serve(metrics_);
}

Runner::~Runner() {
    if (metrics_) metrics_->freeze();  // nothing reads the parts below after this
    metrics_server_.reset();
    if (swapper_) swapper_->stop();
    if (dispatcher_) dispatcher_->destroy_engines();
}

Feed::Source Runner::make_source(const std::atomic<bool>& stop) const {
    const SourceConfig& sc = config_.source;
    // A resumed source skips the events md.journal already holds (unpaced).
    const std::uint64_t skip = resumption_->source_skip();
    std::uint64_t skipped = 0;
    Feed::Source next;
    if (sc.kind == SourceKind::synthetic) {
        auto source = std::make_shared<market_data::SyntheticSource>(sc.synthetic);
        while (skipped < skip && source->next()) ++skipped;
        next = [source] { return source->next(); };
    } else {
        // The pacing sleep of a slow replay wakes on a stop request.
        market_data::PacerClock clock = market_data::PacerClock::steady();
        clock.sleep_for_ns = [&stop](std::int64_t ns) { sleep_unless_stopped(std::chrono::nanoseconds(ns), stop); };
        auto pacer = sc.speed > 0 ? market_data::Pacer::recorded(sc.speed, std::move(clock))
                                  : market_data::Pacer::as_fast_as_possible();
        auto source = std::make_shared<market_data::ReplaySource>(sc.files, std::move(pacer));
        skipped = source->skip(skip);
        next = [source] { return source->next(); };
    }
    if (skipped < skip) {
        spdlog::warn("source: md.journal already holds {} events of it but it has only {}; nothing left to feed",
                     skip, skipped);
    }
    return next;
}

RunSummary Runner::run(const std::atomic<bool>& stop) {
    RunSummary summary;
    const auto started = std::chrono::steady_clock::now();
    std::atomic<std::uint64_t> end_sequence{UINT64_MAX};
    std::thread feed_thread;
    std::string feed_error;
    std::uint64_t frames_written = 0;
    // Relays `stop` into watch.halt(); a journal file that shrank, vanished or
    // was replaced sets both halt() and failed() (storage_watch.hpp).
    StorageWatch watch(stop, {{md_mapping_, md_writer_ == nullptr}, {publisher_->writer().mapping(), false}});

    // Every thread that can fail to start starts before the feed, so that a
    // failure (a limit: threads, inotify instances) unwinds cleanly. The
    // watchdog bounds a stop request and a halt for a broken journal alike.
    Watchdog watchdog(dispatcher_->probe(), *watchdog_trips_, config_.watchdog, watch.halt());
    watchdog.start();
    swapper_->start(&watch.halt());
    // With a feed, a stop request stops the feed and the dispatcher drains
    // what was written (end_sequence); reading an external journal, a stop
    // stops dispatch directly. A broken journal stops both at once.
    std::atomic<bool> dispatch_done{false};
    std::thread cycler;
    if (reload_every_frames_ > 0) {
        // One swap of every engine per N frames dispatched. Swaps that fall
        // behind (a load is slow under valgrind on a busy machine) run back to
        // back, and those still owed when the input ends run before the
        // engines are destroyed: a run of F frames always makes F / N swaps,
        // so a leak check sees a known number of load/destroy/dlclose cycles.
        cycler = std::thread([&] {
            const std::uint64_t first = dispatcher_->position().load(std::memory_order_acquire);
            std::uint64_t done = 0;
            while (!stop.load() && !watch.halt().load()) {
                const bool finished = dispatch_done.load(std::memory_order_acquire);  // before the position
                const std::uint64_t owed =
                    (dispatcher_->position().load(std::memory_order_acquire) - first) / reload_every_frames_;
                if (done < owed) {
                    for (const auto& engine : config_.engines) swapper_->reload(engine.name);
                    ++done;
                } else if (finished) {
                    break;
                } else {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                }
            }
        });
    }
    if (md_writer_) {
        try {
            Feed::Source source = make_source(watch.halt());  // opens the files: errors surface before the feed starts
            feed_thread = std::thread([&, source = std::move(source)]() mutable {
                Feed feed(*md_writer_, std::move(source), md_pins_.get(), config_.journal.pin_timeout);
                feed.report_to(&feed_counters_);
                try {
                    feed.run(watch.halt(), *retention_);
                } catch (const journal::PinTimeoutError& e) {
                    const auto slot = md_writer_->geometry().slot_index(e.held_sequence());
                    const auto holders = dispatcher_->holders_of(slot);
                    feed_error = fmt::format("{} Held by: {}", e.what(),
                                             holders.empty() ? std::string("the dispatcher (an engine's on_data is stuck?)")
                                                             : fmt::format("{}", fmt::join(holders, ", ")));
                } catch (const std::exception& e) {
                    feed_error = e.what();
                }
                frames_written = feed.frames_written();
                // Let the dispatcher drain what was written, then stop.
                end_sequence.store(md_writer_->last_sequence(), std::memory_order_release);
            });
        } catch (...) {
            dispatch_done.store(true);
            if (cycler.joinable()) cycler.join();
            swapper_->stop();
            throw;
        }
    }
    dispatcher_->run(md_writer_ ? watch.failed() : watch.halt(), end_sequence);
    dispatch_done.store(true);
    if (cycler.joinable()) cycler.join();
    if (feed_thread.joinable()) feed_thread.join();
    swapper_->stop();
    // No frame and no swap can come any more: the run ends for the engines
    // live now (signal_on_stop, on this thread: the one that dispatched).
    dispatcher_->stop_engines();

    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    summary.frames_written = frames_written;
    summary.dispatched = dispatcher_->counts();
    summary.error = watch.error().empty() ? feed_error : watch.error();
    summary.swaps = swapper_->stats();
    summary.swap_pause_p50_ns = dispatcher_->swap_pauses().percentile(0.50);
    summary.swap_pause_p99_ns = dispatcher_->swap_pauses().percentile(0.99);
    summary.swap_pause_max_ns = dispatcher_->swap_pauses().max();
    for (const auto& e : dispatcher_->engines()) {
        const auto& info = e->library().info();
        summary.engines.push_back({e->name(), fmt::format("{} {}", info.name, info.version), e->frames(),
                                   e->factors(), e->latency().percentile(0.50),
                                   e->latency().percentile(0.99), e->latency().max(), e->versions(), e->timers()});
    }
    metrics_->freeze();              // the final numbers, before the engines go
    dispatcher_->destroy_engines();  // signal_destroy, frames released, dlclose
    watchdog.finish();  // the run is over: no forced exit from here on
    summary.watchdog_overruns = watchdog.overruns();
    summary.on_data_deadline_ms = static_cast<std::uint64_t>(config_.watchdog.on_data_deadline.count());
    summary.dispatched.lost += resumption_->lost();
    summary.cursor = resumption_->summary();
    std::vector<std::filesystem::path> journals;
    if (md_writer_) journals.push_back(md_mapping_->path());
    journals.push_back(publisher_->writer().mapping()->path());
    resumption_->make_durable(journals);  // no fsync during the run: README, "Guarantees"
    summary.factors_published = publisher_->published();
    summary.factors_failed = publisher_->failed();
    if (md_pins_) summary.frames_pinned_at_exit = md_pins_->pinned_slots();
    if (md_writer_) summary.pin_waits = md_writer_->pin_wait_stats().waits;
    summary.last_values = read_last_factor_values();
    return summary;
}

std::vector<FactorValue> Runner::read_last_factor_values() const {
    journal::Reader reader(publisher_->writer().mapping());
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    std::map<std::tuple<std::string, std::string, std::string>, double> last;
    for (auto r = reader.next(buffer); r.status != journal::ReadStatus::empty; r = reader.next(buffer)) {
        if (r.status != journal::ReadStatus::frame || r.info.msg_type != SIGRUN_MSG_FACTOR_BATCH) continue;
        for_each_factor(std::span(buffer).first(r.info.length), [&](const sigrun_factor& f) {
            last[{field_string(f.engine, sizeof f.engine), field_string(f.factor, sizeof f.factor),
                  field_string(f.instrument, sizeof f.instrument)}] = f.value;
        });
    }
    std::vector<FactorValue> values;
    for (const auto& [key, value] : last) values.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), value});
    return values;
}

void print_summary(const RunSummary& s, std::FILE* out) {
    fmt::print(out, "\n=== sigrun summary ({:.2f} s) ===\n", s.seconds);
    fmt::print(out, "frames written   {}\n", s.frames_written);
    fmt::print(out, "frames dispatched depth={} trade={} rejected={} lost={} damaged={}\n", s.dispatched.depth,
               s.dispatched.trade, s.dispatched.rejected, s.dispatched.lost, s.dispatched.damaged);
    if (!s.cursor.empty()) fmt::print(out, "consumer cursor  {}\n", s.cursor);
    fmt::print(out, "factors emitted  {} (failed {})\n", s.factors_published, s.factors_failed);
    fmt::print(out, "writer pin waits {}\n", s.pin_waits);
    fmt::print(out, "frames pinned at exit {}\n", s.frames_pinned_at_exit);
    fmt::print(out, "watchdog         {} engine call(s) over the {} ms deadline\n", s.watchdog_overruns,
               s.on_data_deadline_ms);
    fmt::print(out, "hot swaps        {} ok, {} failed, {} not unloaded; switch pause p50={} ns p99={} ns max={} ns\n",
               s.swaps.swapped, s.swaps.failed, s.swaps.not_unloaded, s.swap_pause_p50_ns, s.swap_pause_p99_ns,
               s.swap_pause_max_ns);
    fmt::print(out, "{:<14} {:<26} {:>10} {:>10} {:>9} {:>9} {:>10}\n", "engine", "plugin", "frames", "factors",
               "p50 ns", "p99 ns", "max ns");
    for (const auto& e : s.engines) {
        // After hot swaps, frames and factors cover every version; say how many ran.
        const std::string plugin = e.versions > 1 ? fmt::format("{} ({}v)", e.plugin, e.versions) : e.plugin;
        fmt::print(out, "{:<14} {:<26} {:>10} {:>10} {:>9} {:>9} {:>10}\n", e.name, plugin, e.frames, e.factors,
                   e.p50_ns, e.p99_ns, e.max_ns);
    }
    std::string timers;
    for (const auto& e : s.engines) {
        if (e.timers > 0) timers += fmt::format("{}{}={}", timers.empty() ? "" : " ", e.name, e.timers);
    }
    if (!timers.empty()) fmt::print(out, "timer calls      {}\n", timers);
    if (!s.last_values.empty()) {
        fmt::print(out, "last factor values:\n");
        for (const auto& v : s.last_values) {
            fmt::print(out, "  {:<14} {:<20} {:<14} {:.10g}\n", v.engine, v.factor, v.instrument, v.value);
        }
    }
    if (!s.error.empty()) fmt::print(out, "run failed: {}\n", s.error);
}

}  // namespace sigrun::runner
