// spawned_process.hpp — a program a test runs as a user would (sigrun,
// sigrun-journal, sigrun-feed, sigrun-bridge, nats-server): its own process,
// stdout and stderr in files (truncated, or appended across the restarts of
// one test), extra environment variables, optional resource limits
// (setrlimit in the child between fork and exec), signals to it, and its
// exit code or the signal that ended it. The one way every suite starts a
// child, so these guarantees hold everywhere:
//   * the destructor kills and reaps it: a failing test never leaves one behind;
//   * wait() is bounded: a hung child is killed and fails the test;
//   * no signal is blocked in the child, whatever the spawning thread blocks;
//   * between fork and exec only async-signal-safe calls (everything the
//     child needs is prepared before fork);
//   * a program that cannot be executed throws here, with the reason;
//   * with SpawnOptions::valgrind_log set (sigrun's own tools, see
//     tool_files()), the memcheck build runs the program under valgrind
//     (child_command.hpp) and a valgrind report fails the test.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "child_command.hpp"
#include "text.hpp"

extern char** environ;

namespace sigrun::testing {

struct ChildLimit {
    int resource;         // RLIMIT_NOFILE, RLIMIT_AS, ...
    rlim_t value;         // soft and hard limit in the child
};

struct SpawnOptions {
    std::filesystem::path out;                // the child's stdout (created if absent)
    std::filesystem::path err;                // its stderr; may be the same file as `out`
    bool append = false;                      // keep what earlier runs wrote (a restarted server's log)
    std::map<std::string, std::string> env;   // set in the child, over the inherited environment
    std::vector<ChildLimit> limits;           // setrlimit in the child
    std::filesystem::path valgrind_log;       // non-empty: under valgrind in the memcheck build, report here
};

// Options for one of sigrun's own tools: `dir`/<tag>.out, .err and
// .valgrind (the tool runs under valgrind in the memcheck build).
inline SpawnOptions tool_files(const std::filesystem::path& dir, const std::string& tag) {
    SpawnOptions o;
    o.out = dir / (tag + ".out");
    o.err = dir / (tag + ".err");
    o.valgrind_log = dir / (tag + ".valgrind");
    return o;
}

class SpawnedProcess {
public:
    struct Exit {
        bool exited = false;  // by exit(): code is its status
        int code = -1;
        int signal = 0;       // killed by this signal

        // As a shell reports it: the exit status, or 128 + the signal.
        [[nodiscard]] int shell_code() const { return exited ? code : 128 + signal; }
    };

    // argv[0] is the executable's path. stdout/stderr go to `dir`/stdout.txt
    // and stderr.txt; stdin is /dev/null.
    SpawnedProcess(std::vector<std::string> argv, const std::filesystem::path& dir, std::vector<ChildLimit> limits = {})
        : SpawnedProcess(std::move(argv), default_options(dir, std::move(limits))) {}

    SpawnedProcess(std::vector<std::string> argv, SpawnOptions options)
        : out_(std::move(options.out)), err_(std::move(options.err)), valgrind_log_(std::move(options.valgrind_log)) {
        if (argv.empty()) throw std::invalid_argument("SpawnedProcess: empty argv");
        if (!valgrind_log_.empty()) {
            argv = child_command(argv.front(), std::vector<std::string>(argv.begin() + 1, argv.end()), valgrind_log_);
        }
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        std::vector<std::string> env_strings;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry(*e);
            if (options.env.count(entry.substr(0, entry.find('='))) == 0) env_strings.push_back(entry);
        }
        for (const auto& [key, value] : options.env) env_strings.push_back(key + "=" + value);
        std::vector<char*> envp;
        for (auto& s : env_strings) envp.push_back(s.data());
        envp.push_back(nullptr);

