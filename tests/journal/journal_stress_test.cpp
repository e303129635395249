// Concurrency stress: many frames, several readers, a writer that laps them;
// and a gated in-place reader pinning frames for another thread while the
// writer laps a small ring. Run under the tsan preset as well: the protocol
// is checked there.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "../support/temp_dir.hpp"
#include "journal_test_util.hpp"
#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"

namespace sigrun::journal {
namespace {

using testing::fill_payload;
using testing::payload_intact;
using testing::payload_length;

// Full size in the default build; shortened (never skipped) under valgrind
// and the sanitizers, which run 10-50x slower.
constexpr std::uint64_t kStressFrames = SIGRUN_TEST_MEMCHECK ? 20'000
                                        : SIGRUN_TEST_SANITIZED ? 200'000
                                                                : 1'000'000;
constexpr std::uint64_t kGatedFrames = SIGRUN_TEST_MEMCHECK ? 5'000
                                       : SIGRUN_TEST_SANITIZED ? 50'000
                                                               : 300'000;

struct ReaderTally {
    std::uint64_t frames = 0;
    std::uint64_t lost = 0;
    std::uint64_t bad = 0;          // torn payload or checksum mismatch
    std::uint64_t out_of_order = 0; // sequence not exactly previous + 1 + lost
};

TEST(JournalStress, Readers_SeeContiguousSequencesOrExactLostCounts) {
    testing::TempDir dir;
    const auto path = dir / "stress.journal";
    // A small ring so the readers are lapped now and then.
    Writer writer(path, WriterOptions{Geometry{1024, 512}, std::chrono::seconds(5)});
    const std::uint32_t max_payload = writer.geometry().max_payload();
    std::atomic<bool> done{false};

    std::vector<ReaderTally> tallies(3);
    // Positioned at frame 1 before the writer starts, so that every frame is
    // either delivered or counted lost. Reader 0 shares the writer's mapping:
    // ThreadSanitizer tracks memory by address, so only a reader at the
    // writer's addresses lets it check the seqlock race. The others map the
    // file again, as another process would.
    std::vector<Reader> cursors;
    cursors.emplace_back(writer.mapping());
    cursors.emplace_back(path);
    cursors.emplace_back(path);
    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < tallies.size(); ++i) {
        readers.emplace_back([&done, &tally = tallies[i], &r = cursors[i], max_payload] {
            std::vector<std::byte> buffer(max_payload);
            std::uint64_t expected = r.position();
            for (;;) {
                const ReadResult res = r.next(buffer);
                if (res.status == ReadStatus::frame) {
                    if (res.info.sequence != expected) ++tally.out_of_order;
                    if (!payload_intact(res.info, buffer.data())) ++tally.bad;
                    expected = res.info.sequence + 1;
                    ++tally.frames;
                } else if (res.status == ReadStatus::lost) {
                    tally.lost += res.lost;
                    expected += res.lost;
                } else if (done.load(std::memory_order_acquire) &&
                           r.position() > r.last_published()) {
                    break;  // the writer is finished and everything was read
                } else {
                    std::this_thread::yield();
                }
            }
        });
    }

    std::vector<std::byte> payload(max_payload);
    for (std::uint64_t seq = 1; seq <= kStressFrames; ++seq) {
        const std::uint32_t length = payload_length(seq, max_payload);
        fill_payload(seq, std::span(payload).first(length));
        ASSERT_EQ(writer.write(3, std::span(payload).first(length)), seq);
    }
    done.store(true, std::memory_order_release);
    for (auto& t : readers) t.join();

