// Gating and pinning: the writer never overwrites a frame a gate still
// covers or a pin holds; it waits up to its timeout and then fails naming
// the frame. Pins are added under a gate with one relaxed increment.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <stdexcept>
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
    std::vector<std::byte> buffer = std::vector<std::byte>(256);

    static std::uint64_t write_frame(Writer& w) {
        const auto seq = w.last_sequence() + 1;
        return w.write(1, make_payload(seq, 64));
    }

    // Frame `sequence` read back with a copy; fails the test unless intact.
    void expect_intact(Writer& w, std::uint64_t sequence) {
        Reader r(w.mapping());
        r.seek_sequence(sequence);
        const ReadResult res = r.next(buffer);
        ASSERT_EQ(res.status, ReadStatus::frame) << "frame " << sequence;
        EXPECT_EQ(res.info.sequence, sequence);
        EXPECT_TRUE(payload_intact(res.info, buffer.data())) << "frame " << sequence;
    }
};

TEST_F(JournalPins, AddAndRelease_CountPinsPerSlot) {
    Writer w(path, options);
    write_frame(w);
    Pins pins(w.mapping());
    pins.add(0);
    pins.add(0);
    EXPECT_EQ(pins.count(0), 2u);
    EXPECT_EQ(pins.pinned_slots(), 1u);
    EXPECT_TRUE(pins.release(0));
    EXPECT_TRUE(pins.release(0));
    EXPECT_EQ(pins.count(0), 0u);
    EXPECT_EQ(pins.pinned_slots(), 0u);
}

TEST_F(JournalPins, Scan_FindsThePinnedSlotsAndTheOldestPinnedFrameWithItsWriteTime) {
    // given frames 1..4 written at known times (gen_time supplied: 1000 * sequence)
    Writer w(path, options);
    for (std::uint64_t seq = 1; seq <= 4; ++seq) {
        w.write(1, make_payload(seq, 64), 0, static_cast<std::int64_t>(1000 * seq));
    }
    Pins pins(w.mapping());
    // nothing pinned: no oldest frame
    EXPECT_EQ(pins.scan().pinned_slots, 0u);
    EXPECT_EQ(pins.scan().oldest_sequence, 0u);
    // when frames 3 and 2 (twice) are pinned
    pins.add(w.geometry().slot_index(3));
    pins.add(w.geometry().slot_index(2));
    pins.add(w.geometry().slot_index(2));
    // then two slots are pinned and the oldest is frame 2, written at 2000
    PinScan found = pins.scan();
    EXPECT_EQ(found.pinned_slots, 2u);
    EXPECT_EQ(found.oldest_sequence, 2u);
    EXPECT_EQ(found.oldest_gen_time, 2000);
    // when frame 2 loses one of its pins it is still the oldest; when it loses both, frame 3 is
    EXPECT_TRUE(pins.release(w.geometry().slot_index(2)));
    EXPECT_EQ(pins.scan().oldest_sequence, 2u);
    EXPECT_TRUE(pins.release(w.geometry().slot_index(2)));
    found = pins.scan();
    EXPECT_EQ(found.pinned_slots, 1u);
    EXPECT_EQ(found.oldest_sequence, 3u);
    EXPECT_EQ(found.oldest_gen_time, 3000);
    // and with every pin released, nothing is pinned again
    EXPECT_TRUE(pins.release(w.geometry().slot_index(3)));
    EXPECT_EQ(pins.scan().pinned_slots, 0u);
    EXPECT_EQ(pins.scan().oldest_sequence, 0u);
}

TEST_F(JournalPins, Release_WithoutAPinIsRefused) {
    Writer w(path, options);
    write_frame(w);
    Pins pins(w.mapping());
    EXPECT_FALSE(pins.release(0));
    EXPECT_EQ(pins.count(0), 0u);
}

TEST_F(JournalPins, Writer_NeverOverwritesAPinnedFrameAndFailsNamingIt) {
    Writer w(path, options);
    for (int i = 0; i < 4; ++i) write_frame(w);
    Pins pins(w.mapping());
    pins.add(0);  // frame 1
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
    expect_intact(w, 1);
    // Released: the same sequence is written next.
    EXPECT_TRUE(pins.release(0));
    EXPECT_EQ(write_frame(w), 5u);
}

