// runner/src/consumer_cursor.hpp — the runner's durable consumer cursor: a
// named reader position in md.journal that survives a crash (ConsumerCursor).
//
// Like Chronicle Queue's named tailers or Aeron Archive's recorded position:
// one small file per runner, `<journal dir>/<name>.cursor`, one page:
//
//   offset  field                        written
//        0  magic "SIGRUNC\0"            at creation
//        8  format_version (u32) = 1     at creation
//       12  file_size (u32) = 4096       at creation
//       16  source_kind (u32)            at creation (SourceKind)
//       20  md_slot_size (u32)           at creation: which md.journal the
//       24  md_capacity (u64)            position belongs to (its geometry and
//       32  md_created_time (i64)        FileHeader::created_time)
//       40  source_fingerprint (u64)     at creation: which source data
//       48  source_origin (u64)          at creation: md sequence of the source's first event
//       56  identity_checksum (u64)      FNV-1a 64 over bytes 0..55
//       64  next_sequence (u64)          every dispatched frame: the dispatcher's position
//      128  owner_pid (i32)              at open, informational
//
// Crash safety. The identity (bytes 0..63) is never modified in place: a new
// cursor is written whole to `<name>.cursor.new`, fsync'd, renamed over the
// old one and the folder fsync'd, so a crash leaves the old file or the new
// one, never a mix. The position is one naturally aligned 8-byte word in the
// mapped page, stored by the dispatcher after every engine ran for a frame
// (it is the dispatcher's own position atomic, constructed in the mapping,
// so the hot path pays no extra store): a process that dies at any
// instruction leaves in the page cache the last position it stored, and the
// kernel writes it back later. No fsync per frame: see sync() and the
// README's Guarantees for what a power loss can cost.
//
// One process uses a cursor at a time: the open file holds an flock
// (LOCK_EX | LOCK_NB), which the kernel drops when the process dies.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace sigrun::runner {

// A cursor file that cannot be used (damaged, locked, unreadable, or for
// another journal or source). The message is one line naming the file and
// the fix.
class CursorError : public std::runtime_error {
public:
    enum class Kind { damaged, busy, io, mismatch };
    CursorError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    [[nodiscard]] Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

// What a cursor's position is a position in: written once with the file.
struct CursorIdentity {
    std::uint32_t source_kind = 0;         // SourceKind, as a number
    std::uint32_t md_slot_size = 0;
    std::uint64_t md_capacity = 0;
    std::int64_t md_created_time = 0;      // md.journal's FileHeader::created_time
    std::uint64_t source_fingerprint = 0;  // source_fingerprint() of the config's source; 0 for "journal"
    std::uint64_t source_origin = 0;       // md sequence holding the source's first event; 0 for "journal"

    friend bool operator==(const CursorIdentity&, const CursorIdentity&) = default;
};

class ConsumerCursor {
public:
    static constexpr std::size_t kFileSize = 4096;
    static constexpr std::uint32_t kFormatVersion = 1;

    // Opens and locks the cursor at `path`; nullptr when no file is there.
    // Throws CursorError when it is damaged, another process holds it, or it
    // cannot be read or mapped.
    [[nodiscard]] static std::unique_ptr<ConsumerCursor> open_existing(const std::filesystem::path& path);

    // Writes a new cursor at `path` (replacing any, atomically: a temporary
    // file, fsync, rename, fsync of the folder), then opens and locks it.
    // Throws CursorError.
    [[nodiscard]] static std::unique_ptr<ConsumerCursor> create(const std::filesystem::path& path,
                                                                const CursorIdentity& identity,
                                                                std::uint64_t next_sequence);

    ~ConsumerCursor();
    ConsumerCursor(const ConsumerCursor&) = delete;
    ConsumerCursor& operator=(const ConsumerCursor&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] const CursorIdentity& identity() const noexcept { return identity_; }
    // The position stored in the file when it was opened.
    [[nodiscard]] std::uint64_t stored_position() const noexcept { return stored_position_; }

    // The position word in the mapping: the next md sequence to dispatch.
    // The dispatcher stores into it (release) after every engine ran for a
    // frame; it also is the md writer's gate. [dispatch-thread stores]
    [[nodiscard]] std::atomic<std::uint64_t>& position() noexcept { return *position_; }

    // msync + fsync: the file as it is now is on disk when this returns
    // (called at a clean stop, never per frame). Throws CursorError.
    void sync();

    // The cursor file of `name` in `journal_dir`.
    [[nodiscard]] static std::filesystem::path path_for(const std::filesystem::path& journal_dir,
                                                        const std::string& name);

private:
    ConsumerCursor() = default;
    static std::unique_ptr<ConsumerCursor> open_fd(const std::filesystem::path& path, int fd);

    std::filesystem::path path_;
    CursorIdentity identity_;
    std::uint64_t stored_position_ = 0;
    std::byte* base_ = nullptr;
    int fd_ = -1;
    std::atomic<std::uint64_t>* position_ = nullptr;
};

// fsync of one file by path (a journal at a clean stop). Throws CursorError
// naming the file.
void sync_file(const std::filesystem::path& path);

}  // namespace sigrun::runner
