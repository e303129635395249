// sigbus_guard.hpp — a journal file that shrinks under its mapping must not
// kill the process with SIGBUS.
//
// When another process truncates a mapped file, every access past the new
// end raises SIGBUS. Checking the size before each access cannot close the
// window (the truncate can land between the check and the access), so the
// accesses are guarded instead: one SIGBUS handler, installed with the first
// journal mapping, looks the faulting address up in a fixed table of the
// journal mappings of this process. When it belongs to one, the handler maps
// anonymous zero pages over that mapping from the faulting page to its end
// (MAP_FIXED, same protection), marks the mapping as shrunk and returns: the
// access is retried and reads zeros (no frame: sequence 0) or writes into
// memory nobody else sees. Whoever owns the mapping then sees
// Mapping::file_problem() and stops with one clear line. A SIGBUS at any
// other address goes to the handler installed before ours, or to the
// default action (the signal is re-raised).
//
// A process without a polling loop (a command-line tool) asks for
// exit_on_shrink(code) instead: the handler writes one line naming the file
// to stderr and _exit()s with `code`.
//
// Everything the handler touches is async-signal-safe: atomics, raw mmap
// and write system calls, _exit.
#pragma once

#include <cstddef>

namespace sigrun::journal::detail {

// Guards [base, base + size); `path` is for the message. Returns the table
// slot, or -1 when the table is full (that mapping is then unguarded).
int guard_mapping(void* base, std::size_t size, bool writable, const char* path) noexcept;
void unguard_mapping(int slot) noexcept;
// True once an access past the file's end was caught in `slot`.
bool mapping_shrunk(int slot) noexcept;

}  // namespace sigrun::journal::detail
