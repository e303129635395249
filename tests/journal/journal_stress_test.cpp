// Concurrency stress: many frames, several readers, a writer that laps them;
// and the pin race, where readers pin random frames while the writer laps the
// ring. Run under the tsan preset as well: the protocol is proven there.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "../support/temp_dir.hpp"
#include "journal_test_util.hpp"
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
                                        : SIGRUN_TEST_SANITIZED ? 1'000'000
                                                                : 5'000'000;
constexpr std::uint64_t kPinRaceFrames = SIGRUN_TEST_MEMCHECK ? 5'000
                                         : SIGRUN_TEST_SANITIZED ? 50'000
                                                                 : 200'000;

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

// Readers pin random recent frames and hold them for a while; the writer laps
// the ring continuously. A held payload must stay intact until released.
TEST(JournalStress, PinnedFrames_StayIntactWhileTheWriterLaps) {
    testing::TempDir dir;
    const auto path = dir / "pins.journal";
    Writer writer(path, WriterOptions{Geometry{1024, 256}, std::chrono::seconds(20)});
    const std::uint32_t max_payload = writer.geometry().max_payload();
    Pins pins(writer.mapping());
    Reader probe(writer.mapping());
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> pinned_ok{0};
    std::atomic<std::uint64_t> corrupted{0};

    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&, t] {
            std::mt19937_64 rng(1234 + t);
            struct Held {
                std::uint64_t sequence;
                std::uint64_t index;
                FrameInfo info;
            };
            std::vector<Held> held;
            const auto& g = writer.geometry();
            while (!done.load(std::memory_order_acquire)) {
                const std::uint64_t last = probe.last_published();
                if (last == 0) continue;
                // Pin within the newer half of the ring: held frames block the
                // writer now and then, not on every lap.
                const std::uint64_t back = rng() % (g.capacity / 2);
                const std::uint64_t sequence = last > back ? last - back : 1;
                if (pins.retain(sequence)) {
                    const std::uint64_t index = g.slot_index(sequence);
                    const FrameHeader& h = writer.mapping()->slot(index);
                    FrameInfo info{sequence, h.msg_type, h.length, h.gen_time, h.trigger_time, h.checksum};
                    held.push_back({sequence, index, info});
                    pinned_ok.fetch_add(1, std::memory_order_relaxed);
                }
                // Hold up to 3 frames; verify each one again as it is released.
                if (held.size() > 2 || (!held.empty() && rng() % 2 == 0)) {
                    const std::size_t pick = rng() % held.size();
                    const Held h = held[pick];
                    if (!payload_intact(h.info, writer.mapping()->payload(h.index)) ||
                        writer.mapping()->slot(h.index).sequence != h.sequence) {
                        corrupted.fetch_add(1);
                    }
                    pins.release(h.index);
                    held.erase(held.begin() + static_cast<std::ptrdiff_t>(pick));
                }
            }
            for (const Held& h : held) pins.release(h.index);
        });
    }
    std::vector<std::byte> payload(max_payload);
    // kPinRaceFrames at least, and on until the writer has met a pinned slot:
    // under valgrind the threads take turns and the readers may not have run
    // during the first laps. Bounded, so a writer that never meets a pin ends
    // the test (and fails it below) instead of looping forever.
    const std::uint64_t most = 20 * kPinRaceFrames;
    for (std::uint64_t seq = 1; seq <= most && (seq <= kPinRaceFrames || writer.pin_wait_stats().waits == 0);
         ++seq) {
        const std::uint32_t length = payload_length(seq, max_payload);
        fill_payload(seq, std::span(payload).first(length));
        writer.write(3, std::span(payload).first(length));
    }
    done.store(true, std::memory_order_release);
    for (auto& t : readers) t.join();
    EXPECT_EQ(corrupted.load(), 0u);
    EXPECT_GT(pinned_ok.load(), 0u);
    EXPECT_EQ(pins.pinned_slots(), 0u);
    EXPECT_GT(writer.pin_wait_stats().waits, 0u) << "the writer never met a pinned slot";
}

}  // namespace
}  // namespace sigrun::journal
