#include "input_limits.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace sigrun::runner {
namespace {

std::string kind_problem(mode_t mode) {
    if (S_ISREG(mode)) return {};
    if (S_ISDIR(mode)) return "is a directory";
    if (S_ISFIFO(mode)) return "is a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "is a character device";
    if (S_ISBLK(mode)) return "is a block device";
    if (S_ISSOCK(mode)) return "is a socket";
    return "is not a regular file";
}

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::string regular_file_problem(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR) return "does not exist";
        return fmt::format("cannot be looked up ({})", std::strerror(err));
    }
    return kind_problem(st.st_mode);
}

std::string read_regular_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    const Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
    if (f.fd < 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR) throw std::runtime_error("cannot be read (no such file)");
        if (err == EACCES || err == EPERM) throw std::runtime_error("cannot be read (permission denied)");
        throw std::runtime_error(fmt::format("cannot be opened ({})", std::strerror(err)));
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw std::runtime_error(fmt::format("cannot be examined ({})", std::strerror(errno)));
    if (const std::string problem = kind_problem(st.st_mode); !problem.empty()) {
        throw std::runtime_error(problem + "; pass a regular file");
    }
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
        throw std::runtime_error(fmt::format("is {} bytes, over the limit of {} bytes; is it the right file?",
                                             st.st_size, max_bytes));
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::read(f.fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(fmt::format("reading it failed ({})", std::strerror(errno)));
        if (n == 0) break;  // shrank meanwhile
        done += static_cast<std::size_t>(n);
    }
    text.resize(done);
    return text;
}

nlohmann::json parse_json_bounded(const std::string& text, int max_depth) {
    const nlohmann::json::parser_callback_t limit = [max_depth](int depth, nlohmann::json::parse_event_t event,
                                                                 nlohmann::json&) {
        if ((event == nlohmann::json::parse_event_t::object_start ||
             event == nlohmann::json::parse_event_t::array_start) &&
            depth >= max_depth) {
            throw std::runtime_error(fmt::format("nests objects and arrays deeper than {} levels", max_depth));
        }
        return true;
    };
    return nlohmann::json::parse(text, limit);
}

}  // namespace sigrun::runner
