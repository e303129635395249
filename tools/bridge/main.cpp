// sigrun-bridge — journal frames to and from NATS JetStream.
//
//   sigrun-bridge publish   --config bridge.json [--stop-at-end]
//   sigrun-bridge subscribe --config bridge.json [--stop-at-end]
//
// publish follows a journal and publishes every frame to a stream, in order,
// once; subscribe writes a stream's frames into a local journal through a
// durable consumer. Both resume by themselves after a restart. Exit codes:
// 0 done (stopped by SIGINT/SIGTERM or --stop-at-end), 1 a failure the user
// can fix (one line on stderr: unreachable cluster, missing stream, missing
// permission, unusable journal), 2 bad arguments or config.
#include <csignal>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nats/nats.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bridge_config.hpp"
#include "nats_session.hpp"
#include "publisher.hpp"
#include "subscriber.hpp"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

void on_stop_signal(int) { sigrun::bridge::stop_requested().store(true); }

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

int publish(const sigrun::bridge::BridgeConfig& config, const sigrun::bridge::PublishOptions& options) {
    using namespace sigrun::bridge;
    NatsSession session(config.nats);
    Publisher publisher(config, session);
    const PublishSummary s = publisher.run(options);
    fmt::print("published {} to stream {}: {} frames acknowledged, {} duplicates dropped by the stream, {} resyncs, "
               "{} lost in the journal, last journal sequence in the stream {}, lag {}, {:.3f} s ({:.0f} frames/s)\n",
               config.publish->journal.string(), config.stream, s.acked, s.duplicates, s.resyncs, s.lost,
               s.last_acked_sequence, s.lag, s.seconds, s.seconds > 0 ? static_cast<double>(s.acked) / s.seconds : 0.0);
    std::fflush(stdout);
    return 0;
}

int subscribe(const sigrun::bridge::BridgeConfig& config, const sigrun::bridge::SubscribeOptions& options) {
    using namespace sigrun::bridge;
    NatsSession session(config.nats);
    Subscriber subscriber(config, session);
    const SubscribeSummary s = subscriber.run(options);
    fmt::print("subscribed {}/{} into {}: {} frames written, {} redelivered and skipped, {} consumer resets, "
               "stream sequences {}..{}, journal sequence {}, journal-to-journal latency p50 {:.1f} us p99 {:.1f} us, {:.3f} s\n",
               config.stream, config.subscribe->consumer, (config.subscribe->journal_dir / config.subscribe->file).string(),
               s.written, s.redelivered, s.resets, s.first_stream_sequence, s.last_stream_sequence, s.journal_last_sequence,
               static_cast<double>(s.latency_p50_ns) / 1e3, static_cast<double>(s.latency_p99_ns) / 1e3, s.seconds);
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sigrun-bridge: journal frames to and from NATS JetStream.\n"
                 "Exit codes: 0 done; 1 a failure to fix (unreachable cluster, missing stream, permission, journal); "
                 "2 bad arguments or config. Errors are one line on stderr."};
    app.require_subcommand(1);
    std::string config_path;
    bool stop_at_end = false;
    double progress = 1.0;
    auto add_common = [&](CLI::App* sub) {
        sub->add_option("--config", config_path, "bridge JSON config (nats, stream, publish/subscribe)")->required();
        sub->add_option("--progress", progress, "seconds between progress lines on stderr, 0 for none")
            ->capture_default_str()->check(CLI::NonNegativeNumber);
    };
    auto* pub = app.add_subcommand("publish", "follow $.publish.journal and publish every frame to $.stream, "
                                              "resuming after the stream's last frame of this journal");
    add_common(pub);
    pub->add_flag("--stop-at-end", stop_at_end, "exit once every frame of the journal is acknowledged by the stream");
    auto* sub = app.add_subcommand("subscribe", "write $.stream's frames into $.subscribe.journal_dir/md.journal "
                                                "through the durable consumer $.subscribe.consumer");
    add_common(sub);
    sub->add_flag("--stop-at-end", stop_at_end, "exit once the consumer has nothing pending");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : kExitUsage;
    }

    auto logger = spdlog::stderr_color_mt("sigrun-bridge");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    install_signal_handlers();

    int rc = 0;
    try {
        const auto config = sigrun::bridge::load_config(config_path);
        if (pub->parsed() && !config.publish) throw sigrun::bridge::ConfigError(fmt::format("config {}: $.publish is missing; add it to publish", config_path));
        if (sub->parsed() && !config.subscribe) throw sigrun::bridge::ConfigError(fmt::format("config {}: $.subscribe is missing; add it to subscribe", config_path));
        if (pub->parsed()) {
            rc = publish(config, {stop_at_end, progress});
        } else {
            rc = subscribe(config, {stop_at_end, progress});
        }
    } catch (const sigrun::bridge::ConfigError& e) {
        std::fprintf(stderr, "sigrun-bridge: %s\n", e.what());
        rc = kExitUsage;
    } catch (const sigrun::bridge::BridgeError& e) {
        std::fprintf(stderr, "sigrun-bridge: %s\n", e.what());
        rc = kExitFailure;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sigrun-bridge: internal error: %s\n", e.what());
        rc = kExitFailure;
    }
    // Frees the client library's threads and globals (clean leak checks).
    nats_CloseAndWait(2000);
    return rc;
}
