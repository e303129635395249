#include "sigbus_guard.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "sigrun/journal/mapping.hpp"

namespace sigrun::journal {
namespace {

constexpr int kSlots = 1024;
constexpr std::size_t kPathBytes = 512;

struct GuardedMapping {
    std::atomic<bool> used{false};
    std::atomic<std::uintptr_t> begin{0};  // 0: slot not active (the last field set, the first cleared)
    std::atomic<std::uintptr_t> end{0};
    std::atomic<int> prot{PROT_READ};
    std::atomic<bool> shrunk{false};
    char path[kPathBytes] = {};
};

GuardedMapping g_slots[kSlots];
struct sigaction g_previous {};
std::atomic<int> g_exit_code{-1};
std::once_flag g_install_once;

// A raw system call: sanitizers and valgrind intercept the libc mmap, and
// their interceptors are not meant to run inside a signal handler.
bool map_zeros(std::uintptr_t from, std::uintptr_t to, int prot) noexcept {
    const long r = ::syscall(SYS_mmap, from, to - from, prot, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return r != -1 && static_cast<std::uintptr_t>(r) == from;
}

void write_all(const char* s) noexcept {
    std::size_t n = std::strlen(s);
    while (n > 0) {
        const ssize_t w = ::write(STDERR_FILENO, s, n);
        if (w <= 0) return;
        s += w;
        n -= static_cast<std::size_t>(w);
    }
}

void pass_on(int sig, siginfo_t* info, void* context) noexcept {
    if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
        g_previous.sa_sigaction(sig, info, context);
        return;
    }
    if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
        g_previous.sa_handler(sig);
        return;
    }
    // The default action: blocked while we run, delivered when we return.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
    const int saved_errno = errno;
    const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
    if (info->si_code == BUS_ADRERR) {
        for (auto& slot : g_slots) {
            const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
            if (begin == 0 || addr < begin) continue;
            const std::uintptr_t end = slot.end.load(std::memory_order_relaxed);
            if (addr >= end) continue;
            const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
            if (!map_zeros(addr & ~(page - 1), end, slot.prot.load(std::memory_order_relaxed))) break;
            const bool first = !slot.shrunk.exchange(true, std::memory_order_acq_rel);
            if (const int code = g_exit_code.load(std::memory_order_relaxed); code >= 0) {
                if (first) {
                    write_all(program_invocation_short_name);
                    write_all(": journal ");
                    write_all(slot.path);
                    write_all(" shrank while it was being read (another process truncated it); restore "
                              "it from a copy or delete it, and do not truncate a live journal\n");
                }
                ::_exit(code);
            }
            errno = saved_errno;
            return;  // the access is retried on the zero pages
        }
    }
    errno = saved_errno;
    pass_on(sig, info, context);
}

void install() noexcept {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &g_previous);
}

}  // namespace

void exit_on_shrink(int exit_code) noexcept { g_exit_code.store(exit_code, std::memory_order_relaxed); }

namespace detail {

int guard_mapping(void* base, std::size_t size, bool writable, const char* path) noexcept {
    std::call_once(g_install_once, install);
    for (int i = 0; i < kSlots; ++i) {
        GuardedMapping& slot = g_slots[i];
        bool expected = false;
        if (!slot.used.compare_exchange_strong(expected, true, std::memory_order_acquire)) continue;
        const std::size_t n = std::min(std::strlen(path), kPathBytes - 1);
        std::memcpy(slot.path, path, n);
        slot.path[n] = '\0';
        slot.prot.store(writable ? PROT_READ | PROT_WRITE : PROT_READ, std::memory_order_relaxed);
        slot.shrunk.store(false, std::memory_order_relaxed);
        const auto b = reinterpret_cast<std::uintptr_t>(base);
        slot.end.store(b + size, std::memory_order_relaxed);
        slot.begin.store(b, std::memory_order_release);
        return i;
    }
    return -1;
}

void unguard_mapping(int slot) noexcept {
    if (slot < 0) return;
    g_slots[slot].begin.store(0, std::memory_order_release);
    g_slots[slot].end.store(0, std::memory_order_relaxed);
    g_slots[slot].used.store(false, std::memory_order_release);
}

bool mapping_shrunk(int slot) noexcept {
    return slot >= 0 && g_slots[slot].shrunk.load(std::memory_order_acquire);
}

}  // namespace detail
}  // namespace sigrun::journal