        // Everything the child needs is prepared before fork: between fork
        // and exec only async-signal-safe calls.
        const int mode = O_WRONLY | O_CREAT | O_CLOEXEC | (options.append ? O_APPEND : O_TRUNC);
        const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        const int out = ::open(out_.c_str(), mode, 0644);
        const int err = ::open(err_.c_str(), mode, 0644);
        int exec_error[2] = {-1, -1};  // the child writes errno here when exec fails
        if (in < 0 || out < 0 || err < 0 || ::pipe2(exec_error, O_CLOEXEC) != 0) {
            for (int fd : {in, out, err}) {
                if (fd >= 0) ::close(fd);
            }
            throw std::runtime_error("cannot open the stdio files of " + argv.front());
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(in, 0);
            ::dup2(out, 1);
            ::dup2(err, 2);
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            for (const ChildLimit& l : options.limits) {
                const rlimit value{l.value, l.value};
                ::setrlimit(l.resource, &value);
            }
            ::execve(args[0], args.data(), envp.data());
            const int error = errno;
            (void)!::write(exec_error[1], &error, sizeof error);
            ::_exit(127);
        }
        for (int fd : {in, out, err, exec_error[1]}) ::close(fd);
        if (pid_ < 0) {
            ::close(exec_error[0]);
            throw std::runtime_error("fork failed for " + argv.front());
        }
        // The pipe closes at exec (O_CLOEXEC): nothing read means it ran.
        int error = 0;
        ssize_t n = 0;
        while ((n = ::read(exec_error[0], &error, sizeof error)) < 0 && errno == EINTR) {
        }
        ::close(exec_error[0]);
        if (n == static_cast<ssize_t>(sizeof error)) {
            int status = 0;
            ::waitpid(pid_, &status, 0);
            reaped_ = true;
            throw std::runtime_error("cannot execute " + argv.front() + ": " + std::strerror(error));
        }
    }
    ~SpawnedProcess() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
        }
    }
    SpawnedProcess(const SpawnedProcess&) = delete;
    SpawnedProcess& operator=(const SpawnedProcess&) = delete;

    // Waits for the end; after `limit` the child is killed with SIGKILL (so
    // a hung child fails the test instead of hanging it) and the result
    // says signal SIGKILL.
    Exit wait(std::chrono::seconds limit = std::chrono::seconds(120)) {
        if (auto e = wait_for(limit)) return *e;
        ADD_FAILURE() << "child " << pid_ << " did not end within " << limit.count() << " s; killed\n" << err();
        return kill_now();
    }

    // The result, or nothing when the child still runs after `limit` (then
    // it is left running: signal it, wait again or kill_now()).
    std::optional<Exit> wait_for(std::chrono::milliseconds limit) {
        if (reaped_) return exit_;
        const auto give_up = std::chrono::steady_clock::now() + limit;
        for (;;) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) return record(status);
            if (r < 0 && errno != EINTR) throw std::runtime_error("waitpid failed");
            if (std::chrono::steady_clock::now() >= give_up) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    // SIGKILL and reap (no goodbye, as when a machine dies).
    Exit kill_now() {
        if (reaped_) return exit_;
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0) {
            if (errno != EINTR) throw std::runtime_error("waitpid failed");
        }
        return record(status);
    }

    // Without reaping it: wait() still reports how it ended.
    [[nodiscard]] bool running() const {
        siginfo_t info{};
        return !reaped_ && ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
               info.si_pid == 0;
    }
    // Only while it is not reaped: its pid could be someone else's after.
    void signal(int sig) const {
        if (!reaped_) ::kill(pid_, sig);
    }
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

    [[nodiscard]] std::string out() const { return read_text(out_); }
    [[nodiscard]] std::string err() const { return read_text(err_); }

private:
    static SpawnOptions default_options(const std::filesystem::path& dir, std::vector<ChildLimit> limits) {
        SpawnOptions o;
        o.out = dir / "stdout.txt";
        o.err = dir / "stderr.txt";
        o.limits = std::move(limits);
        return o;
    }

    Exit record(int status) {
        reaped_ = true;
        if (WIFEXITED(status)) {
            exit_.exited = true;
            exit_.code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            exit_.signal = WTERMSIG(status);
        }
        // In the memcheck build a valgrind report on the child fails the test.
        if (!valgrind_log_.empty() && exit_.exited) {
            EXPECT_EQ(child_memcheck_report(exit_.code, valgrind_log_), "");
        }
        return exit_;
    }

    std::filesystem::path out_, err_, valgrind_log_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    Exit exit_;
};

// One of sigrun's own tools, `exe args...`, with tool_files(dir, tag) and
// `env` over the inherited environment.
inline std::unique_ptr<SpawnedProcess> spawn_tool(const std::string& exe, const std::vector<std::string>& args,
                                                  const std::filesystem::path& dir, const std::string& tag,
                                                  std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv{exe};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options = tool_files(dir, tag);
    options.env = std::move(env);
    return std::make_unique<SpawnedProcess>(std::move(argv), std::move(options));
}

}  // namespace sigrun::testing