TEST_F(JournalPins, Writer_WaitsForAPinReleasedFromAnotherThread) {
    options.pin_timeout = std::chrono::seconds(30);
    Writer w(path, options);
    for (int i = 0; i < 4; ++i) write_frame(w);
    Pins pins(w.mapping());
    pins.add(0);
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

TEST_F(JournalPins, GatedWriter_NeverOverwritesTheFrameAtTheGateAndThrowsGateTimeout) {
    Writer w(path, options);  // 4 slots
    std::atomic<std::uint64_t> gate{1};  // the consumer still needs frame 1
    w.gate_on(gate);
    for (int i = 0; i < 4; ++i) write_frame(w);  // 1..4 overwrite nothing
    try {
        write_frame(w);  // 5 would overwrite 1
        ADD_FAILURE() << "overwrote a frame at the gate";
    } catch (const JournalError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::gate_timeout);
        const std::string message = e.what();
        EXPECT_NE(message.find(path.string()), std::string::npos) << message;
        EXPECT_NE(message.find("cannot write frame 5"), std::string::npos) << message;
        EXPECT_NE(message.find("overwrite frame 1"), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
    EXPECT_EQ(w.gate_wait_stats().timeouts, 1u);
    EXPECT_EQ(w.last_sequence(), 4u);
    for (std::uint64_t s = 1; s <= 4; ++s) expect_intact(w, s);
    // The consumer moves on by two: exactly two more frames fit.
    gate.store(3, std::memory_order_release);
    EXPECT_EQ(write_frame(w), 5u);
    EXPECT_EQ(write_frame(w), 6u);
    EXPECT_THROW(write_frame(w), JournalError);
    expect_intact(w, 3);
}

TEST_F(JournalPins, GatedWriter_WaitsForTheSlowestOfSeveralGates) {
    options.pin_timeout = std::chrono::seconds(30);
    Writer w(path, options);
    std::atomic<std::uint64_t> fast{1};
    std::atomic<std::uint64_t> slow{1};
    w.gate_on(fast);
    w.gate_on(slow);
    for (int i = 0; i < 4; ++i) write_frame(w);
    fast.store(5, std::memory_order_release);
    std::atomic<bool> moved{false};
    std::thread consumer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        moved.store(true);
        slow.store(2, std::memory_order_release);
    });
    EXPECT_EQ(write_frame(w), 5u);  // needs both gates past frame 1
    EXPECT_TRUE(moved.load());
    consumer.join();
    EXPECT_EQ(w.gate_wait_stats().waits, 1u);
    EXPECT_EQ(w.gate_wait_stats().timeouts, 0u);
}

TEST_F(JournalPins, GateOn_RefusesAGateTheWriterHasAlreadyPassed) {
    Writer w(path, options);
    for (int i = 0; i < 6; ++i) write_frame(w);  // 1 and 2 are overwritten
    std::atomic<std::uint64_t> behind{2};
    EXPECT_THROW(w.gate_on(behind), std::logic_error);
    std::atomic<std::uint64_t> in_ring{3};
    EXPECT_NO_THROW(w.gate_on(in_ring));
}

// The consumer's sequence of the protocol: read in place, pin the frame while
// the gate still covers it, move the gate past it; the pin alone then keeps
// the frame until it is released.
TEST_F(JournalPins, FramePinnedUnderTheGate_OutlivesTheGateMovingPastIt) {
    Writer w(path, options);
    std::atomic<std::uint64_t> gate{1};
    w.gate_on(gate);
    Reader r(w.mapping());
    Pins pins(w.mapping());
    write_frame(w);
    const InPlaceRead frame = r.next_in_place();
    ASSERT_EQ(frame.status, ReadStatus::frame);
    pins.add(frame.slot);
    gate.store(r.position(), std::memory_order_release);
    for (int i = 0; i < 3; ++i) write_frame(w);  // 2..4
    for (std::uint64_t s = 2; s <= 4; ++s) {
        ASSERT_EQ(r.next_in_place().status, ReadStatus::frame);
        gate.store(r.position(), std::memory_order_release);
    }
    EXPECT_THROW(write_frame(w), PinTimeoutError) << "frame 1 is pinned";
    EXPECT_TRUE(payload_intact(frame.info, frame.payload));
    EXPECT_TRUE(pins.release(frame.slot));
    EXPECT_EQ(write_frame(w), 5u);
}

// Every payload start maps back to its slot and every other byte of the
// file (and around it) maps to nothing, for slot sizes that are powers of two
// and slot sizes that are not (slot_of_payload divides by multiplying).
TEST_F(JournalPins, SlotOfPayload_MapsExactlyThePayloadStartsBackToTheirSlot) {
    for (const Geometry g : {Geometry{4, 256}, Geometry{8, 448}, Geometry{16, 192}, Geometry{2, 128 * 9}}) {
        SCOPED_TRACE(::testing::Message() << g.capacity << " x " << g.slot_size);
        const std::filesystem::path file = dir / ("lookup-" + std::to_string(g.slot_size) + ".journal");
        Writer w(file, WriterOptions{g, std::chrono::milliseconds(50)});
        const Mapping& m = *w.mapping();
        const auto* base = reinterpret_cast<const std::byte*>(&m.header());
        const std::uint64_t size = g.file_size();
        std::uint64_t found = 0;
        for (std::uint64_t at = 0; at < size + 256; ++at) {
            const std::optional<std::uint64_t> slot = m.slot_of_payload(base + at);
            if (!slot) continue;
            ++found;
            EXPECT_EQ(base + at, m.payload(*slot)) << "offset " << at << " is not the start of slot " << *slot;
        }
        EXPECT_EQ(found, g.capacity);
        for (std::uint64_t i = 0; i < g.capacity; ++i) EXPECT_EQ(m.slot_of_payload(m.payload(i)), i);
        EXPECT_FALSE(m.slot_of_payload(base - 64).has_value()) << "before the file";
        int elsewhere = 0;
        EXPECT_FALSE(m.slot_of_payload(&elsewhere).has_value());
        EXPECT_FALSE(m.slot_of_payload(nullptr).has_value());
    }
}

