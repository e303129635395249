// sigrun/journal/mapping.hpp — one journal file, validated and mmap'd.
//
// Opening validates the header before anything is mapped writable, so a bad
// file (not a journal, wrong version, truncated, bad geometry) is reported
// and left untouched. The owner mapping (the writer's) also holds the
// single-writer lock: an flock() on the file, which the kernel drops when
// the owning process dies, so a crashed writer never locks the journal out.
//
// Storage (PROTOCOL.md, section 7): a created journal is reserved with
// posix_fallocate and made mode 0640 whatever the umask; an existing one is
// re-reserved when opened for writing, so a full disk is an error at open,
// never a SIGBUS later. Every mapping is guarded against the file shrinking
// under it (sigbus_guard.hpp); file_problem() reports that, and a file
// deleted or replaced under the mapping. While open for writing, the owner
// refreshes the header's heartbeat (liveness.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "sigrun/journal/format.hpp"

namespace sigrun::journal {

class Mapping {
public:
    // Maps an existing journal read-only: tools, other processes, readers
    // that never pin.
    [[nodiscard]] static std::shared_ptr<Mapping> open_read_only(const std::filesystem::path& path);

    // Creates the journal with `geometry` if the file does not exist, or
    // opens the existing one (whose geometry must equal `geometry`), maps it
    // read-write and takes the single-writer lock.
    [[nodiscard]] static std::shared_ptr<Mapping> open_owner(const std::filesystem::path& path,
                                                             Geometry geometry);

    ~Mapping();
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
    [[nodiscard]] bool writable() const noexcept { return writable_; }
    // True when this mapping created the file (rather than opening one).
    [[nodiscard]] bool created() const noexcept { return created_; }

    [[nodiscard]] FileHeader& header() const noexcept { return *reinterpret_cast<FileHeader*>(base_); }
    [[nodiscard]] FrameHeader& slot(std::uint64_t index) const noexcept {
        return *reinterpret_cast<FrameHeader*>(base_ + kFileHeaderSize + index * geometry_.slot_size);
    }
    [[nodiscard]] std::byte* payload(std::uint64_t index) const noexcept {
        return base_ + kFileHeaderSize + index * geometry_.slot_size + sizeof(FrameHeader);
    }
    // The slot whose payload starts at `p` (a pointer payload() returns), or
    // nullopt for any other pointer. How a host maps the `data` pointer an
    // engine releases back to the frame it pinned, on every drop of a kept
    // frame, so without a division: an exact division by the slot size is a
    // shift and a multiplication by the inverse of its odd part (mod 2^64),
    // and since that multiplication is a bijection, an offset that is not a
    // multiple of the slot size comes out >= capacity. [any thread]
    [[nodiscard]] std::optional<std::uint64_t> slot_of_payload(const void* p) const noexcept {
        const std::uint64_t offset = reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(payload(0));
        if ((offset & slot_low_mask_) != 0) return std::nullopt;
        const std::uint64_t index = (offset >> slot_shift_) * slot_odd_inverse_;
        if (index >= geometry_.capacity) return std::nullopt;
        return index;
    }

    // Empty while the file under this mapping is still the journal at
    // path(); otherwise one line saying what happened to it and what to do:
    // it shrank (truncated by another process: the part past its end now
    // reads as zeros here), was deleted, or was replaced by another file (a
    // new inode at the path). Costs an fstat and a stat: call it at a low
    // rate (the runner: every 500 ms). [thread-safe]
    [[nodiscard]] std::string file_problem() const;
    // True once an access past the file's end was caught (sigbus_guard).
    [[nodiscard]] bool shrunk() const noexcept;

    // Oldest sequence that can still be in the ring when `last` is the last
    // published one.
    [[nodiscard]] std::uint64_t oldest_possible(std::uint64_t last) const noexcept {
        return last >= geometry_.capacity ? last - geometry_.capacity + 1 : 1;
    }

private:
    Mapping() = default;
    // Records the file's identity and guards the mapping; prepares
    // slot_of_payload's division.
    void remember_file();

    std::filesystem::path path_;
    Geometry geometry_{};
    std::byte* base_ = nullptr;
    std::size_t size_ = 0;
    // slot_size = odd << slot_shift_; slot_odd_inverse_ * odd == 1 (mod 2^64).
    std::uint64_t slot_low_mask_ = 0;
    unsigned slot_shift_ = 0;
    std::uint64_t slot_odd_inverse_ = 1;
    int fd_ = -1;
    bool writable_ = false;
    bool created_ = false;
    std::uint64_t device_ = 0, inode_ = 0;  // of the file mapped, to notice a replacement
    int guard_slot_ = -1;                   // sigbus_guard's table slot
    std::shared_ptr<void> heartbeat_;       // detail::Heartbeat of an owner mapping
};

// How often owner mappings opened from now on refresh their heartbeat
// (default 1 s). Tests shorten it; readers take the interval from the header.
void set_owner_heartbeat_interval(std::chrono::milliseconds interval) noexcept;

// For processes that cannot poll file_problem() (command-line tools): when
// a journal shrinks under any mapping of this process, write one line naming
// it to stderr and _exit(exit_code) instead of reading zeros.
void exit_on_shrink(int exit_code) noexcept;

// The most bytes a writer pre-faults when it maps a journal (the first lap
// then takes no page faults there). Beyond it pages fault in on first use:
// pre-faulting a multi-gigabyte ring would take seconds and dirty every page.
inline constexpr std::size_t kMaxPrefaultBytes = std::size_t{64} << 20;

// Throws JournalError(bad_geometry) unless `geometry` is one a journal may have.
void validate_geometry(const Geometry& geometry, const std::filesystem::path& path);

}  // namespace sigrun::journal
