// sigrun/journal/error.hpp — the one exception type the journal throws.
//
// Every error a user can cause (wrong file, bad geometry, a second writer, a
// frame pinned too long) is a JournalError whose what() is one line naming
// the file and the fix. The kind lets callers and tests tell them apart
// without parsing text.
#pragma once

#include <stdexcept>
#include <string>

namespace sigrun::journal {

enum class ErrorKind {
    io,                  // open/stat/mmap/ftruncate failed (errno text included)
    not_a_journal,       // magic does not match
    wrong_version,       // format version this build cannot read
    truncated,           // file shorter than its header says
    bad_geometry,        // capacity not a power of two, slot size out of range
    geometry_mismatch,   // existing file has another capacity/slot size than asked
    payload_too_large,   // frame larger than a slot can hold
    read_only,           // file cannot be opened for writing
    writer_busy,         // another writer holds the journal
    pin_timeout,         // the slot to overwrite stayed pinned past the timeout
    gate_timeout,        // a gating consumer stayed on the frame to overwrite past the timeout
};

class JournalError : public std::runtime_error {
public:
    JournalError(ErrorKind kind, const std::string& message)
        : std::runtime_error(message), kind_(kind) {}
    [[nodiscard]] ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

}  // namespace sigrun::journal
