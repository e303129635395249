// ConsumerCursor: the file round-trips, the position is the mapped word
// another process reads, one process at a time, and every damaged or
// unusable file is refused with one line naming it and the fix, untouched.
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "consumer_cursor.hpp"
#include "resume_support.hpp"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

CursorIdentity some_identity() {
    return CursorIdentity{1, 512, 4096, 1'700'000'000'123'456'789, 0xfeedULL, 17};
}

class ConsumerCursorTest : public ::testing::Test {
protected:
    std::filesystem::path path() const { return dir_.path() / "runner.cursor"; }

    // Expects open_existing to refuse with a message containing `text`,
    // leaving the file's bytes as they were.
    void expect_refused(CursorError::Kind kind, const std::string& text) {
        const std::string before = testing::read_file_bytes(path());
        try {
            (void)ConsumerCursor::open_existing(path());
            ADD_FAILURE() << "opened";
        } catch (const CursorError& e) {
            EXPECT_EQ(e.kind(), kind);
            EXPECT_THAT(e.what(), AllOf(HasSubstr(path().string()), HasSubstr(text), Not(HasSubstr("\n"))));
        }
        EXPECT_EQ(testing::read_file_bytes(path()), before);
    }

    testing::TempDir dir_;
};

TEST_F(ConsumerCursorTest, NoFileMeansNoCursor) {
    EXPECT_EQ(ConsumerCursor::open_existing(path()), nullptr);
}

TEST_F(ConsumerCursorTest, CreatedCursorReopensWithItsIdentityAndPosition) {
    {
        auto cursor = ConsumerCursor::create(path(), some_identity(), 42);
        EXPECT_EQ(cursor->position().load(), 42u);
        EXPECT_EQ(cursor->stored_position(), 42u);
    }
    const auto reopened = ConsumerCursor::open_existing(path());
    ASSERT_NE(reopened, nullptr);
    EXPECT_EQ(reopened->identity(), some_identity());
    EXPECT_EQ(reopened->stored_position(), 42u);
    EXPECT_FALSE(std::filesystem::exists(path().string() + ".new"));
    EXPECT_EQ(std::filesystem::file_size(path()), ConsumerCursor::kFileSize);
}

// The dispatcher's stores go straight into the file's page: a reader of the
// file (another process, or the next start after a kill) sees each one at
// once, with no write() or sync in between.
TEST_F(ConsumerCursorTest, PositionStoresAreInTheFileImmediately) {
    auto cursor = ConsumerCursor::create(path(), some_identity(), 1);
    for (std::uint64_t p : {2u, 3u, 1000u, 123456789u}) {
        cursor->position().store(p, std::memory_order_release);
        EXPECT_EQ(resume_test::cursor_position(path()), p);
    }
    cursor.reset();
    EXPECT_EQ(ConsumerCursor::open_existing(path())->stored_position(), 123456789u);
}

TEST_F(ConsumerCursorTest, CreateReplacesAnExistingCursorAndALeftoverTemporary) {
    (void)ConsumerCursor::create(path(), some_identity(), 5);
    testing::write_file_bytes(path().string() + ".new", "half-written leftover of a crash");
    CursorIdentity other = some_identity();
    other.source_origin = 99;
    (void)ConsumerCursor::create(path(), other, 99);
    const auto reopened = ConsumerCursor::open_existing(path());
    EXPECT_EQ(reopened->identity().source_origin, 99u);
    EXPECT_EQ(reopened->stored_position(), 99u);
    EXPECT_FALSE(std::filesystem::exists(path().string() + ".new"));
}

TEST_F(ConsumerCursorTest, SecondOpenWhileHeldIsRefusedNamingTheOwner) {
    const auto held = ConsumerCursor::create(path(), some_identity(), 7);
    expect_refused(CursorError::Kind::busy, "in use by another process (pid " + std::to_string(::getpid()) + ")");
}

TEST_F(ConsumerCursorTest, WrongSizeIsDamaged) {
    (void)ConsumerCursor::create(path(), some_identity(), 7);
    std::filesystem::resize_file(path(), 100);
    expect_refused(CursorError::Kind::damaged, "100 bytes, a cursor has 4096");
}

TEST_F(ConsumerCursorTest, BadMagicIsDamaged) {
    testing::write_file_bytes(path(), std::string(ConsumerCursor::kFileSize, 'x'));
    expect_refused(CursorError::Kind::damaged, "bad magic");
}

TEST_F(ConsumerCursorTest, AnyFlippedIdentityByteIsDamaged) {
    (void)ConsumerCursor::create(path(), some_identity(), 7);
    const std::string good = testing::read_file_bytes(path());
    for (std::size_t offset : {16u, 20u, 24u, 32u, 40u, 48u, 56u}) {
        SCOPED_TRACE(offset);
        std::string bad = good;
        bad[offset] = static_cast<char>(bad[offset] ^ 0x10);
        testing::write_file_bytes(path(), bad);
        expect_refused(CursorError::Kind::damaged, "checksum");
    }
}

TEST_F(ConsumerCursorTest, NewerFormatIsRefusedAskingForAMatchingBuild) {
    (void)ConsumerCursor::create(path(), some_identity(), 7);
    std::string bytes = testing::read_file_bytes(path());
    bytes[8] = 9;  // format_version
    testing::write_file_bytes(path(), bytes);
    expect_refused(CursorError::Kind::damaged, "newer sigrun");
}

TEST_F(ConsumerCursorTest, DirectoryOrFifoAtThePathIsRefused) {
    std::filesystem::create_directory(path());
    try {
        (void)ConsumerCursor::open_existing(path());
        ADD_FAILURE() << "opened a directory";
    } catch (const CursorError& e) {
        EXPECT_THAT(e.what(), HasSubstr("is a directory"));
    }
    std::filesystem::remove(path());
    ASSERT_EQ(::mkfifo(path().c_str(), 0600), 0);
    try {
        (void)ConsumerCursor::open_existing(path());
        ADD_FAILURE() << "opened a FIFO";
    } catch (const CursorError& e) {
        EXPECT_THAT(e.what(), HasSubstr("is not a regular file"));
    }
}

}  // namespace
}  // namespace sigrun::runner
