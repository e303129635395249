#include "gzip_line_reader.hpp"

#include "sigrun/market_data/data_error.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace sigrun::market_data {
namespace {

constexpr unsigned kZlibBufferBytes = 128 * 1024;
constexpr int kChunkBytes = 16 * 1024;

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
        throw DataError(path_, 0, "not a regular file", "pass the path of a .csv.gz file, not a directory");
    }
    if (std::filesystem::file_size(path_, ec) == 0 && !ec) {
        throw DataError(path_, 0, "file is empty", "re-create the file; it needs at least a header row");
    }

    errno = 0;
    gzFile f = gzopen(path_.c_str(), "rb");
    if (f == nullptr) {
        const int err = errno;
        throw DataError(path_, 0,
                        std::string("cannot open: ") + (err != 0 ? std::strerror(err) : "out of memory"),
                        "check that the file is readable by this user");
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
    }
    if (!got_any) return std::nullopt;
    ++line_number_;
    if (!line_.empty() && line_.back() == '\n') line_.pop_back();
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    return std::string_view(line_);
}

}  // namespace sigrun::market_data
