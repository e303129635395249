#include "runner.hpp"


#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sigrun/factor_batch.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/market_data/replay_source.hpp"
#include "sigrun/market_data/synthetic_source.hpp"

namespace sigrun::runner {

Runner::Runner(RunnerConfig config) : config_(std::move(config)) {
    const auto& jc = config_.journal;
    std::error_code ec;
    std::filesystem::create_directories(jc.dir, ec);
    if (ec) {
        throw ConfigError(fmt::format("config {}: $.journal.dir {} cannot be created ({}); use a writable folder",
                                      config_.source_file.string(), jc.dir.string(), ec.message()));
    }
    const auto md_path = jc.dir / "md.journal";
    if (config_.source.kind == SourceKind::journal) {
        md_mapping_ = journal::Mapping::open_read_only(md_path);
    } else {
        md_writer_ = std::make_unique<journal::Writer>(md_path, journal::WriterOptions{jc.md, jc.pin_timeout});
        md_mapping_ = md_writer_->mapping();
        md_pins_ = std::make_unique<journal::Pins>(md_mapping_);
    }
    publisher_ = std::make_unique<FactorPublisher>(jc.dir / "signals.journal", jc.signals, config_.output.print_factors);

    journal::Reader reader(md_mapping_);
    if (config_.source.kind == SourceKind::journal && config_.source.from_oldest) {
        reader.seek_oldest();
    } else {
        reader.seek_end();  // only frames written from now on
    }
    dispatcher_ = std::make_unique<Dispatcher>(std::move(reader));
    // The warm-up frames must fit in the ring behind the dispatcher.
    const std::uint64_t md_capacity = md_mapping_->geometry().capacity;
    if (config_.hot_swap.warmup_frames >= md_capacity) {
        throw ConfigError(fmt::format("config {}: $.hot_swap.warmup_frames is {} but the md journal holds {} frames; "
                                      "lower warmup_frames or raise $.journal.md.capacity",
                                      config_.source_file.string(), config_.hot_swap.warmup_frames, md_capacity));
    }
    if (md_writer_) {
        retention_ = std::make_unique<MdRetention>(dispatcher_->position(), config_.hot_swap.warmup_frames);
        // The dispatcher reads md frames in place: its position gates the
        // writer, registered before the feed starts (it is at the end now).
        md_writer_->gate_on(dispatcher_->position());
    }

    for (const EngineConfig& ec_ : config_.engines) {
        auto library = PluginLibrary::load(ec_.library, jc.dir / ".plugins");
        const auto& info = library->info();
        spdlog::info("engine {}: loaded {} {} ({} handoff) from {}", ec_.name, info.name, info.version,
                     handoff_name(info.handoff), ec_.library.string());
        dispatcher_->add_engine(
            std::make_unique<EngineInstance>(ec_, std::move(library), publisher_.get(), md_pins_.get()));
    }
    swapper_ = std::make_unique<HotSwapper>(*dispatcher_, config_, publisher_.get(), md_pins_.get(), md_mapping_,
                                            retention_.get());
}

Runner::~Runner() {
    if (swapper_) swapper_->stop();
    if (dispatcher_) dispatcher_->destroy_engines();
}

Feed::Source Runner::make_source() const {
    const SourceConfig& sc = config_.source;
    if (sc.kind == SourceKind::synthetic) {
        auto source = std::make_shared<market_data::SyntheticSource>(sc.synthetic);
        return [source] { return source->next(); };
    }
    auto pacer = sc.speed > 0 ? market_data::Pacer::recorded(sc.speed) : market_data::Pacer::as_fast_as_possible();
    auto source = std::make_shared<market_data::ReplaySource>(sc.files, std::move(pacer));
    return [source] { return source->next(); };
}

RunSummary Runner::run(const std::atomic<bool>& stop) {
    RunSummary summary;
    const auto started = std::chrono::steady_clock::now();
    std::atomic<std::uint64_t> end_sequence{UINT64_MAX};
    std::thread feed_thread;
    std::string feed_error;
    std::uint64_t frames_written = 0;

    if (md_writer_) {
        Feed::Source source = make_source();  // opens the files: errors surface before any thread starts
        feed_thread = std::thread([&, source = std::move(source)]() mutable {
            Feed feed(*md_writer_, std::move(source));
            try {
                feed.run(stop, *retention_);
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
    }
    swapper_->start();
    // With a feed, a stop request stops the feed and the dispatcher drains
    // what was written (end_sequence); reading an external journal, a stop
    // stops dispatch directly.
    static const std::atomic<bool> never{false};
    std::atomic<bool> dispatch_done{false};
    std::thread cycler;
    if (reload_every_frames_ > 0) {
        cycler = std::thread([&] {
            std::uint64_t next = dispatcher_->position().load() + reload_every_frames_;
            while (!dispatch_done.load()) {
                if (dispatcher_->position().load(std::memory_order_acquire) < next) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    continue;
                }
                for (const auto& engine : config_.engines) swapper_->reload(engine.name);
                next += reload_every_frames_;
            }
        });
    }
    dispatcher_->run(md_writer_ ? never : stop, end_sequence);
    dispatch_done.store(true);
    if (cycler.joinable()) cycler.join();
    if (feed_thread.joinable()) feed_thread.join();
    swapper_->stop();

    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    summary.frames_written = frames_written;
    summary.dispatched = dispatcher_->counts();
    summary.error = feed_error;
    summary.swaps = swapper_->stats();
    summary.swap_pause_p50_ns = dispatcher_->swap_pauses().percentile(0.50);
    summary.swap_pause_p99_ns = dispatcher_->swap_pauses().percentile(0.99);
    summary.swap_pause_max_ns = dispatcher_->swap_pauses().max();
    for (const auto& e : dispatcher_->engines()) {
        const auto& info = e->library().info();
        summary.engines.push_back({e->name(), fmt::format("{} {}", info.name, info.version), e->frames(),
                                   e->host().emitted(), e->latency().percentile(0.50),
                                   e->latency().percentile(0.99), e->latency().max()});
    }
    dispatcher_->destroy_engines();  // signal_destroy, frames released, dlclose
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
    fmt::print(out, "frames dispatched depth={} trade={} rejected={} lost={}\n", s.dispatched.depth,
               s.dispatched.trade, s.dispatched.rejected, s.dispatched.lost);
    fmt::print(out, "factors emitted  {} (failed {})\n", s.factors_published, s.factors_failed);
    fmt::print(out, "writer pin waits {}\n", s.pin_waits);
    fmt::print(out, "frames pinned at exit {}\n", s.frames_pinned_at_exit);
    fmt::print(out, "hot swaps        {} ok, {} failed, {} not unloaded; switch pause p50={} ns p99={} ns max={} ns\n",
               s.swaps.swapped, s.swaps.failed, s.swaps.not_unloaded, s.swap_pause_p50_ns, s.swap_pause_p99_ns,
               s.swap_pause_max_ns);
    fmt::print(out, "{:<14} {:<26} {:>10} {:>10} {:>9} {:>9} {:>10}\n", "engine", "plugin", "frames", "factors",
               "p50 ns", "p99 ns", "max ns");
    for (const auto& e : s.engines) {
        fmt::print(out, "{:<14} {:<26} {:>10} {:>10} {:>9} {:>9} {:>10}\n", e.name, e.plugin, e.frames, e.factors,
                   e.p50_ns, e.p99_ns, e.max_ns);
    }
    if (!s.last_values.empty()) {
        fmt::print(out, "last factor values:\n");
        for (const auto& v : s.last_values) {
            fmt::print(out, "  {:<14} {:<20} {:<14} {:.10g}\n", v.engine, v.factor, v.instrument, v.value);
        }
    }
    if (!s.error.empty()) fmt::print(out, "run failed: {}\n", s.error);
}

}  // namespace sigrun::runner
