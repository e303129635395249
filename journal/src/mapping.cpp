#include "sigrun/journal/mapping.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/error.hpp"

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
// a page fault every 4 KiB: MAP_POPULATE maps every page, and
// MADV_POPULATE_WRITE (Linux 5.14) also makes each one writable, as a first
// write would (without it a shared mapping takes a write-protect fault on
// the first store to each page). Both are only an optimisation: a kernel
// without them leaves the faults to the first lap.
std::byte* map_file(int fd, std::size_t size, bool writable, const std::filesystem::path& path) {
    const int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
    const int flags = writable ? MAP_SHARED | MAP_POPULATE : MAP_SHARED;
    void* p = ::mmap(nullptr, size, prot, flags, fd, 0);
    if (p == MAP_FAILED) throw_io(path, "mmap", errno);
#ifdef MADV_POPULATE_WRITE
    if (writable) (void)::madvise(p, size, MADV_POPULATE_WRITE);
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
    const auto tmp = path.string() + fmt::format(".creating.{}", ::getpid());
    FdGuard fd(::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) throw_io(path, fmt::format("create {}", tmp).c_str(), errno);
    struct Unlink {
        const std::string& name;
        ~Unlink() { ::unlink(name.c_str()); }
    } unlink_tmp{tmp};
    // Reserve every block now: a full disk is reported here, by name, rather
    // than as a SIGBUS on the first lap. (Unlink removes the half-created file.)
    if (const int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(geometry.file_size())); err != 0) {
        throw JournalError(ErrorKind::io,
                           fmt::format("journal {}: cannot reserve {} bytes ({} slots of {} bytes): {}; "
                                       "free space or a smaller capacity",
                                       path.string(), geometry.file_size(), geometry.capacity,
                                       geometry.slot_size, std::strerror(err)));
    }
    FileHeader header{};
    std::memcpy(header.magic, kMagic, sizeof kMagic);
    header.format_version = kFormatVersion;
    header.header_size = kFileHeaderSize;
    header.slot_size = geometry.slot_size;
    header.capacity = geometry.capacity;
    header.created_time = now_ns();
    if (::pwrite(fd.get(), &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
        throw_io(path, "write header", errno);
    }
    if (::link(tmp.c_str(), path.c_str()) != 0) {
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

std::shared_ptr<Mapping> Mapping::open_read_only(const std::filesystem::path& path) {
    FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw_io(path, "open", errno);
    const Geometry geometry = read_and_validate_header(fd.get(), path);
    std::shared_ptr<Mapping> m(new Mapping());
    m->path_ = path;
    m->geometry_ = geometry;
    m->size_ = geometry.file_size();
    m->base_ = map_file(fd.get(), m->size_, false, path);
    m->fd_ = fd.release();
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
    std::shared_ptr<Mapping> m(new Mapping());
    m->path_ = path;
    m->geometry_ = existing;
    m->size_ = existing.file_size();
    m->base_ = map_file(fd.get(), m->size_, true, path);
    m->fd_ = fd.release();
    m->writable_ = true;
    m->created_ = created;
    detail::store(m->header().owner_pid, static_cast<std::int32_t>(::getpid()),
                  std::memory_order_relaxed);
    detail::ref(m->header().open_count).fetch_add(1, std::memory_order_relaxed);
    return m;
}

Mapping::~Mapping() {
    if (writable_) detail::store(header().owner_pid, std::int32_t{0}, std::memory_order_relaxed);
    if (base_ != nullptr) ::munmap(base_, size_);
    if (fd_ >= 0) ::close(fd_);  // also drops the writer's flock
}

std::optional<std::uint64_t> Mapping::slot_of_payload(const void* p) const noexcept {
    const auto* b = static_cast<const std::byte*>(p);
    const std::byte* ring = base_ + kFileHeaderSize;
    if (b < ring || b >= base_ + size_) return std::nullopt;
    const auto offset = static_cast<std::uint64_t>(b - ring);
    const std::uint64_t index = offset / geometry_.slot_size;
    if (offset % geometry_.slot_size < sizeof(FrameHeader)) return std::nullopt;
    return index;
}

}  // namespace sigrun::journal
