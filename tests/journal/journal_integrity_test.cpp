// Integrity: a damaged frame is never handed out by a reader (copy or in
// place) and is reported as damaged, not as lapped; one damaged word (the
// header's hint, a slot's sequence) never hides intact frames or strands a
// reader; recovery reports what it discarded and why.
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <string>
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

// One way of damaging frame `sequence` in place.
struct Damage {
    std::string name;
    std::function<void(const Mapping&, std::uint64_t index)> apply;
};

void flip_byte(std::byte* p, std::uint8_t mask = 0x10) {
    auto& b = *reinterpret_cast<std::uint8_t*>(p);
    detail::store(b, static_cast<std::uint8_t>(b ^ mask), std::memory_order_relaxed);
}

std::vector<Damage> damages() {
    const auto header_byte = [](std::size_t offset, std::uint8_t mask = 0x10) {
        return [offset, mask](const Mapping& m, std::uint64_t index) {
            flip_byte(reinterpret_cast<std::byte*>(&m.slot(index)) + offset, mask);
        };
    };
    return {
        {"payload byte", [](const Mapping& m, std::uint64_t index) { flip_byte(m.payload(index) + 17); }},
        {"length word", header_byte(offsetof(FrameHeader, length))},
        {"msg_type word", header_byte(offsetof(FrameHeader, msg_type))},
        {"gen_time word", header_byte(offsetof(FrameHeader, gen_time) + 2)},
        {"trigger_time word", header_byte(offsetof(FrameHeader, trigger_time))},
        {"checksum byte", header_byte(offsetof(FrameHeader, checksum) + 5)},
        // A low bit: the sequence no longer belongs in its slot.
        {"sequence word, low bit", header_byte(offsetof(FrameHeader, sequence), 0x01)},
        // A high bit: looks like a later lap of the same slot.
        {"sequence word, high bit", header_byte(offsetof(FrameHeader, sequence) + 4)},
    };
}

class JournalIntegrity : public ::testing::TestWithParam<std::size_t> {
protected:
    testing::TempDir dir;
    std::filesystem::path path = dir / "md.journal";
    WriterOptions options{Geometry{8, 256}, std::chrono::milliseconds(200)};
    std::vector<std::byte> buffer = std::vector<std::byte>(256);

    static void write_frames(Writer& w, int n) {
        for (int i = 0; i < n; ++i) {
            const auto seq = w.last_sequence() + 1;
            w.write(7, make_payload(seq, 40), static_cast<std::int64_t>(seq) * 10);
        }
    }

    struct Seen {
        std::vector<std::uint64_t> frames;
        std::uint64_t damaged = 0;
        std::uint64_t damaged_at = 0;
        std::uint64_t lost = 0;
        bool all_intact = true;
    };

    // Reads until empty (bounded), copy or in place.
    Seen read_all(Reader& r, bool in_place) {
        Seen seen;
        for (int reads = 0; reads < 100; ++reads) {
            ReadStatus status;
            FrameInfo info;
            std::uint64_t n = 0;
            const std::byte* payload = nullptr;
            if (in_place) {
                const InPlaceRead res = r.next_in_place();
                status = res.status, info = res.info, n = res.lost, payload = res.payload;
            } else {
                const ReadResult res = r.next(buffer);
                status = res.status, info = res.info, n = res.lost, payload = buffer.data();
            }
            if (status == ReadStatus::empty) break;
            if (status == ReadStatus::lost) seen.lost += n;
            if (status == ReadStatus::damaged) {
                if (seen.damaged == 0) seen.damaged_at = info.sequence;
                seen.damaged += n;
            }
            if (status == ReadStatus::frame) {
                seen.frames.push_back(info.sequence);
                seen.all_intact = seen.all_intact && payload_intact(info, payload);
            }
        }
        return seen;
    }
};

TEST_P(JournalIntegrity, ADamagedFrameIsNeverHandedOutAndIsReportedAsDamaged) {
    const Damage damage = damages()[GetParam()];
    Writer w(path, options);
    write_frames(w, 6);
    w.flush_hint();  // as a closed or running writer leaves it (every 64 frames)
    damage.apply(*w.mapping(), w.geometry().slot_index(3));
    for (bool in_place : {false, true}) {
        Reader r = in_place ? Reader(w.mapping()) : Reader(path);
        r.seek_sequence(1);
        const Seen seen = read_all(r, in_place);
        EXPECT_EQ(seen.frames, (std::vector<std::uint64_t>{1, 2, 4, 5, 6}))
            << damage.name << ", in place: " << in_place;
        EXPECT_TRUE(seen.all_intact) << damage.name;
        EXPECT_EQ(seen.damaged, 1u) << damage.name << ", in place: " << in_place;
        EXPECT_EQ(seen.damaged_at, 3u) << damage.name << ", in place: " << in_place;
        EXPECT_EQ(seen.lost, 0u) << damage.name << ": a damaged frame is not blamed on lapping";
        // The writer goes on; the reader follows.
    }
    write_frames(w, 2);
    Reader r(path);
    r.seek_sequence(7);
    EXPECT_EQ(read_all(r, false).frames, (std::vector<std::uint64_t>{7, 8})) << damage.name;
}

INSTANTIATE_TEST_SUITE_P(EveryWord, JournalIntegrity, ::testing::Range<std::size_t>(0, 8),
                         [](const ::testing::TestParamInfo<std::size_t>& p) {
                             std::string name = damages()[p.param].name;
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name;
                         });

class JournalIntegrityHeader : public JournalIntegrity {};

