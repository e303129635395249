// fault_shim.c — I/O fault injection for the storage tests, in the style of
// SQLite's: LD_PRELOAD this library and the N-th counted call fails.
//
// Counted calls: open/openat/creat whose path starts with SIGRUN_FAULT_PATH,
// and on the descriptors those returned: mmap, fallocate/posix_fallocate,
// ftruncate, write/pwrite; rename/link whose target starts with the prefix.
// Everything else (the dynamic loader, stderr, files elsewhere) passes
// untouched, so the counts are deterministic.
//
//   SIGRUN_FAULT_PATH   path prefix (required; without it nothing is counted)
//   SIGRUN_FAULT_CALLS  comma list of the kinds to count: open, mmap,
//                       fallocate, ftruncate, write, rename, link (default all)
//   SIGRUN_FAULT_AT     fail the N-th counted call (1-based; unset: none fail)
//   SIGRUN_FAULT_COUNT  file to write the number of counted calls to at exit
//
// A failed call returns what the kernel would for that kind of fault: open
// EIO, mmap ENOMEM, fallocate/write ENOSPC, ftruncate/rename/link EIO.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

enum { kMaxFd = 4096 };

static const char* g_prefix;
static size_t g_prefix_len;
static const char* g_calls;
static long g_fail_at;
static const char* g_count_file;
static atomic_long g_count;
static atomic_bool g_tracked[kMaxFd];

__attribute__((constructor)) static void init(void) {
    g_prefix = getenv("SIGRUN_FAULT_PATH");
    g_prefix_len = g_prefix ? strlen(g_prefix) : 0;
    g_calls = getenv("SIGRUN_FAULT_CALLS");
    const char* at = getenv("SIGRUN_FAULT_AT");
    g_fail_at = at ? atol(at) : 0;
    g_count_file = getenv("SIGRUN_FAULT_COUNT");
}

__attribute__((destructor)) static void report(void) {
    if (g_count_file == NULL) return;
    FILE* f = fopen(g_count_file, "w");
    if (f == NULL) return;
    fprintf(f, "%ld\n", atomic_load(&g_count));
    fclose(f);
}

static int kind_counted(const char* kind) {
    if (g_prefix == NULL) return 0;
    if (g_calls == NULL) return 1;
    const size_t n = strlen(kind);
    for (const char* p = g_calls; (p = strstr(p, kind)) != NULL; p += n) {
        const int starts = p == g_calls || p[-1] == ',';
        const int ends = p[n] == '\0' || p[n] == ',';
        if (starts && ends) return 1;
    }
    return 0;
}

static int under_prefix(const char* path) {
    return g_prefix != NULL && path != NULL && strncmp(path, g_prefix, g_prefix_len) == 0;
}

static int tracked(int fd) { return fd >= 0 && fd < kMaxFd && atomic_load(&g_tracked[fd]); }

// Counts one call of `kind`; true when this one must fail.
static int fail_now(const char* kind) {
    if (!kind_counted(kind)) return 0;
    const long n = atomic_fetch_add(&g_count, 1) + 1;
    return g_fail_at > 0 && n == g_fail_at;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static int track(int fd, const char* path) {
    if (fd >= 0 && fd < kMaxFd) atomic_store(&g_tracked[fd], under_prefix(path));
    return fd;
}

static int open_common(int dirfd, const char* path, int flags, mode_t mode, int at) {
    if (under_prefix(path) && fail_now("open")) {
        errno = EIO;
        return -1;
    }
    int fd;
    if (at) {
        fd = REAL(openat)(dirfd, path, flags, mode);
    } else {
        fd = REAL(open)(path, flags, mode);
    }
    return track(fd, path);
}

static mode_t mode_arg(int flags, va_list ap) {
    return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_common(AT_FDCWD, path, flags, mode, 0);
}
int open64(const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_common(AT_FDCWD, path, flags, mode, 0);
}
int openat(int dirfd, const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_common(dirfd, path, flags, mode, 1);
}
int openat64(int dirfd, const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_common(dirfd, path, flags, mode, 1);
}

int close(int fd) {
    if (fd >= 0 && fd < kMaxFd) atomic_store(&g_tracked[fd], 0);
    return REAL(close)(fd);
}

void* mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
    if (tracked(fd) && fail_now("mmap")) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return REAL(mmap)(addr, length, prot, flags, fd, offset);
}
void* mmap64(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
    return mmap(addr, length, prot, flags, fd, offset);
}

int posix_fallocate(int fd, off_t offset, off_t len) {
    if (tracked(fd) && fail_now("fallocate")) return ENOSPC;
    return REAL(posix_fallocate)(fd, offset, len);
}
int posix_fallocate64(int fd, off_t offset, off_t len) { return posix_fallocate(fd, offset, len); }

int fallocate(int fd, int mode, off_t offset, off_t len) {
    if (tracked(fd) && fail_now("fallocate")) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(fallocate)(fd, mode, offset, len);
}
int fallocate64(int fd, int mode, off_t offset, off_t len) { return fallocate(fd, mode, offset, len); }

int ftruncate(int fd, off_t length) {
    if (tracked(fd) && fail_now("ftruncate")) {
        errno = EIO;
        return -1;
    }
    return REAL(ftruncate)(fd, length);
}
int ftruncate64(int fd, off_t length) { return ftruncate(fd, length); }

ssize_t write(int fd, const void* buf, size_t n) {
    if (tracked(fd) && fail_now("write")) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(write)(fd, buf, n);
}
ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
    if (tracked(fd) && fail_now("write")) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(pwrite)(fd, buf, n, offset);
}
ssize_t pwrite64(int fd, const void* buf, size_t n, off_t offset) { return pwrite(fd, buf, n, offset); }

int rename(const char* from, const char* to) {
    if (under_prefix(to) && fail_now("rename")) {
        errno = EIO;
        return -1;
    }
    return REAL(rename)(from, to);
}
int renameat(int fromfd, const char* from, int tofd, const char* to) {
    if (under_prefix(to) && fail_now("rename")) {
        errno = EIO;
        return -1;
    }
    return REAL(renameat)(fromfd, from, tofd, to);
}

int link(const char* from, const char* to) {
    if (under_prefix(to) && fail_now("link")) {
        errno = EIO;
        return -1;
    }
    return REAL(link)(from, to);
}
int linkat(int fromfd, const char* from, int tofd, const char* to, int flags) {
    if (under_prefix(to) && fail_now("link")) {
        errno = EIO;
        return -1;
    }
    return REAL(linkat)(fromfd, from, tofd, to, flags);
}
