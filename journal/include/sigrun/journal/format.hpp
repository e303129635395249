// sigrun/journal/format.hpp — the on-disk layout of a journal file.
//
// A journal file is one header page followed by a ring of `capacity`
// fixed-size slots. Each slot is a 64-byte FrameHeader followed by the
// payload. The layout is the format: it is shared between processes through
// mmap, so every field has a fixed width and offset, pinned below by
// static_asserts. journal/PROTOCOL.md describes how the fields are written
// and read; the code in writer.cpp, reader.cpp and pins.cpp follows it.
//
// Fields that another thread or process reads while they may change are
// plain integers accessed only through std::atomic_ref (see atomics.hpp):
// an mmap'd file cannot hold constructed std::atomic objects portably, and
// atomic_ref gives the same code the same guarantees for both cases.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sigrun::journal {

// One cache line on every x86-64 and most AArch64 parts; slot headers are
// aligned to it so that two slots never share a line (no false sharing
// between the writer filling slot N and a reader pinning slot N-1).
inline constexpr std::size_t kCacheLine = 64;

inline constexpr char kMagic[8] = {'S', 'I', 'G', 'R', 'U', 'N', 'J', '\0'};
// 2: XXH3-64 checksum at offset 40, ref_count a plain pin count (no writer
// mark), FileHeader::last_sequence_hint refreshed every kHintInterval frames
// instead of per frame.
// 3: the pin count split into four counters (pin_adds and pin_drops, which
// only the owner's pin thread writes, with plain stores; shared_pin_adds and
// shared_pin_drops, which any other thread of the owner changes with an
// atomic read-modify-write), so that a keep and its drop on the dispatch
// thread cost no locked instruction. Older files are refused (wrong_version).
inline constexpr std::uint32_t kFormatVersion = 3;
inline constexpr std::size_t kFileHeaderSize = 4096;

// Slot sizes are multiples of the cache line, at least the frame header plus
// one cache line of payload.
inline constexpr std::uint32_t kMinSlotSize = 128;
inline constexpr std::uint32_t kMaxSlotSize = 1u << 20;
inline constexpr std::uint64_t kMaxCapacity = 1ull << 24;

// Sequence numbers start at 1. A slot whose sequence is 0 holds no published
// frame: never written, being rewritten, or discarded by recovery.
inline constexpr std::uint64_t kNoSequence = 0;
// Sequences never come near this (2^62 frames: 146 years at a billion a
// second). A header or slot claiming more is damaged; readers treat the
// journal as ending here and recovery discards such a frame, so that no
// `sequence + 1` ever wraps around to 0.
inline constexpr std::uint64_t kMaxSequence = std::uint64_t{1} << 62;

// How often (in frames) the writer refreshes FileHeader::last_sequence_hint;
// never more than the capacity, so that the slot of the hint is not lapped
// before the next refresh (PROTOCOL.md, "Reading a frame").
inline constexpr std::uint64_t kHintInterval = 64;

// How many frames ahead the writer prefetches slot lines for writing (W7);
// only in rings of at least 4x as many slots.
inline constexpr std::uint64_t kPrefetchAhead = 4;

struct alignas(kCacheLine) FrameHeader {
    std::uint64_t sequence;      // published sequence, release-stored LAST; 0 = none
    // Pins held by the owner process on this frame: the four counters below
    // added up (PROTOCOL.md, "Gating and pins"). Each only grows (mod 2^32).
    std::uint32_t pin_adds;      // pins added by the owner's pin thread (its plain stores)
    std::uint32_t length;        // payload bytes
    std::int32_t msg_type;       // message id (sigrun/messages.h)
    std::uint32_t pin_drops;     // pins dropped by the pin thread (its plain release stores)
    std::int64_t gen_time;       // when the frame was generated (writer's clock, ns)
    std::int64_t trigger_time;   // time of the event that caused it (ns), 0 if none
    std::uint64_t checksum;      // XXH3-64 over sequence, length, msg_type, times, payload
    std::uint32_t shared_pin_adds;   // pins added by any other thread of the owner (atomic RMW)
    std::uint32_t shared_pin_drops;  // pins dropped by any other thread of the owner (atomic RMW)
    std::uint8_t reserved[8];        // zero; room to grow inside the cache line
};
static_assert(sizeof(FrameHeader) == 64);
static_assert(alignof(FrameHeader) == 64);
static_assert(offsetof(FrameHeader, sequence) == 0);
static_assert(offsetof(FrameHeader, pin_adds) == 8);
static_assert(offsetof(FrameHeader, length) == 12);
static_assert(offsetof(FrameHeader, msg_type) == 16);
static_assert(offsetof(FrameHeader, gen_time) == 24);
static_assert(offsetof(FrameHeader, trigger_time) == 32);
static_assert(offsetof(FrameHeader, pin_drops) == 20);
static_assert(offsetof(FrameHeader, checksum) == 40);
static_assert(offsetof(FrameHeader, shared_pin_adds) == 48);
static_assert(offsetof(FrameHeader, shared_pin_drops) == 52);

