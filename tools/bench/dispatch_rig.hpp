// dispatch_rig.hpp — the runner's dispatch path wired as Runner wires it (md
// journal, pins, signals journal, Dispatcher, one engine), for
// bench_dispatch and bench_events. Every call into runner/ internals that
// the benchmarks make is here, so that a change of the runner's or the
// engine's API is adapted in this one file.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <spdlog/spdlog.h>

#include "consumer_cursor.hpp"
#include "dispatcher.hpp"
#include "engine_instance.hpp"
#include "factor_publisher.hpp"
#include "plugin_library.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/messages.h"

namespace sigrun::bench {

// The build's handoff, for labels and result rows.
inline constexpr const char* kHandoffMode = SIGRUN_ZERO_COPY ? "frame-ref" : "copy";

class DispatchRig {
public:
    static constexpr journal::Geometry kMdGeometry{4096, 512};
    static constexpr journal::Geometry kSignalsGeometry{65536, 512};  // the runner default
    static constexpr std::uint64_t kBatch = 2048;  // half the md ring: nothing is overwritten before dispatch

    // `engine_config` is the engine's own JSON config (bench_null: {"keep": true}
    // makes it keep every frame).
    // `durable_cursor`: the dispatcher's position lives in a consumer cursor
    // file's mapping, as in Runner (the default false keeps it in memory).
    explicit DispatchRig(const char* library, const char* engine_config = "{}", bool durable_cursor = false)
        : dir_(scratch_dir()) {
        spdlog::set_level(spdlog::level::warn);
        std::filesystem::create_directories(dir_);
        md_ = std::make_unique<journal::Writer>(dir_ / "md.journal", journal::WriterOptions{kMdGeometry, {}});
        pins_ = std::make_unique<journal::Pins>(md_->mapping());
        publisher_ = std::make_unique<runner::FactorPublisher>(dir_ / "signals.journal", kSignalsGeometry, 0);
        journal::Reader reader(md_->mapping());
        reader.seek_end();
        reader.trust_own_writes_from(md_->last_sequence() + 1);  // as Runner does for its own feed's frames
        if (durable_cursor) {
            cursor_ = runner::ConsumerCursor::create(dir_ / "bench.cursor", runner::CursorIdentity{},
                                                     reader.position());
        }
        dispatcher_ = std::make_unique<runner::Dispatcher>(std::move(reader),
                                                           cursor_ ? &cursor_->position() : nullptr, pins_.get());
        // The thread that builds the rig dispatches and hands off, as the
        // runner's dispatch thread does: it is the md journal's pin thread
        // (Dispatcher::run's own scope nests in this one).
        pin_thread_ = std::make_unique<journal::Pins::PinThread>(*pins_);
        md_->gate_on(dispatcher_->position());  // the dispatcher reads in place, as in Runner
        runner::EngineConfig config;
        config.name = "bench";
        config.config_json = engine_config;
        dispatcher_->add_engine(std::make_unique<runner::EngineInstance>(
            config, runner::PluginLibrary::load(library, dir_ / ".plugins"), publisher_.get(), pins_.get()));
    }
    ~DispatchRig() {
        release_held();
        dispatcher_->destroy_engines();
        dispatcher_.reset();
        cursor_.reset();
        publisher_.reset();
        pin_thread_.reset();
        pins_.reset();
        md_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    DispatchRig(const DispatchRig&) = delete;
    DispatchRig& operator=(const DispatchRig&) = delete;

    // Writes kBatch depth frames of a moving 10-level book (fresh numbers for
    // the engine); returns the last sequence.
    std::uint64_t write_batch() {
        for (std::uint64_t i = 0; i < kBatch; ++i, ++tick_) {
            const sigrun_depth d = depth(tick_);
            md_->write_message(SIGRUN_MSG_DEPTH, d, d.receive_time_ns);
        }
        return md_->last_sequence();
    }

    // Dispatches every frame up to `last`.
    void dispatch_until(std::uint64_t last) {
        static const std::atomic<bool> never{false};
        const std::atomic<std::uint64_t> end{last};
        dispatcher_->run(never, end);
    }

    // Handoff alone: one depth frame written and held (pinned, as the
    // dispatcher holds it for a round), then handed to the engine with
    // handoff() as often as wanted — no journal read, no dispatch loop.
    void hold_one_frame() {
        release_held();
        const sigrun_depth d = depth(tick_++);
        const std::uint64_t seq = md_->write_message(SIGRUN_MSG_DEPTH, d, d.receive_time_ns);
        held_index_ = kMdGeometry.slot_index(seq);
        pins_->add(held_index_);  // this thread is the writer: nothing can be claiming the slot
        held_ = true;
        frame_ = {};
        frame_.sequence = seq;
        frame_.receive_time_ns = d.receive_time_ns;
        frame_.type = SIGRUN_MSG_DEPTH;
        frame_.data = md_->mapping()->payload(held_index_);
        frame_.retainable = true;
        frame_.slot = held_index_;
    }
    void handoff() { dispatcher_->engines().front()->on_data(frame_); }

    // After at least one handoff() of the held frame to an engine that keeps
    // it: checks that keeping did what the build's mode says. frame-ref: the
    // host retained the frame (EngineHost::on_retain -> Pins::add, not the
    // SDK's copy fallback), so the slot carries the rig's pin plus the
    // engine's. copy: nothing retained, only the rig's pin. Throws
    // std::runtime_error naming what it found otherwise.
    void check_keep() const {
        const auto& host = dispatcher_->engines().front()->host();
        const std::uint64_t retains = host.retains();
        const std::uint32_t pins = pins_->count(held_index_);
        const bool ok = SIGRUN_ZERO_COPY ? (retains > 0 && pins == 2 && host.holds_on(held_index_) == 1)
                                         : (retains == 0 && pins == 1);
        if (!ok) {
            throw std::runtime_error(std::string("DispatchRig::check_keep (") + kHandoffMode + "): retains=" +
                                     std::to_string(retains) + " pins on the held slot=" + std::to_string(pins) +
                                     (SIGRUN_ZERO_COPY ? " (expected retains > 0, 2 pins: keep() must retain the "
                                                         "frame, not copy it)"
                                                       : " (expected 0 retains, 1 pin: copy builds keep copies)"));
        }
    }
    [[nodiscard]] std::uint64_t retains() const { return dispatcher_->engines().front()->host().retains(); }

    [[nodiscard]] std::uint64_t lost() const { return dispatcher_->counts().lost; }
    [[nodiscard]] std::uint64_t depth_frames() const { return dispatcher_->counts().depth; }
    [[nodiscard]] std::uint64_t published() const { return publisher_->published(); }

private:
    static std::filesystem::path scratch_dir() {
        namespace fs = std::filesystem;
        const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        static std::atomic<int> n{0};
        return base / ("sigrun-bench-dispatch-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    }
    static sigrun_depth depth(std::uint64_t tick) {
        sigrun_depth d{};
        std::memcpy(d.instrument, "BTCUSDT", 8);
        d.receive_time_ns = static_cast<std::int64_t>(tick) * 1000;
        d.exchange_time_ns = d.receive_time_ns;
        const double mid = 60000.0 + static_cast<double>(tick % 97) * 0.5;
        for (int level = 0; level < SIGRUN_DEPTH_LEVELS; ++level) {
            d.bid_price[level] = mid - 0.5 - level;
            d.ask_price[level] = mid + 0.5 + level;
            d.bid_size[level] = 1.0 + static_cast<double>((tick + level) % 7);
            d.ask_size[level] = 1.0 + static_cast<double>((tick * 3 + level) % 5);
        }
        return d;
    }
    void release_held() {
        if (held_) pins_->release(held_index_);
        held_ = false;
    }

    std::filesystem::path dir_;
    std::unique_ptr<journal::Writer> md_;
    std::unique_ptr<journal::Pins> pins_;
    std::unique_ptr<journal::Pins::PinThread> pin_thread_;
    std::unique_ptr<runner::FactorPublisher> publisher_;
    std::unique_ptr<runner::Dispatcher> dispatcher_;
    std::unique_ptr<runner::ConsumerCursor> cursor_;  // holds the dispatcher's position when durable
    std::uint64_t tick_ = 0;
    runner::CurrentFrame frame_;
    std::uint64_t held_index_ = 0;
    bool held_ = false;
};

}  // namespace sigrun::bench
