// Storage, end to end: `sigrun` and `sigrun-journal` spawned against a full
// disk (a small tmpfs), a file-size limit, journals truncated, deleted or
// replaced under them, a writer that goes away, file modes under any umask,
// plugins other users could replace, and a crashed run's leftovers.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sigrun/journal/writer.hpp"
#include "storage_support.hpp"
#include "temp_dir.hpp"

namespace {

using json = nlohmann::json;
using sigrun::testing::SpawnedProcess;
using sigrun::testing::spawn_tool;
using sigrun::testing::eventually;
using sigrun::testing::files_containing;
using sigrun::testing::journal_damage;
using sigrun::testing::last_line;
using sigrun::testing::lines_of;
using sigrun::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

namespace fs = std::filesystem;

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

// A tmpfs of `size` mounted at `at` for the test's lifetime. Mounting needs
// root (CAP_SYS_ADMIN): without it, error() says why and the test skips.
class SmallFilesystem {
public:
    SmallFilesystem(const fs::path& at, const std::string& size) : at_(at) {
        fs::create_directories(at);
        const std::string options = "size=" + size + ",mode=0755";
        if (::mount("sigrun-test", at.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
            error_ = std::string("cannot mount a tmpfs (") + std::strerror(errno) +
                     "): this test needs root with CAP_SYS_ADMIN, as tools/test.sh and CI have; "
                     "run the tests as root (a full disk cannot be faked without a filesystem of its own)";
            return;
        }
        mounted_ = true;
    }
    ~SmallFilesystem() {
        if (mounted_) ::umount2(at_.c_str(), MNT_DETACH);
    }
    [[nodiscard]] const std::string& error() const { return error_; }

private:
    fs::path at_;
    bool mounted_ = false;
    std::string error_;
};

class StorageRunner : public ::testing::Test {
protected:
    fs::path journal_dir() const { return dir_ / "journal"; }

    // A short synthetic run with one engine.
    json synthetic_config(const fs::path& journal, std::uint64_t events = 500) const {
        return json{{"journal",
                     {{"dir", journal.string()},
                      {"md", {{"capacity", 256}, {"slot_size", 512}}},
                      {"signals", {{"capacity", 1024}, {"slot_size", 512}}}}},
                    {"source", {{"kind", "synthetic"}, {"events", events}}},
                    {"engines", {{{"name", "ofi"}, {"library", SIGRUN_OFI_PLUGIN}}}},
                    {"hot_swap", {{"watch", false}}},
                    {"output", {{"print_factors", 0}}}};
    }
    // The runner reading md.journal that this test writes.
    json journal_mode_config() const {
        json c = synthetic_config(journal_dir());
        c["source"] = {{"kind", "journal"}, {"start", "oldest"}};
        return c;
    }
    fs::path write_config(const json& document, const std::string& name = "runner.json") const {
        const auto path = dir_ / name;
        std::ofstream(path) << document.dump(2) << '\n';
        return path;
    }
    std::unique_ptr<SpawnedProcess> start_sigrun(const fs::path& config, const std::string& tag = "sigrun") const {
        return spawn_tool(SIGRUN_EXE, {"--config", config.string()}, dir_.path(), tag);
    }
    // md.journal as an external writer in this process creates it.
    std::unique_ptr<sigrun::journal::Writer> external_md_writer() const {
        fs::create_directories(journal_dir());
        return std::make_unique<sigrun::journal::Writer>(
            journal_dir() / "md.journal",
            sigrun::journal::WriterOptions{{256, 512}, std::chrono::milliseconds(100)});
    }
    // True once `child` runs with its signals journal open (its engines are
    // loaded and its watch is about to start).
    bool runner_started(const SpawnedProcess& child) const {
        return eventually([&] {
            if (!child.running()) return true;
            try {
                const auto m = sigrun::journal::Mapping::open_read_only(journal_dir() / "signals.journal");
                return m->header().owner_pid == child.pid();
            } catch (const std::exception&) {
                return false;
            }
        }) && child.running();
    }

