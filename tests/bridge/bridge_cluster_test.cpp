// The bridge against a real 3-node nats-server cluster with JetStream on
// loopback (tools/bridge/cluster/node.conf), R3 streams:
//   - the demo's signals journal published by sigrun-bridge reaches the
//     bridge's subscribe side and a plain NATS client exactly once, in order;
//   - killing the stream's leader node and the bridges themselves mid-stream
//     loses and duplicates nothing, and the bridges resume by themselves;
//   - a durable consumer left ahead of the subscriber's journal is reset to
//     it and delivers the rest once;
//   - md from the stream, through two subscribers, into two runners on two
//     journal folders gives the same factor values as the local replay.
// Each test starts and stops its own cluster (data under the build tree).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bridge_test_support.hpp"
#include "nats_cluster.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/messages.h"

namespace sigrun::testing {
namespace {

using namespace std::chrono_literals;

class BridgeCluster : public ::testing::Test {
protected:
    void SetUp() override {
        work_ = fresh_test_work_dir();
        cluster_ = std::make_unique<NatsCluster>(work_ / "nats", 3, SIGRUN_CLUSTER_CONF);
    }
    void TearDown() override {
        cluster_.reset();
        if (!HasFailure()) std::filesystem::remove_all(work_);
    }

    // A bridge config: the cluster, `stream` created R3 for sigrun.<name>.>.
    std::filesystem::path bridge_config(const std::string& file, const std::string& stream, const std::string& publish,
                                        const std::string& subscribe) {
        const auto path = work_ / file;
        write_text(path, fmt::format(R"({{
  "nats": {{ "servers": {}, "connect_attempts": 20, "backoff_initial_ms": 50, "backoff_max_ms": 1000,
             "request_timeout_ms": 2000 }},
  "stream": "{}"{}{}
}})", cluster_->urls_json(), stream,
                                     publish.empty() ? "" : ",\n  \"create_stream\": { \"replicas\": 3 },\n  \"publish\": " + publish,
                                     subscribe.empty() ? "" : ",\n  \"subscribe\": " + subscribe));
        return path;
    }

    // The runner on the bundled sample with the three shipped engines, md
    // ring large enough for the whole sample (5015 frames).
    std::filesystem::path runner_config(const std::string& name, const std::string& source) {
        const auto path = work_ / (name + ".json");
        write_text(path, fmt::format(R"({{
  "journal": {{ "dir": "{}", "md": {{ "capacity": 8192, "slot_size": 512 }},
               "signals": {{ "capacity": 65536, "slot_size": 512 }}, "pin_timeout_ms": 1000 }},
  "source": {},
  "engines": [
    {{ "name": "ofi", "library": "{}", "config": {{ "levels": 5, "window_events": 100 }} }},
    {{ "name": "microprice", "library": "{}", "config": {{ "levels": 5 }} }},
    {{ "name": "trade_flow", "library": "{}", "config": {{ "window_events": 200 }} }}
  ],
  "output": {{ "print_factors": 0 }}
}})", (work_ / name / "journal").string(), source, SIGRUN_PLUGIN_OFI, SIGRUN_PLUGIN_MICROPRICE, SIGRUN_PLUGIN_TRADE_FLOW));
        return path;
    }

    // Runs the local replay of the demo: md.journal and signals.journal under <name>/journal.
    std::filesystem::path local_replay(const std::string& name) {
        const auto config = runner_config(name, fmt::format(R"({{ "kind": "replay", "files": ["{0}/spot_btcusdt_book20.csv.gz",
                                                                 "{0}/spot_btcusdt_trades.csv.gz"], "speed": 0 }})",
                                                             SIGRUN_EXAMPLES_DATA));
        const auto r = run_tool(SIGRUN_RUNNER, {"--config", config.string()}, work_, name);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return work_ / name / "journal";
    }

    // A plain client's JetStream context on the cluster (no sigrun-bridge code).
    jsCtx* plain_jetstream() {
        if (!nc_) {
            natsOptions* opts = nullptr;
            natsOptions_Create(&opts);
            const auto urls = cluster_->urls();
            std::vector<const char*> u;
            for (const auto& s : urls) u.push_back(s.c_str());
            natsOptions_SetServers(opts, u.data(), static_cast<int>(u.size()));
            natsOptions_SetMaxReconnect(opts, -1);
            natsOptions_SetReconnectWait(opts, 50);
            natsConnection_Connect(&nc_, opts);
            natsOptions_Destroy(opts);
            natsConnection_JetStream(&js_, nc_, nullptr);
        }
        return js_;
    }

    // The stream's last sequence and leader, through a plain client; 0/"" while unavailable.
    std::pair<std::uint64_t, std::string> stream_state(const std::string& stream) {
        jsCtx* js = plain_jetstream();
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = 500;
        jsStreamInfo* si = nullptr;
        if (js_GetStreamInfo(&si, js, stream.c_str(), &jo, nullptr) != NATS_OK) return {0, ""};
        std::pair<std::uint64_t, std::string> result{si->State.LastSeq, si->Cluster && si->Cluster->Leader ? si->Cluster->Leader : ""};
        jsStreamInfo_Destroy(si);
        return result;
    }
    ~BridgeCluster() override {
        if (js_) jsCtx_Destroy(js_);
        if (nc_) natsConnection_Destroy(nc_);
    }

    // Fetches `count` messages from the existing durable `consumer` and never
    // acknowledges them: what a subscriber killed before writing them leaves.
    void fetch_without_writing(const std::string& stream, const std::string& filter, const std::string& consumer,
                               std::size_t count) {
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = stream.c_str();
        so.Consumer = consumer.c_str();
        natsSubscription* sub = nullptr;
        jsErrCode code{};
        const natsStatus s = js_PullSubscribe(&sub, plain_jetstream(), filter.c_str(), consumer.c_str(), nullptr, &so, &code);
        ASSERT_EQ(s, NATS_OK) << "plain client cannot bind to consumer " << consumer << ": " << natsStatus_GetText(s) << " " << code;
        std::size_t got = 0;
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (got < count && std::chrono::steady_clock::now() < until) {
            natsMsgList list{};
            natsSubscription_Fetch(&list, sub, static_cast<int>(count - got), 1000, nullptr);
            got += static_cast<std::size_t>(list.Count);
            natsMsgList_Destroy(&list);
        }
        natsSubscription_Destroy(sub);
        ASSERT_EQ(got, count) << "the plain client fetched too few messages from consumer " << consumer;
    }

    std::unique_ptr<SpawnedProcess> start_bridge(const std::string& command, const std::filesystem::path& config,
                                               const std::string& tag, bool stop_at_end = false) {
        std::vector<std::string> argv{SIGRUN_BRIDGE, command, "--config", config.string(), "--progress", "0.5"};
        if (stop_at_end) argv.push_back("--stop-at-end");
        return start_child(argv, work_ / (tag + ".out"), work_ / (tag + ".err"));
    }

    std::filesystem::path work_;
    std::unique_ptr<NatsCluster> cluster_;
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
};

