// sigrun-feed — the feed as its own process: writes md.journal from the
// recorded files or the synthetic generator, for runners configured with
// "source": {"kind": "journal"} (any number, in this container or another
// one sharing the folder).
//
//   sigrun-feed replay    --journal DIR --files a_book20.csv.gz b_trades.csv.gz [--speed 1]
//   sigrun-feed synthetic --journal DIR [--seed 1] [--events 10000] [--instrument SYNTHUSD]
//   sigrun-feed record    --journal DIR --files raw/spot/btcusdt_20240808.gz raw/spot/btcusdt_20240809.gz
//
// Exit codes, as the runner's: 0 the input was written (or SIGINT/SIGTERM
// stopped it cleanly); 1 it failed or could not start (one line on stderr
// says what and how to fix it); 2 bad command-line arguments.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "binance_raw_source.hpp"
#include "feed_run.hpp"
#include "sigrun/journal/error.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/market_data/data_error.hpp"
#include "sigrun/market_data/replay_source.hpp"
#include "sigrun/market_data/synthetic_source.hpp"

namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int /*sig*/) { g_stop.store(true, std::memory_order_relaxed); }

void install_stop_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

struct Options {
    std::filesystem::path journal_dir;
    std::uint64_t capacity = 4096;
    std::uint32_t slot_size = 512;
    bool quiet = false;
    // replay
    std::vector<std::filesystem::path> files;
    double speed = 0.0;
    // synthetic
    sigrun::market_data::SyntheticConfig synthetic;
    // record
    std::string raw_instrument, raw_market;
};

void add_journal_options(CLI::App& sub, Options& o) {
    sub.add_option("-j,--journal", o.journal_dir, "folder of md.journal (created if missing)")->required();
    sub.add_option("--capacity", o.capacity, "frames in the md ring when md.journal is created (power of two)")
        ->check(CLI::PositiveNumber);
    sub.add_option("--slot-size", o.slot_size, "bytes per slot when md.journal is created (multiple of 64)")
        ->check(CLI::PositiveNumber);
    sub.add_flag("-q,--quiet", o.quiet, "no progress line, only the summary");
}

std::uint64_t count_events(const std::vector<std::filesystem::path>& files) {
    sigrun::market_data::ReplaySource counter(files);
    std::uint64_t n = 0;
    while (counter.next()) ++n;
    return n;
}

int run(const std::string& mode, const Options& o) {
    using namespace sigrun;
    feed::FeedRunOptions run_options;
    const bool terminal = !o.quiet && ::isatty(STDERR_FILENO) == 1;
    if (terminal) run_options.progress = stderr;
    // Open the input first: a wrong file fails before md.journal is touched.
    if (mode == "replay") {
        auto pacer = o.speed > 0 ? market_data::Pacer::recorded(o.speed) : market_data::Pacer::as_fast_as_possible();
        auto source = std::make_shared<market_data::ReplaySource>(o.files, std::move(pacer));
        run_options.source = [source] { return source->next(); };
        if (terminal) run_options.expected_events = count_events(o.files);
    } else if (mode == "record") {
        auto pacer = o.speed > 0 ? market_data::Pacer::recorded(o.speed) : market_data::Pacer::as_fast_as_possible();
        auto source = std::make_shared<feed::BinanceRawSource>(o.files, o.raw_instrument, o.raw_market);
        auto paced = std::make_shared<market_data::Pacer>(std::move(pacer));
        run_options.source = [source, paced]() -> std::optional<market_data::Event> {
            auto event = source->next();
            if (event) paced->wait_for(event->receive_time_ns());
            return event;
        };
    } else {
        auto source = std::make_shared<market_data::SyntheticSource>(o.synthetic);
        run_options.source = [source] { return source->next(); };
        run_options.expected_events = o.synthetic.events;
    }
    std::error_code ec;
    std::filesystem::create_directories(o.journal_dir, ec);
    if (ec) {
        std::fprintf(stderr, "sigrun-feed: --journal %s cannot be created (%s); use a writable folder\n",
                     o.journal_dir.c_str(), ec.message().c_str());
        return 1;
    }
    const auto md_path = o.journal_dir / "md.journal";
    journal::Writer md(md_path, journal::WriterOptions{journal::Geometry{o.capacity, o.slot_size}});
    std::fprintf(stderr, "sigrun-feed: writing %s (%s)\n", md_path.c_str(),
                 mode != "synthetic" ? fmt::format("{} {} file(s), speed {}", mode, o.files.size(), o.speed).c_str()
                                  : fmt::format("synthetic, {} events, seed {}", o.synthetic.events,
                                                o.synthetic.seed).c_str());
    const feed::FeedTotals totals = feed::run_feed(md, std::move(run_options), g_stop);
    std::printf("sigrun-feed: %s\n", feed::summary_line(totals).c_str());
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sigrun-feed: write md.journal from recorded or synthetic market data, for runners in "
                 "\"journal\" source mode"};
    app.require_subcommand(1);
    Options o;
    CLI::App* replay = app.add_subcommand("replay", "replay *_book20.csv.gz / *_trades.csv.gz files in receive-time order");
    add_journal_options(*replay, o);
    replay->add_option("-f,--files", o.files, "recorded files (as the runner's replay source)")
        ->required()
        ->check(CLI::ExistingFile);
    replay->add_option("--speed", o.speed, "0 as fast as possible (default), 1 the recorded pace, 2 twice as fast")
        ->check(CLI::NonNegativeNumber);
    CLI::App* synthetic = app.add_subcommand("synthetic", "a seeded random walk of book updates and trades");
    add_journal_options(*synthetic, o);
    synthetic->add_option("--seed", o.synthetic.seed, "random seed");
    synthetic->add_option("--events", o.synthetic.events, "events to write")->check(CLI::PositiveNumber);
    synthetic->add_option("--instrument", o.synthetic.instrument, "instrument name");
    CLI::App* record = app.add_subcommand(
        "record", "import raw Binance captures (<recv_ns> <json> lines; book rebuilt from the diff-depth stream)");
    add_journal_options(*record, o);
    record->add_option("-f,--files", o.files, "one instrument's raw .gz captures, in time order")
        ->required()
        ->check(CLI::ExistingFile);
    record->add_option("--speed", o.speed, "0 as fast as possible (default), 1 the recorded pace")
        ->check(CLI::NonNegativeNumber);
    record->add_option("--instrument", o.raw_instrument, "instrument name (default: from the file name)");
    record->add_option("--market", o.raw_market, "spot, usdm or cm (default: the file's folder)")
        ->check(CLI::IsMember({"spot", "usdm", "cm"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "sigrun-feed: %s; see sigrun-feed --help\n", e.what());
        return 2;
    }
    install_stop_handlers();
    try {
        return run(replay->parsed() ? "replay" : record->parsed() ? "record" : "synthetic", o);
    } catch (const sigrun::market_data::DataError& e) {
        std::fprintf(stderr, "sigrun-feed: %s\n", e.what());
        return 1;
    } catch (const sigrun::journal::JournalError& e) {
        std::fprintf(stderr, "sigrun-feed: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sigrun-feed: %s\n", e.what());
        return 1;
    }
}
