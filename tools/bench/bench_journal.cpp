// bench_journal — journal throughput: frames/s for one writer, with and
// without a reader in another thread.
//
//   BM_WriteOnly/<bytes>        one thread, Writer::write, nobody reads (gen_time 0:
//                               the writer reads CLOCK_REALTIME per frame)
//   BM_WriteOnlyGenTime/<bytes> the same with the caller's gen_time (no clock read)
//   BM_Primitive_*              one CLOCK_REALTIME read, one rdtsc, one uncontended
//                               atomic increment / compare-exchange: the floors the
//                               report reads targets against
//   BM_WriteRead/<bytes>        writer thread + reader thread copying with Reader::next
//   BM_WritePinnedRead/<bytes>  writer thread + reader thread reading in place as the
//                               dispatcher does (journal_adapter.hpp: pinned in v1, gated in v2)
//
// Payload sizes: 64 (a trade-sized message), 336, and 384 = sizeof(sigrun_depth).
// The journal lives in a fresh directory under /dev/shm (else the temp dir),
// so the numbers are memory, not disk.
//
// With a reader, one iteration is a batch of kBatch frames, and it ends when
// the reader has consumed the whole batch: items/s is frames *delivered*.
// The writer is flow-controlled (it never runs more than half the ring ahead
// of the reader), so the reader is never lapped and `lost` should stay 0; it
// is reported so that a run where it did not is visible.
//
// Results and the command that produced them: docs/performance.md.
#include <benchmark/benchmark.h>

#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include <atomic>
#include <chrono>
#include <ctime>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "journal_adapter.hpp"

namespace {

namespace fs = std::filesystem;
namespace api = sigrun::bench::journal_api;
using api::Geometry;
using api::Reader;
using api::ReadStatus;
using api::Writer;
using api::WriterOptions;

// 4096 slots of 512 bytes (448 payload bytes): the runner's default geometry.
constexpr Geometry kGeometry{4096, 512};
constexpr std::uint64_t kBatch = 16384;                  // frames per iteration with a reader
constexpr std::uint64_t kMaxAhead = kGeometry.capacity / 2;  // flow control: writer lead
constexpr std::int32_t kMsgType = 101;

// Waiting for the other thread: spin briefly, then yield. On a machine with
// as many busy threads as cores, pure spinning lets a waiter burn its time
// slice while the thread it waits for is descheduled.
class Backoff {
public:
    void pause() noexcept {
        if (++spins_ < 64) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#elif defined(__aarch64__)
            asm volatile("yield");
#endif
        } else {
            std::this_thread::yield();
        }
    }
    void reset() noexcept { spins_ = 0; }

private:
    unsigned spins_ = 0;
};