TEST_F(BridgeCluster, DemoSignalsReachTheBridgeSubscriberAndAPlainClientExactlyOnceInOrder) {
    const auto journal = local_replay("demo");
    const auto frames = read_journal(journal / "signals.journal");
    ASSERT_GT(frames.size(), 1000u);
    ASSERT_EQ(frames.front().sequence, 1u);

    const auto config = bridge_config(
        "signals.json", "SIGRUN_SIGNALS",
        fmt::format(R"({{ "journal": "{}", "name": "demo" }})", (journal / "signals.journal").string()),
        fmt::format(R"({{ "journal_dir": "{}", "file": "signals.journal", "consumer": "strategy",
                         "capacity": 65536, "slot_size": 512 }})", (work_ / "received").string()));
    const auto pub = run_tool(SIGRUN_BRIDGE, {"publish", "--config", config.string(), "--stop-at-end"}, work_, "publish");
    ASSERT_EQ(pub.exit_code, 0) << pub.err;
    EXPECT_NE(pub.out.find(fmt::format("{} frames acknowledged, 0 duplicates", frames.size())), std::string::npos) << pub.out;
    EXPECT_NE(pub.out.find(fmt::format("last journal sequence in the stream {}, lag 0", frames.size())), std::string::npos) << pub.out;

    // Publishing again finds everything in the stream and sends nothing.
    const auto again = run_tool(SIGRUN_BRIDGE, {"publish", "--config", config.string(), "--stop-at-end"}, work_, "again");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("0 frames acknowledged"), std::string::npos) << again.out;
    EXPECT_NE(again.err.find(fmt::format("from journal sequence {}", frames.size() + 1)), std::string::npos) << again.err;

    // The bridge's own subscribe side.
    const auto sub = run_tool(SIGRUN_BRIDGE, {"subscribe", "--config", config.string(), "--stop-at-end"}, work_, "subscribe");
    ASSERT_EQ(sub.exit_code, 0) << sub.err;
    const auto received = read_journal(work_ / "received" / "signals.journal");
    ASSERT_EQ(received.size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        ASSERT_EQ(received[i].sequence, i + 1);
        ASSERT_EQ(received[i].msg_type, frames[i].msg_type) << "frame " << i + 1;
        ASSERT_EQ(received[i].payload, frames[i].payload) << "frame " << i + 1;
    }
    // A plain NATS client consumer.
    expect_exactly_once_in_order(consume_stream(cluster_->urls(), "SIGRUN_SIGNALS", "sigrun.demo.>", "plain", frames.size()),
                                 frames);
}

