#include "sigrun/journal/mapping.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/error.hpp"

#include "heartbeat.hpp"
#include "sigbus_guard.hpp"

namespace sigrun::journal {
namespace {

// Closes a file descriptor unless released; keeps the error paths short.
class FdGuard {
public:
    explicit FdGuard(int fd) noexcept : fd_(fd) {}
    ~FdGuard() {
        if (fd_ >= 0) ::close(fd_);
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    FdGuard& operator=(FdGuard&& other) noexcept {
        if (this != &other) {
            if (fd_ >= 0) ::close(fd_);
            fd_ = other.release();
        }
        return *this;
    }
    [[nodiscard]] int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

[[noreturn]] void throw_io(const std::filesystem::path& path, const char* what, int err) {
    throw JournalError(ErrorKind::io, fmt::format("journal {}: {} failed: {}; check the path and "
                                                  "its permissions",
                                                  path.string(), what, std::strerror(err)));
}

// Journals are readable by the owner's group (strategies, tools), never by
// everyone, whatever the umask (it can only take bits away: fchmod sets it).
constexpr mode_t kJournalMode = 0640;

std::atomic<std::int64_t> g_heartbeat_ms{1000};

// With SIGXFSZ at its default, a file-size limit (ulimit -f) below the
// journal's size kills the process in posix_fallocate before it can remove
// its temporary file. Ignored, the call fails with EFBIG instead, which is
// reported like any other error. Only a default disposition is changed.
void ignore_sigxfsz() noexcept {
    struct sigaction current {};
    if (::sigaction(SIGXFSZ, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) == 0 &&
        current.sa_handler == SIG_DFL) {
        ::signal(SIGXFSZ, SIG_IGN);
    }
}

// One line for a failed reservation: what, how much, why, what to do.
[[noreturn]] void throw_reserve(const std::filesystem::path& path, const Geometry& geometry, int err) {
    const char* fix = err == EFBIG ? "raise the file-size limit (ulimit -f) or lower the capacity"
                      : err == ENOSPC || err == EDQUOT ? "free space on its filesystem or lower the capacity"
                                                       : "check the filesystem";
    throw JournalError(ErrorKind::io, fmt::format("journal {}: cannot reserve {} bytes ({} slots of {} bytes): {}; {}",
                                                  path.string(), geometry.file_size(), geometry.capacity,
                                                  geometry.slot_size, std::strerror(err), fix));
}

bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Reads and validates the header of an open journal file without mapping it.
Geometry read_and_validate_header(int fd, const std::filesystem::path& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_io(path, "fstat", errno);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    FileHeader header{};
    const auto got = ::pread(fd, &header, sizeof header, 0);
    if (got < 0) throw_io(path, "read", errno);
    const bool magic_ok = static_cast<std::size_t>(got) >= sizeof kMagic &&
                          std::memcmp(header.magic, kMagic, sizeof kMagic) == 0;
    if (!magic_ok) {
        throw JournalError(ErrorKind::not_a_journal,
                           fmt::format("{} is not a sigrun journal (bad magic); point the config "
                                       "at a journal file or at a path that does not exist yet",
                                       path.string()));
    }
    if (static_cast<std::size_t>(got) < sizeof header || size < kFileHeaderSize) {
        throw JournalError(ErrorKind::truncated,
                           fmt::format("journal {} is truncated ({} bytes, the header alone "
                                       "needs {}); restore it from a copy or delete it",
                                       path.string(), size, kFileHeaderSize));
    }
    if (header.format_version < kFormatVersion) {
        throw JournalError(ErrorKind::wrong_version,
                           fmt::format("journal {} was written by an older sigrun (format {}); this "
                                       "build reads format {}: move the file aside or delete it and "
                                       "the runner creates a new one",
                                       path.string(), header.format_version, kFormatVersion));
    }
    if (header.format_version != kFormatVersion) {
        throw JournalError(ErrorKind::wrong_version,
                           fmt::format("journal {} was written by a newer sigrun (format {}); this "
                                       "build reads format {}: use a matching sigrun build, or move "
                                       "the file aside",
                                       path.string(), header.format_version, kFormatVersion));
    }
    if (header.header_size != kFileHeaderSize) {
        throw JournalError(ErrorKind::not_a_journal,
                           fmt::format("journal {} is damaged (header size {}); "
                                       "restore it from a copy or delete it",
                                       path.string(), header.header_size));
    }
    Geometry geometry{header.capacity, header.slot_size};
    validate_geometry(geometry, path);
    if (size < geometry.file_size()) {
        throw JournalError(ErrorKind::truncated,
                           fmt::format("journal {} is truncated: {} bytes, its header needs {} "
                                       "({} slots of {} bytes); restore it from a copy or delete it",
                                       path.string(), size, geometry.file_size(),
                                       geometry.capacity, geometry.slot_size));
    }
    return geometry;
}

// The writer's mapping is pre-faulted, so that its first lap does not take
// a page fault every 4 KiB: MADV_POPULATE_WRITE (Linux 5.14) maps each page
// writable, as a first write would. Only the first kMaxPrefaultBytes: a
// multi-gigabyte ring pre-faulted whole takes seconds, holds that much page
// cache and dirties every page (the whole file written back). A reopened
// file is first populated for reading, whole (MADV_POPULATE_READ): recovery
// reads every slot header, and one populate call is several times faster
// than a fault per page (4 GiB: 1.4 s instead of 9 s), without dirtying
// anything. Optimisations only: a kernel without them leaves the faults to
// first use; a file that shrank meanwhile makes them fail (EFAULT), not SIGBUS.
std::byte* map_file(int fd, std::size_t size, bool writable, bool will_recover, const std::filesystem::path& path) {
    const int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
    void* p = ::mmap(nullptr, size, prot, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) throw_io(path, "mmap", errno);
#ifdef MADV_POPULATE_READ
    if (will_recover) (void)::madvise(p, size, MADV_POPULATE_READ);
#else
    (void)will_recover;
#endif
#ifdef MADV_POPULATE_WRITE
    if (writable) (void)::madvise(p, std::min(size, kMaxPrefaultBytes), MADV_POPULATE_WRITE);
#endif
    return static_cast<std::byte*>(p);
}

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Writes a fresh journal to a private temporary name and links it into
// place, so that no reader ever sees a half-initialised header. Returns
// false when another process created `path` first.
bool create_file(const std::filesystem::path& path, const Geometry& geometry) {
    ignore_sigxfsz();
    // An unnamed file (O_TMPFILE) where the filesystem has them: a run that
    // dies while creating leaves nothing behind. Otherwise a private name,
    // removed on every error path; a crash leaves it, and the runner's next
    // start removes it (runner/src/leftovers.hpp).
    std::string tmp;
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    FdGuard fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, kJournalMode));
    if (fd.get() < 0) {
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) throw_io(path, "create", errno);
        tmp = path.string() + fmt::format(".creating.{}", ::getpid());
        fd = FdGuard(::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kJournalMode));
        if (fd.get() < 0) throw_io(path, fmt::format("create {}", tmp).c_str(), errno);
    }
    struct Unlink {
        const std::string& name;
        ~Unlink() {
            if (!name.empty()) ::unlink(name.c_str());
        }
    } unlink_tmp{tmp};
    if (::fchmod(fd.get(), kJournalMode) != 0) throw_io(path, "chmod", errno);
    // Reserve every block now: a full disk is reported here, by name, rather
    // than as a SIGBUS on the first lap. (Unlink removes the half-created file.)
    if (const int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(geometry.file_size())); err != 0) {
        throw_reserve(path, geometry, err);
    }
    FileHeader header{};
    std::memcpy(header.magic, kMagic, sizeof kMagic);
    header.format_version = kFormatVersion;
    header.header_size = kFileHeaderSize;
    header.slot_size = geometry.slot_size;
    header.capacity = geometry.capacity;
    header.created_time = now_ns();
    if (const ssize_t w = ::pwrite(fd.get(), &header, sizeof header, 0); w != static_cast<ssize_t>(sizeof header)) {
        throw_io(path, "write header", w < 0 ? errno : EIO);
    }
    // Linked into place only when complete: no reader sees half a header.
    const int linked = tmp.empty() ? ::linkat(AT_FDCWD, fmt::format("/proc/self/fd/{}", fd.get()).c_str(), AT_FDCWD,
                                              path.c_str(), AT_SYMLINK_FOLLOW)
                                   : ::link(tmp.c_str(), path.c_str());
    if (linked != 0) {
        if (errno == EEXIST) return false;
        throw_io(path, "link", errno);
    }
    return true;
}

}  // namespace

