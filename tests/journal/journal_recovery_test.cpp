// Reopening after a crash keeps every published frame, discards a
// half-written one and clears stale pins.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "../support/temp_dir.hpp"
#include "journal_test_util.hpp"
#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/checksum.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"

namespace sigrun::journal {
namespace {

using testing::make_payload;
using testing::payload_intact;
using testing::payload_length;

class JournalRecovery : public ::testing::Test {
protected:
    testing::TempDir dir;
    std::filesystem::path path = dir / "md.journal";
    WriterOptions options{Geometry{64, 512}, std::chrono::milliseconds(100)};

    static std::uint64_t write_frame(Writer& w) {
        const auto seq = w.last_sequence() + 1;
        return w.write(1, make_payload(seq, payload_length(seq, w.geometry().max_payload())));
    }

    // Reads every frame from the oldest on; returns the sequences seen and
    // fails the test on a torn payload.
    std::vector<std::uint64_t> read_all() {
        Reader r(path);
        std::vector<std::byte> buffer(options.geometry.max_payload());
        std::vector<std::uint64_t> seen;
        for (ReadResult res = r.next(buffer); res.status != ReadStatus::empty; res = r.next(buffer)) {
            if (res.status != ReadStatus::frame) continue;
            EXPECT_TRUE(payload_intact(res.info, buffer.data())) << "frame " << res.info.sequence;
            seen.push_back(res.info.sequence);
        }
        return seen;
    }
};

TEST_F(JournalRecovery, Reopen_KeepsEveryPublishedFrameAndContinuesTheSequence) {
    {
        Writer w(path, options);
        for (int i = 0; i < 100; ++i) write_frame(w);
    }
    Writer w(path, options);
    EXPECT_EQ(w.recovery().last_sequence, 100u);
    EXPECT_EQ(w.recovery().frames_intact, 64u);
    EXPECT_EQ(w.recovery().frames_discarded, 0u);
    EXPECT_EQ(write_frame(w), 101u);
    const auto seen = read_all();
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back(), 101u);
}

TEST_F(JournalRecovery, Reopen_DiscardsAFrameWhosePayloadDoesNotMatchItsChecksum) {
    {
        Writer w(path, options);
        for (int i = 0; i < 10; ++i) write_frame(w);
    }
    {
        // Flip a payload byte of frame 10 as a lost page write would.
        auto m = Mapping::open_owner(path, options.geometry);
        m->payload(9)[3] ^= std::byte{0xFF};
    }
    Writer w(path, options);
    EXPECT_EQ(w.recovery().frames_discarded, 1u);
    EXPECT_EQ(w.recovery().last_sequence, 9u);
    EXPECT_EQ(write_frame(w), 10u);
}

TEST_F(JournalRecovery, NewFile_SkipsTheRecoveryScan) {
    Writer w(path, options);
    EXPECT_TRUE(w.mapping()->created());
    EXPECT_EQ(w.recovery().frames_intact + w.recovery().frames_discarded, 0u);
    EXPECT_EQ(write_frame(w), 1u);
}

TEST_F(JournalRecovery, Reopen_DiscardsAFrameWithAFlippedHeaderField) {
    {
        Writer w(path, options);
        for (int i = 0; i < 10; ++i) write_frame(w);
    }
    {
        // One bit of a different identity field in each of frames 4-8.
        auto m = Mapping::open_owner(path, options.geometry);
        m->slot(3).length ^= 1u;
        m->slot(4).msg_type ^= 1 << 7;
        m->slot(5).gen_time ^= std::int64_t{1} << 40;
        m->slot(6).trigger_time ^= 1;
        m->slot(7).checksum ^= std::uint64_t{1} << 63;
    }
    Writer w(path, options);
    EXPECT_EQ(w.recovery().frames_discarded, 5u);
    EXPECT_EQ(w.recovery().frames_intact, 5u);
    EXPECT_EQ(w.recovery().last_sequence, 10u);
    EXPECT_EQ(read_all(), (std::vector<std::uint64_t>{1, 2, 3, 9, 10}));
}

TEST(JournalChecksum, ChangesWhenAnyBitOfThePayloadOrAnIdentityFieldFlips) {
    const std::uint32_t length = 384;
    auto payload = make_payload(42, length);
    const std::uint64_t good = frame_checksum(42, length, 101, 1'000, 2'000, payload.data());
    for (std::uint32_t i = 0; i < length; ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            payload[i] ^= std::byte{1} << bit;
            EXPECT_NE(frame_checksum(42, length, 101, 1'000, 2'000, payload.data()), good) << i << ":" << bit;
            payload[i] ^= std::byte{1} << bit;
        }
    }
    for (int bit = 0; bit < 64; ++bit) {
        const std::uint64_t b = std::uint64_t{1} << bit;
        EXPECT_NE(frame_checksum(42 ^ b, length, 101, 1'000, 2'000, payload.data()), good);
        EXPECT_NE(frame_checksum(42, length, 101, static_cast<std::int64_t>(1'000 ^ b), 2'000, payload.data()), good);
        EXPECT_NE(frame_checksum(42, length, 101, 1'000, static_cast<std::int64_t>(2'000 ^ b), payload.data()), good);
        if (bit < 32) {
            EXPECT_NE(frame_checksum(42, length, 101 ^ static_cast<std::int32_t>(b), 1'000, 2'000, payload.data()), good);
            // A shorter length covers fewer bytes; the field still counts.
            if ((length ^ b) < length) {
                EXPECT_NE(frame_checksum(42, static_cast<std::uint32_t>(length ^ b), 101, 1'000, 2'000, payload.data()), good);
            }
        }
    }
}