// A journal written live while the bridges run: trades with increasing ids.
// Trade number i of the test journals.
void write_trade(journal::Writer& writer, std::uint64_t i) {
    sigrun_trade t{};
    std::strncpy(t.instrument, i % 2 ? "BTCUSDT" : "ETHUSDT", sizeof t.instrument - 1);
    std::strncpy(t.exchange, "test", sizeof t.exchange - 1);
    t.price = 60000.0 + static_cast<double>(i % 1000);
    t.size = 0.001 * static_cast<double>(i % 7 + 1);
    t.trade_id = static_cast<std::int64_t>(i);
    t.receive_time_ns = static_cast<std::int64_t>(i) * 1000;
    writer.write_message(SIGRUN_MSG_TRADE, t, t.receive_time_ns);
}

void write_live_journal(const std::filesystem::path& path, std::uint64_t frames, std::atomic<bool>& done) {
    journal::Writer writer(path, journal::WriterOptions{journal::Geometry{32768, 256}, std::chrono::seconds(1)});
    for (std::uint64_t i = 1; i <= frames; ++i) {
        write_trade(writer, i);
        if (i % 100 == 0) std::this_thread::sleep_for(10ms);  // ~10 000 frames/s
    }
    writer.flush_hint();
    done.store(true);
}

TEST_F(BridgeCluster, LeaderKillAndBridgeKillsMidStreamLoseAndDuplicateNothing) {
    constexpr std::uint64_t kFrames = 30000;
    const auto live = work_ / "live" / "md.journal";
    std::filesystem::create_directories(live.parent_path());
    std::atomic<bool> written{false};
    // The journal exists before the publisher opens it.
    std::thread writer([&] { write_live_journal(live, kFrames, written); });
    while (!std::filesystem::exists(live)) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(20ms);

    const auto config = bridge_config(
        "live.json", "SIGRUN_LIVE",
        fmt::format(R"({{ "journal": "{}", "name": "live", "ack_wait_ms": 2000 }})", live.string()),
        fmt::format(R"({{ "journal_dir": "{}", "consumer": "runner", "capacity": 32768, "slot_size": 256, "batch": 128 }})",
                    (work_ / "received").string()));
    auto publisher = start_bridge("publish", config, "publish-1");
    auto subscriber = start_bridge("subscribe", config, "subscribe-1");

    auto wait_for_sequence = [&](std::uint64_t at_least, std::chrono::seconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        for (;;) {
            const auto [last, leader] = stream_state("SIGRUN_LIVE");
            if (last >= at_least && !leader.empty()) return std::make_pair(last, leader);
            if (std::chrono::steady_clock::now() > until) {
                ADD_FAILURE() << "stream never reached sequence " << at_least << " (at " << last << ")";
                return std::make_pair(last, leader);
            }
            std::this_thread::sleep_for(20ms);
        }
    };

    // 1. The stream's leader dies mid-stream, and comes back.
    const auto [at_kill, leader] = wait_for_sequence(kFrames / 6, 60s);
    const int node = cluster_->index_of(leader);
    ASSERT_GE(node, 0) << "leader " << leader;
    cluster_->kill(node);
    std::cout << fmt::format("[leader kill] stream SIGRUN_LIVE at sequence {}: killed its leader {} (SIGKILL)\n", at_kill, leader);
    const auto [after_kill, new_leader] = wait_for_sequence(at_kill + 1000, 60s);
    std::cout << fmt::format("[leader kill] new leader {}; the stream went on to sequence {} without {}\n", new_leader,
                             after_kill, leader);
    cluster_->start(node);
    std::cout << fmt::format("[leader kill] restarted {}\n", leader);

    // 2. Both bridges die mid-stream (SIGKILL: no goodbye), and restart.
    const auto [at_bridge_kill, _] = wait_for_sequence(kFrames / 2, 60s);
    publisher->kill_now();
    subscriber->kill_now();
    std::cout << fmt::format("[bridge kill] killed the publishing and the subscribing bridge at stream sequence {}\n",
                             at_bridge_kill);
    publisher = start_bridge("publish", config, "publish-2");
    subscriber = start_bridge("subscribe", config, "subscribe-2");

    writer.join();
    ASSERT_TRUE(written.load());
    wait_for_sequence(kFrames, 90s);
    // Let the restarted node catch up before the cluster is stopped.
    std::this_thread::sleep_for(200ms);
    publisher->signal(SIGTERM);
    const auto pub_exit = publisher->wait_for(30s);
    ASSERT_TRUE(pub_exit.has_value());
    EXPECT_EQ(pub_exit->shell_code(), 0) << publisher->err();
    std::cout << "[bridge kill] restarted publisher: " << last_line(publisher->out()) << "\n";
    EXPECT_NE(publisher->err().find("publishing " + live.string() + " to stream SIGRUN_LIVE from journal sequence"),
              std::string::npos);

    // The subscriber catches up, then stops.
    const auto received = work_ / "received" / "md.journal";
    const auto until = std::chrono::steady_clock::now() + 90s;
    while (std::chrono::steady_clock::now() < until && subscriber->running()) {
        if (std::filesystem::exists(received) && journal::Reader(received).last_published() >= kFrames) break;
        std::this_thread::sleep_for(50ms);
    }
    subscriber->signal(SIGTERM);
    const auto sub_exit = subscriber->wait_for(30s);
    ASSERT_TRUE(sub_exit.has_value());
    EXPECT_EQ(sub_exit->shell_code(), 0) << subscriber->err();
    std::cout << "[bridge kill] restarted subscriber: " << last_line(subscriber->out()) << "\n";

    // Nothing missing, nothing duplicated: stream sequence n holds journal
    // frame n, for every n, and the received journal is the live one.
    const auto frames = read_journal(live);
    ASSERT_EQ(frames.size(), kFrames);
    const auto messages = consume_stream(cluster_->urls(), "SIGRUN_LIVE", "sigrun.live.>", "audit", kFrames + 10);
    expect_exactly_once_in_order(messages, frames);
    const auto got = read_journal(received);
    ASSERT_EQ(got.size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        ASSERT_EQ(got[i].sequence, i + 1);
        ASSERT_EQ(got[i].payload, frames[i].payload) << "frame " << i + 1;
    }
    std::cout << fmt::format("[check] stream SIGRUN_LIVE holds {} messages: sequence n = journal frame n for every n; "
                             "the subscriber's journal holds the same {} frames in order\n", messages.size(), got.size());
}

