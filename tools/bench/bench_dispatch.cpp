// bench_dispatch — what dispatch and handoff add on top of the journal: md
// frames through the runner's Dispatcher -> signal_on_data -> engine, and
// the engine's factors into the signals journal. One thread, as in the
// runner's dispatch loop.
//
//   BM_Dispatch/null        bench_null: reads one field (the handoff alone)
//   BM_Dispatch/microprice  the shipped engine: 4 factors per depth frame
//
// One iteration writes a batch of kBatch depth frames (384 B, 10 levels) into
// the md journal with the timer paused, then times the dispatcher until it
// has handed out all of them: items/s is frames dispatched. The handoff mode
// is the build's: run this binary from the release build (copy) and from the
// zero-copy build (frame-ref) and compare. Results: docs/performance.md.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "dispatcher.hpp"
#include "engine_instance.hpp"
#include "factor_publisher.hpp"
#include "plugin_library.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/messages.h"

namespace {

namespace fs = std::filesystem;
using namespace sigrun;

constexpr journal::Geometry kMdGeometry{4096, 512};
constexpr journal::Geometry kSignalsGeometry{65536, 512};  // the runner default: 5 values per frame
constexpr std::uint64_t kBatch = 2048;  // half the md ring: nothing is overwritten before dispatch

fs::path scratch_dir() {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    static std::atomic<int> n{0};
    return base / ("sigrun-bench-dispatch-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
}

// The md journal, the signals journal and one engine, wired as Runner does.
class Rig {
public:
    explicit Rig(const char* library) : dir_(scratch_dir()) {
        fs::create_directories(dir_);
        md_ = std::make_unique<journal::Writer>(dir_ / "md.journal", journal::WriterOptions{kMdGeometry, {}});
        pins_ = std::make_unique<journal::Pins>(md_->mapping());
        publisher_ = std::make_unique<runner::FactorPublisher>(dir_ / "signals.journal", kSignalsGeometry, 0);
        journal::Reader reader(md_->mapping());
        reader.seek_end();
        dispatcher_ = std::make_unique<runner::Dispatcher>(std::move(reader));
        runner::EngineConfig config;
        config.name = "bench";
        dispatcher_->add_engine(std::make_unique<runner::EngineInstance>(
            config, runner::PluginLibrary::load(library, dir_ / ".plugins"), publisher_.get(), pins_.get()));
    }
    ~Rig() {
        dispatcher_->destroy_engines();
        dispatcher_.reset();
        publisher_.reset();
        pins_.reset();
        md_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    Rig(const Rig&) = delete;
    Rig& operator=(const Rig&) = delete;

    // A moving 10-level book, so that the engine computes on fresh numbers.
    std::uint64_t write_batch() {
        for (std::uint64_t i = 0; i < kBatch; ++i, ++tick_) {
            sigrun_depth d{};
            std::memcpy(d.instrument, "BTCUSDT", 8);
            d.receive_time_ns = static_cast<std::int64_t>(tick_) * 1000;
            d.exchange_time_ns = d.receive_time_ns;
            const double mid = 60000.0 + static_cast<double>(tick_ % 97) * 0.5;
            for (int level = 0; level < SIGRUN_DEPTH_LEVELS; ++level) {
                d.bid_price[level] = mid - 0.5 - level;
                d.ask_price[level] = mid + 0.5 + level;
                d.bid_size[level] = 1.0 + static_cast<double>((tick_ + level) % 7);
                d.ask_size[level] = 1.0 + static_cast<double>((tick_ * 3 + level) % 5);
            }
            md_->write_message(SIGRUN_MSG_DEPTH, d, d.receive_time_ns);
        }
        return md_->last_sequence();
    }

    void dispatch_until(std::uint64_t last) {
        static const std::atomic<bool> never{false};
        const std::atomic<std::uint64_t> end{last};
        dispatcher_->run(never, end);
    }

    [[nodiscard]] const runner::DispatchCounts& counts() const { return dispatcher_->counts(); }
    [[nodiscard]] std::uint64_t published() const { return publisher_->published(); }

private:
    fs::path dir_;
    std::unique_ptr<journal::Writer> md_;
    std::unique_ptr<journal::Pins> pins_;
    std::unique_ptr<runner::FactorPublisher> publisher_;
    std::unique_ptr<runner::Dispatcher> dispatcher_;
    std::uint64_t tick_ = 0;
};

void BM_Dispatch(benchmark::State& state, const char* library) {
    spdlog::set_level(spdlog::level::warn);
    Rig rig(library);
    for (auto _ : state) {
        state.PauseTiming();
        const std::uint64_t last = rig.write_batch();
        state.ResumeTiming();
        rig.dispatch_until(last);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
    state.counters["lost"] = static_cast<double>(rig.counts().lost);
    state.counters["factors_per_frame"] =
        static_cast<double>(rig.published()) / static_cast<double>(rig.counts().depth);
    state.SetLabel(SIGRUN_ZERO_COPY ? "frame-ref" : "copy");
}

BENCHMARK_CAPTURE(BM_Dispatch, null, SIGRUN_BENCH_NULL_ENGINE)->Repetitions(5)->ReportAggregatesOnly(true)
    ->Unit(benchmark::kNanosecond);
BENCHMARK_CAPTURE(BM_Dispatch, microprice, SIGRUN_BENCH_MICROPRICE_ENGINE)->Repetitions(5)
    ->ReportAggregatesOnly(true)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