TEST_F(JournalRecovery, Reopen_ClearsStalePinsLeftByADeadOwner) {
    {
        Writer w(path, options);
        for (int i = 0; i < 3; ++i) write_frame(w);
        Pins pins(w.mapping());
        pins.add(1);  // frame 2
        pins.add(1);
        // Owner "dies" without releasing.
    }
    Writer w(path, options);
    EXPECT_EQ(w.recovery().stale_pins_cleared, 2u);
    EXPECT_EQ(Pins(w.mapping()).pinned_slots(), 0u);
}

TEST_F(JournalRecovery, Reopen_DiscardsAnAbandonedClaim) {
    {
        Writer w(path, options);
        for (int i = 0; i < 5; ++i) write_frame(w);
        Writer::Claim c = w.claim(1, 100);
        c.copy_in(0, std::vector<std::byte>(50, std::byte{0xAB}));  // dies half-way
    }
    Writer w(path, options);
    EXPECT_EQ(w.recovery().last_sequence, 5u);
    EXPECT_EQ(read_all(), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
}

// A forked writer is SIGKILLed while writing flat out; the parent reopens
// the journal: every frame up to the last published one is intact, none torn.
TEST_F(JournalRecovery, WriterKilledMidWrite_LosesNoPublishedFrame) {
    // Shared counter so the parent knows the child is well into writing.
    auto* published = static_cast<std::atomic<std::uint64_t>*>(
        ::mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(published, MAP_FAILED);
    new (published) std::atomic<std::uint64_t>(0);

    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        Writer w(path, options);
        for (;;) published->store(write_frame(w), std::memory_order_release);
    }
    while (published->load(std::memory_order_acquire) < 5000) std::this_thread::yield();
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    const std::uint64_t at_least = published->load();
    ::munmap(published, sizeof(std::atomic<std::uint64_t>));

    Writer w(path, options);
    const std::uint64_t last = w.recovery().last_sequence;
    EXPECT_GE(last, at_least);
    EXPECT_LE(last, at_least + 1) << "at most the frame in flight was published after the counter";
    EXPECT_LE(w.recovery().frames_discarded, 1u);
    EXPECT_EQ(w.recovery().stale_pins_cleared, 0u);
    const auto seen = read_all();
    // Contiguous up to the last published frame; at most the one slot being
    // rewritten when the writer died is missing, and only at the oldest end.
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back(), last);
    for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_EQ(seen[i], seen[i - 1] + 1);
    EXPECT_GE(seen.size(), options.geometry.capacity - 1);
    EXPECT_EQ(write_frame(w), last + 1);
}

}  // namespace
}  // namespace sigrun::journal