// A private directory for one benchmark run, removed afterwards.
class BenchDir {
public:
    BenchDir() {
        const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm")
                                                          : fs::temp_directory_path();
        std::string pattern = (base / "sigrun-bench-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~BenchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    BenchDir(const BenchDir&) = delete;
    BenchDir& operator=(const BenchDir&) = delete;
    [[nodiscard]] fs::path journal() const { return path_ / "bench.journal"; }

private:
    fs::path path_;
};

std::vector<std::byte> make_payload(std::size_t bytes) {
    std::vector<std::byte> p(bytes);
    for (std::size_t i = 0; i < bytes; ++i) p[i] = static_cast<std::byte>(i * 31 + 7);
    return p;
}

WriterOptions options() {
    WriterOptions o;
    o.geometry = kGeometry;
    return o;
}

void BM_WriteOnly(benchmark::State& state) {
    BenchDir dir;
    Writer writer(dir.journal(), options());
    const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        benchmark::DoNotOptimize(api::write(writer, kMsgType, payload));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// The same with gen_time supplied by the caller (an increasing counter): no
// clock read in the writer. BM_WriteOnly - this = the writer's own clock read.
void BM_WriteOnlyGenTime(benchmark::State& state) {
    BenchDir dir;
    Writer writer(dir.journal(), options());
    const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
    std::int64_t t = 1;
    for (auto _ : state) {
        benchmark::DoNotOptimize(api::write(writer, kMsgType, payload, t++));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// The floors the targets are read against, on this machine, in this run
// (one thread, nothing shared): what one CLOCK_REALTIME read costs (the
// journal writer's, when gen_time is 0), one rdtsc (the benchmarks' stamp),
// one uncontended atomic increment (a frame-ref keep: Pins::add) and one
// uncontended compare-exchange (a release: Pins::release, CopyPool::give_back).
void BM_Primitive_clock_realtime(benchmark::State& state) {
    for (auto _ : state) {
        timespec ts;
        ::clock_gettime(CLOCK_REALTIME, &ts);
        benchmark::DoNotOptimize(ts);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_Primitive_rdtsc(benchmark::State& state) {
    for (auto _ : state) {
#if defined(__x86_64__) || defined(__i386__)
        benchmark::DoNotOptimize(__rdtsc());
#else
        benchmark::DoNotOptimize(std::chrono::steady_clock::now());
#endif
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_Primitive_atomic_increment(benchmark::State& state) {
    alignas(64) std::atomic<std::uint32_t> count{0};
    for (auto _ : state) benchmark::DoNotOptimize(count.fetch_add(1, std::memory_order_relaxed));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_Primitive_compare_exchange(benchmark::State& state) {
    alignas(64) std::atomic<std::uint32_t> count{0};
    for (auto _ : state) {
        std::uint32_t c = count.load(std::memory_order_relaxed);
        while (!count.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Shared between the benchmark (writer) thread and the reader thread.
struct Pipe {
    std::atomic<std::uint64_t> consumed{0};  // sequences the reader is done with
    std::atomic<std::uint64_t> next_to_read{1};  // the in-place reader's gate (journal v2)
    std::atomic<bool> stop{false};
    std::uint64_t lost = 0;                  // written by the reader, read after join
    std::uint64_t checksum = 0;              // keeps the reader's loads alive
};

// The reader thread. Copying (kPinned false): Reader::next into a private
// buffer. In place: the dispatcher's read (journal_adapter.hpp), touching the
// payload in place.
template <bool kPinned>
void read_until_stopped(Reader& reader, Pipe& pipe) {
    std::vector<std::byte> buffer(kPinned ? 0 : reader.geometry().max_payload());
    std::uint64_t sum = 0;
    Backoff backoff;
    const auto touch = [&](const std::byte* payload, const api::FrameInfo& info) {
        sum += static_cast<std::uint8_t>(payload[info.length - 1]);
    };
    while (!pipe.stop.load(std::memory_order_relaxed)) {
        const api::Step r = kPinned ? api::read_in_place(reader, touch) : api::read_copy(reader, buffer, touch);
        if (r.status == ReadStatus::empty) {
            backoff.pause();
            continue;
        }
        if (r.status == ReadStatus::lost) pipe.lost += r.lost;
        // next_to_read - 1: every frame before it is done with
        pipe.consumed.store(reader.position() - 1, std::memory_order_release);
        pipe.next_to_read.store(reader.position(), std::memory_order_release);
        backoff.reset();
    }
    pipe.checksum = sum;
}

template <bool kPinned>
void BM_WriteReadImpl(benchmark::State& state) {
    BenchDir dir;
    Writer writer(dir.journal(), options());
    // The pinning reader needs the owner's writable mapping; the copying one
    // maps the file read-only, as another process would.
    Reader reader = kPinned ? api::in_place_reader(writer) : api::copy_reader(dir.journal());
    const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
    Pipe pipe;
    if (kPinned) api::gate(writer, pipe.next_to_read);
    std::thread consumer([&] { read_until_stopped<kPinned>(reader, pipe); });

    std::uint64_t written = 0;
    for (auto _ : state) {
        const std::uint64_t end = written + kBatch;
        while (written < end) {
            for (Backoff b; written - pipe.consumed.load(std::memory_order_acquire) >= kMaxAhead;) {
                b.pause();
            }
            written = api::write(writer, kMsgType, payload);
        }
        for (Backoff b; pipe.consumed.load(std::memory_order_acquire) < written;) b.pause();
    }
    pipe.stop.store(true, std::memory_order_relaxed);
    consumer.join();
    benchmark::DoNotOptimize(pipe.checksum);

    const auto frames = static_cast<std::int64_t>(state.iterations() * kBatch);
    state.SetItemsProcessed(frames);
    state.SetBytesProcessed(frames * state.range(0));
    state.counters["lost"] = benchmark::Counter(static_cast<double>(pipe.lost));
    state.counters["pin_waits"] =
        benchmark::Counter(static_cast<double>(api::pin_waits(writer)));
}

void BM_WriteRead(benchmark::State& state) { BM_WriteReadImpl<false>(state); }
void BM_WritePinnedRead(benchmark::State& state) { BM_WriteReadImpl<true>(state); }

void payload_sizes(benchmark::internal::Benchmark* b) {
    b->ArgName("bytes")->Arg(64)->Arg(336)->Arg(384);
    b->UseRealTime();  // repetitions: --benchmark_repetitions (tools/bench/run.sh)
}

}  // namespace

BENCHMARK(BM_WriteOnly)->Apply(payload_sizes);
BENCHMARK(BM_WriteOnlyGenTime)->Apply(payload_sizes);
BENCHMARK(BM_Primitive_clock_realtime);
BENCHMARK(BM_Primitive_rdtsc);
BENCHMARK(BM_Primitive_atomic_increment);
BENCHMARK(BM_Primitive_compare_exchange);
BENCHMARK(BM_WriteRead)->Apply(payload_sizes);
BENCHMARK(BM_WritePinnedRead)->Apply(payload_sizes);

BENCHMARK_MAIN();
