// Storage: what the journal does when the filesystem or another process
// works against it — file modes, a file that shrinks, is deleted or replaced
// under a mapping, reservation of sparse files, bounded pre-faulting, and the
// owner's heartbeat with the liveness rule readers apply (liveness.hpp).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/liveness.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"
#include "temp_dir.hpp"

extern char** environ;

namespace {

using namespace sigrun::journal;
using sigrun::testing::TempDir;

const WriterOptions kOptions{Geometry{64, 256}, std::chrono::milliseconds(100)};

void write_frames(Writer& w, int n) {
    const std::vector<std::byte> payload(40, std::byte{7});
    for (int i = 0; i < n; ++i) w.write(1, payload);
}

mode_t mode_of(const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

std::int64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// A pid that no process has: a child that already exited and was reaped.
pid_t dead_pid() {
    pid_t pid = 0;
    char arg0[] = "true";
    char* argv[] = {arg0, nullptr};
    EXPECT_EQ(::posix_spawnp(&pid, "true", nullptr, nullptr, argv, environ), 0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return pid;
}

// Overwrites the owner fields of a journal no writer holds, as a writer
// process that died or stopped would have left them.
void set_owner(const std::filesystem::path& path, std::int32_t pid, std::int64_t heartbeat, std::uint32_t interval_ms) {
    const int fd = ::open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, &pid, sizeof pid, offsetof(FileHeader, owner_pid)), static_cast<ssize_t>(sizeof pid));
    ASSERT_EQ(::pwrite(fd, &heartbeat, sizeof heartbeat, offsetof(FileHeader, heartbeat_time)),
              static_cast<ssize_t>(sizeof heartbeat));
    ASSERT_EQ(::pwrite(fd, &interval_ms, sizeof interval_ms, offsetof(FileHeader, heartbeat_interval_ms)),
              static_cast<ssize_t>(sizeof interval_ms));
    ::close(fd);
}

// Resident bytes of the mapping that starts at `base` (/proc/self/smaps).
std::uint64_t resident_bytes(const void* base) {
    std::ifstream smaps("/proc/self/smaps");
    const auto start = reinterpret_cast<std::uintptr_t>(base);
    bool in_mapping = false;
    for (std::string line; std::getline(smaps, line);) {
        std::uintptr_t from = 0, to = 0;
        char dash = 0;
        std::istringstream head(line);
        if (head >> std::hex >> from >> dash >> to && dash == '-') {
            in_mapping = from == start;
            continue;
        }
        if (in_mapping && line.rfind("Rss:", 0) == 0) return std::stoull(line.substr(4)) * 1024;
    }
    ADD_FAILURE() << "mapping not found in /proc/self/smaps";
    return 0;
}

class JournalStorage : public ::testing::Test {
protected:
    TempDir dir;
    std::filesystem::path path = dir / "j.journal";
};

TEST_F(JournalStorage, CreatedJournalIsMode0640WhateverTheUmask) {
    for (const mode_t mask : {mode_t{0}, mode_t{077}}) {
        const mode_t old = ::umask(mask);
        { Writer w(path, kOptions); }
        ::umask(old);
        EXPECT_EQ(mode_of(path), 0640u) << "umask " << std::oct << mask;
        std::filesystem::remove(path);
    }
}

TEST_F(JournalStorage, CreatingLeavesNoOtherFileBehind) {
    { Writer w(path, kOptions); }
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename());
    EXPECT_EQ(names, std::vector<std::string>{"j.journal"});
}

// A file shrunk by another process: accesses past its end read zeros instead
// of raising SIGBUS, for a reader's own mapping and for the writer's, and
// file_problem() says what happened.
TEST_F(JournalStorage, FileTruncatedUnderReaderAndWriterIsReportedNotSigbus) {
    Writer w(path, kOptions);
    write_frames(w, 10);
    Reader reader(path);
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    ASSERT_EQ(reader.next(buffer).status, ReadStatus::frame);
    EXPECT_EQ(reader.mapping()->file_problem(), "");

    ASSERT_EQ(::truncate(path.c_str(), 4096), 0);  // only the header page remains
    ReadResult r = reader.next(buffer);            // would be SIGBUS without the guard
    EXPECT_NE(r.status, ReadStatus::frame);
    EXPECT_TRUE(reader.mapping()->shrunk());
    const std::string problem = reader.mapping()->file_problem();
    EXPECT_NE(problem.find(path.string()), std::string::npos) << problem;
    EXPECT_NE(problem.find("shrank to 4096 bytes"), std::string::npos) << problem;
    EXPECT_NE(problem.find("restore it from a copy or delete it"), std::string::npos) << problem;

    write_frames(w, 3);  // into zero pages nobody sees: no crash
    EXPECT_TRUE(w.mapping()->shrunk());
    EXPECT_NE(w.mapping()->file_problem().find("shrank"), std::string::npos);
}

// A shrink the mapping never touched is found by the size check alone.
TEST_F(JournalStorage, ShrinkWithoutAnAccessIsFoundByTheSizeCheck) {
    { Writer w(path, kOptions); }
    const auto mapping = Mapping::open_read_only(path);
    ASSERT_EQ(::truncate(path.c_str(), 8192), 0);
    EXPECT_FALSE(mapping->shrunk());
    EXPECT_NE(mapping->file_problem().find("shrank to 8192 bytes"), std::string::npos) << mapping->file_problem();
}

