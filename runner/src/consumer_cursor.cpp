#include "consumer_cursor.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <new>
#include <utility>

#include <fmt/format.h>

namespace sigrun::runner {
namespace {

constexpr char kMagic[8] = {'S', 'I', 'G', 'R', 'U', 'N', 'C', '\0'};

// The file's first page, as stored (consumer_cursor.hpp has the table).
struct alignas(64) CursorLayout {
    char magic[8];
    std::uint32_t format_version;
    std::uint32_t file_size;
    std::uint32_t source_kind;
    std::uint32_t md_slot_size;
    std::uint64_t md_capacity;
    std::int64_t md_created_time;
    std::uint64_t source_fingerprint;
    std::uint64_t source_origin;
    std::uint64_t identity_checksum;
    // -- the dispatcher's position, on its own cache line --
    std::uint64_t next_sequence;
    std::uint8_t pad[56];
    std::int32_t owner_pid;
};
static_assert(offsetof(CursorLayout, format_version) == 8);
static_assert(offsetof(CursorLayout, source_kind) == 16);
static_assert(offsetof(CursorLayout, md_capacity) == 24);
static_assert(offsetof(CursorLayout, md_created_time) == 32);
static_assert(offsetof(CursorLayout, source_fingerprint) == 40);
static_assert(offsetof(CursorLayout, source_origin) == 48);
static_assert(offsetof(CursorLayout, identity_checksum) == 56);
static_assert(offsetof(CursorLayout, next_sequence) == 64);
static_assert(offsetof(CursorLayout, owner_pid) == 128);
static_assert(sizeof(CursorLayout) <= ConsumerCursor::kFileSize);
// The position is used in place as a std::atomic: same size, lock-free, so
// another process reading the word sees whole values.
static_assert(sizeof(std::atomic<std::uint64_t>) == sizeof(std::uint64_t));
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

constexpr std::size_t kIdentityBytes = offsetof(CursorLayout, identity_checksum);

std::uint64_t fnv1a(const void* bytes, std::size_t size) {
    std::uint64_t hash = 14695981039346656037ULL;
    for (std::size_t i = 0; i < size; ++i) {
        hash ^= static_cast<const unsigned char*>(bytes)[i];
        hash *= 1099511628211ULL;
    }
    return hash;
}

class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

[[noreturn]] void damaged(const std::filesystem::path& path, const std::string& what) {
    throw CursorError(CursorError::Kind::damaged, fmt::format("consumer cursor {} is damaged ({}), so where dispatch stopped is unknown; move "
                                  "it aside and the runner starts as on a first run (per $.source.start), which "
                                  "may dispatch frames again or skip some",
                                  path.string(), what));
}

[[noreturn]] void io_error(const std::filesystem::path& path, const char* what, int err) {
    throw CursorError(CursorError::Kind::io, fmt::format("consumer cursor {}: {} failed: {}; check the journal folder's free space and "
                                  "permissions",
                                  path.string(), what, std::strerror(err)));
}

void fsync_folder(const std::filesystem::path& folder, const std::filesystem::path& cursor) {
    const Fd dir(::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) io_error(cursor, "opening its folder", errno);
    if (::fsync(dir.get()) != 0) io_error(cursor, "fsync of its folder", errno);
}

}  // namespace

std::filesystem::path ConsumerCursor::path_for(const std::filesystem::path& journal_dir, const std::string& name) {
    return journal_dir / (name + ".cursor");
}

std::unique_ptr<ConsumerCursor> ConsumerCursor::open_existing(const std::filesystem::path& path) {
    // O_NONBLOCK: a FIFO planted at the path must not hang the start.
    Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        if (errno == ENOENT) return nullptr;
        if (errno == EISDIR) {
            throw CursorError(CursorError::Kind::io, fmt::format("consumer cursor {} is a directory; remove it or choose another "
                                          "$.journal.cursor name",
                                          path.string()));
        }
        io_error(path, "open", errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) io_error(path, "fstat", errno);
    if (!S_ISREG(st.st_mode)) {
        throw CursorError(CursorError::Kind::io, fmt::format("consumer cursor {} is not a regular file; remove it or choose another "
                                      "$.journal.cursor name",
                                      path.string()));
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) io_error(path, "flock", errno);
        CursorLayout layout{};
        const auto got = ::pread(fd.get(), &layout, sizeof layout, 0);
        const std::int32_t pid = got == static_cast<ssize_t>(sizeof layout) ? layout.owner_pid : 0;
        throw CursorError(CursorError::Kind::busy, fmt::format("consumer cursor {} is in use by another process (pid {}); each runner needs "
                                      "its own: stop the other runner or set $.journal.cursor to another name",
                                      path.string(), pid));
    }
    if (static_cast<std::uint64_t>(st.st_size) != kFileSize) {
        damaged(path, fmt::format("{} bytes, a cursor has {}", st.st_size, kFileSize));
    }
    return open_fd(path, fd.release());
}

