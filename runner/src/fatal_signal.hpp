// runner/src/fatal_signal.hpp — when an engine crashes the process (SIGSEGV,
// SIGBUS, SIGABRT, SIGFPE, SIGILL), one line on stderr names the engine and
// the md frame in flight and says whether a hot swap just happened; then the
// signal is re-raised with its default action (core dump, the exit status a
// supervisor sees). sigrun does not try to recover: after a wild write in a
// multi-threaded process nothing can be trusted (DESIGN.md, pitfalls).
//
//   sigrun: fatal signal SIGSEGV in engine ofi, inside signal_on_data of md frame 1234 (depth); last hot swap: none; ...
//
// The handler is async-signal-safe: it reads the DispatchProbe (lock-free
// atomics) and a table of engine names copied at install time, formats
// digits itself and calls only write(2), sigaction and raise. It runs on an
// alternate signal stack on the dispatch thread, so a stack overflow in an
// engine is reported too. The journals need nothing from it: every frame
// published before the crash stays readable, and the next open discards a
// frame half written.
#pragma once

#include <string>
#include <vector>

#include "dispatch_probe.hpp"

namespace sigrun::runner {

// Installs the handler for the process (idempotent), reporting from `probe`
// with `engine_names` (config order). The probe must outlive the process's
// use of it: call uninstall_fatal_signal_handler() before it goes away.
void install_fatal_signal_handler(const DispatchProbe& probe, const std::vector<std::string>& engine_names);

// Restores the default actions and forgets the probe.
void uninstall_fatal_signal_handler() noexcept;

// Gives the calling thread (the dispatch thread) an alternate signal stack,
// so that the handler can run when the thread's own stack overflowed. Kept
// for the thread's life.
void use_alternate_signal_stack();

}  // namespace sigrun::runner
