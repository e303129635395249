// bench_peers — throughput of 1 writer -> 1 reader on the two CPUs: sigrun's
// journal (copy read, in-place read) against boost::lockfree::spsc_queue,
// moodycamel::ReaderWriterQueue and a padded SPSC ring; and the floor under
// all of them, a cache line bouncing between the two CPUs.
//
//   BM_Channel<journal_copy|journal_in_place|journal_clock_in_place|boost_spsc|rwqueue|spsc_ring>/64|384
//       one iteration = kBatch messages written and all of them received;
//       items/s = messages delivered per second. The writer stamps a
//       counter (no clock) into each payload; the journal rows take it as
//       gen_time, so no channel reads a clock per message, except
//       journal_clock_in_place (gen_time 0: the writer's own CLOCK_REALTIME
//       read per frame, what that read costs).
//   BM_CachelineRoundTrip
//       one iteration = one round trip of one atomic between the two CPUs.
//
// The writer is the benchmark thread, pinned to the first allowed CPU; the
// reader thread is pinned to the second (no pinning with one CPU; the
// `cpus` counter says how many were used). Same payloads, capacity (4096),
// waiting policy (256 pauses then yield) for every channel. Run with
// --benchmark_enable_random_interleaving=true --benchmark_repetitions=R so
// that the channels take turns (tools/bench/run.sh does).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "bench_support.hpp"
#include "channels.hpp"

namespace {

using namespace sigrun::bench;

constexpr std::uint64_t kBatch = 32768;

template <class Channel, std::size_t N>
void BM_Channel(benchmark::State& state) {
    const CpuPair cpus = pick_cpus();
    Channel channel(N);
    struct alignas(kCacheLine) Shared {
        std::atomic<std::uint64_t> received{0};
        alignas(kCacheLine) std::atomic<bool> stop{false};
    } shared;
    std::uint64_t checksum = 0;
    std::thread reader([&] {
        pin_this_thread(cpus.reader);
        std::uint64_t n = 0, sum = 0;
        Backoff backoff;
        const auto consume = [&](const std::byte* p) { sum += static_cast<std::uint8_t>(p[N - 1]) + get_stamp(p); };
        while (!shared.stop.load(std::memory_order_relaxed)) {
            if (channel.try_receive(consume)) {
                shared.received.store(++n, std::memory_order_release);
                backoff.reset();
            } else {
                backoff.pause();
            }
        }
        checksum = sum;
    });
    pin_this_thread(cpus.writer);

    Message<N> m;
    for (std::size_t i = 0; i < N; ++i) m.bytes[i] = static_cast<std::byte>(i * 31 + 7);
    std::uint64_t sent = 0;
    for (auto _ : state) {
        const std::uint64_t end = sent + kBatch;
        while (sent < end) {
            put_stamp(m.bytes.data(), sent + 1);  // non-zero and increasing: the journal's gen_time
            for (Backoff b; !channel.try_send(m);) b.pause();
            ++sent;
        }
        for (Backoff b; shared.received.load(std::memory_order_acquire) + channel.lost() < sent;) b.pause();
    }
    shared.stop.store(true, std::memory_order_relaxed);
    reader.join();
    unpin_this_thread();
    benchmark::DoNotOptimize(checksum);

    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBatch * N));
    state.SetLabel(std::string(Channel::kName) + "/" + Channel::kVariant);
    state.counters["lost"] = static_cast<double>(channel.lost());
    state.counters["cpus"] = cpus.pinned() ? 2 : 1;
}

// Ping-pong on one atomic on its own line: the writer stores an odd value,
// the reader answers with the next even one. Everything a channel does
// costs at least this (its index or sequence line has to move).
void BM_CachelineRoundTrip(benchmark::State& state) {
    const CpuPair cpus = pick_cpus();
    struct alignas(kCacheLine) Line {
        std::atomic<std::uint64_t> value{0};
    } line;
    alignas(kCacheLine) std::atomic<bool> stop{false};
    std::thread pong([&] {
        pin_this_thread(cpus.reader);
        std::uint64_t seen = 0;
        Backoff b;
        while (!stop.load(std::memory_order_relaxed)) {
            const std::uint64_t v = line.value.load(std::memory_order_acquire);
            if (v != seen && (v & 1) != 0) {
                seen = v + 1;
                line.value.store(seen, std::memory_order_release);
                b.reset();
            } else {
                b.pause();
            }
        }
    });
    pin_this_thread(cpus.writer);
    std::uint64_t v = 0;
    for (auto _ : state) {
        line.value.store(++v, std::memory_order_release);
        ++v;
        for (Backoff b; line.value.load(std::memory_order_acquire) != v;) b.pause();
    }
    stop.store(true, std::memory_order_relaxed);
    pong.join();
    unpin_this_thread();
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["cpus"] = cpus.pinned() ? 2 : 1;
}

}  // namespace

#define SIGRUN_CHANNEL_BENCH(Channel, name)                                                           \
    BENCHMARK_TEMPLATE(BM_Channel, Channel<64>, 64)->Name("BM_Channel/" name "/64")->UseRealTime();   \
    BENCHMARK_TEMPLATE(BM_Channel, Channel<384>, 384)->Name("BM_Channel/" name "/384")->UseRealTime()

SIGRUN_CHANNEL_BENCH(JournalCopy, "journal_copy");
SIGRUN_CHANNEL_BENCH(JournalInPlace, "journal_in_place");
SIGRUN_CHANNEL_BENCH(JournalClockInPlace, "journal_clock_in_place");
SIGRUN_CHANNEL_BENCH(BoostChannel, "boost_spsc");
SIGRUN_CHANNEL_BENCH(RwQueueChannel, "rwqueue");
SIGRUN_CHANNEL_BENCH(RingChannel, "spsc_ring");
BENCHMARK(BM_CachelineRoundTrip)->UseRealTime();

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("journal_in_place_read", sigrun::bench::journal_api::in_place_kind());
    const auto cpus = sigrun::bench::pick_cpus();
    benchmark::AddCustomContext("pinned_cpus", cpus.pinned() ? std::to_string(cpus.writer) + "," +
                                                                   std::to_string(cpus.reader)
                                                             : "none (one CPU)");
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
