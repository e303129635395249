// latency_peers — one-way latency percentiles of the channels of bench_peers,
// and the round trip of one cache line, between the two CPUs. A plain
// program, not Google Benchmark: it keeps every sample.
//
//   latency_peers [--samples N] [--rounds R] [--json FILE] [--cdf FILE]
//
// For each channel and payload (64 B, 384 B): the writer (pinned to the
// first CPU) stamps Clock::now() into the payload and sends; the reader
// (pinned to the second) takes Clock::now() when it has the message and
// keeps the difference. The journal rows take that stamp as the frame's
// gen_time (one clock read per message, like the peers); journal_clock lets
// the writer read CLOCK_REALTIME itself on top (gen_time 0), as the runner's
// feed does. The writer sends the next message only once the
// reader has taken the previous one, so this is the latency of one handoff
// into an idle reader, without queueing. N samples per channel and payload,
// collected in R rounds that take turns across the channels (interleaved,
// so a burst of load on the machine hits every channel alike). The cache
// line row is a round trip (writer store -> reader sees it and answers ->
// writer sees the answer), timed by the writer.
//
// --json: one object per series {name, variant, payload_bytes, samples,
// p50_ns, p99_ns, p999_ns, max_ns}. --cdf: [quantile, ns] points per series
// (fine in the tail), for the plots.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "channels.hpp"