void validate_geometry(const Geometry& geometry, const std::filesystem::path& path) {
    if (!is_power_of_two(geometry.capacity) || geometry.capacity > kMaxCapacity) {
        throw JournalError(ErrorKind::bad_geometry,
                           fmt::format("journal {}: capacity {} is not a power of two between 1 "
                                       "and {}; use e.g. 4096",
                                       path.string(), geometry.capacity, kMaxCapacity));
    }
    if (geometry.slot_size < kMinSlotSize || geometry.slot_size > kMaxSlotSize ||
        geometry.slot_size % kCacheLine != 0) {
        throw JournalError(ErrorKind::bad_geometry,
                           fmt::format("journal {}: slot size {} must be a multiple of {} between "
                                       "{} and {}; use e.g. 512",
                                       path.string(), geometry.slot_size, kCacheLine, kMinSlotSize,
                                       kMaxSlotSize));
    }
}

void set_owner_heartbeat_interval(std::chrono::milliseconds interval) noexcept {
    g_heartbeat_ms.store(std::clamp<std::int64_t>(interval.count(), 1, 60'000), std::memory_order_relaxed);
}

std::shared_ptr<Mapping> Mapping::open_read_only(const std::filesystem::path& path) {
    FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw_io(path, "open", errno);
    const Geometry geometry = read_and_validate_header(fd.get(), path);
    std::shared_ptr<Mapping> m(new Mapping());
    m->path_ = path;
    m->geometry_ = geometry;
    m->size_ = geometry.file_size();
    m->base_ = map_file(fd.get(), m->size_, false, false, path);
    m->fd_ = fd.release();
    m->remember_file();
    return m;
}

std::shared_ptr<Mapping> Mapping::open_owner(const std::filesystem::path& path, Geometry geometry) {
    validate_geometry(geometry, path);
    bool created = false;
    if (!std::filesystem::exists(path)) created = create_file(path, geometry);

    FdGuard fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == EACCES || errno == EROFS || errno == EPERM) {
            throw JournalError(ErrorKind::read_only,
                               fmt::format("journal {} cannot be opened for writing ({}); fix its "
                                           "permissions or give the writer another path",
                                           path.string(), std::strerror(errno)));
        }
        throw_io(path, "open", errno);
    }
    const Geometry existing = read_and_validate_header(fd.get(), path);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) throw_io(path, "flock", errno);
        FileHeader header{};
        (void)::pread(fd.get(), &header, sizeof header, 0);
        throw JournalError(ErrorKind::writer_busy,
                           fmt::format("journal {} already has a writer (pid {}); stop that "
                                       "process or give this one another path",
                                       path.string(), header.owner_pid));
    }
    if (existing.capacity != geometry.capacity || existing.slot_size != geometry.slot_size) {
        throw JournalError(ErrorKind::geometry_mismatch,
                           fmt::format("journal {} has {} slots of {} bytes but {} slots of {} "
                                       "bytes were asked for; use the file's geometry, or move "
                                       "the file away to start a new journal",
                                       path.string(), existing.capacity, existing.slot_size,
                                       geometry.capacity, geometry.slot_size));
    }
    // An existing file may be sparse (copied, or written by an older
    // build): reserve its blocks too, so that a full disk is reported now
    // and never as a SIGBUS mid-run. Linux fallocate, not posix_fallocate:
    // glibc's fallback for filesystems without it writes into every block,
    // which must never happen to a journal that holds frames (such
    // filesystems are left as they are).
    if (!created && ::fallocate(fd.get(), 0, 0, static_cast<off_t>(existing.file_size())) != 0 &&
        errno != EOPNOTSUPP && errno != ENOSYS) {
        throw_reserve(path, existing, errno);
    }
    std::shared_ptr<Mapping> m(new Mapping());
    m->path_ = path;
    m->geometry_ = existing;
    m->size_ = existing.file_size();
    m->base_ = map_file(fd.get(), m->size_, true, !created, path);
    m->fd_ = fd.release();
    m->writable_ = true;
    m->created_ = created;
    m->remember_file();
    detail::store(m->header().owner_pid, static_cast<std::int32_t>(::getpid()),
                  std::memory_order_relaxed);
    detail::ref(m->header().open_count).fetch_add(1, std::memory_order_relaxed);
    m->heartbeat_ = std::make_shared<detail::Heartbeat>(
        m->header(), std::chrono::milliseconds(g_heartbeat_ms.load(std::memory_order_relaxed)));
    return m;
}

