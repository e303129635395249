// sigrun-bridge on loopback: throughput of `publish` (journal -> JetStream,
// every frame acknowledged) and the latency the bridge adds, journal to
// journal (a frame's write into the source journal -> its write into the
// subscriber's journal, through the stream), p50/p99.
//
// Starts its own nats-server processes (loopback, free ports, data under
// build/bench-bridge): one node with an R1 stream, and the 3-node cluster of
// tools/bridge/cluster/node.conf with an R3 stream. Needs nats-server.
//
//   BM_BridgePublish/replicas:R   frames/s of publish --stop-at-end over 20 000 trade frames
//   BM_BridgeLatency/replicas:R   a writer at 5 000 frames/s, publish and subscribe live;
//                                 counters p50_us / p99_us (journal to journal)
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "bridge_config.hpp"
#include "nats_cluster.hpp"
#include "nats_session.hpp"
#include "publisher.hpp"
#include "subscriber.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/messages.h"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using sigrun::testing::NatsCluster;

const fs::path kRoot = fs::path(SIGRUN_BENCH_WORK);

// One server set per replica count, kept for all iterations.
NatsCluster& servers(int replicas) {
    static std::unique_ptr<NatsCluster> one, three;
    auto& slot = replicas == 1 ? one : three;
    if (!slot) {
        slot = std::make_unique<NatsCluster>(kRoot / ("nats-r" + std::to_string(replicas)), replicas,
                                             replicas == 1 ? SIGRUN_SINGLE_CONF : SIGRUN_CLUSTER_CONF);
    }
    return *slot;
}

sigrun::bridge::BridgeConfig config(int replicas, const std::string& stream, const fs::path& journal,
                                    const fs::path& received) {
    sigrun::bridge::BridgeConfig c;
    c.nats.servers = servers(replicas).urls();
    c.nats.connect_attempts = 20;
    c.stream = stream;
    sigrun::bridge::StreamCreation s;
    s.replicas = replicas;
    s.subjects = {"sigrun." + stream + ".>"};
    c.create_stream = s;
    sigrun::bridge::PublishSettings p;
    p.journal = journal;
    p.name = stream;
    p.max_pending = 1024;
    c.publish = p;
    sigrun::bridge::SubscribeSettings sub;
    sub.journal_dir = received;
    sub.consumer = "bench";
    sub.capacity = 1 << 16;
    sub.slot_size = 256;
    c.subscribe = sub;
    return c;
}

void write_trade(sigrun::journal::Writer& w, std::uint64_t i) {
    sigrun_trade t{};
    std::strcpy(t.instrument, "BTCUSDT");
    std::strcpy(t.exchange, "bench");
    t.price = 60000.0 + static_cast<double>(i % 100);
    t.size = 0.01;
    t.trade_id = static_cast<std::int64_t>(i);
    w.write_message(SIGRUN_MSG_TRADE, t, static_cast<std::int64_t>(i));
}

void BM_BridgePublish(benchmark::State& state) {
    const int replicas = static_cast<int>(state.range(0));
    constexpr std::uint64_t kFrames = 20000;
    const auto dir = kRoot / ("publish-r" + std::to_string(replicas));
    const auto journal = dir / "md.journal";
    const auto c = config(replicas, "BPUB" + std::to_string(replicas), journal, dir / "in");
    sigrun::bridge::NatsSession session(c.nats);
    std::uint64_t frames = 0;
    for (auto _ : state) {
        state.PauseTiming();
        fs::remove_all(dir);
        fs::create_directories(dir);
        {
            // A new journal each round (a new creation time): published from its first frame.
            sigrun::journal::Writer w(journal, {sigrun::journal::Geometry{32768, 256}, 1s});
            for (std::uint64_t i = 1; i <= kFrames; ++i) write_trade(w, i);
        }
        std::this_thread::sleep_for(2ms);  // distinct creation times
        state.ResumeTiming();
        sigrun::bridge::Publisher publisher(c, session);
        const auto s = publisher.run({true, 0});
        if (s.acked != kFrames) state.SkipWithError("not every frame was acknowledged");
        frames += s.acked;
    }
    state.counters["frames_per_s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

void BM_BridgeLatency(benchmark::State& state) {
    const int replicas = static_cast<int>(state.range(0));
    constexpr std::uint64_t kFrames = 10000;  // 2 s at 5 000 frames/s
    const auto dir = kRoot / ("latency-r" + std::to_string(replicas));
    std::int64_t p50 = 0, p99 = 0;
    int round = 0;
    for (auto _ : state) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        const auto journal = dir / "md.journal";
        const auto c = config(replicas, "BLAT" + std::to_string(replicas) + "x" + std::to_string(round++), journal, dir / "in");
        auto writer = std::make_unique<sigrun::journal::Writer>(journal, sigrun::journal::WriterOptions{{32768, 256}, 1s});
        sigrun::bridge::stop_requested().store(false);
        sigrun::bridge::NatsSession pub_session(c.nats), sub_session(c.nats);
        sigrun::bridge::Publisher publisher(c, pub_session);
        sigrun::bridge::SubscribeSummary summary;
        std::thread pub([&] { publisher.run({false, 0}); });
        std::thread sub([&] {
            sigrun::bridge::Subscriber subscriber(c, sub_session);
            summary = subscriber.run({false, 0});
        });
        std::this_thread::sleep_for(300ms);  // both connected and caught up (nothing yet)
        const auto start = std::chrono::steady_clock::now();
        for (std::uint64_t i = 1; i <= kFrames; ++i) {
            write_trade(*writer, i);
            std::this_thread::sleep_until(start + std::chrono::microseconds(200 * i));
        }
        const auto received = dir / "in" / "md.journal";
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < until) {
            if (fs::exists(received) && sigrun::journal::Reader(received).last_published() >= kFrames) break;
            std::this_thread::sleep_for(5ms);
        }
        sigrun::bridge::stop_requested().store(true);
        pub.join();
        sub.join();
        if (summary.written != kFrames) state.SkipWithError("the subscriber did not receive every frame");
        p50 = summary.latency_p50_ns;
        p99 = summary.latency_p99_ns;
    }
    sigrun::bridge::stop_requested().store(false);
    state.counters["p50_us"] = static_cast<double>(p50) / 1e3;
    state.counters["p99_us"] = static_cast<double>(p99) / 1e3;
}

BENCHMARK(BM_BridgePublish)->ArgName("replicas")->Arg(1)->Arg(3)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BridgeLatency)->ArgName("replicas")->Arg(1)->Arg(3)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    nats_CloseAndWait(2000);
    return 0;
}
