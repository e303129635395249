// Frame pinning: the writer never overwrites a pinned frame, waits up to its
// timeout and then fails naming the held frame; retain re-validates.
#include <gtest/gtest.h>

#include <thread>

#include "../support/temp_dir.hpp"
#include "journal_test_util.hpp"
#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"

namespace sigrun::journal {
namespace {

using testing::make_payload;
using testing::payload_intact;

class JournalPins : public ::testing::Test {
protected:
    testing::TempDir dir;
    std::filesystem::path path = dir / "md.journal";
    WriterOptions options{Geometry{4, 256}, std::chrono::milliseconds(50)};

    static std::uint64_t write_frame(Writer& w) {
        const auto seq = w.last_sequence() + 1;
        return w.write(1, make_payload(seq, 64));
    }
};

TEST_F(JournalPins, Retain_SucceedsForAPublishedFrameAndCountsPins) {
    Writer w(path, options);
    write_frame(w);
    Pins pins(w.mapping());
    ASSERT_TRUE(pins.retain(1));
    ASSERT_TRUE(pins.retain(1));
    EXPECT_EQ(pins.count(0), 2u);
    EXPECT_TRUE(pins.release(0));
    EXPECT_TRUE(pins.release(0));
    EXPECT_EQ(pins.count(0), 0u);
}

TEST_F(JournalPins, Retain_FailsForAnOverwrittenFrameAndLeavesNoPin) {
    Writer w(path, options);
    for (int i = 0; i < 5; ++i) write_frame(w);  // 5 replaced 1 in slot 0
    Pins pins(w.mapping());
    EXPECT_FALSE(pins.retain(1));
    EXPECT_EQ(pins.count(0), 0u);
    EXPECT_TRUE(pins.retain(5));
    EXPECT_TRUE(pins.release(0));
}

TEST_F(JournalPins, Retain_BacksOffFromASlotBeingWrittenWithoutClearingTheMark) {
    Writer w(path, options);
    for (int i = 0; i < 4; ++i) write_frame(w);
    Pins pins(w.mapping());
    Writer::Claim claim = w.claim(1, 64);  // sequence 5 claims slot 0 (frame 1)
    EXPECT_FALSE(pins.retain(1));
    const std::uint32_t refs =
        detail::load(w.mapping()->slot(0).ref_count, std::memory_order_relaxed);
    EXPECT_EQ(refs, kWriting) << "the undo must leave exactly the writer's mark";
    const auto bytes = make_payload(5, 64);
    claim.copy_in(0, bytes);
    w.commit(claim);
    EXPECT_EQ(detail::load(w.mapping()->slot(0).ref_count, std::memory_order_relaxed), 0u);
    EXPECT_TRUE(pins.retain(5));
    EXPECT_TRUE(pins.release(0));
}

TEST_F(JournalPins, Release_WithoutAPinIsRefused) {
    Writer w(path, options);
    write_frame(w);
    Pins pins(w.mapping());
    EXPECT_FALSE(pins.release(0));
    EXPECT_EQ(pins.count(0), 0u);
}

TEST_F(JournalPins, Writer_FailsWithTheHeldSequenceWhenAPinOutlivesTheTimeout) {
    Writer w(path, options);
    for (int i = 0; i < 4; ++i) write_frame(w);
    Pins pins(w.mapping());
    ASSERT_TRUE(pins.retain(1));
    try {
        write_frame(w);
        ADD_FAILURE() << "overwrote a pinned frame";
    } catch (const PinTimeoutError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::pin_timeout);
        EXPECT_EQ(e.held_sequence(), 1u);
        EXPECT_EQ(e.pins(), 1u);
        EXPECT_NE(std::string(e.what()).find("still pinned"), std::string::npos);
    }
    EXPECT_EQ(w.pin_wait_stats().timeouts, 1u);
    EXPECT_EQ(w.last_sequence(), 4u);
    // The pinned frame is intact and the writer goes on once it is released.
    Reader r(w.mapping());
    r.seek_sequence(1);
    std::vector<std::byte> buffer(options.geometry.max_payload());
    const ReadResult res = r.next(buffer);
    ASSERT_EQ(res.status, ReadStatus::frame);
    EXPECT_TRUE(payload_intact(res.info, buffer.data()));
    EXPECT_TRUE(pins.release(0));
    EXPECT_EQ(write_frame(w), 5u);
}

TEST_F(JournalPins, Writer_WaitsForAPinReleasedFromAnotherThread) {
    options.pin_timeout = std::chrono::seconds(30);
    Writer w(path, options);
    for (int i = 0; i < 4; ++i) write_frame(w);
    Pins pins(w.mapping());
    ASSERT_TRUE(pins.retain(1));
    std::atomic<bool> released{false};
    std::thread holder([&] {
        // Hold long enough that the writer is almost surely waiting.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        released.store(true);
        pins.release(0);
    });
    EXPECT_EQ(write_frame(w), 5u);
    // The write could only complete once the pin was gone.
    EXPECT_TRUE(released.load());
    holder.join();
    EXPECT_EQ(w.pin_wait_stats().timeouts, 0u);
}

TEST_F(JournalPins, SlotOfPayload_MapsPayloadPointersBackToTheirSlot) {
    Writer w(path, options);
    const auto& m = *w.mapping();
    EXPECT_EQ(m.slot_of_payload(m.payload(2)), 2u);
    EXPECT_EQ(m.slot_of_payload(m.payload(3) + 10), 3u);
    EXPECT_FALSE(m.slot_of_payload(&m.slot(1)).has_value()) << "a header is not a payload";
    int elsewhere = 0;
    EXPECT_FALSE(m.slot_of_payload(&elsewhere).has_value());
}

}  // namespace
}  // namespace sigrun::journal
