// Writer/Reader round trips, positioning and lapping, in one process.
#include <gtest/gtest.h>

#include <vector>

#include "../support/temp_dir.hpp"
#include "journal_test_util.hpp"
#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"

namespace sigrun::journal {
namespace {

using testing::make_payload;
using testing::payload_intact;

class JournalReadWrite : public ::testing::Test {
protected:
    testing::TempDir dir;
    std::filesystem::path path = dir / "md.journal";
    WriterOptions options{Geometry{8, 256}, std::chrono::milliseconds(200)};
    std::vector<std::byte> buffer = std::vector<std::byte>(256);

    std::uint64_t write_frame(Writer& w, std::uint32_t length = 40) {
        const auto seq = w.last_sequence() + 1;
        return w.write(7, make_payload(seq, length), /*trigger_time=*/static_cast<std::int64_t>(seq) * 10);
    }
};

TEST_F(JournalReadWrite, Reader_ReturnsFramesInOrderWithTheirPayload) {
    Writer w(path, options);
    for (int i = 0; i < 5; ++i) write_frame(w, 8 + 16 * i);
    Reader r(path);
    for (std::uint64_t seq = 1; seq <= 5; ++seq) {
        const ReadResult res = r.next(buffer);
        ASSERT_EQ(res.status, ReadStatus::frame);
        EXPECT_EQ(res.info.sequence, seq);
        EXPECT_EQ(res.info.msg_type, 7);
        EXPECT_EQ(res.info.length, 8 + 16 * (seq - 1));
        EXPECT_EQ(res.info.trigger_time, static_cast<std::int64_t>(seq) * 10);
        EXPECT_TRUE(payload_intact(res.info, buffer.data()));
    }
    EXPECT_EQ(r.next(buffer).status, ReadStatus::empty);
}

TEST_F(JournalReadWrite, Reader_IsEmptyOnAFreshJournalAndSeesLaterWrites) {
    Writer w(path, options);
    Reader r(path);
    EXPECT_EQ(r.next(buffer).status, ReadStatus::empty);
    write_frame(w);
    const ReadResult res = r.next(buffer);
    ASSERT_EQ(res.status, ReadStatus::frame);
    EXPECT_EQ(res.info.sequence, 1u);
}

TEST_F(JournalReadWrite, ClaimCommit_PublishesWhatWasWrittenInPlace) {
    Writer w(path, options);
    Writer::Claim c = w.claim(9, 24);
    Reader r(path);
    EXPECT_EQ(r.next(buffer).status, ReadStatus::empty) << "a claimed frame is not yet published";
    const auto bytes = make_payload(c.sequence(), 24);
    c.copy_in(0, bytes);
    EXPECT_EQ(w.commit(c), 1u);
    const ReadResult res = r.next(buffer);
    ASSERT_EQ(res.status, ReadStatus::frame);
    EXPECT_EQ(res.info.msg_type, 9);
    EXPECT_TRUE(payload_intact(res.info, buffer.data()));
}

TEST_F(JournalReadWrite, ClaimCopyIn_RefusesBytesPastTheClaimedLength) {
    Writer w(path, options);
    const Writer::Claim c = w.claim(9, 16);
    const std::vector<std::byte> bytes(8);
    EXPECT_NO_THROW(c.copy_in(8, bytes));
    EXPECT_THROW(c.copy_in(9, bytes), std::out_of_range);
    EXPECT_THROW(c.copy_in(17, {}), std::out_of_range);
    w.commit(c);
}

TEST_F(JournalReadWrite, Writer_StampsNonDecreasingGenTimes) {
    Writer w(path, options);
    for (int i = 0; i < 6; ++i) write_frame(w);
    Reader r(path);
    r.seek_sequence(3);
    std::int64_t previous = 0;
    for (ReadResult res = r.next(buffer); res.status == ReadStatus::frame; res = r.next(buffer)) {
        EXPECT_GE(res.info.gen_time, previous);
        EXPECT_GT(res.info.gen_time, 0);
        previous = res.info.gen_time;
    }
}

TEST_F(JournalReadWrite, Reader_ReportsExactLostCountWhenLapped) {
    Writer w(path, options);  // 8 slots
    Reader r(path);
    for (int i = 0; i < 20; ++i) write_frame(w);
    // 8 slots: frames 1..12 were overwritten, 13..20 remain.
    const ReadResult lost = r.next(buffer);
    ASSERT_EQ(lost.status, ReadStatus::lost);
    EXPECT_EQ(lost.lost, 12u);
    std::uint64_t expected = 13;
    for (ReadResult res = r.next(buffer); res.status != ReadStatus::empty; res = r.next(buffer)) {
        ASSERT_EQ(res.status, ReadStatus::frame);
        EXPECT_EQ(res.info.sequence, expected++);
        EXPECT_TRUE(payload_intact(res.info, buffer.data()));
    }
    EXPECT_EQ(expected, 21u);
}

TEST_F(JournalReadWrite, Reader_DetectsASlotOverwrittenAfterItWasChosen) {
    Writer w(path, options);
    for (int i = 0; i < 8; ++i) write_frame(w);
    Reader r(path);
    r.seek_sequence(2);
    for (int i = 0; i < 2; ++i) write_frame(w);  // 9 and 10 overwrite 1 and 2
    const ReadResult res = r.next(buffer);
    ASSERT_EQ(res.status, ReadStatus::lost);
    EXPECT_EQ(res.lost, 1u);
    const ReadResult then = r.next(buffer);
    ASSERT_EQ(then.status, ReadStatus::frame);
    EXPECT_EQ(then.info.sequence, 3u);
}

TEST_F(JournalReadWrite, Seek_PositionsAtOldestLatestEndSequenceAndTime) {
    Writer w(path, options);
    std::vector<std::int64_t> gen_times;
    for (int i = 0; i < 12; ++i) write_frame(w);
    Reader r(path);
    for (std::uint64_t s = 5; s <= 12; ++s) {
        r.seek_sequence(s);
        gen_times.push_back(r.next(buffer).info.gen_time);
    }
    r.seek_oldest();
    EXPECT_EQ(r.position(), 5u);
    r.seek_latest();
    EXPECT_EQ(r.next(buffer).info.sequence, 12u);
    r.seek_end();
    EXPECT_EQ(r.next(buffer).status, ReadStatus::empty);
    r.seek_sequence(9);
    EXPECT_EQ(r.next(buffer).info.sequence, 9u);
    r.seek_time(gen_times[3]);  // gen_time of frame 8 (first frame with that time)
    const auto found = r.next(buffer);
    EXPECT_LE(found.info.sequence, 8u);
    EXPECT_EQ(found.info.gen_time, gen_times[3]);
    r.seek_time(gen_times.back() + 1);
    EXPECT_EQ(r.next(buffer).status, ReadStatus::empty);
}

TEST_F(JournalReadWrite, Reader_RejectsABufferSmallerThanTheLargestFrame) {
    Writer w(path, options);
    Reader r(path);
    std::vector<std::byte> small(16);
    EXPECT_THROW(r.next(small), std::invalid_argument);
}

TEST_F(JournalReadWrite, ReadOnlyReader_CannotReadInPlace) {
    Writer w(path, options);
    write_frame(w);
    Reader r(path);
    EXPECT_THROW((void)r.next_in_place(), std::logic_error);
}

TEST_F(JournalReadWrite, InPlaceReader_ReturnsTheFrameInItsSlotWithoutPinning) {
    Writer w(path, options);
    write_frame(w, 100);
    Reader r(w.mapping());
    Pins pins(w.mapping());
    const InPlaceRead res = r.next_in_place();
    ASSERT_EQ(res.status, ReadStatus::frame);
    EXPECT_EQ(res.info.sequence, 1u);
    EXPECT_EQ(res.slot, 0u);
    EXPECT_EQ(res.payload, w.mapping()->payload(0));
    EXPECT_TRUE(payload_intact(res.info, res.payload));
    EXPECT_EQ(pins.pinned_slots(), 0u);
    EXPECT_EQ(r.next_in_place().status, ReadStatus::empty);
}

TEST_F(JournalReadWrite, Writer_UsesASuppliedGenTimeAndKeepsItNonDecreasing) {
    Writer w(path, options);
    const auto bytes = make_payload(1, 16);
    w.write(7, bytes, 5, /*gen_time=*/1'000);
    w.write(7, bytes, 5, /*gen_time=*/900);  // older than the previous frame: raised
    w.write(7, bytes, 5, /*gen_time=*/2'000);
    Writer::Claim c = w.claim(7, 16);
    c.copy_in(0, bytes);
    w.commit(c, 5, /*gen_time=*/3'000);
    Reader r(path);
    std::vector<std::int64_t> times;
    for (ReadResult res = r.next(buffer); res.status == ReadStatus::frame; res = r.next(buffer)) {
        times.push_back(res.info.gen_time);
    }
    EXPECT_EQ(times, (std::vector<std::int64_t>{1'000, 1'000, 2'000, 3'000}));
}

TEST_F(JournalReadWrite, Reader_FindsFramesPastAStaleHeaderHint) {
    Writer w(path, options);
    for (int i = 0; i < 5; ++i) write_frame(w);
    // The hint is refreshed every kHintInterval frames: still 0 here.
    EXPECT_EQ(detail::load(w.mapping()->header().last_sequence_hint, std::memory_order_relaxed), 0u);
    Reader r(path);
    EXPECT_EQ(r.last_published(), 5u);
    for (std::uint64_t seq = 1; seq <= 5; ++seq) EXPECT_EQ(r.next(buffer).info.sequence, seq);
    EXPECT_EQ(r.next(buffer).status, ReadStatus::empty);
    w.flush_hint();
    EXPECT_EQ(detail::load(w.mapping()->header().last_sequence_hint, std::memory_order_relaxed), 5u);
}

TEST_F(JournalReadWrite, Reader_IsNotMisledByADamagedHeaderHint) {
    Writer w(path, options);  // 8 slots
    for (int i = 0; i < 20; ++i) write_frame(w);
    auto& hint = w.mapping()->header().last_sequence_hint;
    // Far behind (laps ago): the probe follows the slots to the real end.
    detail::store(hint, std::uint64_t{1}, std::memory_order_relaxed);
    EXPECT_EQ(Reader(path).last_published(), 20u);
    // Ahead of anything written: its slot holds an older frame, so it is ignored.
    detail::store(hint, std::uint64_t{1'000'003}, std::memory_order_relaxed);
    Reader r(path);
    EXPECT_EQ(r.last_published(), 20u);
    r.seek_oldest();
    for (std::uint64_t seq = 13; seq <= 20; ++seq) {
        const ReadResult res = r.next(buffer);
        ASSERT_EQ(res.status, ReadStatus::frame);
        EXPECT_EQ(res.info.sequence, seq);
    }
    EXPECT_EQ(r.next(buffer).status, ReadStatus::empty);
    // Near 2^64: clamped, no sequence arithmetic wraps.
    detail::store(hint, ~std::uint64_t{0}, std::memory_order_relaxed);
    EXPECT_LE(Reader(path).last_published(), kMaxSequence);
}

TEST_F(JournalReadWrite, Reader_SkipsADiscardedSlotInTheMiddleWithoutStalling) {
    Writer w(path, options);
    for (int i = 0; i < 6; ++i) write_frame(w);
    w.flush_hint();
    // Frame 3's slot lost its frame (as recovery leaves a damaged one).
    detail::store(w.mapping()->slot(2).sequence, kNoSequence, std::memory_order_relaxed);
    for (bool in_place : {false, true}) {
        Reader r(w.mapping());
        std::vector<std::uint64_t> seen;
        std::uint64_t lost = 0;
        std::uint64_t damaged = 0;
        std::uint64_t damaged_at = 0;
        for (int reads = 0; reads < 20; ++reads) {
            ReadStatus status;
            std::uint64_t sequence = 0;
            std::uint64_t n = 0;
            if (in_place) {
                const InPlaceRead res = r.next_in_place();
                status = res.status, sequence = res.info.sequence, n = res.lost;
            } else {
                const ReadResult res = r.next(buffer);
                status = res.status, sequence = res.info.sequence, n = res.lost;
            }
            if (status == ReadStatus::empty) break;
            if (status == ReadStatus::lost) lost += n;
            if (status == ReadStatus::damaged) damaged += n, damaged_at = sequence;
            if (status == ReadStatus::frame) seen.push_back(sequence);
        }
        EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 4, 5, 6})) << "in place: " << in_place;
        // Inside the ring, not lapped: reported as damaged (never as lost,
        // which would blame the writer lapping the reader).
        EXPECT_EQ(lost, 0u) << "in place: " << in_place;
        EXPECT_EQ(damaged, 1u) << "in place: " << in_place;
        EXPECT_EQ(damaged_at, 3u) << "in place: " << in_place;
    }
}

TEST_F(JournalReadWrite, Reader_ReportsEmptyWhileTheNextSlotIsBeingWritten) {
    Writer w(path, options);
    for (int i = 0; i < 10; ++i) write_frame(w);  // slot of 11 holds 3
    Reader r(path);
    r.seek_end();
    Writer::Claim c = w.claim(7, 16);  // 11: its slot now holds sequence 0
    EXPECT_EQ(r.next(buffer).status, ReadStatus::empty);
    c.copy_in(0, make_payload(11, 16));
    w.commit(c);
    EXPECT_EQ(r.next(buffer).info.sequence, 11u);
}

}  // namespace
}  // namespace sigrun::journal