// The split count: pins added and dropped on the pin thread (plain stores)
// and on other threads (atomic) add up in one count, in any mix: a pin taken
// on the pin thread can be dropped elsewhere and the other way round.
TEST_F(JournalPins, PinThreadAndOtherThreads_ShareOneCountPerSlot) {
    Writer w(path, options);
    write_frame(w);
    Pins pins(w.mapping());
    const FrameHeader& slot = w.mapping()->slot(0);
    {
        Pins::PinThread scope(pins);
        pins.add(0);
        pins.add(0);
        EXPECT_EQ(slot.pin_adds, 2u) << "the pin thread's adds are its plain counter";
        EXPECT_EQ(slot.shared_pin_adds, 0u);
        std::thread([&] {
            pins.add(0);
            EXPECT_TRUE(pins.release(0));  // drops one of the pin thread's pins
            EXPECT_TRUE(pins.release(0));
        }).join();
        EXPECT_EQ(slot.shared_pin_adds, 1u);
        EXPECT_EQ(slot.shared_pin_drops, 2u);
        EXPECT_EQ(pins.count(0), 1u);
        EXPECT_TRUE(pins.release(0));  // drops the other thread's pin
        EXPECT_EQ(slot.pin_drops, 1u);
        EXPECT_EQ(pins.count(0), 0u);
        EXPECT_FALSE(pins.release(0)) << "a double release on the pin thread is refused too";
        EXPECT_EQ(slot.pin_drops, 1u);
    }
    EXPECT_EQ(pins.pinned_slots(), 0u);
}

// One pin thread at a time; a nested scope on the same thread is a no-op and
// the role passes to another thread once the scope ends.
TEST_F(JournalPins, PinThread_IsOneThreadAtATimeAndPassesOn) {
    Writer w(path, options);
    write_frame(w);
    Pins pins(w.mapping());
    const FrameHeader& slot = w.mapping()->slot(0);
    {
        Pins::PinThread outer(pins);
        {
            Pins::PinThread nested(pins);
        }
        pins.add(0);  // still the pin thread after the nested scope ended
        EXPECT_EQ(slot.pin_adds, 1u);
        std::thread([&] {
            EXPECT_THROW(Pins::PinThread other(pins), std::logic_error);
            EXPECT_TRUE(pins.release(0));
        }).join();
        EXPECT_EQ(slot.shared_pin_drops, 1u);
        const std::filesystem::path other_path = dir / "other.journal";
        Writer other_writer(other_path, options);
        Pins other(other_writer.mapping());
        EXPECT_THROW(Pins::PinThread two_journals(other), std::logic_error);
    }
    std::thread([&] {
        Pins::PinThread taken_over(pins);
        pins.add(0);
        EXPECT_TRUE(pins.release(0));
    }).join();
    EXPECT_EQ(slot.pin_adds, 2u);
    EXPECT_EQ(slot.pin_drops, 1u);
    EXPECT_EQ(pins.count(0), 0u);
}

// A pin taken on the pin thread holds the frame against the writer until a
// drop on any thread: the writer waits for it (W1 reads all four counters).
TEST_F(JournalPins, Writer_WaitsForAPinTakenOnThePinThreadAndDroppedElsewhere) {
    options.pin_timeout = std::chrono::seconds(10);
    Writer w(path, options);
    for (int i = 0; i < 4; ++i) write_frame(w);
    Pins pins(w.mapping());
    {
        Pins::PinThread scope(pins);
        pins.add(0);  // frame 1
    }
    std::atomic<bool> released{false};
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        released.store(true);
        EXPECT_TRUE(pins.release(0));
    });
    write_frame(w);  // frame 5 replaces frame 1: waits for the drop
    EXPECT_TRUE(released.load());
    releaser.join();
    EXPECT_EQ(w.pin_wait_stats().waits, 1u);
    expect_intact(w, 5);
}

// Recovery clears what a crashed owner left in all four counters.
TEST_F(JournalPins, Recovery_ClearsStalePinsFromEveryCounter) {
    {
        Writer w(path, options);
        write_frame(w);
        write_frame(w);
        Pins pins(w.mapping());
        Pins::PinThread scope(pins);
        pins.add(0);
        pins.add(0);
        pins.add(1);
        std::thread([&] {
            pins.add(1);
            EXPECT_TRUE(pins.release(0));
        }).join();
    }  // the "crash": pins still held when the owner goes
    Writer again(path, options);
    EXPECT_EQ(again.recovery().stale_pins_cleared, 3u);
    for (std::uint64_t i = 0; i < 2; ++i) {
        const FrameHeader& slot = again.mapping()->slot(i);
        EXPECT_EQ(slot.pin_adds, 0u);
        EXPECT_EQ(slot.pin_drops, 0u);
        EXPECT_EQ(slot.shared_pin_adds, 0u);
        EXPECT_EQ(slot.shared_pin_drops, 0u);
    }
}

}  // namespace
}  // namespace sigrun::journal