    for (const ReaderTally& tally : tallies) {
        EXPECT_EQ(tally.bad, 0u);
        EXPECT_EQ(tally.out_of_order, 0u);
        // Every frame is either delivered or counted lost, exactly once.
        EXPECT_EQ(tally.frames + tally.lost, kStressFrames);
        EXPECT_GT(tally.frames, 0u);
    }
}

// The runner's pattern under load: a gated in-place reader (the dispatcher,
// the journal's pin thread) verifies each frame where it lies, pins some of
// them while its gate still covers them and hands them to another thread (an
// engine keeping frames), which verifies them again, sometimes pins one it
// holds a second time, and releases them later (drops on the shared
// counters of pins added on the pin thread's); it also keeps a few frames
// itself and drops them on the pin thread. A seqlock reader copies
// alongside. The ring is small, so the writer keeps meeting the gate and the
// pins. No frame may ever be seen torn, in place or copied.
TEST(JournalStress, GatedInPlaceReaderAndPinnedFrames_NeverSeeATornFrame) {
    testing::TempDir dir;
    const auto path = dir / "gated.journal";
    Writer writer(path, WriterOptions{Geometry{64, 256}, std::chrono::seconds(20)});
    const std::uint32_t max_payload = writer.geometry().max_payload();
    const auto& mapping = writer.mapping();
    Pins pins(mapping);
    std::atomic<std::uint64_t> gate{1};
    writer.gate_on(gate);
    std::atomic<bool> done{false};

    struct Held {
        std::uint64_t slot;
        FrameInfo info;
    };
    std::mutex handoff_mutex;
    std::vector<Held> handoff;  // consumer -> holder
    std::atomic<bool> consumer_done{false};
    std::atomic<std::uint64_t> torn_in_place{0};
    std::atomic<std::uint64_t> torn_pinned{0};
    std::atomic<std::uint64_t> pinned{0};
    std::uint64_t consumed = 0;
    std::uint64_t consumer_gaps = 0;

    // Both readers start at frame 1, positioned before the writer starts, so
    // every frame is either delivered or counted lost.
    Reader in_place(mapping);
    Reader copying(mapping);
    std::thread consumer([&, &r = in_place] {
        const Pins::PinThread pin_thread(pins);
        std::mt19937_64 rng(99);
        std::deque<Held> own;  // kept by the pin thread itself
        const auto drop_own = [&] {
            const Held h = own.front();
            own.pop_front();
            if (!payload_intact(h.info, mapping->payload(h.slot)) ||
                detail::load(mapping->slot(h.slot).sequence, std::memory_order_relaxed) != h.info.sequence) {
                torn_pinned.fetch_add(1);
            }
            EXPECT_TRUE(pins.release(h.slot));
        };
        std::uint64_t expected = 1;
        while (!(done.load(std::memory_order_acquire) && r.position() > writer.last_sequence())) {
            const InPlaceRead res = r.next_in_place();
            if (res.status == ReadStatus::empty) {
                // Nothing new: the writer may be waiting for one of our own
                // pins (they would otherwise go only as new frames come).
                if (!own.empty()) drop_own();
                std::this_thread::yield();
                continue;
            }
            if (res.status == ReadStatus::lost || res.info.sequence != expected) ++consumer_gaps;
            if (res.status == ReadStatus::frame) {
                if (!payload_intact(res.info, res.payload)) torn_in_place.fetch_add(1);
                const std::uint64_t dice = rng() % 8;
                if (dice == 0) {
                    pins.add(res.slot);  // still covered by the gate
                    const std::lock_guard lock(handoff_mutex);
                    handoff.push_back({res.slot, res.info});
                    pinned.fetch_add(1, std::memory_order_relaxed);
                } else if (dice == 1) {
                    pins.add(res.slot);
                    own.push_back({res.slot, res.info});
                    pinned.fetch_add(1, std::memory_order_relaxed);
                    if (own.size() > 3) drop_own();
                }
                expected = res.info.sequence + 1;
                ++consumed;
            }
            // Done with it (the pin, if any, now keeps it): release-store.
            gate.store(r.position(), std::memory_order_release);
        }
        while (!own.empty()) drop_own();
        consumer_done.store(true, std::memory_order_release);
    });
    std::thread holder([&] {
        std::mt19937_64 rng(7);
        std::vector<Held> held;
        for (;;) {
            const bool last_round = consumer_done.load(std::memory_order_acquire);
            {
                const std::lock_guard lock(handoff_mutex);
                held.insert(held.end(), handoff.begin(), handoff.end());
                handoff.clear();
            }
            // Keep up to 6 frames, releasing a random one now and then.
            while (!held.empty() && (last_round || held.size() > 6 || rng() % 4 == 0)) {
                const std::size_t pick = rng() % held.size();
                const Held h = held[pick];
                if (rng() % 3 == 0) {
                    pins.add(h.slot);  // a second pin by a holder: allowed, then dropped at once
                    EXPECT_TRUE(pins.release(h.slot));
                }
                if (!payload_intact(h.info, mapping->payload(h.slot)) ||
                    detail::load(mapping->slot(h.slot).sequence, std::memory_order_relaxed) != h.info.sequence) {
                    torn_pinned.fetch_add(1);
                }
                EXPECT_TRUE(pins.release(h.slot));
                held.erase(held.begin() + static_cast<std::ptrdiff_t>(pick));
            }
            if (last_round) break;
            std::this_thread::yield();
        }
    });
    ReaderTally copied;
    std::thread copier([&, &r = copying] {
        std::vector<std::byte> buffer(max_payload);
        std::uint64_t expected = r.position();
        for (;;) {
            const ReadResult res = r.next(buffer);
            if (res.status == ReadStatus::frame) {
                if (res.info.sequence != expected) ++copied.out_of_order;
                if (!payload_intact(res.info, buffer.data())) ++copied.bad;
                expected = res.info.sequence + 1;
                ++copied.frames;
            } else if (res.status == ReadStatus::lost) {
                copied.lost += res.lost;
                expected += res.lost;
            } else if (done.load(std::memory_order_acquire) && r.position() > r.last_published()) {
                break;
            } else {
                std::this_thread::yield();
            }
        }
    });

    std::vector<std::byte> payload(max_payload);
    for (std::uint64_t seq = 1; seq <= kGatedFrames; ++seq) {
        const std::uint32_t length = payload_length(seq, max_payload);
        fill_payload(seq, std::span(payload).first(length));
        ASSERT_EQ(writer.write(3, std::span(payload).first(length)), seq);
    }
    done.store(true, std::memory_order_release);
    consumer.join();
    holder.join();
    copier.join();

    EXPECT_EQ(torn_in_place.load(), 0u);
    EXPECT_EQ(torn_pinned.load(), 0u);
    EXPECT_EQ(consumed, kGatedFrames) << "the gate must keep the writer from lapping its consumer";
    EXPECT_EQ(consumer_gaps, 0u);
    EXPECT_GT(pinned.load(), 0u);
    EXPECT_EQ(pins.pinned_slots(), 0u);
    EXPECT_EQ(copied.bad, 0u);
    EXPECT_EQ(copied.out_of_order, 0u);
    EXPECT_EQ(copied.frames + copied.lost, kGatedFrames);
    EXPECT_GT(writer.gate_wait_stats().waits, 0u) << "the writer never met the gate";
}

}  // namespace
}  // namespace sigrun::journal
