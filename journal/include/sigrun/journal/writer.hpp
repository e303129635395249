// sigrun/journal/writer.hpp — the single writer of a journal.
//
// Publication follows PROTOCOL.md, "Writing a frame": check the gates (a
// cached minimum, re-read only when about to pass it), check the slot's pin
// count (one acquire load, waiting while it is not 0), invalidate the
// sequence, fill payload and header with relaxed stores, release-store the
// sequence as the last write. No locked instruction per frame, one clock
// read (none when the caller supplies gen_time), and the header's
// last_sequence_hint only every kHintInterval frames.
//
// One Writer per journal, enforced across processes by the Mapping's flock.
// Not thread-safe: one thread writes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "sigrun/journal/error.hpp"
#include "sigrun/journal/format.hpp"
#include "sigrun/journal/mapping.hpp"

namespace sigrun::journal {

struct WriterOptions {
    Geometry geometry{4096, 512};
    // How long write() waits for a pinned slot (then PinTimeoutError) or for
    // a gate that holds the frame it would overwrite (then JournalError
    // gate_timeout). Never overwrites a pinned or gated frame, never waits
    // forever.
    std::chrono::nanoseconds pin_timeout = std::chrono::seconds(1);
};

// What opening an existing journal found and repaired.
struct RecoveryReport {
    std::uint64_t last_sequence = 0;     // last intact published frame
    std::uint64_t frames_intact = 0;     // published frames kept
    std::uint64_t frames_discarded = 0;  // torn or half-written frames dropped (the sum of the next two)
    std::uint64_t frames_damaged = 0;    //   checksum, length or sequence did not check out
    std::uint64_t frames_stale = 0;      //   intact, but older than the ring can hold (a lap behind)
    std::uint64_t first_damaged_slot = 0;// slot index of the first damaged frame (when frames_damaged > 0)
    std::uint64_t stale_pins_cleared = 0;// pins left by a previous owner that died
};

// Waits of the writer for a pinned slot (pin_wait_stats) or a gate
// (gate_wait_stats).
struct WaitStats {
    std::uint64_t waits = 0;             // writes that had to wait
    std::uint64_t timeouts = 0;          // of those, how many gave up
    std::chrono::nanoseconds longest{0}; // longest single wait
};
using PinWaitStats = WaitStats;

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

    // Gating (PROTOCOL.md, "Gating and pins"). `next_to_read` is a
    // consumer's position in this process: the next sequence it will read;
    // it no longer needs anything below it, and it only moves forward
    // (release stores). From now on the writer never overwrites a sequence
    // o unless o < next_to_read, for every gate; it waits up to pin_timeout
    // and then throws JournalError(gate_timeout).
    // Precondition: the writer has not yet overwritten `next_to_read`'s
    // current value (last_sequence() < value + capacity) — register the gate
    // before the writer can reach it, e.g. before the feed starts; throws
    // std::logic_error otherwise. The atomic must outlive every later write.
    // [writer thread, or before the writer thread starts]
    void gate_on(const std::atomic<std::uint64_t>& next_to_read);

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
    // sequence. `gen_time` 0 means "read the clock" (CLOCK_REALTIME, once);
    // a supplied gen_time is raised to the previous frame's if it is older,
    // so gen_time stays non-decreasing. Throws JournalError
    // (payload_too_large, gate_timeout) or PinTimeoutError; after a throw
    // nothing was published and the next write retries the same sequence.
    std::uint64_t write(std::int32_t msg_type, std::span<const std::byte> payload,
                        std::int64_t trigger_time = 0, std::int64_t gen_time = 0);

    template <class Message>
    std::uint64_t write_message(std::int32_t msg_type, const Message& message,
                                std::int64_t trigger_time = 0, std::int64_t gen_time = 0) {
        return write(msg_type, std::as_bytes(std::span(&message, 1)), trigger_time, gen_time);
    }

    // Claims the next slot for a payload of `length` bytes; fill it with
    // Claim::copy_in and call commit() promptly.
    Claim claim(std::int32_t msg_type, std::uint32_t length);
    // Publishes the claimed frame; gen_time as in write().
    std::uint64_t commit(const Claim& claim, std::int64_t trigger_time = 0,
                         std::int64_t gen_time = 0);

    // Stores last_sequence() into the header's hint now (it is otherwise
    // refreshed every kHintInterval frames and when the writer closes).
    // Readers do not need it to find frames; it shortens their probe.
    void flush_hint() noexcept;

    [[nodiscard]] std::uint64_t last_sequence() const noexcept { return next_sequence_ - 1; }
    [[nodiscard]] const RecoveryReport& recovery() const noexcept { return recovery_; }
    [[nodiscard]] const WaitStats& pin_wait_stats() const noexcept { return pin_waits_; }
    [[nodiscard]] const WaitStats& gate_wait_stats() const noexcept { return gate_waits_; }
    [[nodiscard]] const std::shared_ptr<Mapping>& mapping() const noexcept { return mapping_; }
    [[nodiscard]] const Geometry& geometry() const noexcept { return mapping_->geometry(); }

private:
    void recover();
    void check_length(std::uint32_t length) const;
    // G1, W1-W2: waits for the gates and the slot's pins, invalidates the slot.
    FrameHeader& begin_frame(std::uint64_t sequence);
    void wait_for_gates(std::uint64_t sequence);
    void wait_for_pins(FrameHeader& slot, std::uint64_t sequence);
    std::uint64_t min_gate() const noexcept;
    // W4-W6: header fields, checksum, publication, hint.
    // W4: the header fields (relaxed stores).
    static void store_fields(FrameHeader& slot, std::uint32_t length, std::int32_t msg_type, std::int64_t gen_time,
                             std::int64_t trigger_time, std::uint64_t checksum) noexcept;
    // W5-W6 and the prefetch of the slot kPrefetchAhead frames on.
    std::uint64_t publish(FrameHeader& slot, std::uint64_t sequence, std::uint32_t length) noexcept;
    std::int64_t next_gen_time(std::int64_t supplied) noexcept;
    [[nodiscard]] FrameHeader& slot_of(std::uint64_t sequence) const noexcept {
        return *reinterpret_cast<FrameHeader*>(ring_ + ((sequence - 1) & index_mask_) * slot_size_);
    }

    std::shared_ptr<Mapping> mapping_;
    WriterOptions options_;
    // Copied out of the mapping for the hot path.
    std::byte* ring_ = nullptr;
    std::uint64_t slot_size_ = 0;
    std::uint64_t index_mask_ = 0;
    std::uint64_t hint_mask_ = 0;
    // Frames ahead whose slot lines the writer prefetches for writing after
    // each publish (0 = off: a ring too small to keep it clear of a reader).
    std::uint64_t prefetch_ahead_ = 0;     // refresh the hint when (sequence & hint_mask_) == 0
    std::uint32_t max_payload_ = 0;
    std::uint64_t next_sequence_ = 1;
    // First sequence whose write needs the gates re-read: cached min gate +
    // capacity (UINT64_MAX without gates). The common case compares with it
    // and reads nothing shared.
    std::uint64_t gate_limit_ = UINT64_MAX;
    std::vector<const std::atomic<std::uint64_t>*> gates_;
    std::int64_t last_gen_time_ = 0;
    bool claim_open_ = false;
    RecoveryReport recovery_;
    WaitStats pin_waits_;
    WaitStats gate_waits_;
};

}  // namespace sigrun::journal