// A hint damaged to point at a slot nothing was written to yet (0): before,
// the reader took it as the end, counted the intact frames up to it as
// lost, and a reader that sought the end waited past the real end forever.
TEST_F(JournalIntegrityHeader, ADamagedHintPointingAtAnEmptySlotHidesNothing) {
    Writer w(path, options);  // 8 slots
    write_frames(w, 3);
    auto& hint = w.mapping()->header().last_sequence_hint;
    for (std::uint64_t bad : {std::uint64_t{6}, kMaxSequence, std::uint64_t{0x7ff}}) {
        detail::store(hint, bad, std::memory_order_relaxed);
        Reader r(path);
        EXPECT_EQ(r.last_published(), 3u) << "hint " << bad;
        r.seek_end();
        EXPECT_EQ(r.position(), 4u) << "hint " << bad;
        r.seek_oldest();
        const Seen seen = read_all(r, false);
        EXPECT_EQ(seen.frames, (std::vector<std::uint64_t>{1, 2, 3})) << "hint " << bad;
        EXPECT_EQ(seen.lost + seen.damaged, 0u) << "hint " << bad;
    }
    // A reader opened while the hint is damaged follows the writer, and
    // after the header is repaired too.
    Reader follower(path);
    follower.seek_end();
    write_frames(w, 2);
    EXPECT_EQ(read_all(follower, false).frames, (std::vector<std::uint64_t>{4, 5}));
    w.flush_hint();  // repaired
    write_frames(w, 1);
    EXPECT_EQ(read_all(follower, false).frames, (std::vector<std::uint64_t>{6}));
}

// A slot's sequence word damaged to look like a later lap: it must not make
// the reader believe the writer is far ahead (and skip everything).
TEST_F(JournalIntegrityHeader, ASequenceWordThatLooksLikeALaterLapIsNotTrusted) {
    Writer w(path, options);
    write_frames(w, 5);  // hint still 0: readers probe
    auto& seq = w.mapping()->slot(w.geometry().slot_index(4)).sequence;
    detail::store(seq, std::uint64_t{4} + (std::uint64_t{1} << 40), std::memory_order_relaxed);
    Reader r(path);
    EXPECT_EQ(r.last_published(), 3u);
    r.seek_sequence(1);
    EXPECT_EQ(read_all(r, false).frames, (std::vector<std::uint64_t>{1, 2, 3}));
    // Once the hint covers frame 5 (the writer's next refresh or close), the
    // damaged frame 4 is skipped as damaged and 5 is read.
    w.flush_hint();
    const Seen seen = read_all(r, false);
    EXPECT_EQ(seen.frames, (std::vector<std::uint64_t>{5}));
    EXPECT_EQ(seen.damaged, 1u);
    EXPECT_EQ(seen.damaged_at, 4u);
    EXPECT_EQ(seen.lost, 0u);
}

TEST_F(JournalIntegrityHeader, RecoveryReportsWhatItDiscardedAndWhy) {
    {
        Writer w(path, options);
        write_frames(w, 6);
        flip_byte(w.mapping()->payload(w.geometry().slot_index(2)) + 3);
        flip_byte(reinterpret_cast<std::byte*>(&w.mapping()->slot(w.geometry().slot_index(5))) +
                  offsetof(FrameHeader, checksum));
    }
    Writer w(path, options);
    const RecoveryReport& r = w.recovery();
    EXPECT_EQ(r.frames_damaged, 2u);
    EXPECT_EQ(r.first_damaged_slot, 1u);
    EXPECT_EQ(r.frames_stale, 0u);
    EXPECT_EQ(r.frames_discarded, 2u);
    EXPECT_EQ(r.frames_intact, 4u);
    EXPECT_EQ(r.last_sequence, 6u);
    // The emptied slots read as damaged, not as lapped.
    Reader reader(path);
    reader.seek_sequence(1);
    const Seen seen = read_all(reader, false);
    EXPECT_EQ(seen.frames, (std::vector<std::uint64_t>{1, 3, 4, 6}));
    EXPECT_EQ(seen.damaged, 2u);
    EXPECT_EQ(seen.damaged_at, 2u);
    EXPECT_EQ(seen.lost, 0u);
}

// The owner's in-place read skips the checksum exactly from the sequence
// trust_own_writes_from() names (frames its own writer wrote in this
// session): earlier frames, e.g. a previous run's, are still checked.
TEST_F(JournalIntegrityHeader, TrustOwnWritesFromExemptsOnlyFramesFromItsSequence) {
    Writer w(path, options);
    write_frames(w, 4);
    w.flush_hint();
    flip_byte(w.mapping()->payload(w.geometry().slot_index(2)) + 17);
    flip_byte(w.mapping()->payload(w.geometry().slot_index(4)) + 17);
    Reader r(w.mapping());
    r.seek_sequence(1);
    r.trust_own_writes_from(4);
    const Seen seen = read_all(r, true);
    EXPECT_EQ(seen.frames, (std::vector<std::uint64_t>{1, 3, 4}));  // 2 checked and refused, 4 not checked
    EXPECT_EQ(seen.damaged, 1u);
    EXPECT_EQ(seen.damaged_at, 2u);
    // A copying reader of the same journal always checks.
    Reader copy(path);
    copy.seek_sequence(1);
    const Seen copied = read_all(copy, false);
    EXPECT_EQ(copied.frames, (std::vector<std::uint64_t>{1, 3}));
    EXPECT_EQ(copied.damaged, 2u);
}

}  // namespace
}  // namespace sigrun::journal