void Mapping::remember_file() {
    // slot_of_payload: slot_size = odd << shift, and the inverse of odd
    // modulo 2^64 by Newton's iteration (each step doubles the correct low
    // bits: odd is its own inverse to 3 bits, 3 -> 6 -> 12 -> 24 -> 48 -> 96).
    slot_shift_ = static_cast<unsigned>(std::countr_zero(geometry_.slot_size));
    slot_low_mask_ = (std::uint64_t{1} << slot_shift_) - 1;
    const std::uint64_t odd = geometry_.slot_size >> slot_shift_;
    std::uint64_t inverse = odd;
    for (int i = 0; i < 5; ++i) inverse *= 2 - odd * inverse;
    slot_odd_inverse_ = inverse;
    struct stat st {};
    if (::fstat(fd_, &st) == 0) {
        device_ = static_cast<std::uint64_t>(st.st_dev);
        inode_ = static_cast<std::uint64_t>(st.st_ino);
    }
    guard_slot_ = detail::guard_mapping(base_, size_, writable_, path_.c_str());
}

Mapping::~Mapping() {
    heartbeat_.reset();  // its thread writes the header: stopped before anything else
    if (writable_) detail::store(header().owner_pid, std::int32_t{0}, std::memory_order_relaxed);
    detail::unguard_mapping(guard_slot_);
    if (base_ != nullptr) ::munmap(base_, size_);
    if (fd_ >= 0) ::close(fd_);  // also drops the writer's flock
}

