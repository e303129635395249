// sigrun — the runner executable.
//
//   sigrun --config runner.json
//
// Exit codes: 0 a clean run (source exhausted, or SIGINT/SIGTERM drained);
// 1 a run that failed or could not start (the reason is one line on stderr);
// 2 bad command-line arguments; 3 a stop request (SIGINT/SIGTERM) that could
// not end the run within $.watchdog.stop_timeout_ms (an engine that never
// returns; watchdog.hpp). A crash in an engine ends the process by its
// signal (SIGSEGV, SIGABRT, ...: 128 + N in a shell) after one line naming
// the engine and frame (fatal_signal.hpp).
#include <csignal>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "fatal_signal.hpp"
#include "plugin_inspect.hpp"
#include "resource_limits.hpp"
#include "runner.hpp"
#include "stats_json.hpp"

namespace {

// SIGINT/SIGTERM stop the run, SIGHUP reloads changed engines; handled on a
// dedicated thread with sigwait so that no async-signal-safety rules bind
// the handling.
class SignalWatcher {
public:
    explicit SignalWatcher(std::atomic<bool>& stop) : stop_(stop) {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        sigaddset(&set_, SIGHUP);
        sigaddset(&set_, SIGUSR2);  // our own wake-up at exit
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // inherited by every thread started after
        thread_ = std::thread([this] {
            for (;;) {
                int sig = 0;
                if (sigwait(&set_, &sig) != 0) continue;
                if (sig == SIGUSR2) return;
                if (sig == SIGHUP) {
                    const std::lock_guard lock(mutex_);
                    if (runner_ != nullptr) {
                        spdlog::info("SIGHUP received: reloading engines whose library changed");
                        runner_->hot_swapper().request_reload();
                    }
                    continue;
                }
                spdlog::info("{} received: stopping, draining and destroying engines", sig == SIGINT ? "SIGINT" : "SIGTERM");
                stop_.store(true);
            }
        });
    }
    void attach(sigrun::runner::Runner* runner) {
        const std::lock_guard lock(mutex_);
        runner_ = runner;
    }
    ~SignalWatcher() {
        pthread_kill(thread_.native_handle(), SIGUSR2);
        thread_.join();
    }

private:
    std::atomic<bool>& stop_;
    std::mutex mutex_;
    sigrun::runner::Runner* runner_ = nullptr;
    sigset_t set_{};
    std::thread thread_;
};

}  // namespace

// `sigrun inspect LIB.so`: its own command line (runner/src/plugin_inspect.hpp).
int inspect_main(int argc, char** argv) {
    CLI::App app{"sigrun inspect: what a plugin library is and whether this runner loads it. Exit 0 loads, "
                 "1 refused (the reason is printed), 3 not a plugin, 2 bad arguments"};
    std::string library;
    app.add_option("library", library, "the plugin's shared library (.so)")->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "sigrun inspect: %s; see sigrun inspect --help\n", e.what());
        return 2;
    }
    spdlog::set_level(spdlog::level::off);  // the report says everything; the loader's logs would repeat it
    return sigrun::runner::inspect_plugin(library, stdout, stderr);
}

int main(int argc, char** argv) {
    if (argc >= 2 && std::string_view(argv[1]) == "inspect") return inspect_main(argc - 1, argv + 1);
    CLI::App app{"sigrun: plugin-host runtime for low-latency trading signals"};
    std::string config_path;
    std::string log_level = "info";
    bool check_only = false;
    app.add_option("-c,--config", config_path, "runner configuration (JSON)")->required();
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
    app.add_flag("--check-config", check_only, "validate the config, load and create every engine, then exit");
    std::uint64_t reload_every = 0;
    app.add_option("--reload-every", reload_every,
                   "leak checks: hot-swap every engine from its own file after each N dispatched frames "
                   "(F frames make F/N swaps; swaps that fall behind are made before exit)")
        ->check(CLI::PositiveNumber);
    std::string stats_json;
    double stats_interval = 0;
    app.add_option("--stats-json", stats_json,
                   "write the metrics of /metrics to this JSON file at exit (and every --stats-interval seconds)");
    app.add_option("--stats-interval", stats_interval, "seconds between --stats-json writes during the run")
        ->check(CLI::PositiveNumber)
        ->needs("--stats-json");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "sigrun: %s; see sigrun --help\n", e.what());
        return 2;
    }

    auto logger = spdlog::stderr_color_mt("sigrun");
    logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(log_level));

    if (!stats_json.empty()) {
        if (const std::string problem = sigrun::runner::stats_path_problem(stats_json); !problem.empty()) {
            std::fprintf(stderr, "sigrun: --stats-json %s %s\n", stats_json.c_str(), problem.c_str());
            return 2;
        }
    }

    std::atomic<bool> stop{false};
    SignalWatcher watcher(stop);
    try {
        sigrun::runner::Runner runner(sigrun::runner::load_config(config_path));
        watcher.attach(&runner);
        struct Detach {
            SignalWatcher& w;
            ~Detach() { w.attach(nullptr); }
        } detach{watcher};
        if (check_only) {
            std::printf("sigrun: config %s is valid; %zu engine(s) loaded and created\n", config_path.c_str(),
                        runner.config().engines.size());
            return 0;
        }
        runner.reload_every(reload_every);
        std::optional<sigrun::runner::StatsJsonWriter> stats;
        if (!stats_json.empty()) {
            stats.emplace(stats_json, std::chrono::milliseconds(static_cast<std::int64_t>(stats_interval * 1000)),
                          runner.metrics());
        }
        std::vector<std::string> names;
        for (const auto& e : runner.config().engines) names.push_back(e.name);
        sigrun::runner::use_alternate_signal_stack();  // this thread dispatches
        sigrun::runner::install_fatal_signal_handler(runner.probe(), names);
        struct Uninstall {
            ~Uninstall() { sigrun::runner::uninstall_fatal_signal_handler(); }
        } uninstall;
        const sigrun::runner::RunSummary summary = runner.run(stop);
        if (stats) stats->finish();  // the numbers run() froze: the summary's
        sigrun::runner::print_summary(summary, stdout);
        std::fflush(stdout);
        if (!summary.error.empty()) {
            std::fprintf(stderr, "sigrun: %s\n", summary.error.c_str());
            return 1;
        }
        if (summary.frames_pinned_at_exit != 0) {
            std::fprintf(stderr, "sigrun: %llu frame(s) still pinned at exit; an engine leaked frames\n",
                         static_cast<unsigned long long>(summary.frames_pinned_at_exit));
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        // A limit (descriptors, address space, threads) is named with its fix.
        const std::string limit = sigrun::runner::describe_limit_exception(e);
        std::fprintf(stderr, "sigrun: %s\n", limit.empty() ? e.what() : limit.c_str());
        return 1;
    }
}