struct alignas(kCacheLine) FileHeader {
    // -- written once at creation, read-only afterwards --
    char magic[8];                 // kMagic
    std::uint32_t format_version;  // kFormatVersion
    std::uint32_t header_size;     // kFileHeaderSize
    std::uint32_t slot_size;       // bytes per slot, FrameHeader included
    std::uint32_t reserved0;
    std::uint64_t capacity;        // slots, a power of two
    std::int64_t created_time;     // ns since epoch
    std::uint8_t pad0[kCacheLine - 40];

    // -- writer-owned, on its own cache line --
    // A lower bound of the last published sequence, refreshed every
    // kHintInterval frames, on flush_hint() and when the writer closes.
    // Readers start probing slot sequences from it; they never trust it alone.
    std::uint64_t last_sequence_hint;
    std::uint8_t pad1[kCacheLine - 8];

    // -- ownership, informational: the writer lock itself is flock() --
    std::int32_t owner_pid;        // pid of the current or last writer, 0 = none
    std::uint32_t reserved1;
    std::uint64_t open_count;      // times a writer opened the file
    // Writer liveness (liveness.hpp), in what used to be this line's padding:
    // a file whose writer predates them holds 0 here, which readers take as
    // "no heartbeat", so neither field needed a format version of its own.
    std::int64_t heartbeat_time;           // CLOCK_REALTIME ns of the owner's last beat, 0 = none
    std::uint32_t heartbeat_interval_ms;   // how often the owner beats, 0 = it does not
    std::uint32_t reserved2;
};
static_assert(offsetof(FileHeader, format_version) == 8);
static_assert(offsetof(FileHeader, slot_size) == 16);
static_assert(offsetof(FileHeader, capacity) == 24);
static_assert(offsetof(FileHeader, last_sequence_hint) == 64);
static_assert(offsetof(FileHeader, owner_pid) == 128);
static_assert(offsetof(FileHeader, open_count) == 136);
static_assert(offsetof(FileHeader, heartbeat_time) == 144);
static_assert(offsetof(FileHeader, heartbeat_interval_ms) == 152);
static_assert(sizeof(FileHeader) == 3 * kCacheLine, "new header fields go into the existing lines' padding");
static_assert(sizeof(FileHeader) <= kFileHeaderSize);
static_assert(std::atomic_ref<std::uint64_t>::required_alignment <= alignof(std::uint64_t));
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "cross-process atomics must be lock-free");
static_assert(std::atomic<std::uint32_t>::is_always_lock_free,
              "cross-process atomics must be lock-free");

// Geometry of one journal, derived from its header.
struct Geometry {
    std::uint64_t capacity = 0;   // slots, power of two
    std::uint32_t slot_size = 0;  // bytes per slot, header included

    [[nodiscard]] std::uint32_t max_payload() const noexcept {
        return slot_size - static_cast<std::uint32_t>(sizeof(FrameHeader));
    }
    [[nodiscard]] std::uint64_t slot_index(std::uint64_t sequence) const noexcept {
        return (sequence - 1) & (capacity - 1);
    }
    [[nodiscard]] std::uint64_t file_size() const noexcept {
        return kFileHeaderSize + capacity * slot_size;
    }
};

}  // namespace sigrun::journal