    TempDir dir_;
};

// ---- disk full ------------------------------------------------------------

TEST_F(StorageRunner, DiskTooSmallIsRefusedBeforeAnythingIsCreated) {
    SmallFilesystem small(dir_ / "small", "4m");
    ASSERT_THAT(small.error(), IsEmpty());
    json c = synthetic_config(dir_ / "small" / "journal");
    c["journal"]["signals"] = {{"capacity", 16384}, {"slot_size", 512}};  // 8 MiB
    auto p = spawn_tool(SIGRUN_EXE, {"--config", write_config(c).string()}, dir_.path(), "child");
    EXPECT_EQ(p->wait().shell_code(), 1);
    const std::string err = p->err();
    EXPECT_THAT(lines_of(err), SizeIs(1)) << err;
    EXPECT_THAT(err, HasSubstr("free on its filesystem but the run needs"));
    EXPECT_THAT(err, HasSubstr("signals.journal 8.0 MiB"));
    EXPECT_THAT(err, HasSubstr("free space"));
    EXPECT_THAT(files_containing(dir_ / "small", ".journal"), IsEmpty());
}

// The reservation itself failing on a full filesystem: the journal library's
// error, no file left (the journal is unnamed until complete).
TEST_F(StorageRunner, FullFilesystemAtReservationIsAnErrorAndLeavesNoFile) {
    SmallFilesystem small(dir_ / "small", "1m");
    ASSERT_THAT(small.error(), IsEmpty());
    std::string message;
    try {
        sigrun::journal::Writer w(dir_ / "small" / "md.journal",
                                  sigrun::journal::WriterOptions{{1024, 4096}, std::chrono::milliseconds(100)});
    } catch (const sigrun::journal::JournalError& e) {
        message = e.what();
    }
    EXPECT_THAT(message, HasSubstr("cannot reserve 4198400 bytes"));
    EXPECT_THAT(message, HasSubstr("No space left on device; free space on its filesystem"));
    EXPECT_TRUE(fs::is_empty(dir_ / "small"));
}

// An injected fallocate failure and an injected write failure (the header):
// the run ends with one line, nothing half-created.
TEST_F(StorageRunner, InjectedFallocateOrWriteFailureIsOneLineAndLeavesNothing) {
    for (const std::string kind : {"fallocate", "write"}) {
        fs::remove_all(journal_dir());
        auto p = spawn_tool(SIGRUN_EXE, {"--config", write_config(synthetic_config(journal_dir())).string()},
                            dir_.path(), kind,
                            {{"LD_PRELOAD", SIGRUN_FAULT_SHIM},
                             {"SIGRUN_FAULT_PATH", journal_dir().string()},
                             {"SIGRUN_FAULT_CALLS", kind},
                             {"SIGRUN_FAULT_AT", "1"},
                             {"ASAN_OPTIONS", "verify_asan_link_order=0"}});
        EXPECT_EQ(p->wait().shell_code(), 1) << kind;
        const std::string err = p->err();
        EXPECT_THAT(last_line(err), HasSubstr("md.journal")) << err;
        EXPECT_THAT(last_line(err), HasSubstr(kind == "fallocate" ? "cannot reserve" : "write header failed")) << err;
        EXPECT_THAT(last_line(err), HasSubstr("No space left on device")) << err;
        EXPECT_THAT(files_containing(journal_dir(), "journal"), IsEmpty()) << kind;
    }
}

TEST_F(StorageRunner, FileSizeLimitIsOneLineNotSigxfsz) {
    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    rlimit small = old;
    small.rlim_cur = 256 * 1024;  // the signals journal needs 512 KiB
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    auto p = start_sigrun(write_config(synthetic_config(journal_dir())));  // inherits the limit
    ::setrlimit(RLIMIT_FSIZE, &old);
    EXPECT_EQ(p->wait().shell_code(), 1);
    const std::string err = p->err();
    EXPECT_THAT(lines_of(err), SizeIs(1)) << err;
    EXPECT_THAT(err, HasSubstr("the file-size limit (ulimit -f) is 262144 bytes"));
    EXPECT_THAT(files_containing(journal_dir(), "journal"), IsEmpty());
}

// ---- files changed under a running runner ----------------------------------

TEST_F(StorageRunner, MdJournalTruncatedUnderTheRunnerEndsItWithOneLine) {
    auto md = external_md_writer();
    auto p = start_sigrun(write_config(journal_mode_config()));
    ASSERT_TRUE(runner_started(*p)) << p->err();
    ASSERT_EQ(::truncate((journal_dir() / "md.journal").c_str(), 4096), 0);
    EXPECT_EQ(p->wait(std::chrono::seconds(60)).shell_code(), 1) << p->err();  // 1, not 128 + SIGBUS
    EXPECT_THAT(last_line(p->err()), HasSubstr("md.journal shrank to 4096 bytes under this process"));
}

TEST_F(StorageRunner, SignalsJournalTruncatedUnderTheRunnerEndsItWithOneLine) {
    auto md = external_md_writer();
    auto p = start_sigrun(write_config(journal_mode_config()));
    ASSERT_TRUE(runner_started(*p)) << p->err();
    ASSERT_EQ(::truncate((journal_dir() / "signals.journal").c_str(), 0), 0);
    EXPECT_EQ(p->wait(std::chrono::seconds(60)).shell_code(), 1) << p->err();
    EXPECT_THAT(last_line(p->err()), HasSubstr("signals.journal shrank to 0 bytes under this process"));
}

TEST_F(StorageRunner, MdJournalDeletedOrReplacedUnderTheRunnerIsNamed) {
    {
        auto md = external_md_writer();
        auto p = start_sigrun(write_config(journal_mode_config()), "deleted");
        ASSERT_TRUE(runner_started(*p)) << p->err();
        fs::remove(journal_dir() / "md.journal");
        EXPECT_EQ(p->wait(std::chrono::seconds(60)).shell_code(), 1);
        EXPECT_THAT(last_line(p->err()), HasSubstr("md.journal was deleted while this process had it open"));
    }
    fs::remove_all(journal_dir());
    auto md = external_md_writer();
    auto p = start_sigrun(write_config(journal_mode_config()), "replaced");
    ASSERT_TRUE(runner_started(*p)) << p->err();
    md.reset();
    const auto fresh = dir_ / "fresh.journal";
    { sigrun::journal::Writer w(fresh, sigrun::journal::WriterOptions{{256, 512}, std::chrono::milliseconds(100)}); }
    fs::rename(fresh, journal_dir() / "md.journal");
    EXPECT_EQ(p->wait(std::chrono::seconds(60)).shell_code(), 1);
    EXPECT_THAT(last_line(p->err()), HasSubstr("md.journal was replaced by another file"));
    EXPECT_THAT(last_line(p->err()), HasSubstr("restart to read the new file"));
}

// sigrun-journal following a journal that gets truncated: exit 4 and one
// line, not a SIGBUS.
TEST_F(StorageRunner, SigrunJournalFollowingATruncatedJournalExitsWithOneLine) {
    auto md = external_md_writer();
    const std::vector<std::byte> payload(64, std::byte{1});
    for (int i = 0; i < 10; ++i) md->write(1, payload);
    md->flush_hint();
    const auto path = journal_dir() / "md.journal";
    auto tool = spawn_tool(SIGRUN_JOURNAL_TOOL, {"dump", path.string(), "--follow"}, dir_.path(), "follow");
    ASSERT_TRUE(eventually([&] { return lines_of(tool->out()).size() >= 10 || !tool->running(); })) << tool->err();
    ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
    for (int i = 0; i < 300; ++i) md->write(1, payload);  // into zero pages; the tool's next read faults
    EXPECT_EQ(tool->wait(std::chrono::seconds(60)).shell_code(), 4);
    EXPECT_THAT(lines_of(tool->err()), SizeIs(1)) << tool->err();
    EXPECT_THAT(tool->err(), HasSubstr("md.journal shrank while it was being read"));
}

// ---- the writer of md.journal, seen from the runner -------------------------

TEST_F(StorageRunner, ExternalWriterThatClosesOrDiesIsReportedOnce) {
    auto md = external_md_writer();
    auto p = start_sigrun(write_config(journal_mode_config()));
    ASSERT_TRUE(runner_started(*p)) << p->err();
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // one check with the writer alive and idle
    EXPECT_THAT(p->err(), Not(HasSubstr("its writer"))) << "an idle live writer is not reported";
    md.reset();
    ASSERT_TRUE(eventually([&] { return p->err().find("no writer has it open") != std::string::npos; }))
        << p->err();
    // As a killed writer leaves the header: its pid gone, the beat stale.
    const int fd = ::open((journal_dir() / "md.journal").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    const std::int32_t gone = 1 << 22;  // above pid_max's default: no such process
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    const std::int64_t stale = (ts.tv_sec - 30) * 1'000'000'000LL;
    ASSERT_EQ(::pwrite(fd, &stale, sizeof stale, offsetof(sigrun::journal::FileHeader, heartbeat_time)), 8);
    ASSERT_EQ(::pwrite(fd, &gone, sizeof gone, offsetof(sigrun::journal::FileHeader, owner_pid)), 4);
    ::close(fd);
    ASSERT_TRUE(eventually([&] { return p->err().find("died") != std::string::npos; })) << p->err();
    EXPECT_THAT(p->err(), HasSubstr(fmt::format("its writer (pid {}) died (last heartbeat 3", gone)));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    const std::string err = p->err();
    EXPECT_EQ(err.find("died"), err.rfind("died")) << "reported once, not at every check:\n" << err;
    md = external_md_writer();  // a writer is back
    ASSERT_TRUE(eventually([&] { return p->err().find("is alive") != std::string::npos; })) << p->err();
    p->signal(SIGTERM);
    EXPECT_EQ(p->wait().shell_code(), 0) << p->err();
}

// ---- who may touch what ----------------------------------------------------

TEST_F(StorageRunner, JournalsAre0640AndThePluginFolder0700WhateverTheUmask) {
    for (const mode_t mask : {mode_t{0}, mode_t{077}}) {
        fs::remove_all(journal_dir());
        const mode_t old = ::umask(mask);
        auto p = start_sigrun(write_config(synthetic_config(journal_dir())));
        ::umask(old);
        ASSERT_EQ(p->wait().shell_code(), 0) << p->err();
        EXPECT_EQ(mode_of(journal_dir() / "md.journal"), 0640u) << "umask " << mask;
        EXPECT_EQ(mode_of(journal_dir() / "signals.journal"), 0640u) << "umask " << mask;
        EXPECT_EQ(mode_of(journal_dir() / ".plugins"), 0700u) << "umask " << mask;
    }
}

TEST_F(StorageRunner, PluginOtherUsersCanWriteIsRefusedNamingPathAndMode) {
    const auto folder = dir_ / "engines";
    fs::create_directories(folder);
    const auto library = folder / "libofi.so";
    fs::copy_file(SIGRUN_OFI_PLUGIN, library);
    json c = synthetic_config(journal_dir());
    c["engines"][0]["library"] = library.string();
    const auto config = write_config(c);
    auto check = [&](const std::string& tag) {
        auto p = spawn_tool(SIGRUN_EXE, {"--config", config.string(), "--check-config"}, dir_.path(), tag);
        const int code = p->wait().shell_code();
        return std::pair{code, p->err()};
    };
    ::chmod(folder.c_str(), 0755);
    ::chmod(library.c_str(), 0664);
    auto [code, err] = check("file");
    EXPECT_EQ(code, 1);
    EXPECT_THAT(lines_of(err), SizeIs(1)) << err;
    EXPECT_THAT(err, HasSubstr(fmt::format("its file {} is mode 0664, writable by other users", library.string())));
    EXPECT_THAT(err, HasSubstr("chmod go-w"));

    ::chmod(library.c_str(), 0755);
    ::chmod(folder.c_str(), 0777);
    std::tie(code, err) = check("folder");
    EXPECT_EQ(code, 1);
    EXPECT_THAT(err, HasSubstr(fmt::format("its folder {} is mode 0777", folder.string())));

    ::chmod(folder.c_str(), 01777);  // sticky, like /tmp: others cannot replace our file
    std::tie(code, err) = check("sticky");
    EXPECT_EQ(code, 0) << err;
    ::chmod(folder.c_str(), 0755);
    std::tie(code, err) = check("ok");
    EXPECT_EQ(code, 0) << err;
}

// ---- leftovers of a crashed run ----------------------------------------------

TEST_F(StorageRunner, LeftoversOfDeadRunsAreRemovedThoseOfLiveProcessesKept) {
    const auto plugins = journal_dir() / ".plugins";
    fs::create_directories(plugins);
    const int dead = 1 << 22;  // no such process
    const pid_t live = ::getpid();
    const std::vector<fs::path> dead_files{plugins / fmt::format("libsigrun_ofi.{}.0.so", dead),
                                           plugins / fmt::format("libsigrun_ofi.{}.3.so", dead),
                                           journal_dir() / fmt::format("md.journal.creating.{}", dead)};
    const std::vector<fs::path> live_files{plugins / fmt::format("libsigrun_ofi.{}.0.so", live),
                                           journal_dir() / fmt::format("signals.journal.creating.{}", live),
                                           plugins / "notes.txt"};
    for (const auto& f : dead_files) std::ofstream(f) << "leftover";
    for (const auto& f : live_files) std::ofstream(f) << "in use";
    auto p = start_sigrun(write_config(synthetic_config(journal_dir())));
    ASSERT_EQ(p->wait().shell_code(), 0) << p->err();
    for (const auto& f : dead_files) EXPECT_FALSE(fs::exists(f)) << f;
    for (const auto& f : live_files) EXPECT_TRUE(fs::exists(f)) << f;
    EXPECT_THAT(p->err(), HasSubstr("removed 3 file(s) (24 bytes) left by a run that crashed"));
}

// A second runner on the same journal dir is refused (the signals journal's
// lock) and removes nothing of the first one's.
TEST_F(StorageRunner, ASecondRunnerNeverRemovesALiveRunnersFiles) {
    auto md = external_md_writer();
    auto first = start_sigrun(write_config(journal_mode_config()), "first");
    ASSERT_TRUE(runner_started(*first)) << first->err();
    // The runner copies its plugin after it opened the journals that
    // runner_started() looks at: wait for the copy too.
    ASSERT_TRUE(eventually([&] { return files_containing(journal_dir() / ".plugins", ".so").size() == 1; }))
        << first->err();
    const auto copies = files_containing(journal_dir() / ".plugins", ".so");
    ASSERT_THAT(copies, SizeIs(1));
    auto second = start_sigrun(write_config(journal_mode_config(), "second.json"), "second");
    EXPECT_EQ(second->wait().shell_code(), 1);
    EXPECT_THAT(second->err(), HasSubstr("already has a writer"));
    EXPECT_EQ(files_containing(journal_dir() / ".plugins", ".so"), copies);
    EXPECT_TRUE(first->running());
    first->signal(SIGTERM);
    EXPECT_EQ(first->wait().shell_code(), 0) << first->err();
    EXPECT_EQ(journal_damage(journal_dir() / "signals.journal"), "");
}

}  // namespace