TEST_F(JournalStorage, DeletedOrReplacedFileIsReported) {
    { Writer w(path, kOptions); }
    {
        const auto mapping = Mapping::open_read_only(path);
        std::filesystem::remove(path);
        const std::string problem = mapping->file_problem();
        EXPECT_NE(problem.find(path.string() + " was deleted"), std::string::npos) << problem;
    }
    { Writer w(path, kOptions); }
    const auto mapping = Mapping::open_read_only(path);
    const auto other = dir / "other.journal";
    { Writer w(other, kOptions); }
    std::filesystem::rename(other, path);
    const std::string problem = mapping->file_problem();
    EXPECT_NE(problem.find(path.string() + " was replaced by another file"), std::string::npos) << problem;
    EXPECT_NE(problem.find("restart to read the new file"), std::string::npos) << problem;
}

// A sparse journal (copied with cp --sparse, or written by an older build)
// gets its blocks reserved when a writer opens it, so that a full disk is an
// error at open and not a SIGBUS later.
TEST_F(JournalStorage, SparseJournalIsReservedWhenReopened) {
    const WriterOptions options{Geometry{256, 4096}, std::chrono::milliseconds(100)};
    { Writer w(path, options); }
    const auto size = static_cast<off_t>(options.geometry.file_size());
    {
        const int fd = ::open(path.c_str(), O_RDWR);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 8192, size - 8192), 0);
        ::close(fd);
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    ASSERT_LT(st.st_blocks * 512, size) << "the hole was not punched";
    { Writer w(path, options); }
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_GE(st.st_blocks * 512, size);
}

// Only the first kMaxPrefaultBytes of a writer's mapping are pre-faulted: a
// large ring must not become resident (and dirty) just by being opened.
TEST_F(JournalStorage, LargeJournalIsNotPrefaultedWhole) {
    const WriterOptions options{Geometry{32768, 4096}, std::chrono::milliseconds(100)};  // 128 MiB
    Writer w(path, options);
    const std::uint64_t rss = resident_bytes(&w.mapping()->header());
    EXPECT_LE(rss, kMaxPrefaultBytes + 4096);  // the start is pre-faulted where the kernel can (an optimisation)
}

TEST_F(JournalStorage, OwnerBeatsWhileOpenIdleOrNot) {
    set_owner_heartbeat_interval(std::chrono::milliseconds(20));
    {
        Writer w(path, kOptions);
        const auto mapping = Mapping::open_read_only(path);
        const FileHeader& h = mapping->header();
        EXPECT_EQ(detail::load(h.heartbeat_interval_ms, std::memory_order_relaxed), 20u);
        const std::int64_t first = detail::load(h.heartbeat_time, std::memory_order_relaxed);
        EXPECT_GT(first, 0);
        // Idle (nothing written): the beat still moves. Bounded wait, no timing assertion.
        for (int i = 0; i < 500 && detail::load(h.heartbeat_time, std::memory_order_relaxed) == first; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        EXPECT_GT(detail::load(h.heartbeat_time, std::memory_order_relaxed), first);
        const WriterLiveness l = writer_liveness(*mapping);
        EXPECT_EQ(l.state, WriterState::alive) << l.describe(path);
        EXPECT_EQ(l.pid, ::getpid());
    }
    set_owner_heartbeat_interval(std::chrono::milliseconds(1000));
    const auto mapping = Mapping::open_read_only(path);
    const WriterLiveness closed = writer_liveness(*mapping);
    EXPECT_EQ(closed.state, WriterState::no_writer);
    EXPECT_NE(closed.describe(path).find("no writer has it open"), std::string::npos);
}

// liveness.hpp's rule, case by case, on header fields as writers leave them.
TEST_F(JournalStorage, LivenessRuleFromPidAndHeartbeat) {
    { Writer w(path, kOptions); }
    const auto mapping = Mapping::open_read_only(path);
    const std::int64_t now = realtime_ns();
    const std::int64_t ten_s_ago = now - 10'000'000'000LL;
    const pid_t gone = dead_pid();

    set_owner(path, gone, ten_s_ago, 100);  // writer killed: pid gone, beat stale
    WriterLiveness l = writer_liveness(*mapping);
    EXPECT_EQ(l.state, WriterState::died);
    EXPECT_NE(l.describe(path).find(fmt::format("its writer (pid {}) died (last heartbeat 10.", gone)),
              std::string::npos)
        << l.describe(path);

    set_owner(path, ::getpid(), ten_s_ago, 100);  // pid exists, beat stale: stopped or hung
    l = writer_liveness(*mapping);
    EXPECT_EQ(l.state, WriterState::stalled);
    EXPECT_NE(l.describe(path).find("stopped"), std::string::npos) << l.describe(path);

    set_owner(path, gone, realtime_ns(), 100);  // fresh beat: alive, whatever the pid says here
    EXPECT_EQ(writer_liveness(*mapping).state, WriterState::alive);

    set_owner(path, ::getpid(), 0, 0);  // a writer without heartbeats: the pid decides
    EXPECT_EQ(writer_liveness(*mapping).state, WriterState::alive);
    set_owner(path, gone, 0, 0);
    EXPECT_EQ(writer_liveness(*mapping).state, WriterState::died);

    set_owner(path, 0, ten_s_ago, 100);
    EXPECT_EQ(writer_liveness(*mapping).state, WriterState::no_writer);
}

}  // namespace
