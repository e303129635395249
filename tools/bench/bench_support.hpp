// bench_support.hpp — what every two-thread benchmark here shares: pinning a
// thread to a CPU, waiting politely, and a cheap cross-core clock.
//
// Header-only, no sigrun dependency.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace sigrun::bench {

// One cache line on every target we run on; the padding below is in these units.
inline constexpr std::size_t kCacheLine = 64;

// The CPUs this process may run on, in order: the calling thread's affinity
// mask the first time this is called (before anything here pinned it).
inline const std::vector<int>& allowed_cpus() {
    static const std::vector<int> cpus = [] {
        cpu_set_t set;
        CPU_ZERO(&set);
        std::vector<int> v;
        if (sched_getaffinity(0, sizeof set, &set) != 0) return v;
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) v.push_back(c);
        return v;
    }();
    return cpus;
}

// The writer runs on the first allowed CPU, the reader on the second. With a
// single CPU both share it (pinning is then skipped: the numbers measure
// time slicing, and the reports say so through `cpus_used`).
struct CpuPair {
    int writer = -1;
    int reader = -1;
    [[nodiscard]] bool pinned() const noexcept { return writer >= 0 && reader >= 0; }
};

inline CpuPair pick_cpus() {
    const auto cpus = allowed_cpus();
    if (cpus.size() < 2) return {};
    return {cpus[0], cpus[1]};
}

// Pins the calling thread; false (and nothing changed) when cpu < 0 or the
// call fails.
inline bool pin_this_thread(int cpu) noexcept {
    if (cpu < 0) return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// Restores the calling thread's affinity to every CPU the process may use.
inline void unpin_this_thread() noexcept {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : allowed_cpus()) CPU_SET(c, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// Spin briefly, then yield: on a machine with as many busy threads as cores,
// pure spinning lets a waiter burn its slice while the thread it waits for
// is descheduled. Same policy for every queue measured.
class Backoff {
public:
    void pause() noexcept {
        if (++spins_ < 256) {
            cpu_relax();
        } else {
            std::this_thread::yield();
        }
    }
    void reset() noexcept { spins_ = 0; }

private:
    unsigned spins_ = 0;
};

// A timestamp both cores agree on. x86: rdtsc (invariant TSC, ~10 ns to
// read), converted to ns with a factor calibrated against steady_clock once.
// Elsewhere: steady_clock.
class Clock {
public:
    static std::uint64_t now() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        return __rdtsc();
#else
        return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
    }
    // ns per tick of now().
    static double ns_per_tick() {
#if defined(__x86_64__) || defined(__i386__)
        static const double factor = [] {
            const auto t0 = std::chrono::steady_clock::now();
            const std::uint64_t c0 = __rdtsc();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            const auto t1 = std::chrono::steady_clock::now();
            const std::uint64_t c1 = __rdtsc();
            return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()) /
                   static_cast<double>(c1 - c0);
        }();
        return factor;
#else
        return 1.0;
#endif
    }
    static const char* source() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        return "rdtsc";
#else
        return "steady_clock";
#endif
    }
};

}  // namespace sigrun::bench
