// channels.hpp — the 1 writer -> 1 reader channels bench_peers and
// latency_peers compare, behind one interface:
//
//   C<N>(std::size_t N)                      // N payload bytes per message
//   bool try_send(const Message&)            [writer thread] false when full
//   bool try_receive(F f)                    [reader thread] false when empty;
//                                            f(const std::byte* payload) on a frame
//   std::uint64_t lost()                     frames the reader lost (journal only)
//
// Same capacity everywhere (kCapacity messages); each channel moves exactly
// N bytes per message.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <boost/lockfree/spsc_queue.hpp>
#include <readerwriterqueue.h>

#include "bench_support.hpp"
#include "journal_adapter.hpp"
#include "spsc_ring.hpp"

namespace sigrun::bench {

inline constexpr std::size_t kCapacity = 4096;  // messages in flight at most, every channel
inline constexpr std::int32_t kMsgType = 101;

// A payload of N bytes; the writer's timestamp is in the first 8 bytes.
template <std::size_t N>
struct alignas(8) Message {
    static_assert(N >= 16);
    std::array<std::byte, N> bytes{};
};

inline void put_stamp(std::byte* payload, std::uint64_t stamp) noexcept { std::memcpy(payload, &stamp, 8); }
inline std::uint64_t get_stamp(const std::byte* payload) noexcept {
    std::uint64_t s;
    std::memcpy(&s, payload, 8);
    return s;
}

// A private directory under /dev/shm (or TMPDIR), removed afterwards.
class ScratchDir {
public:
    ScratchDir() {
        namespace fs = std::filesystem;
        const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        std::string pattern = (base / "sigrun-bench-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed under " + base.string());
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

// sigrun's journal: kCapacity slots of the smallest size that holds an N-byte
// payload (kSlotSize: the 64-byte frame header + N, in whole cache lines).
// kInPlace false: the reader maps the file read-only and copies each frame
// out (Reader::next). true: it reads in place through the owner's mapping,
// as the dispatcher does. Flow control is the same gating rule for both: the
// writer never writes sequence s unless s < next_to_read + capacity, and,
// like the peers' cached indices, re-reads next_to_read only when its cached
// copy says the ring is full.
//
// Clocks: the writer passes the payload's stamp (the first 8 bytes, put
// there by the benchmark: Clock::now() in latency_peers, a non-zero counter
// in bench_peers) as the frame's gen_time, so the journal reads exactly as
// many clocks per message as the peers do (one, or none), not one more.
// kOwnClock (the `journal_clock` rows) passes gen_time 0 instead: the writer
// reads CLOCK_REALTIME itself, as the runner's feed does today — the
// difference between the two rows is the price of that clock read.
template <bool kInPlace, std::size_t N, bool kOwnClock = false>
class JournalChannel {
public:
    static constexpr const char* kName = kOwnClock ? "journal_clock" : "journal";
    static constexpr const char* kVariant = kInPlace ? "in_place" : "copy";
    static constexpr std::uint32_t kSlotSize = static_cast<std::uint32_t>((64 + N + 63) / 64 * 64);

    explicit JournalChannel(std::size_t /*payload_bytes*/)
        // The smallest slot that holds the payload (frame header + payload,
        // rounded up to a cache line), as an operator sizes a journal: the
        // peers hold N-byte elements, so the same capacity means the same
        // kind of footprint (128 B slots for 64 B, 448 B for 384 B).
        : writer_(dir_.path() / "bench.journal", journal_api::writer_options({kCapacity, kSlotSize})),
          reader_(kInPlace ? journal_api::in_place_reader(writer_)
                           : journal_api::copy_reader(dir_.path() / "bench.journal")),
          buffer_(kInPlace ? 0 : reader_.geometry().max_payload()) {
        if (kInPlace) journal_api::gate(writer_, next_to_read_.value);
    }

    bool try_send(const Message<N>& m) {
        if (written_ + 1 >= gate_cache_ + kCapacity) {
            gate_cache_ = next_to_read_.value.load(std::memory_order_acquire);  // pairs with the reader's release
            if (written_ + 1 >= gate_cache_ + kCapacity) return false;
        }
        const std::int64_t gen_time = kOwnClock ? 0 : static_cast<std::int64_t>(get_stamp(m.bytes.data()));
        written_ = journal_api::write(writer_, kMsgType, std::span(m.bytes.data(), N), gen_time);
        return true;
    }

    template <class F>
    bool try_receive(F&& f) {
        const auto on_frame = [&](const std::byte* payload, const journal_api::FrameInfo&) { f(payload); };
        const journal_api::Step s = kInPlace ? journal_api::read_in_place(reader_, on_frame)
                                             : journal_api::read_copy(reader_, buffer_, on_frame);
        if (s.status == journal_api::ReadStatus::empty) return false;
        if (s.lost != 0) lost_.fetch_add(s.lost, std::memory_order_relaxed);
        // release: the frame is done with (pairs with the writer's acquire)
        next_to_read_.value.store(reader_.position(), std::memory_order_release);
        return s.status == journal_api::ReadStatus::frame;
    }

    [[nodiscard]] std::uint64_t lost() const noexcept { return lost_.load(std::memory_order_relaxed); }

private:
    struct alignas(kCacheLine) Padded {
        std::atomic<std::uint64_t> value{1};
    };
    ScratchDir dir_;
    journal_api::Writer writer_;
    std::uint64_t written_ = 0;     // writer: last sequence written
    std::uint64_t gate_cache_ = 1;  // writer: cached next_to_read
    alignas(kCacheLine) journal_api::Reader reader_;
    std::vector<std::byte> buffer_;
    std::atomic<std::uint64_t> lost_{0};
    Padded next_to_read_;
};

template <std::size_t N>
using JournalCopy = JournalChannel<false, N>;
template <std::size_t N>
using JournalInPlace = JournalChannel<true, N>;
// In place, the writer reading its own clock (gen_time 0).
template <std::size_t N>
using JournalClockInPlace = JournalChannel<true, N, true>;

// boost::lockfree::spsc_queue (run-time capacity, copy in / copy out).
template <std::size_t N>
class BoostChannel {
public:
    static constexpr const char* kName = "boost_spsc";
    static constexpr const char* kVariant = "copy";
    explicit BoostChannel(std::size_t /*payload_bytes*/) : q_(kCapacity) {}
    bool try_send(const Message<N>& m) { return q_.push(m); }
    template <class F>
    bool try_receive(F&& f) {
        if (!q_.pop(out_)) return false;
        f(out_.bytes.data());
        return true;
    }
    [[nodiscard]] std::uint64_t lost() const noexcept { return 0; }

private:
    boost::lockfree::spsc_queue<Message<N>> q_;
    Message<N> out_;
};

// moodycamel::ReaderWriterQueue, try_enqueue (never allocates) / try_dequeue.
template <std::size_t N>
class RwQueueChannel {
public:
    static constexpr const char* kName = "rwqueue";
    static constexpr const char* kVariant = "copy";
    explicit RwQueueChannel(std::size_t /*payload_bytes*/) : q_(kCapacity) {}
    bool try_send(const Message<N>& m) { return q_.try_enqueue(m); }
    template <class F>
    bool try_receive(F&& f) {
        if (!q_.try_dequeue(out_)) return false;
        f(out_.bytes.data());
        return true;
    }
    [[nodiscard]] std::uint64_t lost() const noexcept { return 0; }

private:
    moodycamel::ReaderWriterQueue<Message<N>> q_;
    Message<N> out_;
};

// The padded, index-caching ring of spsc_ring.hpp.
template <std::size_t N>
class RingChannel {
public:
    static constexpr const char* kName = "spsc_ring";
    static constexpr const char* kVariant = "copy";
    explicit RingChannel(std::size_t /*payload_bytes*/) : q_(kCapacity) {}
    bool try_send(const Message<N>& m) { return q_.try_push(m); }
    template <class F>
    bool try_receive(F&& f) {
        if (!q_.try_pop(out_)) return false;
        f(out_.bytes.data());
        return true;
    }
    [[nodiscard]] std::uint64_t lost() const noexcept { return 0; }

private:
    SpscRing<Message<N>> q_;
    Message<N> out_;
};

}  // namespace sigrun::bench
