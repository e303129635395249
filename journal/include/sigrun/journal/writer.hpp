// sigrun/journal/writer.hpp — the single writer of a journal.
//
// Publication follows PROTOCOL.md, "Writing a frame": claim the slot (CAS of
// its ref count from 0 to the writing mark, waiting for pins), invalidate its
// sequence, fill payload and header, release-store the sequence as the last
// write, clear the mark, advance the file's last_sequence.
//
// One Writer per journal, enforced across processes by the Mapping's flock.
// Not thread-safe: one thread writes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "sigrun/journal/error.hpp"
#include "sigrun/journal/format.hpp"
#include "sigrun/journal/mapping.hpp"

namespace sigrun::journal {

struct WriterOptions {
    Geometry geometry{4096, 512};
    // How long write() waits for a pinned slot before failing with
    // PinTimeoutError. Never overwrites a pinned frame, never waits forever.
    std::chrono::nanoseconds pin_timeout = std::chrono::seconds(1);
};

// What opening an existing journal found and repaired.
struct RecoveryReport {
    std::uint64_t last_sequence = 0;     // last intact published frame
    std::uint64_t frames_intact = 0;     // published frames kept
    std::uint64_t frames_discarded = 0;  // torn or half-written frames dropped
    std::uint64_t stale_pins_cleared = 0;// pins left by a previous owner that died
};

struct PinWaitStats {
    std::uint64_t waits = 0;             // writes that found their slot pinned
    std::uint64_t timeouts = 0;          // of those, how many gave up
    std::chrono::nanoseconds longest{0}; // longest single wait
};

// The slot to overwrite stayed pinned past WriterOptions::pin_timeout.
class PinTimeoutError : public JournalError {
public:
    PinTimeoutError(const std::string& message, std::uint64_t held_sequence, std::uint32_t pins)
        : JournalError(ErrorKind::pin_timeout, message), held_sequence_(held_sequence), pins_(pins) {}
    [[nodiscard]] std::uint64_t held_sequence() const noexcept { return held_sequence_; }
    [[nodiscard]] std::uint32_t pins() const noexcept { return pins_; }

private:
    std::uint64_t held_sequence_;
    std::uint32_t pins_;
};

class Writer {
public:
    // Creates the journal or opens (and recovers) an existing one.
    Writer(const std::filesystem::path& path, WriterOptions options);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // An in-place write: a claimed slot, filled by the caller through
    // copy_in() and published by commit(). At most one claim is open at a
    // time. There is no writable span on purpose: a lapped reader may copy
    // the slot while it is filled (and then discards the copy), so every
    // store into it must be a relaxed atomic one, which copy_in() does.
    class Claim {
    public:
        [[nodiscard]] std::uint32_t length() const noexcept { return length_; }
        [[nodiscard]] std::uint64_t sequence() const noexcept { return sequence_; }
        // Copies `bytes` to `offset` in the payload; throws std::out_of_range
        // past length().
        void copy_in(std::size_t offset, std::span<const std::byte> bytes) const;

    private:
        friend class Writer;
        std::byte* payload_ = nullptr;
        std::uint32_t length_ = 0;
        std::uint64_t sequence_ = 0;
        std::uint64_t index_ = 0;
        std::int32_t msg_type_ = 0;
    };

    // Copies `payload` into the next frame and publishes it. Returns its
    // sequence. Throws JournalError(payload_too_large) or PinTimeoutError.
    // `gen_time` 0 means "read the clock now".
    std::uint64_t write(std::int32_t msg_type, std::span<const std::byte> payload,
                        std::int64_t trigger_time = 0, std::int64_t gen_time = 0);

    template <class Message>
    std::uint64_t write_message(std::int32_t msg_type, const Message& message,
                                std::int64_t trigger_time = 0) {
        return write(msg_type, std::as_bytes(std::span(&message, 1)), trigger_time);
    }

    // Claims the next slot for a payload of `length` bytes; fill it with
    // Claim::copy_in and call commit() promptly.
    Claim claim(std::int32_t msg_type, std::uint32_t length);
    std::uint64_t commit(const Claim& claim, std::int64_t trigger_time = 0);

    [[nodiscard]] std::uint64_t last_sequence() const noexcept { return next_sequence_ - 1; }
    [[nodiscard]] const RecoveryReport& recovery() const noexcept { return recovery_; }
    [[nodiscard]] const PinWaitStats& pin_wait_stats() const noexcept { return pin_waits_; }
    [[nodiscard]] const std::shared_ptr<Mapping>& mapping() const noexcept { return mapping_; }
    [[nodiscard]] const Geometry& geometry() const noexcept { return mapping_->geometry(); }

private:
    void recover();
    void acquire_slot(std::uint64_t index, std::uint64_t sequence);
    std::uint64_t publish(std::uint64_t index, std::uint64_t sequence, std::int32_t msg_type,
                          std::uint32_t length, std::int64_t trigger_time,
                          const void* checksum_source, std::int64_t gen_time = 0);
    std::int64_t next_gen_time(std::int64_t supplied) noexcept;

    std::shared_ptr<Mapping> mapping_;
    WriterOptions options_;
    std::uint64_t next_sequence_ = 1;
    std::int64_t last_gen_time_ = 0;
    bool claim_open_ = false;
    RecoveryReport recovery_;
    PinWaitStats pin_waits_;
};

}  // namespace sigrun::journal