// A subscriber killed after its consumer delivered frames but before it wrote
// them leaves the durable consumer ahead of its journal (the CI failure of
// stop 16: an R3 cluster answered the lookup after the reset with the old
// consumer, without its durable name). Each round: more frames published, the
// consumer pushed ahead by a plain client that fetches and never writes, then
// the subscriber must reset the consumer to its journal and deliver the rest,
// exactly once, in order.
TEST_F(BridgeCluster, ConsumerAheadOfTheJournalIsResetAndDeliversTheRestOnce) {
    constexpr std::uint64_t kChunk = 1000;
    constexpr std::uint64_t kRounds = 4;
    const auto live = work_ / "live" / "md.journal";
    std::filesystem::create_directories(live.parent_path());
    journal::Writer writer(live, journal::WriterOptions{journal::Geometry{8192, 256}, std::chrono::seconds(1)});
    const auto received = work_ / "received" / "md.journal";
    const auto config = bridge_config(
        "live.json", "SIGRUN_LIVE", fmt::format(R"({{ "journal": "{}", "name": "live" }})", live.string()),
        fmt::format(R"({{ "journal_dir": "{}", "consumer": "runner", "capacity": 8192, "slot_size": 256, "batch": 64 }})",
                    received.parent_path().string()));

    for (std::uint64_t round = 1; round <= kRounds; ++round) {
        for (std::uint64_t i = (round - 1) * kChunk + 1; i <= round * kChunk; ++i) write_trade(writer, i);
        writer.flush_hint();
        const auto tag = fmt::format("round-{}", round);
        const auto pub = run_tool(SIGRUN_BRIDGE, {"publish", "--config", config.string(), "--stop-at-end"}, work_, "publish-" + tag);
        ASSERT_EQ(pub.exit_code, 0) << pub.err;

        const std::uint64_t written = (round - 1) * kChunk;  // what the subscriber's journal holds
        const std::uint64_t ahead = round == 1 ? 0 : 97 * round;
        if (ahead > 0) fetch_without_writing("SIGRUN_LIVE", "sigrun.live.>", "runner", ahead);

        const auto sub = run_tool(SIGRUN_BRIDGE, {"subscribe", "--config", config.string(), "--stop-at-end"}, work_,
                                  "subscribe-" + tag);
        ASSERT_EQ(sub.exit_code, 0) << sub.err;
        if (ahead > 0) {
            EXPECT_NE(sub.err.find(fmt::format("consumer runner delivered up to stream sequence {}, the journal holds up "
                                               "to {}: delivering again from {}", written + ahead, written, written + 1)),
                      std::string::npos)
                << sub.err;
        }
        ASSERT_EQ(read_journal(received).size(), round * kChunk) << tag << "\n" << sub.err;
    }

    const auto frames = read_journal(live);
    const auto got = read_journal(received);
    ASSERT_EQ(got.size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        ASSERT_EQ(got[i].sequence, i + 1);
        ASSERT_EQ(got[i].payload, frames[i].payload) << "frame " << i + 1;
    }
    std::cout << fmt::format("[check] {} resets of consumer runner; the subscriber's journal holds the {} frames in order\n",
                             kRounds - 1, got.size());
}

