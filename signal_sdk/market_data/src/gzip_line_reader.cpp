#include "gzip_line_reader.hpp"

#include "sigrun/market_data/data_error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace sigrun::market_data {
namespace {

constexpr unsigned kZlibBufferBytes = 128 * 1024;
constexpr int kChunkBytes = 16 * 1024;
// A book20 line is about 1 KB. A line past this is not market data (a binary
// file, a file without newlines): refused before it takes gigabytes.
constexpr std::size_t kMaxLineBytes = 1024 * 1024;

gzFile as_gz(void* f) { return static_cast<gzFile>(f); }

}  // namespace

GzipLineReader::GzipLineReader(std::filesystem::path path) : path_(std::move(path)) {
    std::error_code ec;
    const auto status = std::filesystem::status(path_, ec);
    if (!std::filesystem::exists(status)) {
        throw DataError(path_, 0, "file not found",
                        "check the path (relative paths are resolved from the working directory " +
                            std::filesystem::current_path(ec).string() + ")");
    }
    if (!std::filesystem::is_regular_file(status)) {
        const char* what = std::filesystem::is_directory(status) ? "a directory"
                           : status.type() == std::filesystem::file_type::fifo ? "a FIFO (named pipe)"
                           : status.type() == std::filesystem::file_type::character ? "a character device"
                           : status.type() == std::filesystem::file_type::block ? "a block device"
                           : "not a regular file";
        throw DataError(path_, 0, std::string("is ") + what + ", not a regular file",
                        "pass the path of a .csv.gz file");
    }
    if (std::filesystem::file_size(path_, ec) == 0 && !ec) {
        throw DataError(path_, 0, "file is empty", "re-create the file; it needs at least a header row");
    }

    // Opened without blocking and checked again on the descriptor: a FIFO
    // put in the file's place after the check above is refused, not waited on.
    const int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        throw DataError(path_, 0, std::string("cannot open: ") + std::strerror(err),
                        err == EMFILE || err == ENFILE ? "too many open files; raise the limit (ulimit -n)"
                                                       : "check that the file is readable by this user");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw DataError(path_, 0, "is not a regular file", "pass the path of a .csv.gz file");
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    errno = 0;
    gzFile f = gzdopen(fd, "rb");
    if (f == nullptr) {
        ::close(fd);
        throw DataError(path_, 0, "cannot open: out of memory", "raise the address-space limit (ulimit -v)");
    }
    file_ = f;
    gzbuffer(f, kZlibBufferBytes);
    // Right after gzopen, gzdirect() reads the first bytes to decide whether
    // the file is gzip; zlib would otherwise pass plain text through silently.
    if (gzdirect(f) == 1) {
        gzclose(f);
        file_ = nullptr;
        throw DataError(path_, 0, "not a gzip file",
                        "compress it with 'gzip -9 <file>' (replay reads .csv.gz files only)");
    }
    line_.reserve(2048);
}

GzipLineReader::~GzipLineReader() {
    if (file_ != nullptr) gzclose(as_gz(file_));
}

std::optional<std::string_view> GzipLineReader::next_line() {
    if (at_end_) return std::nullopt;
    line_.clear();
    char chunk[kChunkBytes];
    bool got_any = false;
    for (;;) {
        if (gzgets(as_gz(file_), chunk, kChunkBytes) == nullptr) {
            int err = Z_OK;
            const char* msg = gzerror(as_gz(file_), &err);
            if (err != Z_OK && err != Z_STREAM_END) {
                at_end_ = true;
                throw DataError(path_, line_number_ + 1,
                                std::string("unreadable gzip data (") +
                                    (err == Z_ERRNO ? std::strerror(errno) : msg) + ")",
                                "the file is corrupt or truncated; copy or re-create it");
            }
            at_end_ = true;
            break;
        }
        got_any = true;
        const std::size_t n = std::strlen(chunk);
        line_.append(chunk, n);
        if (n > 0 && chunk[n - 1] == '\n') break;
        if (line_.size() > kMaxLineBytes) {
            at_end_ = true;
            throw DataError(path_, line_number_ + 1,
                            "line longer than " + std::to_string(kMaxLineBytes / 1024) + " KiB",
                            "this is not a market-data CSV (a binary file, or one without line breaks?); "
                            "pass a *_book20.csv.gz or *_trades.csv.gz file");
        }
    }
    if (!got_any) return std::nullopt;
    ++line_number_;
    if (!line_.empty() && line_.back() == '\n') line_.pop_back();
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    return std::string_view(line_);
}

}  // namespace sigrun::market_data
