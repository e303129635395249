// Every bad input a user can cause: a typed error with one clear line, and
// the file left exactly as it was.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "../support/temp_dir.hpp"
#include "sigrun/journal/error.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"

namespace sigrun::journal {
namespace {

using testing::read_file_bytes;
using testing::write_file_bytes;

class JournalErrors : public ::testing::Test {
protected:
    testing::TempDir dir;
    std::filesystem::path path = dir / "md.journal";
    WriterOptions options{Geometry{16, 256}, std::chrono::milliseconds(100)};

    void make_journal_with_frames(int frames) {
        Writer w(path, options);
        const std::byte payload[32] = {};
        for (int i = 0; i < frames; ++i) w.write(1, payload);
    }

    // Runs `open`, expects a JournalError of `kind` whose message is one line
    // naming the file, and checks the file's bytes did not change.
    template <class Open>
    void expect_error_file_untouched(ErrorKind kind, Open&& open) {
        const std::string before = read_file_bytes(path);
        try {
            open();
            ADD_FAILURE() << "no error";
        } catch (const JournalError& e) {
            EXPECT_EQ(e.kind(), kind) << e.what();
            const std::string message = e.what();
            EXPECT_NE(message.find(path.string()), std::string::npos) << message;
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        }
        EXPECT_EQ(read_file_bytes(path), before);
    }
};

TEST_F(JournalErrors, NotAJournalFile_IsRefusedByReaderAndWriter) {
    write_file_bytes(path, std::string(8192, 'x'));
    expect_error_file_untouched(ErrorKind::not_a_journal, [&] { Reader r(path); });
    expect_error_file_untouched(ErrorKind::not_a_journal, [&] { Writer w(path, options); });
}

TEST_F(JournalErrors, EmptyFile_IsNotAJournal) {
    write_file_bytes(path, "");
    expect_error_file_untouched(ErrorKind::not_a_journal, [&] { Reader r(path); });
}

TEST_F(JournalErrors, WrongFormatVersion_IsRefused) {
    make_journal_with_frames(3);
    std::string bytes = read_file_bytes(path);
    const std::uint32_t future = kFormatVersion + 1;
    std::memcpy(bytes.data() + offsetof(FileHeader, format_version), &future, sizeof future);
    write_file_bytes(path, bytes);
    expect_error_file_untouched(ErrorKind::wrong_version, [&] { Reader r(path); });
    expect_error_file_untouched(ErrorKind::wrong_version, [&] { Writer w(path, options); });
}

// Format 1 (old checksum) and format 2 (one shared pin count per slot) are
// both older layouts this build must not touch.
TEST_F(JournalErrors, OlderFormatVersionFiles_AreRefusedWithTheFix) {
    make_journal_with_frames(3);
    const std::string original = read_file_bytes(path);
    for (const std::uint32_t old_version : {1u, 2u}) {
        SCOPED_TRACE(old_version);
        std::string bytes = original;
        std::memcpy(bytes.data() + offsetof(FileHeader, format_version), &old_version, sizeof old_version);
        write_file_bytes(path, bytes);
        expect_error_file_untouched(ErrorKind::wrong_version, [&] { Reader r(path); });
        expect_error_file_untouched(ErrorKind::wrong_version, [&] { Writer w(path, options); });
        try {
            Writer w(path, options);
            ADD_FAILURE() << "format " << old_version << " was opened";
        } catch (const JournalError& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("older sigrun (format " + std::to_string(old_version) + ")"), std::string::npos)
                << message;
            EXPECT_NE(message.find("reads format " + std::to_string(kFormatVersion)), std::string::npos) << message;
            EXPECT_NE(message.find("move the file aside or delete it"), std::string::npos) << message;
        }
    }
}

// A file size limit makes posix_fallocate fail as a full disk would. The
// kernel also sends SIGXFSZ, whose default action kills: the journal ignores
// it itself (this test would otherwise die here), so EFBIG is reported.
TEST_F(JournalErrors, NoRoomForANewJournal_IsAnIoErrorAndLeavesNoFile) {
    struct rlimit old {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    struct rlimit small = old;
    small.rlim_cur = 1 << 20;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    std::string message;
    try {
        Writer w(path, WriterOptions{Geometry{1024, 4096}, std::chrono::milliseconds(100)});  // 4 MiB
    } catch (const JournalError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::io);
        message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("4198400 bytes"), std::string::npos) << message;
    EXPECT_NE(message.find("raise the file-size limit (ulimit -f) or lower the capacity"), std::string::npos)
        << message;
    EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "the half-created file must be removed";
}

TEST_F(JournalErrors, TruncatedFile_IsRefused) {
    make_journal_with_frames(3);
    std::string bytes = read_file_bytes(path);
    write_file_bytes(path, bytes.substr(0, bytes.size() - 100));
    expect_error_file_untouched(ErrorKind::truncated, [&] { Reader r(path); });
    expect_error_file_untouched(ErrorKind::truncated, [&] { Writer w(path, options); });
    write_file_bytes(path, bytes.substr(0, 100));
    expect_error_file_untouched(ErrorKind::truncated, [&] { Reader r(path); });
}

TEST_F(JournalErrors, CapacityNotAPowerOfTwo_IsRefusedBeforeCreatingAFile) {
    WriterOptions bad = options;
    bad.geometry.capacity = 100;
    EXPECT_THROW(
        {
            try {
                Writer w(path, bad);
            } catch (const JournalError& e) {
                EXPECT_EQ(e.kind(), ErrorKind::bad_geometry);
                EXPECT_NE(std::string(e.what()).find("power of two"), std::string::npos);
                throw;
            }
        },
        JournalError);
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(JournalErrors, CorruptCapacityInHeader_IsRefused) {
    make_journal_with_frames(1);
    std::string bytes = read_file_bytes(path);
    const std::uint64_t capacity = 12;
    std::memcpy(bytes.data() + offsetof(FileHeader, capacity), &capacity, sizeof capacity);
    write_file_bytes(path, bytes);
    expect_error_file_untouched(ErrorKind::bad_geometry, [&] { Reader r(path); });
}

TEST_F(JournalErrors, SlotSizeTooSmall_IsRefused) {
    WriterOptions bad = options;
    bad.geometry.slot_size = 64;
    try {
        Writer w(path, bad);
        ADD_FAILURE() << "no error";
    } catch (const JournalError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::bad_geometry);
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(JournalErrors, PayloadLargerThanASlot_IsRefusedAndNothingIsWritten) {
    Writer w(path, options);
    std::vector<std::byte> big(options.geometry.max_payload() + 1);
    try {
        w.write(1, big);
        ADD_FAILURE() << "no error";
    } catch (const JournalError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::payload_too_large);
        EXPECT_NE(std::string(e.what()).find("slot size"), std::string::npos);
    }
    EXPECT_EQ(w.last_sequence(), 0u);
    std::vector<std::byte> fits(options.geometry.max_payload());
    EXPECT_EQ(w.write(1, fits), 1u);
}

TEST_F(JournalErrors, ReadOnlyFile_IsRefusedForWritingButReadable) {
    make_journal_with_frames(2);
    ::chmod(path.c_str(), 0444);
    ::chmod(dir.path().c_str(), 0755);  // let an unprivileged child reach the file
    if (::geteuid() == 0) {
        // root ignores file modes (CI runs as root): open in a child that
        // drops to nobody, so the mode is enforced.
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
            try {
                Writer w(path, options);
            } catch (const JournalError& e) {
                ::_exit(e.kind() == ErrorKind::read_only ? 0 : 1);
            }
            ::_exit(2);
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        ASSERT_TRUE(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong error kind, 2: no error, 3: setuid failed";
    } else {
        expect_error_file_untouched(ErrorKind::read_only, [&] { Writer w(path, options); });
    }
    Reader r(path);
    std::vector<std::byte> buffer(options.geometry.max_payload());
    EXPECT_EQ(r.next(buffer).status, ReadStatus::frame);
}

TEST_F(JournalErrors, SecondWriter_IsRefusedWhileTheFirstIsOpen) {
    Writer first(path, options);
    expect_error_file_untouched(ErrorKind::writer_busy, [&] { Writer second(path, options); });
}

TEST_F(JournalErrors, WriterCanReopenAfterTheFirstClosed) {
    { Writer first(path, options); }
    Writer second(path, options);
    EXPECT_EQ(second.last_sequence(), 0u);
}

TEST_F(JournalErrors, GeometryMismatch_IsRefusedAndNamesBothGeometries) {
    make_journal_with_frames(2);
    WriterOptions other = options;
    other.geometry.capacity = 32;
    expect_error_file_untouched(ErrorKind::geometry_mismatch, [&] { Writer w(path, other); });
}

TEST_F(JournalErrors, MissingFile_IsAnIoErrorForReaders) {
    try {
        Reader r(dir / "absent.journal");
        ADD_FAILURE() << "no error";
    } catch (const JournalError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::io);
        EXPECT_NE(std::string(e.what()).find("absent.journal"), std::string::npos);
    }
}

}  // namespace
}  // namespace sigrun::journal