namespace {

using namespace sigrun::bench;

struct Series {
    std::string name;
    std::string variant;
    std::size_t payload = 0;
    std::vector<std::uint64_t> ticks;
    std::uint64_t lost = 0;
    std::function<void(Series&, std::size_t)> collect;  // appends n samples
};

template <class Channel, std::size_t N>
void collect_one_way(Series& series, std::size_t n) {
    const CpuPair cpus = pick_cpus();
    Channel channel(N);
    struct alignas(kCacheLine) Shared {
        std::atomic<std::uint64_t> received{0};
    } shared;
    std::vector<std::uint64_t> local(n);
    std::thread reader([&] {
        pin_this_thread(cpus.reader);
        std::uint64_t k = 0;
        Backoff backoff;
        while (k < n) {
            const bool got = channel.try_receive([&](const std::byte* p) {
                const std::uint64_t now = Clock::now();
                local[k] = now - get_stamp(p);
            });
            if (got) {
                shared.received.store(++k, std::memory_order_release);
                backoff.reset();
            } else {
                backoff.pause();
            }
        }
    });
    pin_this_thread(cpus.writer);
    Message<N> m;
    for (std::size_t i = 0; i < N; ++i) m.bytes[i] = static_cast<std::byte>(i * 31 + 7);
    for (std::uint64_t i = 0; i < n; ++i) {
        put_stamp(m.bytes.data(), Clock::now());
        for (Backoff b; !channel.try_send(m);) b.pause();
        for (Backoff b; shared.received.load(std::memory_order_acquire) <= i;) b.pause();
    }
    reader.join();
    unpin_this_thread();
    series.lost += channel.lost();
    series.ticks.insert(series.ticks.end(), local.begin(),
                        local.begin() + static_cast<std::ptrdiff_t>(shared.received.load()));
}

void collect_round_trip(Series& series, std::size_t n) {
    const CpuPair cpus = pick_cpus();
    struct alignas(kCacheLine) Line {
        std::atomic<std::uint64_t> value{0};
    } line;
    std::thread pong([&] {
        pin_this_thread(cpus.reader);
        Backoff b;
        for (std::uint64_t answered = 0; answered < 2 * n;) {
            const std::uint64_t v = line.value.load(std::memory_order_acquire);
            if (v == answered + 1) {
                answered = v + 1;
                line.value.store(answered, std::memory_order_release);
                b.reset();
            } else {
                b.pause();
            }
        }
    });
    pin_this_thread(cpus.writer);
    series.ticks.reserve(series.ticks.size() + n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t t0 = Clock::now();
        line.value.store(++v, std::memory_order_release);
        ++v;
        for (Backoff b; line.value.load(std::memory_order_acquire) != v;) b.pause();
        series.ticks.push_back(Clock::now() - t0);
    }
    pong.join();
    unpin_this_thread();
}

template <template <std::size_t> class Channel>
void add_channel(std::vector<Series>& all) {
    for (std::size_t payload : {64, 384}) {
        Series s;
        s.name = Channel<64>::kName;
        s.variant = Channel<64>::kVariant;
        s.payload = payload;
        s.collect = payload == 64 ? collect_one_way<Channel<64>, 64> : collect_one_way<Channel<384>, 384>;
        all.push_back(std::move(s));
    }
}

double quantile_ns(const std::vector<std::uint64_t>& sorted, double q) {
    if (sorted.empty()) return 0;
    const auto i = static_cast<std::size_t>(std::min<double>(static_cast<double>(sorted.size() - 1),
                                                              std::floor(q * static_cast<double>(sorted.size()))));
    return static_cast<double>(sorted[i]) * Clock::ns_per_tick();
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t samples = 1'000'000;
    std::size_t rounds = 10;
    std::string json_path, cdf_path;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "latency_peers: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--samples") samples = std::stoul(value());
        else if (a == "--rounds") rounds = std::stoul(value());
        else if (a == "--json") json_path = value();
        else if (a == "--cdf") cdf_path = value();
        else {
            std::fprintf(stderr, "usage: latency_peers [--samples N] [--rounds R] [--json FILE] [--cdf FILE]\n");
            return 2;
        }
    }
    rounds = std::max<std::size_t>(1, std::min(rounds, samples));

    std::vector<Series> all;
    add_channel<JournalCopy>(all);
    add_channel<JournalInPlace>(all);
    add_channel<JournalClockInPlace>(all);
    add_channel<BoostChannel>(all);
    add_channel<RwQueueChannel>(all);
    add_channel<RingChannel>(all);
    all.push_back({"cacheline_roundtrip", "round_trip", 8, {}, 0, collect_round_trip});

    const CpuPair cpus = pick_cpus();
    std::fprintf(stderr,
                 "latency_peers: %zu samples per series in %zu rounds, clock %s (%.4f ns/tick), cpus %d,%d%s, "
                 "journal in-place read: %s\n",
                 samples, rounds, Clock::source(), Clock::ns_per_tick(), cpus.writer, cpus.reader,
                 cpus.pinned() ? "" : " (one CPU: not pinned)", journal_api::in_place_kind());
    for (std::size_t r = 0; r < rounds; ++r) {
        const std::size_t n = samples / rounds + (r < samples % rounds ? 1 : 0);
        for (auto& s : all) s.collect(s, n);
    }

    std::FILE* json = json_path.empty() ? nullptr : std::fopen(json_path.c_str(), "w");
    std::FILE* cdf = cdf_path.empty() ? nullptr : std::fopen(cdf_path.c_str(), "w");
    if ((!json_path.empty() && json == nullptr) || (!cdf_path.empty() && cdf == nullptr)) {
        std::fprintf(stderr, "latency_peers: cannot write %s\n", json == nullptr ? json_path.c_str() : cdf_path.c_str());
        return 1;
    }
    if (json) std::fprintf(json, "[\n");
    if (cdf) std::fprintf(cdf, "[\n");
    for (std::size_t k = 0; k < all.size(); ++k) {
        auto& s = all[k];
        std::sort(s.ticks.begin(), s.ticks.end());
        const double p50 = quantile_ns(s.ticks, 0.5), p99 = quantile_ns(s.ticks, 0.99),
                     p999 = quantile_ns(s.ticks, 0.999),
                     max = s.ticks.empty() ? 0 : static_cast<double>(s.ticks.back()) * Clock::ns_per_tick();
        std::printf("%-20s %-10s %4zu B  n=%zu  p50=%.0f ns  p99=%.0f ns  p99.9=%.0f ns  max=%.0f ns%s\n",
                    s.name.c_str(), s.variant.c_str(), s.payload, s.ticks.size(), p50, p99, p999, max,
                    s.lost != 0 ? "  (LOST FRAMES)" : "");
        const char* sep = k + 1 < all.size() ? "," : "";
        if (json)
            std::fprintf(json,
                         "  {\"name\": \"%s\", \"variant\": \"%s\", \"payload_bytes\": %zu, \"samples\": %zu, "
                         "\"lost\": %llu, \"p50_ns\": %.1f, \"p99_ns\": %.1f, \"p999_ns\": %.1f, \"max_ns\": %.1f, "
                         "\"cpus\": %d, \"clock\": \"%s\"}%s\n",
                         s.name.c_str(), s.variant.c_str(), s.payload, s.ticks.size(),
                         static_cast<unsigned long long>(s.lost), p50, p99, p999, max, cpus.pinned() ? 2 : 1,
                         Clock::source(), sep);
        if (cdf) {
            // quantiles: every 0.5 % up to 99.5 %, then log-spaced into the
            // tail (99.5 % ... 99.9999 %), then the max, as [q, ns] pairs
            std::vector<double> qs;
            for (int i = 0; i < 200; ++i) qs.push_back(i / 200.0);
            for (double x = 2.3; x <= 6.0001; x += 0.05) qs.push_back(1.0 - std::pow(10.0, -x));
            std::fprintf(cdf, "  {\"name\": \"%s\", \"variant\": \"%s\", \"payload_bytes\": %zu, \"samples\": %zu, \"points\": [",
                         s.name.c_str(), s.variant.c_str(), s.payload, s.ticks.size());
            for (std::size_t i = 0; i < qs.size(); ++i)
                std::fprintf(cdf, "%s[%.7f, %.1f]", i ? ", " : "", qs[i], quantile_ns(s.ticks, qs[i]));
            std::fprintf(cdf, ", [1.0, %.1f]]}%s\n", max, sep);
        }
    }
    if (json) std::fprintf(json, "]\n"), std::fclose(json);
    if (cdf) std::fprintf(cdf, "]\n"), std::fclose(cdf);
    return 0;
}