// The values of a signals journal's factor frames, without the publish times.
std::vector<std::string> factor_values(const std::vector<Frame>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames) {
        EXPECT_EQ(f.msg_type, SIGRUN_MSG_FACTOR_BATCH);
        if (f.payload.size() < sizeof(sigrun_factor_batch)) continue;
        sigrun_factor_batch b;
        std::memcpy(&b, f.payload.data(), sizeof b);
        std::string row = fmt::format("{} src={} rt={} n={}", b.engine, b.source_sequence, b.source_receive_time_ns, b.count);
        for (std::uint32_t i = 0; i < b.count; ++i) {
            sigrun_factor_value v;
            std::memcpy(&v, f.payload.data() + sizeof b + i * sizeof v, sizeof v);
            row += fmt::format(" {}/{}={:a}", v.factor, v.instrument, v.value);
        }
        out.push_back(std::move(row));
    }
    return out;
}

TEST_F(BridgeCluster, MdFromTheStreamIntoTwoRunnersGivesTheLocalReplaysFactors) {
    const auto local = local_replay("local");
    const auto md = read_journal(local / "md.journal");
    ASSERT_EQ(md.front().sequence, 1u) << "the md ring must hold the whole sample";
    const auto expected = factor_values(read_journal(local / "signals.journal"));
    ASSERT_GT(expected.size(), 1000u);

    const auto publish = fmt::format(R"({{ "journal": "{}", "name": "feed" }})", (local / "md.journal").string());
    const auto config = bridge_config("feed.json", "SIGRUN_MD", publish, "");
    const auto pub = run_tool(SIGRUN_BRIDGE, {"publish", "--config", config.string(), "--stop-at-end"}, work_, "publish");
    ASSERT_EQ(pub.exit_code, 0) << pub.err;

    // Two machines' worth: a subscriber and a runner per journal folder.
    std::vector<std::unique_ptr<SpawnedProcess>> subscribers;
    for (const std::string name : {"a", "b"}) {
        const auto c = bridge_config("sub-" + name + ".json", "SIGRUN_MD", "",
                                     fmt::format(R"({{ "journal_dir": "{}", "consumer": "runner-{}", "capacity": 8192, "slot_size": 512 }})",
                                                 (work_ / name / "journal").string(), name));
        subscribers.push_back(start_bridge("subscribe", c, "subscribe-" + name, true));
    }
    for (auto& s : subscribers) {
        const auto code = s->wait_for(60s);
        ASSERT_TRUE(code.has_value()) << s->err();
        ASSERT_EQ(code->shell_code(), 0) << s->err();
    }
    std::vector<std::unique_ptr<SpawnedProcess>> runners;
    for (const std::string name : {"a", "b"}) {
        const auto c = runner_config(name, R"({ "kind": "journal", "start": "oldest" })");
        runners.push_back(start_child({SIGRUN_RUNNER, "--config", c.string()}, work_ / ("runner-" + name + ".out"),
                                      work_ / ("runner-" + name + ".err")));
    }
    for (std::size_t i = 0; i < runners.size(); ++i) {
        const auto signals = work_ / (i == 0 ? "a" : "b") / "journal" / "signals.journal";
        const auto until = std::chrono::steady_clock::now() + 60s;
        while (std::chrono::steady_clock::now() < until) {
            if (std::filesystem::exists(signals) && journal::Reader(signals).last_published() >= expected.size()) break;
            std::this_thread::sleep_for(20ms);
        }
        std::this_thread::sleep_for(100ms);  // anything beyond the expected frames would show now
        runners[i]->signal(SIGTERM);
        const auto code = runners[i]->wait_for(30s);
        ASSERT_TRUE(code.has_value());
        EXPECT_EQ(code->shell_code(), 0) << runners[i]->err();
        // Every md frame dispatched, the same factor values as the local replay.
        const auto md_received = read_journal(signals.parent_path() / "md.journal");
        ASSERT_EQ(md_received.size(), md.size());
        for (std::size_t k = 0; k < md.size(); ++k) ASSERT_EQ(md_received[k].payload, md[k].payload) << "md frame " << k + 1;
        const auto got = factor_values(read_journal(signals));
        ASSERT_EQ(got.size(), expected.size()) << "runner " << i;
        for (std::size_t k = 0; k < expected.size(); ++k) ASSERT_EQ(got[k], expected[k]) << "runner " << i << " factor frame " << k + 1;
    }
}

}  // namespace
}  // namespace sigrun::testing