bool Mapping::shrunk() const noexcept { return detail::mapping_shrunk(guard_slot_); }

std::string Mapping::file_problem() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        return fmt::format("journal {}: cannot stat the open file ({})", path_.string(), std::strerror(errno));
    }
    if (shrunk() || static_cast<std::uint64_t>(st.st_size) < size_) {
        return fmt::format("journal {} shrank to {} bytes under this process (it needs {}): another process "
                           "truncated it, and what was past its end is gone; restore it from a copy or delete "
                           "it, and never truncate a live journal",
                           path_.string(), static_cast<std::uint64_t>(st.st_size), size_);
    }
    // The path first: a file renamed over the journal also leaves ours with
    // no link, and "replaced" is the better news.
    struct stat now {};
    const bool at_path = ::stat(path_.c_str(), &now) == 0;
    if (at_path &&
        (static_cast<std::uint64_t>(now.st_dev) != device_ || static_cast<std::uint64_t>(now.st_ino) != inode_)) {
        return fmt::format("journal {} was replaced by another file (inode {} -> {}) while this process had "
                           "it open; restart to read the new file",
                           path_.string(), inode_, static_cast<std::uint64_t>(now.st_ino));
    }
    if (!at_path || st.st_nlink == 0) {
        return fmt::format("journal {} was {} while this process had it open: what is written to it can no "
                           "longer be read through that path; restart to create or open the journal there",
                           path_.string(), st.st_nlink == 0 ? "deleted" : "moved away");
    }
    return {};
}

}  // namespace sigrun::journal
