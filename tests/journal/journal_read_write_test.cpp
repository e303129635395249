// Writer/Reader round trips, positioning and lapping, in one process.
#include <gtest/gtest.h>

#include <vector>

#include "../support/temp_dir.hpp"
#include "journal_test_util.hpp"
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

TEST_F(JournalReadWrite, ReadOnlyReader_CannotPin) {
    Writer w(path, options);
    write_frame(w);
    Reader r(path);
    EXPECT_THROW(r.next_pinned(), std::logic_error);
}

TEST_F(JournalReadWrite, PinnedReader_ReadsInPlaceAndReleasesOnDestruction) {
    Writer w(path, options);
    write_frame(w, 100);
    Reader r(w.mapping());
    Pins pins(w.mapping());
    {
        PinnedRead res = r.next_pinned();
        ASSERT_EQ(res.status, ReadStatus::frame);
        EXPECT_TRUE(payload_intact(res.info, res.frame.payload()));
        EXPECT_EQ(pins.count(res.frame.slot_index()), 1u);
    }
    EXPECT_EQ(pins.pinned_slots(), 0u);
    EXPECT_EQ(r.next_pinned().status, ReadStatus::empty);
}

}  // namespace
}  // namespace sigrun::journal