// `fd`: open read-write, locked, kFileSize bytes. Validates and maps it.
std::unique_ptr<ConsumerCursor> ConsumerCursor::open_fd(const std::filesystem::path& path, int raw_fd) {
    Fd fd(raw_fd);
    CursorLayout layout{};
    const auto got = ::pread(fd.get(), &layout, sizeof layout, 0);
    if (got < 0) io_error(path, "read", errno);
    if (static_cast<std::size_t>(got) != sizeof layout || std::memcmp(layout.magic, kMagic, sizeof kMagic) != 0) {
        damaged(path, "not a sigrun cursor: bad magic");
    }
    if (layout.format_version > kFormatVersion) {
        throw CursorError(CursorError::Kind::damaged, fmt::format("consumer cursor {} was written by a newer sigrun (cursor format {}, this "
                                      "build reads {}); use a matching sigrun build",
                                      path.string(), layout.format_version, kFormatVersion));
    }
    if (layout.format_version != kFormatVersion || layout.file_size != kFileSize) {
        damaged(path, fmt::format("format {}, size field {}", layout.format_version, layout.file_size));
    }
    if (fnv1a(&layout, kIdentityBytes) != layout.identity_checksum) damaged(path, "identity checksum mismatch");

    void* base = ::mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (base == MAP_FAILED) io_error(path, "mmap", errno);

    std::unique_ptr<ConsumerCursor> cursor(new ConsumerCursor());
    cursor->path_ = path;
    cursor->fd_ = fd.release();
    cursor->base_ = static_cast<std::byte*>(base);
    cursor->identity_ = CursorIdentity{layout.source_kind,        layout.md_slot_size,   layout.md_capacity,
                                       layout.md_created_time,    layout.source_fingerprint,
                                       layout.source_origin};
    cursor->stored_position_ = layout.next_sequence;
    // The word becomes this process's std::atomic, holding what the file held.
    cursor->position_ = new (cursor->base_ + offsetof(CursorLayout, next_sequence))
        std::atomic<std::uint64_t>(layout.next_sequence);
    const std::int32_t pid = ::getpid();
    std::memcpy(cursor->base_ + offsetof(CursorLayout, owner_pid), &pid, sizeof pid);
    return cursor;
}

std::unique_ptr<ConsumerCursor> ConsumerCursor::create(const std::filesystem::path& path,
                                                       const CursorIdentity& identity, std::uint64_t next_sequence) {
    // One fixed temporary name: a leftover of a crash here is simply
    // rewritten by the next attempt (the journal locks, taken before, keep
    // two runners of one journal folder from getting here together).
    const std::filesystem::path temporary = path.string() + ".new";
    Fd fd(::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640));
    if (fd.get() < 0) io_error(path, fmt::format("creating {}", temporary.string()).c_str(), errno);
    struct Remove {
        const std::filesystem::path& p;
        bool armed = true;
        ~Remove() {
            if (armed) ::unlink(p.c_str());
        }
    } remove_temporary{temporary};
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) io_error(path, "flock", errno);

    alignas(64) std::array<std::byte, kFileSize> page{};
    CursorLayout layout{};
    std::memcpy(layout.magic, kMagic, sizeof kMagic);
    layout.format_version = kFormatVersion;
    layout.file_size = kFileSize;
    layout.source_kind = identity.source_kind;
    layout.md_slot_size = identity.md_slot_size;
    layout.md_capacity = identity.md_capacity;
    layout.md_created_time = identity.md_created_time;
    layout.source_fingerprint = identity.source_fingerprint;
    layout.source_origin = identity.source_origin;
    layout.identity_checksum = fnv1a(&layout, kIdentityBytes);
    layout.next_sequence = next_sequence;
    std::memcpy(page.data(), &layout, sizeof layout);
    for (std::size_t done = 0; done < page.size();) {
        const auto n = ::pwrite(fd.get(), page.data() + done, page.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) io_error(path, "write", n < 0 ? errno : ENOSPC);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) io_error(path, "fsync", errno);
    if (::rename(temporary.c_str(), path.c_str()) != 0) io_error(path, "rename", errno);
    remove_temporary.armed = false;
    fsync_folder(path.parent_path(), path);
    return open_fd(path, fd.release());
}

ConsumerCursor::~ConsumerCursor() {
    if (base_ != nullptr) {
        const std::int32_t none = 0;
        std::memcpy(base_ + offsetof(CursorLayout, owner_pid), &none, sizeof none);
        ::munmap(base_, kFileSize);
    }
    if (fd_ >= 0) ::close(fd_);
}

void ConsumerCursor::sync() {
    if (::msync(base_, kFileSize, MS_SYNC) != 0) io_error(path_, "msync", errno);
    if (::fsync(fd_) != 0) io_error(path_, "fsync", errno);
}

void sync_file(const std::filesystem::path& path) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
        throw CursorError(CursorError::Kind::io, fmt::format("{}: fsync at stop failed: {}; the data is written but may not survive a "
                                      "power loss",
                                      path.string(), std::strerror(errno)));
    }
}

}  // namespace sigrun::runner
