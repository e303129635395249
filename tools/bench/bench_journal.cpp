// bench_journal — journal throughput: frames/s for one writer, with and
// without a reader in another thread.
//
//   BM_WriteOnly/<bytes>        one thread, Writer::write, nobody reads
//   BM_WriteRead/<bytes>        writer thread + reader thread copying with Reader::next
//   BM_WriteInPlaceRead/<bytes> writer thread + gated reader thread reading with Reader::next_in_place
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

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"

namespace {

namespace fs = std::filesystem;
using sigrun::journal::Geometry;
using sigrun::journal::Reader;
using sigrun::journal::ReadResult;
using sigrun::journal::ReadStatus;
using sigrun::journal::Writer;
using sigrun::journal::WriterOptions;

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
        benchmark::DoNotOptimize(writer.write(kMsgType, payload));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// Shared between the benchmark (writer) thread and the reader thread.
struct Pipe {
    std::atomic<std::uint64_t> consumed{0};  // sequences the reader is done with
    std::atomic<std::uint64_t> gate{1};      // in place: the writer's gate (next to read)
    std::atomic<bool> stop{false};
    std::uint64_t lost = 0;                  // written by the reader, read after join
    std::uint64_t checksum = 0;              // keeps the reader's loads alive
};

// The reader thread. Copying (kPinned false): Reader::next into a private
// buffer. In place: Reader::next_in_place, touch the payload, move the gate.
template <bool kPinned>
void read_until_stopped(Reader& reader, Pipe& pipe) {
    std::vector<std::byte> buffer(kPinned ? 0 : reader.geometry().max_payload());
    std::uint64_t sum = 0;
    Backoff backoff;
    while (!pipe.stop.load(std::memory_order_relaxed)) {
        auto r = [&] {
            if constexpr (kPinned) {
                return reader.next_in_place();
            } else {
                return reader.next(buffer);
            }
        }();
        if (r.status == ReadStatus::frame) {
            if constexpr (kPinned) {
                sum += static_cast<std::uint8_t>(r.payload[r.info.length - 1]);
                pipe.gate.store(reader.position(), std::memory_order_release);
            } else {
                sum += static_cast<std::uint8_t>(buffer[r.info.length - 1]);
            }
            pipe.consumed.store(r.info.sequence, std::memory_order_release);
        } else if (r.status == ReadStatus::lost) {
            pipe.lost += r.lost;
            pipe.consumed.store(reader.position() - 1, std::memory_order_release);
        } else {
            backoff.pause();
            continue;
        }
        backoff.reset();
    }
    pipe.checksum = sum;
}

template <bool kPinned>
void BM_WriteReadImpl(benchmark::State& state) {
    BenchDir dir;
    Writer writer(dir.journal(), options());
    // The in-place reader needs the owner's writable mapping and gates the
    // writer; the copying one maps the file read-only, as another process
    // would.
    Reader reader = kPinned ? Reader(writer.mapping()) : Reader(dir.journal());
    const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
    Pipe pipe;
    if constexpr (kPinned) writer.gate_on(pipe.gate);
    std::thread consumer([&] { read_until_stopped<kPinned>(reader, pipe); });

    std::uint64_t written = 0;
    for (auto _ : state) {
        const std::uint64_t end = written + kBatch;
        while (written < end) {
            for (Backoff b; written - pipe.consumed.load(std::memory_order_acquire) >= kMaxAhead;) {
                b.pause();
            }
            written = writer.write(kMsgType, payload);
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
        benchmark::Counter(static_cast<double>(writer.pin_wait_stats().waits));
}

void BM_WriteRead(benchmark::State& state) { BM_WriteReadImpl<false>(state); }
void BM_WriteInPlaceRead(benchmark::State& state) { BM_WriteReadImpl<true>(state); }

void payload_sizes(benchmark::internal::Benchmark* b) {
    b->ArgName("bytes")->Arg(64)->Arg(336)->Arg(384);
    b->UseRealTime()->Repetitions(5)->ReportAggregatesOnly(true);
}

}  // namespace

BENCHMARK(BM_WriteOnly)->Apply(payload_sizes);
BENCHMARK(BM_WriteRead)->Apply(payload_sizes);
BENCHMARK(BM_WriteInPlaceRead)->Apply(payload_sizes);

BENCHMARK_MAIN();
