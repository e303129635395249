#include "fatal_signal.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "sigrun/signal_api.h"

namespace sigrun::runner {
namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
constexpr std::size_t kMaxNames = 256;
constexpr std::size_t kNameBytes = SIGRUN_NAME_LEN + 1;

// Written before the handler is installed, read only by the handler.
char g_names[kMaxNames][kNameBytes];
std::atomic<std::size_t> g_name_count{0};
std::atomic<const DispatchProbe*> g_probe{nullptr};

// A line built in a fixed buffer: no allocation, no locale, no stdio.
class Line {
public:
    Line& text(const char* s) noexcept {
        while (*s != '\0' && used_ < sizeof buffer_) buffer_[used_++] = *s++;
        return *this;
    }
    Line& number(std::uint64_t v) noexcept {
        char digits[20];
        std::size_t n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (n > 0 && used_ < sizeof buffer_) buffer_[used_++] = digits[--n];
        return *this;
    }
    Line& engine(std::uint32_t one_based) noexcept {
        if (one_based >= 1 && one_based <= g_name_count.load(std::memory_order_acquire)) {
            return text(g_names[one_based - 1]);
        }
        return text("#").number(one_based);
    }
    Line& frame(const DispatchProbe& p) noexcept {
        return text("md frame ")
            .number(p.sequence.load(std::memory_order_relaxed))
            .text(" (")
            .text(message_type_name(p.type.load(std::memory_order_relaxed)))
            .text(")");
    }
    void write_to(int fd) noexcept {
        std::size_t done = 0;
        while (done < used_) {
            const ssize_t n = ::write(fd, buffer_ + done, used_ - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;
            done += static_cast<std::size_t>(n);
        }
    }

private:
    char buffer_[1024];
    std::size_t used_ = 0;
};

const char* signal_name(int sig) noexcept {
    switch (sig) {
        case SIGSEGV: return "SIGSEGV (invalid memory access, or a stack overflow)";
        case SIGBUS: return "SIGBUS (bus error: a mapped file shrank, or a misaligned access)";
        case SIGABRT: return "SIGABRT (abort: a failed assertion, std::terminate, or heap corruption found by malloc)";
        case SIGFPE: return "SIGFPE (arithmetic error: integer division by zero)";
        case SIGILL: return "SIGILL (illegal instruction: code built for another CPU, or corrupted)";
        default: return "?";
    }
}

void report(int sig) noexcept {
    Line line;
    line.text("sigrun: fatal signal ").text(signal_name(sig));
    const DispatchProbe* p = g_probe.load(std::memory_order_acquire);
    if (p == nullptr) {
        line.text(" while no run was dispatching\n").write_to(STDERR_FILENO);
        return;
    }
    const int tid = static_cast<int>(::syscall(SYS_gettid));
    const std::uint32_t engine = p->engine.load(std::memory_order_relaxed);
    if (tid == p->dispatch_tid.load(std::memory_order_relaxed)) {
        if (engine != 0) {
            line.text(" in engine ").engine(engine).text(", inside ")
                .text(dispatch_call_name(p->call.load(std::memory_order_relaxed)))
                .text(" of ")
                .frame(*p);
        } else {
            line.text(" on the dispatch thread between engine calls, at ").frame(*p);
        }
    } else {
        line.text(" on a thread other than the dispatch thread (an engine's own thread, or a hot swap creating, "
                  "warming up or destroying an engine); the dispatch thread was ");
        if (engine != 0) {
            line.text("inside engine ").engine(engine).text(" on ").frame(*p);
        } else {
            line.text("between engine calls at ").frame(*p);
        }
    }
    const std::uint64_t swaps = p->swaps.load(std::memory_order_relaxed);
    if (swaps == 0) {
        line.text("; no hot swap this run");
    } else {
        const std::uint64_t live_from = p->last_swap_sequence.load(std::memory_order_relaxed);
        const std::uint64_t now = p->sequence.load(std::memory_order_relaxed);
        line.text("; hot swaps this run: ")
            .number(swaps)
            .text(", the last one made engine ")
            .engine(p->last_swap_engine.load(std::memory_order_relaxed))
            .text(" live from md frame ")
            .number(live_from)
            .text(" (")
            .number(now >= live_from ? now - live_from : 0)
            .text(" frame(s) before the one in flight)");
    }
    line.text("; every frame published to the journals stays readable; fix or remove the engine, then restart\n")
        .write_to(STDERR_FILENO);
}

void on_fatal_signal(int sig, siginfo_t*, void*) {
    const int saved_errno = errno;
    report(sig);
    errno = saved_errno;
    // SA_RESETHAND restored the default action: the re-raised signal (pending
    // until this handler returns, or the faulting instruction run again)
    // ends the process the way it would have ended without us.
    ::raise(sig);
}

}  // namespace

void install_fatal_signal_handler(const DispatchProbe& probe, const std::vector<std::string>& engine_names) {
    const std::size_t count = std::min(engine_names.size(), kMaxNames);
    g_name_count.store(0, std::memory_order_release);
    for (std::size_t i = 0; i < count; ++i) {
        std::memset(g_names[i], 0, kNameBytes);
        std::memcpy(g_names[i], engine_names[i].data(), std::min(engine_names[i].size(), kNameBytes - 1));
    }
    g_name_count.store(count, std::memory_order_release);
    g_probe.store(&probe, std::memory_order_release);
    struct sigaction action {};
    action.sa_sigaction = &on_fatal_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (const int sig : kFatalSignals) {
        // A signal someone else already handles (the journal's SIGBUS guard
        // for files that shrink under a mapping) stays theirs.
        struct sigaction current {};
        if (::sigaction(sig, nullptr, &current) == 0 && current.sa_handler != SIG_DFL && current.sa_sigaction != &on_fatal_signal) continue;
        ::sigaction(sig, &action, nullptr);
    }
}

void uninstall_fatal_signal_handler() noexcept {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (const int sig : kFatalSignals) {
        struct sigaction current {};
        if (::sigaction(sig, nullptr, &current) == 0 && current.sa_sigaction == &on_fatal_signal) {
            ::sigaction(sig, &action, nullptr);
        }
    }
    g_probe.store(nullptr, std::memory_order_release);
}

void use_alternate_signal_stack() {
    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0) return;  // has one
    // Room for the handler's frame plus what a sanitizer's interceptors add.
    const std::size_t size = 256 * 1024;
    void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return;  // no report on stack overflow; everything else still works
    stack_t stack{};
    stack.ss_sp = memory;
    stack.ss_size = size;
    if (::sigaltstack(&stack, nullptr) != 0) ::munmap(memory, size);
}

}  // namespace sigrun::runner
